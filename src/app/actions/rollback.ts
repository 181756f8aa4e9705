import { findStageIndex } from '../../core/evaluate.js';
import { stageEnvironmentNames } from '../../core/release-stage.js';
import type { Policy } from '../../core/types.js';
import { repoKey } from '../../github/types.js';
import type { VerificationStore } from '../../store/verifications.js';
import { createRollbackDeployment } from '../../verify/rollback.js';
import type { AppDeps } from '../gate.js';
import { requireRoleAndPolicy, short } from './release-state.js';
import { refused } from './types.js';
import type { ActionAnswer, ActionOption, ActionScope } from './types.js';

export interface RollbackInput {
  /** The stage or GitHub environment to roll back. */
  environment: string;
  /** The release whose failed verification the person saw: refused when the latest failure there is another's. */
  sha?: string;
}

/** Whether the viewer may roll back a stage where this release's verification failed, and to what. */
export interface RollbackOption extends ActionOption {
  /** The stage, and the GitHub environment where the verification failed. */
  stage: string | null;
  environment: string | null;
  /** The release a rollback deploys: the last one verified there. */
  to: string | null;
}

export interface RollbackResult {
  /** The rollback deployment (created now, or before). */
  deploymentId: number;
  /** The deployment whose verification failed. */
  rollbackOf: number;
  /** The release deployed: the last one verified there. */
  sha: string;
  environment: string;
  by: string;
}

/**
 * `/release-gate rollback <env>` (and the console's Roll back): after the latest verification
 * in that environment failed, deploy the last release verified there, as `rollback: auto`
 * would have (the gate lets it through: its release was verified there). Needs write access;
 * done once per failed verification.
 */
export async function rollback(
  deps: Pick<AppDeps, 'store' | 'clock' | 'appId'>,
  scope: ActionScope,
  input: RollbackInput,
): Promise<ActionAnswer<RollbackResult>> {
  const policy = await requireRoleAndPolicy(scope, 'Rolling back');
  if ('outcome' in policy) return policy;
  const index = findStageIndex(policy.policy, input.environment);
  const stage = policy.policy.environments[index];
  if (!stage)
    return refused(
      'unprocessable',
      'invalid_field',
      `${input.environment} is not an environment of the policy (stages: ${policy.policy.environments.map((e) => e.name).join(', ')}).`,
    );
  const repo = repoKey(scope.repo);
  const environments = stageEnvironmentNames(stage);
  const failed = await deps.store.verifications.latestFailed(repo, environments);
  if (!failed)
    return refused(
      'conflict',
      'nothing_waiting',
      `The latest verification in ${stage.name} did not fail: there is nothing to roll back.`,
    );
  if (input.sha && failed.sha !== input.sha)
    return refused(
      'conflict',
      'nothing_waiting',
      `The latest failed verification in ${stage.name} is of ${short(failed.sha)}, not ${short(input.sha)}: roll back from that release.`,
    );
  const by = scope.actor.login;
  if (failed.rollbackDeploymentId !== null) {
    // The release that rollback deployed (the answer names it, as when it was created): as
    // recorded from its `deployment` event, or, before that arrives, the one it was made of.
    const deployed =
      (await deps.store.getDeployment(failed.rollbackDeploymentId)) ??
      (await deps.store.verifications.lastVerified(repo, [failed.environment], failed.sha));
    return {
      outcome: 'unchanged',
      message: `Deployment ${failed.deploymentId} in ${stage.name} was rolled back already (deployment ${failed.rollbackDeploymentId}).`,
      result: {
        deploymentId: failed.rollbackDeploymentId,
        rollbackOf: failed.deploymentId,
        sha: deployed?.sha ?? failed.sha,
        environment: failed.environment,
        by,
      },
    };
  }
  const target = await deps.store.verifications.lastVerified(repo, [failed.environment], failed.sha);
  if (!target)
    return refused(
      'conflict',
      'nothing_waiting',
      `No other release was verified in ${failed.environment} before ${short(failed.sha)}: there is nothing to roll back to.`,
    );
  const reason = `Rolled back by @${by} after the verification of deployment ${failed.deploymentId} failed: ${failed.reason ?? ''}`;
  const { id } = await createRollbackDeployment(deps, scope.octokit, failed, target, reason);
  const note = `deployment ${id} of ${short(target.sha)}, the last release verified in ${failed.environment}, created by @${by} to roll back deployment ${failed.deploymentId}.`;
  await deps.store.verifications.setRollback(failed.id, id, note);
  await deps.store.recordEvent({
    repo,
    sha: target.sha,
    environment: failed.environment,
    type: 'ROLLBACK',
    status: 'created',
    actor: by,
    at: deps.clock(),
    notes: note,
    deliveryId: scope.actor.deliveryId ?? null,
  });
  return {
    outcome: 'done',
    message: `Rolling back ${stage.name}: ${note}`,
    result: { deploymentId: id, rollbackOf: failed.deploymentId, sha: target.sha, environment: failed.environment, by },
  };
}

/**
 * The Roll back the console offers on a release: in the first stage with `verify` where the
 * latest verification is this release's and failed, not rolled back yet, and an earlier
 * release was verified there. The caller has checked the viewer may act (write access).
 */
export async function rollbackOpenTo(
  deps: { store: { verifications: Pick<VerificationStore, 'latestFailed' | 'lastVerified'> } },
  scope: ActionScope,
  policy: Policy,
  sha: string,
): Promise<RollbackOption> {
  const none: RollbackOption = { allowed: false, counts: false, reason: '', stage: null, environment: null, to: null };
  const repo = repoKey(scope.repo);
  for (const stage of policy.environments) {
    if (!stage.verify) continue;
    const failed = await deps.store.verifications.latestFailed(repo, stageEnvironmentNames(stage));
    if (!failed || failed.sha !== sha) continue;
    const where = { stage: stage.name, environment: failed.environment };
    if (failed.rollbackDeploymentId !== null)
      return {
        ...none,
        ...where,
        reason: `Deployment ${failed.deploymentId} in ${stage.name} was rolled back already (deployment ${failed.rollbackDeploymentId}).`,
      };
    const target = await deps.store.verifications.lastVerified(repo, [failed.environment], failed.sha);
    if (!target)
      return {
        ...none,
        ...where,
        reason: `The verification of ${short(sha)} in ${stage.name} failed, and no other release was verified in ${failed.environment} to roll back to.`,
      };
    return {
      allowed: true,
      counts: true,
      reason: `The verification of deployment ${failed.deploymentId} in ${stage.name} failed${failed.reason ? `: ${failed.reason}` : ''}. Rolling back deploys ${short(target.sha)}, the last release verified in ${failed.environment}, through GitHub's Deployments API; the gate lets it through.`,
      ...where,
      to: target.sha,
    };
  }
  return none;
}
