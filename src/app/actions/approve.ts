import { approvalWouldCount } from '../../core/approval-would-count.js';
import { findStageIndex } from '../../core/evaluate.js';
import type { ApprovalVerdict } from '../../core/approval-would-count.js';
import type { EnvironmentPolicy, Policy, ReleaseFacts } from '../../core/types.js';
import { repoKey } from '../../github/types.js';
import { factsChanged } from '../facts-changed.js';
import type { ApprovalStore } from '../../store/approvals.js';
import type { DeploymentStore } from '../../store/deployments.js';
import type { EvaluationStore } from '../../store/evaluations.js';
import type { AppDeps } from '../gate.js';
import {
  deployerOfWaiting,
  gateOutcomes,
  lastFacts,
  requireRoleAndPolicy,
  requireStage,
  short,
  whatWaits,
} from './release-state.js';
import type { Waiting } from './release-state.js';
import { refused } from './types.js';
import type { ActionAnswer, ActionScope, GateOutcome } from './types.js';

export interface ApproveInput {
  sha: string;
  /** A stage or GitHub environment; every stage where something waits when left out. */
  environment?: string;
}

export interface ApproveResult {
  /** The GitHub environments the approval was recorded for. */
  approved: string[];
  by: string;
  gates: GateOutcome[];
  /** Held promotions looked at again. */
  promotions: number;
}

/**
 * Whether the actor's approval would count for what waits, judged as the gate judges it: on
 * the facts of its last evaluation, with who deploys it now and the actor's memberships of
 * the teams the stage names. An approval the gate would not count is refused, not recorded.
 */
export async function assessApproval(
  deps: { store: DeploymentStore & EvaluationStore; clock: () => Date },
  scope: ActionScope,
  waiting: Waiting,
): Promise<ApprovalVerdict> {
  const stage = waiting.stage;
  const login = scope.actor.login;
  const recorded = await lastFacts(deps, scope, waitingSha(waiting), waiting.environment);
  const facts: ReleaseFacts = recorded
    ? { ...recorded }
    : {
        environment: waiting.environment,
        sha: waitingSha(waiting),
        approvals: [],
        deployments: [],
        evidence: { score: null, breakdown: {}, present: [] },
        checks: [],
        teams: {},
        overrides: [],
      };
  // Who deploys is read now: the recorded facts may predate what the App knows of the deployer.
  const deployer = await deployerOfWaiting(deps, waiting);
  if (deployer) facts.deployer = deployer;
  else delete facts.deployer;
  const teams = [...new Set([...stage.approvals.fromTeams, ...stage.requiredReviewers.flatMap((r) => r.teams)])];
  const memberOf: string[] = [];
  for (const team of teams) if (await scope.people.inAnyTeam([team], login)) memberOf.push(team);
  return approvalWouldCount(stage, facts, login, memberOf, deps.clock());
}

function waitingSha(w: Waiting): string {
  return w.kind === 'gate' ? w.gate.sha : w.promotion.sha;
}

/**
 * Approves what of the release waits (a protection rule request, a held promotion), counted
 * like a deployment review of its environment, then looks at what waits again. Refused to
 * someone without write permission, when nothing waits, and where the approval would not
 * count (the author or a contributor, the deployer, someone outside the stage's teams). A
 * second approval by the same person is answered as unchanged.
 */
export async function approve(
  deps: AppDeps,
  scope: ActionScope,
  input: ApproveInput,
): Promise<ActionAnswer<ApproveResult>> {
  const login = scope.actor.login;
  const p = await requireRoleAndPolicy(scope, 'Approving');
  if ('outcome' in p) return p;
  const policy = p.policy;
  let only: EnvironmentPolicy | undefined;
  if (input.environment) {
    const s = requireStage(policy, input.environment, 'environment');
    if ('outcome' in s) return s;
    only = s.stage;
  }
  const repo = repoKey(scope.repo);
  const where = `${short(input.sha)} in ${repo}${input.environment ? ` for ${input.environment}` : ''}`;
  const waits = await whatWaits(deps, scope, policy, input.sha, only);
  const mine = await ownApprovals(deps, repo, input.sha, login, policy);
  const empty: ApproveResult = { approved: [], by: login, gates: [], promotions: 0 };
  if (waits.length === 0) {
    const earlier = mine.filter((a) => !only || a.stage === only.name).at(-1);
    if (earlier)
      return {
        outcome: 'unchanged',
        message: `You approved ${where} already (${earlier.at.toISOString()}); nothing of it waits for a decision now.`,
        result: empty,
      };
    return refused('conflict', 'nothing_waiting', `No request of ${where} waits for a decision.`);
  }
  // One verdict per stage: the approval is the same person's for every request of the stage.
  const counting: Waiting[] = [];
  let refusal: ApprovalVerdict | null = null;
  const verdicts = new Map<string, ApprovalVerdict>();
  for (const w of waits) {
    let verdict = verdicts.get(w.stage.name);
    if (!verdict) verdicts.set(w.stage.name, (verdict = await assessApproval(deps, scope, w)));
    if (verdict.counts) counting.push(w);
    else refusal ??= verdict;
  }
  if (counting.length === 0 && refusal && !refusal.counts)
    return refused('unprocessable', refusal.code, refusal.reason);
  const fresh = counting.filter((w) => !mine.some((a) => a.stage === w.stage.name && a.at >= sinceOf(w)));
  if (fresh.length === 0)
    return {
      outcome: 'unchanged',
      message: `You approved ${where} already; it still waits for the rest of what the gate needs.`,
      result: empty,
    };
  const now = deps.clock();
  const environments = [...new Set(fresh.map((w) => w.environment))];
  await deps.store.recordApprovals(
    environments.map((environment) => ({
      repo,
      sha: input.sha,
      environment,
      login,
      source: 'deployment-review' as const,
      state: 'approved',
      submittedAt: now,
    })),
    now,
  );
  for (const environment of environments) {
    const stage = fresh.find((w) => w.environment === environment)!.stage;
    await deps.store.recordEvent({
      repo,
      sha: input.sha,
      environment: stage.name,
      type: 'APPROVED',
      status: 'review',
      actor: login,
      at: now,
      notes: `Approved ${scope.actor.via === 'console' ? 'in the release console' : 'with /release-gate approve'} by ${login} (counted as a deployment review of ${environment}).`,
      deliveryId: scope.actor.deliveryId ?? null,
    });
  }
  const changed = await factsChanged(deps, scope.octokit, {
    owner: scope.repo.owner,
    repo: scope.repo.repo,
    shas: [input.sha],
    trigger: scope.actor.via === 'console' ? 'console approval' : 'approve command',
    actor: login,
    deliveryId: scope.actor.deliveryId ?? null,
    defaultBranch: scope.repo.defaultBranch,
  });
  const gates = gateOutcomes(changed.gates);
  const outcome = gates.map((g) => `${g.environment}: ${g.answer ?? g.decision ?? 'unchanged'}`).join(', ');
  const skipped = refusal && !refusal.counts ? ` Not counted elsewhere: ${refusal.reason}` : '';
  return {
    outcome: 'done',
    message: `Approved ${short(input.sha)} for ${environments.join(', ')}${outcome ? ` (${outcome})` : ''}.${skipped}`,
    result: { approved: environments, by: login, gates, promotions: changed.promotions },
  };
}

/** When what waits started waiting: an approval before it is for something else. */
function sinceOf(w: Waiting): Date {
  return w.kind === 'gate' ? w.gate.createdAt : w.promotion.createdAt;
}

/** The actor's approvals of the release given through the App (console or command), by stage. */
async function ownApprovals(
  deps: { store: ApprovalStore },
  repo: string,
  sha: string,
  login: string,
  policy: Policy,
): Promise<Array<{ stage: string; at: Date }>> {
  const me = login.toLowerCase();
  return (await deps.store.listApprovals({ repo, sha }))
    .filter((a) => a.login.toLowerCase() === me && a.source === 'deployment-review' && a.state === 'approved')
    .map((a) => {
      const i = a.environment ? findStageIndex(policy, a.environment) : -1;
      return { stage: i >= 0 ? policy.environments[i]!.name : '', at: a.submittedAt };
    })
    .filter((a) => a.stage !== '');
}
