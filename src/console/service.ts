import { findStageIndex } from '../core/evaluate.js';
import { freezeIntervals } from '../core/freeze-windows.js';
import { assertTimeZone, formatInZone } from '../core/local-time.js';
import { renderGateSummary } from '../core/render-gate-summary.js';
import { failingRules } from '../core/rule-results.js';
import type { Decision, EnvironmentPolicy, OverrideFact, Policy, RuleResult, ScoreComponent } from '../core/types.js';
import { reevaluatePending, runGate } from '../app/gate.js';
import type { GateDeps } from '../app/gate.js';
import { PROMOTION_PAYLOAD_KEY } from '../app/promotions.js';
import { createDeployment } from '../github/deployment-api.js';
import { loadRepoPolicy } from '../github/policy-source.js';
import type { RepoPolicy } from '../github/policy-source.js';
import type { AuditRecord } from '../store/audit-export.js';
import type {
  DeploymentRow,
  EvaluationSummaryRow,
  OverrideRow,
  PageCursor,
  PendingGateRow,
  ReleaseEventRow,
  ReleaseEventType,
} from '../store/types.js';
import type { GitHubDirectory, InstalledRepo, Role } from './github-directory.js';

/** A refusal the API answers with `{ error: { code, message } }` and the status. */
export class ConsoleError extends Error {
  override readonly name = 'ConsoleError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 422 | 429 | 502,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface Viewer {
  login: string;
  /** IANA zone the viewer reads times in (UTC unless they chose one). */
  timeZone: string;
}

/** An instant shown in UTC, in the zone of the window that set it, and in the viewer's. */
export interface ZonedTime {
  at: string;
  zones: Array<{ timeZone: string; local: string; role: 'window' | 'viewer' }>;
}

export interface StageView {
  name: string;
  environments: string[];
  current: { sha: string; ref: string | null; deploymentId: number; state: string | null; at: string } | null;
  waiting: number;
}

export interface RepoSummary {
  fullName: string;
  owner: string;
  name: string;
  role: Role;
  htmlUrl: string;
}

export interface BoardView {
  user: { login: string };
  repositories: Array<RepoSummary & { policy: { ok: boolean; problems: string[] }; stages: StageView[] }>;
}

export interface RuleView {
  code: string;
  rule: string;
  ok: boolean;
  outcome: string;
  message: string;
  values: Record<string, unknown>;
  clearsAt: string | null;
  overriddenBy: string | null;
}

export interface WaitingGateView {
  gateId: number;
  sha: string;
  environment: string;
  stage: string | null;
  since: string;
  decidedAt: string | null;
  waitsFor: RuleView[];
  /** When it clears by itself, or null when it waits for an event (an approval, a check). */
  clears: ZonedTime | null;
}

export interface DecisionSummary {
  id: number;
  sha: string;
  environment: string;
  stage: string | null;
  decision: string;
  failing: string[];
  score: number | null;
  actor: string | null;
  at: string;
}

export interface PolicyView {
  ok: boolean;
  path: string;
  ref: string;
  blobSha: string | null;
  commitSha: string | null;
  link: string;
  problems: string[];
  files: Array<{ repository: string; path: string; role: string; commitSha: string | null }>;
}

export interface FreezeView {
  stage: string;
  timeZones: string[];
  intervals: Array<{ windows: string[]; start: ZonedTime; end: ZonedTime }>;
  error: string | null;
}

export interface RepositoryView {
  repository: RepoSummary;
  viewerTimeZone: string;
  policy: PolicyView;
  stages: StageView[];
  waiting: WaitingGateView[];
  decisions: { items: DecisionSummary[]; nextCursor: string | null };
  freeze: { from: string; to: string; stages: FreezeView[] };
}

export interface ApprovalsView {
  required: number | null;
  counted: string[];
  notCounted: Array<{ login: string; source: string; reason: string }>;
}

export interface DecisionView extends DecisionSummary {
  ungated: boolean;
  rules: RuleView[];
  approvals: ApprovalsView | null;
  evidence: {
    score: number | null;
    breakdown: Array<{
      kind: string;
      points: number;
      weight: number | null;
      present: boolean | null;
      reasons: string[];
    }>;
  };
  policy: { path: string | null; blobSha: string | null };
  /** The same Markdown summary the check run shows (the core renders both). */
  summaryMarkdown: string;
}

export interface ActionsView {
  approve: { allowed: boolean; reason: string; environments: string[] };
  override: {
    allowed: boolean;
    reason: string;
    stages: string[];
    secondApprover: boolean;
    pendingConfirmation: Array<{ id: string; stage: string; grantedBy: string }>;
  };
  promote: { allowed: boolean; reason: string; target: string | null };
}

export interface ReleaseView {
  repository: RepoSummary;
  viewerTimeZone: string;
  release: { sha: string; ref: string | null; version: string | null; tag: string | null };
  timeline: AuditRecord[];
  waiting: WaitingGateView[];
  decisions: DecisionView[];
  overrides: Array<{
    id: string;
    environment: string;
    grantedBy: string;
    confirmedBy: string | null;
    reason: string;
    risk: string;
    rules: string[];
    grantedAt: string;
    expiresAt: string | null;
    usedAt: string | null;
  }>;
  actions: ActionsView;
}

export interface AuditQuery {
  repo?: string;
  stage?: string;
  actor?: string;
  decision?: string;
  type?: ReleaseEventType;
  since?: Date;
  until?: Date;
  cursor?: PageCursor | null;
  limit: number;
}

export interface AuditPage {
  items: AuditRecord[];
  nextCursor: string | null;
}

const POLICY_TTL_MS = 60_000;

export function encodeCursor(c: PageCursor): string {
  return Buffer.from(`${c.at.toISOString()}|${c.id}`).toString('base64url');
}

/** The cursor of a `next` link, or null when it is not one. */
export function decodeCursor(text: string): PageCursor | null {
  const raw = Buffer.from(text, 'base64url').toString('utf8');
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|(\d{1,15})$/.exec(raw);
  if (!m) return null;
  const at = new Date(m[1]!);
  return Number.isNaN(at.getTime()) ? null : { at, id: Number(m[2]) };
}

export function toAuditRecord(e: ReleaseEventRow): AuditRecord {
  return {
    at: e.at.toISOString(),
    repo: e.repo,
    sha: e.sha,
    version: e.version,
    environment: e.environment,
    type: e.type,
    status: e.status,
    actor: e.actor,
    notes: e.notes,
    deliveryId: e.deliveryId,
    id: e.id,
  };
}

function ruleView(r: RuleResult): RuleView {
  return {
    code: r.code,
    rule: r.rule,
    ok: r.ok,
    outcome: r.outcome,
    message: r.message,
    values: r.values,
    clearsAt: r.clearsAt ?? null,
    overriddenBy: r.overriddenBy?.grantedBy ?? null,
  };
}

function earliest(rules: RuleResult[]): string | null {
  const waits = failingRules(rules).filter((r) => r.outcome === 'wait');
  if (waits.length === 0 || waits.some((r) => !r.clearsAt)) return null;
  // Everything that waits must clear: the latest of them.
  return waits
    .map((r) => r.clearsAt!)
    .sort()
    .at(-1)!;
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, approver: 1, admin: 2 };

/**
 * The console's data and actions, for the API and the pages alike: what the user may read
 * (the App's installations, filtered by their GitHub permission), the record, and the
 * actions, each checked against the user's role here, whatever the page showed.
 */
export class ConsoleService {
  private readonly policies = new Map<string, { value: RepoPolicy; until: number }>();

  constructor(
    private readonly gate: GateDeps,
    private readonly github: GitHubDirectory,
    private readonly webBaseUrl: string,
  ) {}

  private now(): Date {
    return this.gate.clock();
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

  private summary(repo: InstalledRepo, role: Role): RepoSummary {
    return {
      fullName: repo.fullName,
      owner: repo.owner,
      name: repo.name,
      role,
      htmlUrl: repo.htmlUrl ?? `${this.webBaseUrl}/${repo.fullName}`,
    };
  }

  private async policy(repo: InstalledRepo): Promise<RepoPolicy> {
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

  private async stages(repo: InstalledRepo, policy: Policy): Promise<StageView[]> {
    const waiting = await this.gate.store.countWaitingGates(repo.fullName);
    const out: StageView[] = [];
    for (const stage of policy.environments) {
      const envs = [...new Set([...stage.github, stage.name])];
      const d = await this.gate.store.latestDeployment(repo.fullName, envs);
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
        waiting: envs.reduce((n, e) => n + (waiting[e] ?? 0), 0),
      });
    }
    return out;
  }

  private zoned(at: string, windowZones: string[], viewerZone: string): ZonedTime {
    const d = new Date(at);
    const zones: ZonedTime['zones'] = [...new Set(windowZones)].map((z) => ({
      timeZone: z,
      local: formatInZone(d, z),
      role: 'window' as const,
    }));
    zones.push({ timeZone: viewerZone, local: formatInZone(d, viewerZone), role: 'viewer' });
    return { at, zones };
  }

  private windowZones(policy: Policy | null, environment: string): string[] {
    if (!policy) return [];
    const i = findStageIndex(policy, environment);
    return i >= 0 ? policy.environments[i]!.freezeWindows.map((w) => w.timezone) : [];
  }

  private async waitingGates(
    repo: InstalledRepo,
    policy: Policy | null,
    viewer: Viewer,
    sha?: string,
  ): Promise<WaitingGateView[]> {
    const gates = await this.gate.store.listPendingGates({
      repo: repo.fullName,
      status: 'pending',
      ...(sha ? { sha } : {}),
    });
    const out: WaitingGateView[] = [];
    for (const g of gates.slice(0, 200)) {
      const latest = (
        await this.gate.store.pageEvaluationSummaries({
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
        since: g.createdAt.toISOString(),
        decidedAt: latest ? latest.at.toISOString() : null,
        waitsFor: failingRules(rules).map(ruleView),
        clears: clears ? this.zoned(clears, this.windowZones(policy, g.environment), viewer.timeZone) : null,
      });
    }
    return out;
  }

  private policyView(repo: InstalledRepo, p: RepoPolicy): PolicyView {
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

  async board(login: string): Promise<BoardView> {
    const repos = [...(await this.github.repositories()).values()].sort((a, b) => a.fullName.localeCompare(b.fullName));
    const out: BoardView['repositories'] = [];
    for (const repo of repos) {
      const role = await this.github.roleOf(login, repo);
      if (!role) continue;
      const policy = await this.policy(repo);
      out.push({
        ...this.summary(repo, role),
        policy: { ok: policy.ok, problems: policy.ok ? [] : policy.problems },
        stages: policy.ok ? await this.stages(repo, policy.policy) : [],
      });
    }
    return { user: { login }, repositories: out };
  }

  async repository(viewer: Viewer, fullName: string, cursor: PageCursor | null = null): Promise<RepositoryView> {
    const { repo, role } = await this.access(viewer.login, fullName);
    const p = await this.policy(repo);
    const policy = p.ok ? p.policy : null;
    const now = this.now();
    const page = await this.gate.store.pageEvaluationSummaries({ repo: repo.fullName, limit: 20, after: cursor });
    const to = new Date(now.getTime() + 30 * 86_400_000);
    const freeze: FreezeView[] = (policy?.environments ?? []).map((stage) => {
      const zones = [...new Set(stage.freezeWindows.map((w) => w.timezone))];
      try {
        return {
          stage: stage.name,
          timeZones: zones,
          intervals: freezeIntervals(stage.freezeWindows, now, to).map((i) => ({
            windows: i.windows,
            start: this.zoned(i.start.toISOString(), zones, viewer.timeZone),
            end: this.zoned(i.end.toISOString(), zones, viewer.timeZone),
          })),
          error: null,
        };
      } catch (error) {
        return {
          stage: stage.name,
          timeZones: zones,
          intervals: [],
          error: error instanceof Error ? error.message : String(error),
        };
      }
    });
    return {
      repository: this.summary(repo, role),
      viewerTimeZone: viewer.timeZone,
      policy: this.policyView(repo, p),
      stages: policy ? await this.stages(repo, policy) : [],
      waiting: await this.waitingGates(repo, policy, viewer),
      decisions: { items: page.rows.map(decisionSummary), nextCursor: page.next ? encodeCursor(page.next) : null },
      freeze: { from: now.toISOString(), to: to.toISOString(), stages: freeze },
    };
  }

  async release(viewer: Viewer, fullName: string, sha: string): Promise<ReleaseView> {
    const { repo, role } = await this.access(viewer.login, fullName);
    const store = this.gate.store;
    const [stored, events, evaluations, overrides, deployments] = await Promise.all([
      store.getRelease(repo.fullName, sha),
      store.timeline({ repo: repo.fullName, sha }),
      store.listEvaluations({ repo: repo.fullName, sha }),
      store.listOverrides({ repo: repo.fullName, sha }),
      store.listDeployments({ repo: repo.fullName, sha }),
    ]);
    if (!stored && events.length === 0 && evaluations.length === 0 && deployments.length === 0) {
      throw new ConsoleError(
        404,
        'not_found',
        `Release Gate has no record of commit ${sha.slice(0, 40)} in ${repo.fullName}.`,
      );
    }
    const p = await this.policy(repo);
    const policy = p.ok ? p.policy : null;
    const waiting = await this.waitingGates(repo, policy, viewer, sha);
    const timeline = events.map((e) => ({
      at: e.at.toISOString(),
      type: e.type,
      environment: e.environment,
      status: e.status,
      actor: e.actor,
      notes: e.notes,
    }));
    const decisions = evaluations
      .slice(-100)
      .reverse()
      .map((e) => this.decisionView(e, policy, overrides, timeline, stored?.ref ?? deployments.at(-1)?.ref ?? null));
    return {
      repository: this.summary(repo, role),
      viewerTimeZone: viewer.timeZone,
      release: {
        sha,
        ref: stored?.ref ?? deployments.at(-1)?.ref ?? null,
        version: stored?.version ?? null,
        tag: stored?.tag ?? null,
      },
      timeline: events.map(toAuditRecord),
      waiting,
      decisions,
      overrides: overrides.map((o) => ({
        id: o.id,
        environment: o.environment,
        grantedBy: o.grantedBy,
        confirmedBy: o.confirmedBy,
        reason: o.reason,
        risk: o.risk,
        rules: o.rules,
        grantedAt: o.grantedAt.toISOString(),
        expiresAt: o.expiresAt?.toISOString() ?? null,
        usedAt: o.usedAt?.toISOString() ?? null,
      })),
      actions: await this.actions(viewer.login, repo, role, policy, sha, waiting, overrides, deployments),
    };
  }

  private decisionView(
    e: EvaluationSummaryRow & { inputs?: unknown },
    policy: Policy | null,
    overrides: OverrideRow[],
    timeline: Array<{
      at: string;
      type: string;
      environment: string | null;
      status: string | null;
      actor: string | null;
      notes: string | null;
    }>,
    ref: string | null,
  ): DecisionView {
    const rules = e.rules;
    const inputs = (e.inputs ?? {}) as {
      facts?: { evidence?: { breakdown?: Record<string, ScoreComponent | number> } };
    };
    const breakdown = inputs.facts?.evidence?.breakdown ?? {};
    const clearsAt = e.decision === 'wait' ? earliest(rules) : null;
    const decision: Decision = {
      decision: e.decision as Decision['decision'],
      environment: e.stage ?? e.environment,
      ungated: e.stage === null,
      rules,
      score: e.score,
      breakdown,
      clearsAt,
      recheckAt: null,
      overridesUsed: [],
    };
    const stageIndex = policy ? findStageIndex(policy, e.environment) : -1;
    const stage: EnvironmentPolicy | null = stageIndex >= 0 ? policy!.environments[stageIndex]! : null;
    const facts: OverrideFact[] = overrides
      .filter((o) => o.environment === decision.environment)
      .map((o) => ({
        id: o.id,
        environment: o.environment,
        sha: o.sha,
        rules: o.rules,
        grantedBy: o.grantedBy,
        confirmedBy: o.confirmedBy,
        reason: o.reason,
        risk: o.risk,
        grantedAt: o.grantedAt.toISOString(),
        expiresAt: (o.expiresAt ?? o.grantedAt).toISOString(),
        usedAt: o.usedAt?.toISOString() ?? null,
      }));
    const summaryMarkdown = renderGateSummary(
      {
        decision,
        sha: e.sha,
        ref,
        githubEnvironment: e.environment,
        stage,
        policy: {
          path: e.policyPath ?? '(none)',
          ref: '',
          blobSha: e.policySha,
          commitSha: null,
          valid: !rules.some((r) => r.code === 'POLICY_INVALID'),
        },
        overrides: facts,
        timeline: timeline.filter((t) => Date.parse(t.at) <= e.at.getTime()),
        at: e.at.toISOString(),
        ...(e.actor ? { trigger: `by ${e.actor}` } : {}),
      },
      60_000,
    );
    const approvalsRule = rules.find((r) => r.rule === 'approvals' && Array.isArray(r.values.approvers));
    return {
      ...decisionSummary(e),
      ungated: decision.ungated,
      rules: rules.map(ruleView),
      approvals: approvalsRule
        ? {
            required: typeof approvalsRule.values.required === 'number' ? approvalsRule.values.required : null,
            counted: approvalsRule.values.approvers as string[],
            notCounted: (approvalsRule.values.notCounted as ApprovalsView['notCounted'] | undefined) ?? [],
          }
        : null,
      evidence: {
        score: e.score,
        breakdown: Object.entries(breakdown).map(([kind, c]) =>
          typeof c === 'number'
            ? { kind, points: c, weight: null, present: null, reasons: [] }
            : { kind, points: c.points, weight: c.weight, present: c.present, reasons: c.reasons },
        ),
      },
      policy: { path: e.policyPath, blobSha: e.policySha },
      summaryMarkdown,
    };
  }

  private async actions(
    login: string,
    repo: InstalledRepo,
    role: Role,
    policy: Policy | null,
    sha: string,
    waiting: WaitingGateView[],
    overrides: OverrideRow[],
    deployments: DeploymentRow[],
  ): Promise<ActionsView> {
    const canAct = ROLE_RANK[role] >= ROLE_RANK.approver;
    const roleReason = `Your role on ${repo.fullName} is ${role}; approvers and admins (write, maintain or admin permission on GitHub) may act.`;
    const envs = waiting.map((w) => w.environment);
    const approve = !canAct
      ? { allowed: false, reason: roleReason, environments: [] }
      : envs.length === 0
        ? { allowed: false, reason: 'Nothing of this release waits for a decision.', environments: [] }
        : {
            allowed: true,
            reason: 'An approval counts like a deployment review of the environment.',
            environments: envs,
          };
    let override: ActionsView['override'] = {
      allowed: false,
      reason: roleReason,
      stages: [],
      secondApprover: false,
      pendingConfirmation: [],
    };
    if (!policy)
      override = { ...override, reason: 'The policy is invalid: nothing can be overridden until it is fixed.' };
    else if (canAct) {
      const teams = policy.overrides.teams;
      const member = teams.length > 0 && (await this.github.inAnyTeam(repo.owner, teams, login, repo.installationId));
      const now = this.now();
      const pending = policy.overrides.secondApprover
        ? overrides
            .filter(
              (o) =>
                !o.confirmedBy &&
                !o.usedAt &&
                (!o.expiresAt || o.expiresAt > now) &&
                o.grantedBy.toLowerCase() !== login.toLowerCase(),
            )
            .map((o) => ({ id: o.id, stage: o.environment, grantedBy: o.grantedBy }))
        : [];
      override = member
        ? {
            allowed: true,
            reason: `You are a member of ${teams.join(', ')}.`,
            stages: policy.environments.map((s) => s.name),
            secondApprover: policy.overrides.secondApprover,
            pendingConfirmation: pending,
          }
        : {
            allowed: false,
            reason:
              teams.length > 0
                ? `Only members of ${teams.join(', ')} may grant an override.`
                : 'The policy names no override team.',
            stages: [],
            secondApprover: policy.overrides.secondApprover,
            pendingConfirmation: [],
          };
    }
    let promote: ActionsView['promote'];
    if (!canAct) promote = { allowed: false, reason: roleReason, target: null };
    else if (!policy) promote = { allowed: false, reason: 'The policy is invalid.', target: null };
    else {
      const target = nextStage(policy, deployments, sha);
      const held = target
        ? waiting.find((w) => findStageIndex(policy, w.environment) === findStageIndex(policy, target.name))
        : undefined;
      promote = !target
        ? { allowed: false, reason: 'The release is already in the last stage.', target: null }
        : held
          ? {
              allowed: false,
              reason: `A deployment of ${sha.slice(0, 7)} to ${target.name} already waits for the gate: approve or override it instead.`,
              target: null,
            }
          : {
              allowed: true,
              reason: `Creates a deployment of ${sha.slice(0, 7)} to ${target.name}.`,
              target: target.name,
            };
    }
    return { approve, override, promote };
  }

  async audit(login: string, q: AuditQuery): Promise<AuditPage> {
    let repos: string[];
    if (q.repo) repos = [(await this.access(login, q.repo)).repo.fullName];
    else {
      repos = [];
      for (const repo of (await this.github.repositories()).values())
        if (await this.github.roleOf(login, repo)) repos.push(repo.fullName);
    }
    if (repos.length === 0) return { items: [], nextCursor: null };
    const page = await this.gate.store.pageEvents({
      repos,
      ...(q.stage ? { environment: q.stage } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.type ? { type: q.type } : {}),
      ...(q.decision ? { status: q.decision } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(q.until ? { until: q.until } : {}),
      after: q.cursor ?? null,
      limit: q.limit,
    });
    return { items: page.rows.map(toAuditRecord), nextCursor: page.next ? encodeCursor(page.next) : null };
  }

  // Actions. Each checks the role again, records who took it, and re-evaluates what waits.

  private async requireActor(
    login: string,
    fullName: string,
  ): Promise<{ repo: InstalledRepo; role: Role; policy: Policy; raw: RepoPolicy }> {
    const { repo, role } = await this.access(login, fullName);
    if (ROLE_RANK[role] < ROLE_RANK.approver)
      throw new ConsoleError(
        403,
        'forbidden',
        `Your role on ${repo.fullName} is ${role}: approving, overriding and promoting need write, maintain or admin permission on GitHub.`,
      );
    const raw = await this.policy(repo);
    if (!raw.ok)
      throw new ConsoleError(
        409,
        'policy_invalid',
        `The release policy ${raw.path} of ${repo.fullName} is invalid, so the gate cannot act: ${raw.problems.slice(0, 3).join('; ')}`,
      );
    return { repo, role, policy: raw.policy, raw };
  }

  private async reevaluate(repo: InstalledRepo, sha: string, trigger: string, login: string) {
    const octokit = await this.github.octokitFor(repo.installationId);
    const results = await reevaluatePending(this.gate, octokit, {
      owner: repo.owner,
      repo: repo.name,
      sha,
      trigger,
      actor: login,
      defaultBranch: repo.defaultBranch,
    });
    return results.map((r) => ({
      environment: r.gate?.environment ?? r.decision?.environment ?? null,
      decision: r.decision?.decision ?? null,
      answer: r.answer,
    }));
  }

  async approve(login: string, fullName: string, sha: string, environment: string | undefined) {
    const { repo, policy } = await this.requireActor(login, fullName);
    const store = this.gate.store;
    const gates = (await store.listPendingGates({ repo: repo.fullName, sha, status: 'pending' })).filter(
      (g) => !environment || sameStage(policy, g.environment, environment),
    );
    if (gates.length === 0)
      throw new ConsoleError(
        409,
        'nothing_waiting',
        `No request of ${sha.slice(0, 7)} in ${repo.fullName}${environment ? ` for ${environment}` : ''} waits for a decision.`,
      );
    const targets = [...new Set(gates.map((g) => g.environment))];
    for (const env of targets) {
      const stage = policy.environments[findStageIndex(policy, env)];
      if (stage?.approvals.excludeAuthor) {
        const contributors = await this.contributors(
          repo,
          sha,
          gates.filter((g) => g.environment === env),
        );
        if (contributors.has(login.toLowerCase())) {
          throw new ConsoleError(
            422,
            'own_release',
            `${login} is an author or the deployer of this release, and the policy of ${stage.name} excludes their approvals (approvals.excludeAuthor).`,
          );
        }
      }
    }
    const now = this.now();
    await store.recordApprovals(
      targets.map((env) => ({
        repo: repo.fullName,
        sha,
        environment: env,
        login,
        source: 'deployment-review' as const,
        state: 'approved',
        submittedAt: now,
      })),
      now,
    );
    for (const env of targets) {
      const i = findStageIndex(policy, env);
      await store.recordEvent({
        repo: repo.fullName,
        sha,
        environment: i >= 0 ? policy.environments[i]!.name : env,
        type: 'APPROVED',
        status: 'review',
        actor: login,
        at: now,
        notes: `Approved in the release console by ${login} (counted as a deployment review of ${env}).`,
      });
    }
    return { approved: targets, by: login, gates: await this.reevaluate(repo, sha, 'console approval', login) };
  }

  /** Authors of the release's pull requests and the deployers of its waiting requests (lower case). */
  private async contributors(repo: InstalledRepo, sha: string, gates: PendingGateRow[]): Promise<Set<string>> {
    const out = new Set<string>();
    const octokit = await this.github.octokitFor(repo.installationId);
    const { data: pulls } = await octokit.request('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', {
      owner: repo.owner,
      repo: repo.name,
      commit_sha: sha,
      per_page: 100,
    });
    for (const p of pulls) if (p.user?.login) out.add(p.user.login.toLowerCase());
    const deployments = await this.gate.store.listDeployments({ repo: repo.fullName, sha });
    for (const g of gates) {
      const creator = deployments.find((d) => d.id === g.deploymentId)?.creator;
      if (creator) out.add(creator.toLowerCase());
    }
    return out;
  }

  async override(
    login: string,
    fullName: string,
    sha: string,
    input: { stage: string; reason: string; risk: string; rules: string[] },
  ) {
    const { repo, policy } = await this.requireActor(login, fullName);
    const index = findStageIndex(policy, input.stage);
    if (index < 0)
      throw new ConsoleError(
        422,
        'invalid_field',
        `stage: "${input.stage}" is not a stage of the policy (stages: ${policy.environments.map((e) => e.name).join(', ')}).`,
      );
    const stage = policy.environments[index]!;
    const teams = policy.overrides.teams;
    if (teams.length === 0 || !(await this.github.inAnyTeam(repo.owner, teams, login, repo.installationId))) {
      throw new ConsoleError(
        403,
        'forbidden',
        `Only members of ${teams.length > 0 ? teams.join(', ') : 'an override team (the policy names none)'} may grant an override.`,
      );
    }
    const store = this.gate.store;
    const now = this.now();
    const existing = (await store.listOverrides({ repo: repo.fullName, sha, environment: stage.name })).filter(
      (o) => !o.usedAt && (!o.expiresAt || o.expiresAt > now),
    );
    const toConfirm = policy.overrides.secondApprover
      ? existing.find((o) => !o.confirmedBy && o.grantedBy.toLowerCase() !== login.toLowerCase())
      : undefined;
    let result: { status: 'granted' | 'confirmed'; id: string; needsConfirmation: boolean; expiresAt: string | null };
    if (toConfirm) {
      await store.confirmOverride(toConfirm.id, login, now);
      await store.recordEvent({
        repo: repo.fullName,
        sha,
        environment: stage.name,
        type: 'OVERRIDE',
        status: 'confirmed',
        actor: login,
        at: now,
        notes: `Override ${toConfirm.id} by ${toConfirm.grantedBy} confirmed in the release console`,
      });
      result = {
        status: 'confirmed',
        id: toConfirm.id,
        needsConfirmation: false,
        expiresAt: toConfirm.expiresAt?.toISOString() ?? null,
      };
    } else {
      if (
        existing.some(
          (o) => o.grantedBy.toLowerCase() === login.toLowerCase() && !o.confirmedBy && policy.overrides.secondApprover,
        )
      ) {
        throw new ConsoleError(
          409,
          'awaiting_confirmation',
          `Your override for ${stage.name} waits for a second member of ${teams.join(', ')} to confirm it; you cannot confirm your own.`,
        );
      }
      const o = await store.createOverride({
        repo: repo.fullName,
        sha,
        environment: stage.name,
        rules: input.rules,
        grantedBy: login,
        reason: input.reason,
        risk: input.risk,
        grantedAt: now,
        expiresAt: new Date(now.getTime() + policy.overrides.expiresMs),
      });
      await store.recordEvent({
        repo: repo.fullName,
        sha,
        environment: stage.name,
        type: 'OVERRIDE',
        status: 'granted',
        actor: login,
        at: now,
        notes: `reason: ${input.reason}; risk: ${input.risk}${input.rules.length ? `; rules: ${input.rules.join(', ')}` : ''} (release console)`,
      });
      result = {
        status: 'granted',
        id: o.id,
        needsConfirmation: policy.overrides.secondApprover,
        expiresAt: o.expiresAt?.toISOString() ?? null,
      };
    }
    return {
      override: result,
      stage: stage.name,
      by: login,
      gates: await this.reevaluate(repo, sha, 'override', login),
    };
  }

  async promote(login: string, fullName: string, sha: string, requested: string | undefined) {
    const { repo, policy } = await this.requireActor(login, fullName);
    const store = this.gate.store;
    const deployments = await store.listDeployments({ repo: repo.fullName, sha });
    const target = nextStage(policy, deployments, sha);
    if (!target)
      throw new ConsoleError(
        409,
        'last_stage',
        `${sha.slice(0, 7)} is already deployed to the last stage of ${repo.fullName}.`,
      );
    if (requested && findStageIndex(policy, requested) !== findStageIndex(policy, target.name)) {
      throw new ConsoleError(
        409,
        'promotion_order',
        `${sha.slice(0, 7)} can be promoted to ${target.name} next, not ${requested}: stages are not skipped.`,
      );
    }
    const held = (await store.listPendingGates({ repo: repo.fullName, sha, status: 'pending' })).find(
      (g) => findStageIndex(policy, g.environment) === findStageIndex(policy, target.name),
    );
    if (held)
      throw new ConsoleError(
        409,
        'already_waiting',
        `A deployment of ${sha.slice(0, 7)} to ${target.name} already waits for the gate (${held.environment}): approve or override it instead.`,
      );
    const environment = target.github[0] ?? target.name;
    const octokit = await this.github.octokitFor(repo.installationId);
    const ref = (await store.getRelease(repo.fullName, sha))?.ref ?? deployments.at(-1)?.ref ?? null;
    const gate = await runGate(this.gate, octokit, {
      owner: repo.owner,
      repo: repo.name,
      installationId: repo.installationId,
      sha,
      ref,
      environment,
      deployer: login,
      trigger: 'console promote',
      actor: login,
      defaultBranch: repo.defaultBranch,
    });
    if (gate.decision?.decision === 'block') {
      throw new ConsoleError(
        409,
        'gate_blocked',
        `Not promoted to ${target.name}: the gate blocks it. ${failingRules(gate.decision.rules)
          .map((r) => `${r.code}: ${r.message}`)
          .join(' ')}`,
        { rules: failingRules(gate.decision.rules).map(ruleView) },
      );
    }
    const id = await createDeployment(octokit, {
      owner: repo.owner,
      repo: repo.name,
      sha,
      environment,
      payload: { [PROMOTION_PAYLOAD_KEY]: { promotedBy: login, stage: target.name, sha } },
      description: `Release gate: promotion to ${target.name} by ${login}`,
    });
    await store.recordEvent({
      repo: repo.fullName,
      sha,
      environment,
      type: 'PROMOTE',
      status: 'console',
      actor: login,
      at: this.now(),
      notes: `Deployment ${id} created in the release console by ${login}`,
    });
    return {
      deploymentId: id,
      stage: target.name,
      environment,
      gateDecision: gate.decision?.decision ?? null,
      by: login,
      gates: await this.reevaluate(repo, sha, 'console promote', login),
    };
  }
}

function sameStage(policy: Policy, a: string, b: string): boolean {
  const i = findStageIndex(policy, a);
  return i >= 0 ? i === findStageIndex(policy, b) : a === b;
}

/** The stage after the last one the commit is proven in (the first when none). */
function nextStage(policy: Policy, deployments: DeploymentRow[], sha: string): EnvironmentPolicy | null {
  let reached = -1;
  for (const d of deployments) {
    if (d.sha !== sha || !d.provenAt) continue;
    reached = Math.max(reached, findStageIndex(policy, d.stage ?? d.environment));
  }
  return policy.environments[reached + 1] ?? null;
}

function decisionSummary(e: EvaluationSummaryRow): DecisionSummary {
  return {
    id: e.id,
    sha: e.sha,
    environment: e.environment,
    stage: e.stage,
    decision: e.decision,
    failing: failingRules(e.rules).map((r) => r.code),
    score: e.score,
    actor: e.actor,
    at: e.at.toISOString(),
  };
}

/** The viewer's time zone if it is a real IANA zone, else null. */
export function checkViewerTimeZone(zone: string): string | null {
  try {
    assertTimeZone(zone);
    return zone;
  } catch {
    return null;
  }
}
