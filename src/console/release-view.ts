import { failingRules } from '../core/rule-results.js';
import { roleOf } from '../core/rules/roles.js';
import type { Policy, RuleResult } from '../core/types.js';
import type { ViewerActions } from '../app/actions/index.js';
import type { DeploymentRow, EvaluationRow, OverrideRow, PendingGateRow, ReleaseEventRow } from '../store/types.js';
import { ConsoleError } from './console-error.js';
import { decisionView } from './decision-view.js';
import { collapseRepeats } from './repeats.js';
import type { ConsoleReader } from './console-reader.js';
import { earliest, ruleView, toAuditRecord } from './view-helpers.js';
import type { NextStep, ReleaseView, StageVerdict, Viewer } from './views.js';

/** Codes a new run of the workflow (or of the failed checks) can clear. */
const RERUN_CODES = new Set(['CHECKS_FAILED', 'CHECKS_PENDING', 'EVIDENCE_MISSING', 'SCORE_TOO_LOW']);

/** The release page: where the release stands in each stage and what moves it on, then the record, shortened. */
export async function releaseView(
  svc: ConsoleReader,
  viewer: Viewer,
  fullName: string,
  sha: string,
): Promise<ReleaseView> {
  const { repo, role } = await svc.access(viewer.login, fullName);
  const store = svc.deps.store;
  const full = sha.length === 40 ? sha : await resolvePrefix(svc, repo.fullName, sha);
  const [stored, events, evaluations, overrides, deployments, gates] = await Promise.all([
    store.getRelease(repo.fullName, full),
    store.timeline({ repo: repo.fullName, sha: full }),
    store.listEvaluations({ repo: repo.fullName, sha: full, last: 2000 }),
    store.listOverrides({ repo: repo.fullName, sha: full }),
    store.listDeployments({ repo: repo.fullName, sha: full }),
    store.listPendingGates({ repo: repo.fullName, sha: full }),
  ]);
  if (!stored && events.length === 0 && evaluations.length === 0 && deployments.length === 0) {
    throw new ConsoleError(404, 'not_found', `Release Gate has no record of commit ${full} in ${repo.fullName}.`);
  }
  const p = await svc.policy(repo);
  const policy = p.ok ? p.policy : null;
  const now = svc.now();
  const web = `${svc.webBaseUrl}/${repo.fullName}`;
  const ref = stored?.ref ?? deployments.at(-1)?.ref ?? null;
  const actions = await svc.deps.actions.actionsOpenTo((await svc.scope(viewer.login, repo.fullName)).scope, {
    sha: full,
  });
  const timeline = events.map((e) => ({
    at: e.at.toISOString(),
    type: e.type,
    environment: e.environment,
    status: e.status,
    actor: e.actor,
    notes: e.notes,
  }));
  // Newest first; a wait re-checked without change is one entry with its count.
  const groups = collapseRepeats(
    [...evaluations].reverse(),
    (e) => e.environment,
    (e) => `${e.environment}|${e.decision}|${failingRules(e.rules).map((r) => `${r.code}:${r.ok}`)}`,
  ).slice(0, 50);
  const decisions = groups.map(({ item, repeats, firstAt }) => ({
    ...decisionView(item, policy, overrides, timeline, ref),
    repeats,
    firstAt: firstAt.toISOString(),
  }));
  // The pull requests the newest decision that read them saw, and those the record links to the commit.
  const seen = evaluations
    .map((e) => (e as EvaluationRow & { inputs?: unknown }).inputs as { facts?: { pulls?: unknown } } | undefined)
    .findLast((i) => Array.isArray(i?.facts?.pulls))?.facts?.pulls as
    Array<{ number: number; title?: string }> | undefined;
  const pulls = (seen ?? []).slice(0, 20).map((p) => ({ number: p.number, title: p.title ?? '' }));
  for (const n of await store.pullsOfRelease(repo.fullName, full))
    if (!pulls.some((p) => p.number === n)) pulls.push({ number: n, title: '' });
  const runs = gates.map((g) => ({
    environment: g.environment,
    runId: g.runId,
    url: `${web}/actions/runs/${g.runId}`,
  }));
  const checkRuns = [
    ...new Map(
      evaluations.filter((e) => e.checkRunId).map((e) => [e.environment, `${web}/runs/${e.checkRunId}`] as const),
    ),
  ].map(([environment, url]) => ({ environment, url }));
  const stages = policy
    ? verdicts(svc, policy, viewer, { evaluations, events, gates, deployments, actions, web, sha: full })
    : [];
  // Promote is offered only when it can succeed: not into a stage whose gate blocks the
  // release, nor where a deployment of it is already under way.
  const into = stages.find((s) => s.stage === actions.promote.target);
  const underway = into?.deployed && !['failure', 'error', 'inactive'].includes(into.deployed.state ?? '');
  if (actions.promote.allowed && into && (into.verdict === 'rejected' || underway)) {
    actions.promote = {
      allowed: false,
      counts: false,
      reason:
        into.verdict === 'rejected'
          ? `The gate blocks ${into.stage} (${into.rules.map((r) => r.code).join(', ') || 'rejected'}): a promotion would be refused until that clears.`
          : `A deployment of ${full.slice(0, 7)} to ${into.deployed!.environment} is under way (${into.deployed!.state ?? 'no status yet'}): wait for it.`,
      target: null,
    };
    for (const s of stages) s.next = s.next.filter((n) => n.kind !== 'promote');
  }
  return {
    repository: svc.summary(repo, role),
    viewerTimeZone: viewer.timeZone,
    now: now.toISOString(),
    release: { sha: full, ref, version: stored?.version ?? null, tag: stored?.tag ?? null },
    links: {
      commit: `${web}/commit/${full}`,
      pulls: pulls.map((x) => ({ number: x.number, title: x.title, url: `${web}/pull/${x.number}` })),
      pullSearch: `${web}/pulls?q=${encodeURIComponent(`is:pr ${full}`)}`,
      runs: uniqueBy(runs, (r) => r.runId),
      checkRuns,
    },
    verdicts: stages,
    timeline: collapseRepeats(
      [...events].reverse(),
      (e) => e.environment ?? '',
      (e) => `${e.type}|${e.environment}|${e.status}|${e.actor}|${e.notes}`,
    ).map(({ item, repeats, firstAt }) => ({ ...toAuditRecord(item), repeats, firstAt: firstAt.toISOString() })),
    waiting: await svc.waitingGates(repo, policy, viewer, full),
    decisions,
    overrides: overrides.map((o) => ({
      status: overrideStatus(o, now),
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
    actions,
  };
}

function uniqueBy<T>(list: T[], key: (x: T) => unknown): T[] {
  const seen = new Set<unknown>();
  return list.filter((x) => (seen.has(key(x)) ? false : (seen.add(key(x)), true)));
}

function overrideStatus(o: OverrideRow, now: Date): ReleaseView['overrides'][number]['status'] {
  if (o.usedAt) return 'used';
  if (o.expiresAt && o.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** The one release a SHA prefix names in the repository; 404 when none, 409 when several. */
async function resolvePrefix(svc: ConsoleReader, repo: string, prefix: string): Promise<string> {
  const hits = await svc.deps.store.searchReleases({ repos: [repo], shaPrefix: prefix, limit: 5 });
  const shas = [...new Set(hits.map((h) => h.sha))];
  if (shas.length === 0)
    throw new ConsoleError(404, 'not_found', `Release Gate has no record of a commit ${prefix}… in ${repo}.`);
  if (shas.length > 1)
    throw new ConsoleError(
      409,
      'ambiguous_sha',
      `${prefix} is the start of ${shas.length} recorded commits in ${repo} (${shas.map((s) => s.slice(0, 12)).join(', ')}): give more digits.`,
    );
  return shas[0]!;
}

interface VerdictInputs {
  evaluations: EvaluationRow[];
  events: ReleaseEventRow[];
  gates: PendingGateRow[];
  deployments: DeploymentRow[];
  actions: ViewerActions;
  web: string;
  sha: string;
}

/** Each stage of the policy in order: its latest decision for this release and the next step. */
function verdicts(svc: ConsoleReader, policy: Policy, viewer: Viewer, x: VerdictInputs): StageVerdict[] {
  return policy.environments.map((stage) => {
    const envs = [...new Set([...stage.github, stage.name])];
    const mine = (e: { environment: string }) => envs.includes(e.environment);
    const latest = x.evaluations.filter((e) => e.stage === stage.name || mine(e)).at(-1) ?? null;
    const gate = x.gates.filter(mine).at(-1) ?? null;
    const deployment = x.deployments.filter(mine).at(-1) ?? null;
    // A person's rejection (the reject action records who and why) after the gate's last word.
    const rejection =
      x.events
        .filter(
          (e) =>
            e.type === 'REJECTED' &&
            e.status === 'rejected' &&
            e.environment !== null &&
            envs.includes(e.environment) &&
            (!latest || e.at.getTime() >= latest.at.getTime()),
        )
        .at(-1) ?? null;
    const rejectedByPerson = rejection ? { by: rejection.actor, notes: rejection.notes, at: rejection.at } : null;
    const failing = latest ? failingRules(latest.rules) : [];
    const verdict: StageVerdict['verdict'] = rejectedByPerson
      ? 'rejected'
      : !latest
        ? deployment?.provenAt
          ? 'allowed'
          : 'not reached'
        : latest.decision === 'allow'
          ? 'allowed'
          : latest.decision === 'block'
            ? 'rejected'
            : 'waiting';
    const zones = stage.freezeWindows.map((w) => w.timezone);
    const runUrl = gate ? `${x.web}/actions/runs/${gate.runId}` : null;
    const next: NextStep[] = [];
    const step = (kind: NextStep['kind'], text: string, href: string | null = null, codes: string[] = []) =>
      next.push({ kind, text, href, codes, until: null });
    if (rejectedByPerson) {
      step(
        'deploy',
        `${rejectedByPerson.notes ?? `Rejected by ${rejectedByPerson.by ?? 'a person'}.`} Fix what was asked, then run the deployment again.`,
        runUrl,
      );
    } else if (verdict === 'allowed') {
      if (x.actions.rollback.allowed && x.actions.rollback.stage === stage.name && x.actions.rollback.to)
        step(
          'rollback',
          `Its verification failed here: roll back to ${x.actions.rollback.to.slice(0, 7)} (offered below).`,
          '#rollback-h',
        );
      if (x.actions.promote.allowed && x.actions.stage && x.actions.promote.target) {
        const idx = policy.environments.findIndex((s) => s.name === stage.name);
        if (policy.environments[idx + 1]?.name === x.actions.promote.target)
          step('promote', `Promote to ${x.actions.promote.target} (offered below).`, '#promote-h');
      }
    } else if (latest) {
      const clears = latest.decision === 'wait' ? earliest(latest.rules) : null;
      for (const r of failing) next.push(...stepsFor(r, x, stage.name, runUrl));
      if (clears)
        next.push({
          kind: 'wait',
          text: 'Wait: it clears by itself',
          href: null,
          codes: [],
          until: svc.zoned(clears, zones, viewer.timeZone),
        });
      const codes = failing.filter((r) => !r.overriddenBy).map((r) => r.code);
      if (codes.length > 0) {
        const o = x.actions.override;
        step(
          'override',
          o.allowed
            ? `Override ${stage.name} with ${codes.join(', ')} (the form below is filled in).`
            : `Or ask a member of the override teams to override ${stage.name} with ${codes.join(', ')}.`,
          o.allowed ? '#override-h' : null,
          codes,
        );
      }
    }
    return {
      stage: stage.name,
      environments: stage.github,
      verdict,
      decidedAt: rejectedByPerson?.at.toISOString() ?? latest?.at.toISOString() ?? null,
      rejectedBy: rejectedByPerson?.by ?? null,
      rules: failing.map(ruleView),
      next: uniqueBy(next, (n) => `${n.kind}|${n.text}`),
      runUrl,
      checkRunUrl: latest?.checkRunId ? `${x.web}/runs/${latest.checkRunId}` : null,
      deployed: deployment
        ? {
            environment: deployment.environment,
            state: deployment.latestState,
            at: (deployment.latestStateAt ?? deployment.createdAt).toISOString(),
            verification: deployment.verificationState
              ? { state: deployment.verificationState, at: deployment.verificationAt?.toISOString() ?? null }
              : null,
          }
        : null,
    };
  });
}

function stepsFor(r: RuleResult, x: VerdictInputs, stage: string, runUrl: string | null): NextStep[] {
  const out: NextStep[] = [];
  const step = (kind: NextStep['kind'], text: string, href: string | null = null): void => {
    out.push({ kind, text, href, codes: [], until: null });
  };
  const role = roleOf(r);
  if (role && role.missing > 0) {
    if (x.actions.approve.counts && x.actions.stage === stage)
      step('approve', 'Approve it here: your approval counts.', '#approve-h');
    const who = role.teams.length > 0 ? role.teams.join(' or ') : 'an approver';
    const excluded = role.excluded.length > 0 ? ` (not ${role.excluded.join(', ')}: their approval cannot count)` : '';
    step('ask', `Ask ${who} for ${role.missing} more approval${role.missing === 1 ? '' : 's'}${excluded}.`);
  } else if (r.code === 'APPROVAL_REQUIRED' || r.code === 'SCORE_NEEDS_APPROVAL') {
    if (x.actions.approve.counts && x.actions.stage === stage)
      step('approve', 'Approve it here: your approval counts.', '#approve-h');
    else step('ask', 'Ask an approver of the repository for an approval.');
  } else if (RERUN_CODES.has(r.code)) {
    step('rerun', `Fix and re-run the job: ${r.message}`, runUrl ?? `${x.web}/commit/${x.sha}/checks`);
  } else if (r.code === 'PROMOTION_ORDER' || r.code === 'SOAK_INCOMPLETE') {
    if (r.code === 'PROMOTION_ORDER') step('deploy', `Deploy it to the earlier stage first: ${r.message}`);
  } else if (r.code === 'TEAMS_UNREADABLE' || r.code === 'FREEZE_WINDOW_INVALID' || r.code === 'POLICY_INVALID') {
    step('fix', `Fix the policy or the App's access: ${r.message}`);
  } else if (r.code === 'LINKED_ISSUE_MISSING' || r.code === 'REF_NOT_ALLOWED') {
    step('fix', r.message);
  }
  return out;
}
