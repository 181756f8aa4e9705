import { repoKey } from '../../github/types.js';
import type { DeploymentStore } from '../../store/deployments.js';
import type { EvaluationStore } from '../../store/evaluations.js';
import type { GateStore } from '../../store/gates.js';
import type { OverrideStore } from '../../store/overrides.js';
import type { PromotionStore } from '../../store/promotions.js';
import type { VerificationStore } from '../../store/verifications.js';
import { assessApproval } from './approve.js';
import { openOverrides } from './override.js';
import { mayAct, permissionsOf } from './people.js';
import { promotionTarget } from './promote.js';
import { mayReject } from './reject.js';
import { rollbackOpenTo } from './rollback.js';
import type { RollbackOption } from './rollback.js';
import { requireStage, short, whatWaits } from './release-state.js';
import type { ActionOption, ActionScope } from './types.js';

export type { ActionOption } from './types.js';

/** What a viewer can do to a release in a stage (the one asked for, or where it waits, or the next one). */
export interface ViewerActions {
  sha: string;
  /** The stage the answers are about; null when the policy is invalid or the release is in the last stage with nothing waiting. */
  stage: string | null;
  approve: ActionOption & { environments: string[] };
  reject: ActionOption & { environments: string[] };
  override: ActionOption & {
    stages: string[];
    secondApprover: boolean;
    /** Other members' overrides the viewer may confirm. */
    pendingConfirmation: Array<{ id: string; stage: string; grantedBy: string }>;
  };
  promote: ActionOption & { target: string | null };
  /** Roll back a stage where this release's verification failed, to the last release verified there. */
  rollback: RollbackOption;
}

const NO: ActionOption = { allowed: false, counts: false, reason: '' };

/**
 * What the viewer (the scope's actor) can do to the release `sha`, and whether it would
 * count, each with the reason: the same checks the actions make, without taking any. The
 * console shows its buttons and its queue from this; the actions check again when taken.
 */
export async function actionsOpenTo(
  deps: {
    store: GateStore &
      PromotionStore &
      DeploymentStore &
      EvaluationStore &
      OverrideStore & { verifications: Pick<VerificationStore, 'latestFailed' | 'lastVerified'> };
    clock: () => Date;
  },
  scope: ActionScope,
  query: { sha: string; stage?: string },
): Promise<ViewerActions> {
  const { sha } = query;
  const none = (reason: string): ViewerActions => ({
    sha,
    stage: null,
    approve: { ...NO, reason, environments: [] },
    reject: { ...NO, reason, environments: [] },
    override: { ...NO, reason, stages: [], secondApprover: false, pendingConfirmation: [] },
    promote: { ...NO, reason, target: null },
    rollback: { ...NO, reason: '', stage: null, environment: null, to: null },
  });
  const role = await scope.people.roleOf(scope.actor.login);
  const raw = await scope.policy();
  if (!raw.ok) return none('The policy is invalid: nothing can be approved, overridden or promoted until it is fixed.');
  const policy = raw.policy;
  const asked = query.stage ? requireStage(policy, query.stage, 'stage') : null;
  if (asked && 'outcome' in asked) return none(asked.message);
  const allWaits = await whatWaits(deps, scope, policy, sha, asked?.stage);
  const target = await promotionTarget(deps, scope, policy, sha);
  const stage = asked?.stage ?? allWaits[0]?.stage ?? (target.ok ? target.stage : null);
  const waits = allWaits.filter((w) => stage && w.stage.name === stage.name);
  const out = none('');
  out.stage = stage?.name ?? null;
  const roleReason = `Your role on ${repoKey(scope.repo)} is ${role ?? 'none'} (${permissionsOf(role)} on GitHub); approvers and admins (write, maintain or admin permission) may act.`;
  if (!mayAct(role)) return { ...none(roleReason), stage: out.stage };

  // Approve: something waits, and the viewer's approval would count there.
  if (waits.length === 0)
    out.approve.reason = `Nothing of ${short(sha)} waits for a decision${stage ? ` in ${stage.name}` : ''}.`;
  else {
    const verdict = await assessApproval(deps, scope, waits[0]!);
    out.approve = {
      allowed: verdict.counts,
      counts: verdict.counts,
      reason: verdict.counts ? 'An approval counts like a deployment review of the environment.' : verdict.reason,
      environments: verdict.counts ? [...new Set(waits.map((w) => w.environment))] : [],
    };
  }

  // Reject: something waits, and the viewer is one of those who may stop it.
  if (waits.length === 0) out.reject.reason = out.approve.reason;
  else {
    const may = await mayReject(scope, policy, waits[0]!.stage);
    out.reject = {
      allowed: may.allowed,
      counts: may.allowed,
      reason: may.reason,
      environments: may.allowed ? [...new Set(waits.map((w) => w.environment))] : [],
    };
  }

  // Override: members of the override teams; with a second approver, it counts once another member confirms.
  const teams = policy.overrides.teams;
  const member = teams.length > 0 && (await scope.people.inAnyTeam(teams, scope.actor.login));
  const second = policy.overrides.secondApprover;
  if (!member)
    out.override = {
      ...out.override,
      reason:
        teams.length > 0
          ? `Only members of ${teams.join(', ')} may grant an override.`
          : 'The policy names no override team.',
      secondApprover: second,
    };
  else {
    const me = scope.actor.login.toLowerCase();
    const open = openOverrides(await deps.store.listOverrides({ repo: repoKey(scope.repo), sha }), deps.clock());
    const pending = second
      ? open
          .filter((o) => !o.confirmedBy && o.grantedBy.toLowerCase() !== me)
          .map((o) => ({ id: o.id, stage: o.environment, grantedBy: o.grantedBy }))
      : [];
    const here = pending.find((o) => !stage || o.stage === stage.name);
    out.override = {
      allowed: true,
      counts: !second || here !== undefined,
      reason: `You are a member of ${teams.join(', ')}.${
        second
          ? here
            ? ` Confirming the override of ${here.grantedBy} puts it in force.`
            : ' The policy asks a second member to confirm an override before it counts.'
          : ''
      }`,
      stages: policy.environments.map((s) => s.name),
      secondApprover: second,
      pendingConfirmation: pending,
    };
  }

  // Promote: the next stage, unless something deploys the release there already.
  out.promote = target.ok
    ? {
        allowed: true,
        counts: true,
        reason: `Deploys ${short(sha)} to ${target.stage.name} when the gate allows it (held until then).`,
        target: target.stage.name,
      }
    : { ...NO, reason: target.message, target: null };
  out.rollback = await rollbackOpenTo(deps, scope, policy, sha);
  // A release whose verification failed in a stage goes no further from it (PROMOTION_ORDER would refuse).
  const failedIn = out.rollback.stage;
  if (failedIn && out.promote.target) {
    const from = policy.environments.findIndex((s) => s.name === failedIn);
    if (policy.environments[from + 1]?.name === out.promote.target)
      out.promote = {
        ...NO,
        reason: `${short(sha)} failed its verification in ${failedIn}: it is not promoted from there (deploy it again to verify it again).`,
        target: null,
      };
  }
  return out;
}
