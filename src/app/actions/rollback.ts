import { findStageIndex } from '../../core/evaluate.js';
import { stageEnvironmentNames } from '../../github/facts.js';
import { repoKey } from '../../github/types.js';
import { createRollbackDeployment } from '../../verify/rollback.js';
import type { AppDeps } from '../gate.js';
import { requireRoleAndPolicy, short } from './release-state.js';
import { refused } from './types.js';
import type { ActionAnswer, ActionScope } from './types.js';

export interface RollbackInput {
  /** The stage or GitHub environment to roll back. */
  environment: string;
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
  const by = scope.actor.login;
  if (failed.rollbackDeploymentId !== null)
    return {
      outcome: 'unchanged',
      message: `Deployment ${failed.deploymentId} in ${stage.name} was rolled back already (deployment ${failed.rollbackDeploymentId}).`,
      result: {
        deploymentId: failed.rollbackDeploymentId,
        rollbackOf: failed.deploymentId,
        sha: failed.sha,
        environment: failed.environment,
        by,
      },
    };
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
