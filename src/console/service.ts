import { auditPage } from './audit-view.js';
import { freezesNow } from './freeze-now.js';
import { queueOf } from './queue.js';
import { releaseView } from './release-view.js';
import { runningIn } from './running.js';
import { searchReleases } from './search.js';
import { findStageIndex } from '../core/evaluate.js';
import { runWithinBudget } from '../budget/pool.js';
import { formatInZone } from '../core/local-time.js';
import { failingRules } from '../core/rule-results.js';
import type { Policy, RuleResult } from '../core/types.js';
import type { ActionAnswer, ActionScope, RefusalKind, ReleaseActions } from '../app/actions/index.js';
import { loadRepoPolicy } from '../github/policy-source.js';
import type { RepoPolicy } from '../github/policy-source.js';
import type { PageCursor } from '../store/audit.js';
import type { ConsoleDeps, ConsoleReader } from './console-reader.js';
import { decisionSummary, earliest, encodeCursor, ruleView } from './view-helpers.js';
import type { GitHubDirectory, InstalledRepo, Role } from './github-directory.js';
import type {
  AuditPage,
  AuditQuery,
  BoardView,
  FreezeView,
  PolicyView,
  QueueView,
  SearchView,
  ReleaseView,
  RepositoryView,
  RepoSummary,
  StageView,
  Viewer,
  WaitingGateView,
  ZonedTime,
} from './views.js';

export type * from './views.js';
export type { ConsoleDeps, ConsoleReader } from './console-reader.js';
export {
  checkViewerTimeZone,
  decisionSummary,
  decodeCursor,
  earliest,
  encodeCursor,
  ruleView,
  toAuditRecord,
} from './view-helpers.js';
export type { ConsoleStore } from './console-store.js';
export { ConsoleError } from './console-error.js';
import { ConsoleError } from './console-error.js';

/** How a refused action is answered. */
const REFUSAL_STATUS: Record<RefusalKind, 403 | 409 | 422> = { forbidden: 403, conflict: 409, unprocessable: 422 };

const POLICY_TTL_MS = 60_000;

/**
 * The console's data and actions, for the API and the pages alike: what the user may read
 * (the App's installations, filtered by their GitHub permission), the record, and the
 * actions, each checked against the user's role here, whatever the page showed.
 */
export class ConsoleService implements ConsoleReader {
  private readonly policies = new Map<string, { value: RepoPolicy; until: number }>();

  constructor(
    readonly deps: ConsoleDeps,
    readonly github: GitHubDirectory,
    readonly webBaseUrl: string,
  ) {}

  now(): Date {
    return this.deps.clock();
  }

  /** The repository and the user's role on it; 404 when it is not installed or the user cannot read it. */
  async access(login: string, fullName: string): Promise<{ repo: InstalledRepo; role: Role }> {
    const repo = (await this.github.repositories()).get(fullName.toLowerCase());
    const role = repo ? await this.github.roleOf(login, repo) : null;
    if (!repo || !role)
      throw new ConsoleError(
        404,
        'not_found',
        `No repository ${fullName} that you can read is in the App's installations.`,
      );
    return { repo, role };
  }

  summary(repo: InstalledRepo, role: Role): RepoSummary {
    return {
      fullName: repo.fullName,
      owner: repo.owner,
      name: repo.name,
      role,
      htmlUrl: repo.htmlUrl ?? `${this.webBaseUrl}/${repo.fullName}`,
    };
  }

  async policy(repo: InstalledRepo): Promise<RepoPolicy> {
    const key = repo.fullName.toLowerCase();
    const now = this.now().getTime();
    const hit = this.policies.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = await loadRepoPolicy(await this.github.octokitFor(repo.installationId), {
      owner: repo.owner,
      repo: repo.name,
      defaultBranch: repo.defaultBranch,
    });
    this.policies.set(key, { value, until: now + POLICY_TTL_MS });
    return value;
  }

  async stages(repo: InstalledRepo, policy: Policy): Promise<StageView[]> {
    const waiting = await this.deps.store.countWaitingGates(repo.fullName);
    const out: StageView[] = [];
    for (const stage of policy.environments) {
      const envs = [...new Set([...stage.github, stage.name])];
      const d = await this.deps.store.latestDeployment(repo.fullName, envs);
      out.push({
        name: stage.name,
        environments: stage.github,
        // A deployment without a status yet that the gate holds is shown as waiting.
        current: d
          ? {
              sha: d.sha,
              ref: d.ref,
              deploymentId: d.id,
              state: d.latestState ?? (envs.some((e) => (waiting[e] ?? 0) > 0) ? 'waiting' : null),
              at: (d.latestStateAt ?? d.createdAt).toISOString(),
            }
          : null,
        running: await runningIn(this, repo, stage),
        waiting: envs.reduce((n, e) => n + (waiting[e] ?? 0), 0),
      });
    }
    return out;
  }

  zoned(at: string, windowZones: string[], viewerZone: string): ZonedTime {
    const d = new Date(at);
    const zones: ZonedTime['zones'] = [...new Set(windowZones)].map((z) => ({
      timeZone: z,
      local: formatInZone(d, z),
      role: 'window' as const,
    }));
    zones.push({ timeZone: viewerZone, local: formatInZone(d, viewerZone), role: 'viewer' });
    return { at, zones };
  }

  windowZones(policy: Policy | null, environment: string): string[] {
    if (!policy) return [];
    const i = findStageIndex(policy, environment);
    return i >= 0 ? policy.environments[i]!.freezeWindows.map((w) => w.timezone) : [];
  }

  async waitingGates(
    repo: InstalledRepo,
    policy: Policy | null,
    viewer: Viewer,
    sha?: string,
  ): Promise<WaitingGateView[]> {
    const gates = await this.deps.store.listPendingGates({
      repo: repo.fullName,
      status: 'pending',
      ...(sha ? { sha } : {}),
    });
    const out: WaitingGateView[] = [];
    for (const g of gates.slice(0, 200)) {
      const latest = (
        await this.deps.store.pageEvaluationSummaries({
          repo: repo.fullName,
          sha: g.sha,
          environment: g.environment,
          limit: 1,
        })
      ).rows[0];
      const rules = latest?.rules ?? [];
      const clears = earliest(rules);
      out.push({
        gateId: g.id,
        sha: g.sha,
        environment: g.environment,
        stage: latest?.stage ?? null,
        runUrl: `${this.webBaseUrl}/${repo.fullName}/actions/runs/${g.runId}`,
        since: g.createdAt.toISOString(),
        decidedAt: latest ? latest.at.toISOString() : null,
        waitsFor: failingRules(rules).map(ruleView),
        clears: clears ? this.zoned(clears, this.windowZones(policy, g.environment), viewer.timeZone) : null,
      });
    }
    return out;
  }

  policyView(repo: InstalledRepo, p: RepoPolicy): PolicyView {
    const at = p.commitSha ?? p.ref ?? repo.defaultBranch;
    return {
      ok: p.ok,
      path: p.path,
      ref: p.ref,
      blobSha: p.blobSha,
      commitSha: p.commitSha,
      link: `${this.webBaseUrl}/${repo.fullName}/blob/${encodeURIComponent(at)}/${p.path}`,
      problems: p.ok ? [] : p.problems,
      files: p.files.map((f) => ({ repository: f.repository, path: f.path, role: f.role, commitSha: f.commitSha })),
    };
  }

  async board(viewer: Viewer): Promise<BoardView> {
    const repos = [...(await this.github.repositories()).values()].sort((a, b) => a.fullName.localeCompare(b.fullName));
    const out: BoardView['repositories'] = [];
    for (const repo of repos) {
      const role = await this.github.roleOf(viewer.login, repo);
      if (!role) continue;
      const policy = await this.policy(repo);
      out.push({
        ...this.summary(repo, role),
        policy: { ok: policy.ok, problems: policy.ok ? [] : policy.problems },
        stages: policy.ok ? await this.stages(repo, policy.policy) : [],
        freezes: policy.ok ? await freezesNow(this, policy.policy, viewer) : [],
      });
    }
    const queue = await queueOf(this, viewer);
    return {
      user: { login: viewer.login },
      viewerTimeZone: viewer.timeZone,
      now: this.now().toISOString(),
      queue: queue.items,
      repositories: out,
    };
  }

  /** Releases found by SHA prefix, version, tag or pull request (see search.ts). */
  async search(login: string, text: string): Promise<SearchView> {
    return searchReleases(this, login, text);
  }

  /** The gates that wait on the viewer across repositories (see queue.ts). */
  async queue(viewer: Viewer): Promise<QueueView> {
    return queueOf(this, viewer);
  }

  async repository(viewer: Viewer, fullName: string, cursor: PageCursor | null = null): Promise<RepositoryView> {
    const { repo, role } = await this.access(viewer.login, fullName);
    const p = await this.policy(repo);
    const policy = p.ok ? p.policy : null;
    const now = this.now();
    const page = await this.deps.store.pageEvaluationSummaries({ repo: repo.fullName, limit: 20, after: cursor });
    const to = new Date(now.getTime() + 30 * 86_400_000);
    // Worked out in the evaluation pool, within the evaluation budget, after the gates' own work.
    const freeze: FreezeView[] = await Promise.all(
      (policy?.environments ?? []).map(async (stage) => {
        const zones = [...new Set(stage.freezeWindows.map((w) => w.timezone))];
        const outcome = await runWithinBudget(
          { kind: 'freeze-intervals', windows: stage.freezeWindows, from: now, to },
          this.deps.evaluationBudget,
          'background',
        );
        if (!outcome.ok) {
          const error = outcome.problem.startsWith('its evaluation failed: ')
            ? outcome.problem.slice('its evaluation failed: '.length)
            : `The calendar of these freeze windows was not computed: ${outcome.problem}.`;
          return { stage: stage.name, timeZones: zones, intervals: [], error };
        }
        return {
          stage: stage.name,
          timeZones: zones,
          intervals: outcome.value.map((i) => ({
            windows: i.windows,
            start: this.zoned(i.start.toISOString(), zones, viewer.timeZone),
            end: this.zoned(i.end.toISOString(), zones, viewer.timeZone),
          })),
          error: null,
        };
      }),
    );
    return {
      repository: this.summary(repo, role),
      viewerTimeZone: viewer.timeZone,
      policy: this.policyView(repo, p),
      stages: policy ? await this.stages(repo, policy) : [],
      waiting: await this.waitingGates(repo, policy, viewer),
      decisions: { items: page.rows.map(decisionSummary), nextCursor: page.next ? encodeCursor(page.next) : null },
      freeze: { from: now.toISOString(), to: to.toISOString(), stages: freeze },
      freezesNow: policy ? await freezesNow(this, policy, viewer) : [],
    };
  }

  async release(viewer: Viewer, fullName: string, sha: string): Promise<ReleaseView> {
    return releaseView(this, viewer, fullName, sha);
  }

  async audit(login: string, q: AuditQuery): Promise<AuditPage> {
    return auditPage(this, login, q);
  }

  // Actions: the App's one action module (src/app/actions) decides; the console names the
  // person and the repository, and answers its refusals as HTTP errors.

  /** The scope one signed-in person acts in on one repository (404 when they cannot read it). */
  async scope(login: string, fullName: string): Promise<{ repo: InstalledRepo; role: Role; scope: ActionScope }> {
    const { repo, role } = await this.access(login, fullName);
    const scope: ActionScope = {
      repo: {
        owner: repo.owner,
        repo: repo.name,
        installationId: repo.installationId,
        defaultBranch: repo.defaultBranch,
      },
      octokit: await this.github.octokitFor(repo.installationId),
      people: {
        roleOf: (who) => this.github.roleOf(who, repo),
        inAnyTeam: (teams, who) => this.github.inAnyTeam(repo.owner, [...teams], who, repo.installationId),
      },
      policy: () => this.policy(repo),
      actor: { login, via: 'console' },
    };
    return { repo, role, scope };
  }

  private async act<T>(
    login: string,
    fullName: string,
    take: (actions: ReleaseActions, scope: ActionScope) => Promise<ActionAnswer<T>>,
  ): Promise<{ outcome: 'done' | 'unchanged'; message: string } & T> {
    const { scope } = await this.scope(login, fullName);
    const answer = await take(this.deps.actions, scope);
    if (answer.outcome === 'refused') {
      const details = answer.details as { rules?: RuleResult[] } | undefined;
      throw new ConsoleError(
        REFUSAL_STATUS[answer.kind],
        answer.code,
        answer.message,
        details?.rules ? { rules: details.rules.map(ruleView) } : answer.details,
      );
    }
    return { outcome: answer.outcome, message: answer.message, ...answer.result };
  }

  async approve(login: string, fullName: string, sha: string, environment: string | undefined) {
    return this.act(login, fullName, (a, scope) => a.approve(scope, { sha, ...(environment ? { environment } : {}) }));
  }

  async reject(login: string, fullName: string, sha: string, input: { environment?: string; reason: string }) {
    return this.act(login, fullName, (a, scope) => a.reject(scope, { sha, ...input }));
  }

  async override(
    login: string,
    fullName: string,
    sha: string,
    input: { stage: string; reason: string; risk: string; rules: string[] },
  ) {
    return this.act(login, fullName, (a, scope) => a.override(scope, { sha, ...input }));
  }

  async promote(login: string, fullName: string, sha: string, requested: string | undefined) {
    return this.act(login, fullName, (a, scope) =>
      a.promote(scope, { sha, ...(requested ? { stage: requested } : {}) }),
    );
  }

  async rollback(login: string, fullName: string, sha: string, environment: string) {
    return this.act(login, fullName, (a, scope) => a.rollback(scope, { environment, sha }));
  }
}
