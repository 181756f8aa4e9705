import type { EnvironmentPolicy, Policy } from '../../core/types.js';
import { repoKey } from '../../github/types.js';
import { answerStoredDecision } from '../gate.js';
import type { AppDeps } from '../gate.js';
import { requireRoleAndPolicy, requireStage, short, whatWaits } from './release-state.js';
import { refused } from './types.js';
import type { ActionAnswer, ActionScope } from './types.js';

export interface RejectInput {
  sha: string;
  /** A stage or GitHub environment; every stage where something waits when left out. */
  environment?: string;
  reason: string;
}

export interface RejectResult {
  /** The GitHub environments rejected, each with the answer that stands (another decision may have come first). */
  rejected: Array<{ environment: string; answer: 'approved' | 'rejected' | 'dropped' | null }>;
  by: string;
  reason: string;
}

/**
 * The teams whose members may reject in a stage: those it takes approvals from (`fromTeams`,
 * `requiredReviewers`) and the override teams; none when the stage names no team (then
 * anyone with write permission may).
 */
export function rejectTeams(policy: Policy, stage: EnvironmentPolicy): string[] {
  const own = [...stage.approvals.fromTeams, ...stage.requiredReviewers.flatMap((r) => r.teams)];
  return own.length === 0 ? [] : [...new Set([...own, ...policy.overrides.teams])];
}

/** True (with why) when the actor may reject in the stage: see {@link rejectTeams}. */
export async function mayReject(
  scope: ActionScope,
  policy: Policy,
  stage: EnvironmentPolicy,
): Promise<{ allowed: boolean; reason: string }> {
  const teams = rejectTeams(policy, stage);
  if (teams.length === 0) return { allowed: true, reason: `Anyone with write permission may reject in ${stage.name}.` };
  return (await scope.people.inAnyTeam(teams, scope.actor.login))
    ? { allowed: true, reason: `You are a member of ${teams.join(', ')}.` }
    : { allowed: false, reason: `Only members of ${teams.join(', ')} may reject in ${stage.name}.` };
}

/**
 * Rejects what of the release waits: a protection rule request is answered `rejected` on
 * GitHub with the person's name and reason (the first decision stands: one the gate made
 * before is kept and said), a held promotion is dropped; both are recorded on the timeline.
 * Rejecting only stops a release, so authors and deployers may reject their own.
 */
export async function reject(
  deps: AppDeps,
  scope: ActionScope,
  input: RejectInput,
): Promise<ActionAnswer<RejectResult>> {
  const login = scope.actor.login;
  const p = await requireRoleAndPolicy(scope, 'Rejecting');
  if ('outcome' in p) return p;
  const policy = p.policy;
  let only: EnvironmentPolicy | undefined;
  if (input.environment) {
    const s = requireStage(policy, input.environment, 'environment');
    if ('outcome' in s) return s;
    only = s.stage;
  }
  const reason = input.reason.trim().slice(0, 500);
  if (!reason) return refused('unprocessable', 'invalid_field', 'reason: say why the release is rejected.');
  const repo = repoKey(scope.repo);
  const waits = await whatWaits(deps, scope, policy, input.sha, only);
  const where = `${short(input.sha)} in ${repo}${input.environment ? ` for ${input.environment}` : ''}`;
  if (waits.length === 0) {
    const mine = (await deps.store.timeline({ repo, sha: input.sha })).filter(
      (e) =>
        e.type === 'REJECTED' &&
        e.status === 'rejected' &&
        e.actor?.toLowerCase() === login.toLowerCase() &&
        (!only || e.environment === only.name),
    );
    if (mine.length > 0)
      return {
        outcome: 'unchanged',
        message: `You rejected ${where} already (${mine.at(-1)!.at.toISOString()}).`,
        result: { rejected: [], by: login, reason },
      };
    return refused('conflict', 'nothing_waiting', `No request of ${where} waits for a decision.`);
  }
  for (const stage of new Set(waits.map((w) => w.stage))) {
    const may = await mayReject(scope, policy, stage);
    if (!may.allowed) return refused('forbidden', 'forbidden', may.reason);
  }
  const via = scope.actor.via === 'console' ? 'in the release console' : 'with /release-gate reject';
  const rejected: RejectResult['rejected'] = [];
  for (const w of waits) {
    const now = deps.clock();
    const comment = `Release gate: rejected for ${w.stage.name} by ${login}: ${reason}`.slice(0, 1000);
    const record = (status: string, notes: string) =>
      deps.store.recordEvent({
        repo,
        sha: input.sha,
        environment: w.stage.name,
        type: 'REJECTED',
        status,
        actor: login,
        at: now,
        notes,
        deliveryId: scope.actor.deliveryId ?? null,
      });
    if (w.kind === 'promotion') {
      const dropped = await deps.store.dropPromotion(w.promotion.id, now, `rejected by ${login}: ${reason}`);
      if (dropped) await record('rejected', `Promotion to ${w.stage.name} rejected ${via} by ${login}: ${reason}`);
      rejected.push({ environment: w.environment, answer: dropped ? 'dropped' : null });
      continue;
    }
    const decided = await deps.store.decideGate(w.gate.id, { decision: 'rejected', comment, at: now });
    if (decided.decided) await record('rejected', `Rejected ${via} by ${login}: ${reason}`);
    // The decision that came first stands, and was answered by whoever made it.
    const gate = decided.decided ? await deps.store.getGate(w.gate.id) : null;
    const answer = gate ? await answerStoredDecision(deps, scope.octokit, gate, deps.log) : decided.decision;
    rejected.push({ environment: w.environment, answer });
  }
  const others = rejected.filter((r) => r.answer === 'approved');
  return {
    outcome: 'done',
    message: `Rejected ${short(input.sha)} for ${rejected.map((r) => r.environment).join(', ')}: ${reason}${others.length > 0 ? ` (the gate had approved ${others.map((r) => r.environment).join(', ')} before: that answer stands)` : ''}.`,
    result: { rejected, by: login, reason },
  };
}
