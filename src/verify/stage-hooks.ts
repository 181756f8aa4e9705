/**
 * Where verification meets the App's deployment events: a proven deployment of a stage with
 * `verify` starts its verification (instead of waking the next stage at once); a verified one
 * wakes what waited on it (the next stage's gates, an auto-promotion); a rollback the App
 * created is let through when its release was verified there before.
 */
import { findStageIndex } from '../core/evaluate.js';
import { judgeRollback, rollbackOf } from '../core/rollback.js';
import type { RollbackJudgement } from '../core/rollback.js';
import type { EnvironmentPolicy } from '../core/types.js';
import { SAME_TREE_CANDIDATES, stageEnvironmentNames } from '../github/facts.js';
import { loadRepoPolicy } from '../github/policy-source.js';
import { repoRefOf } from '../github/types.js';
import type { GitHubClient, RepoRef } from '../github/types.js';
import type { VerificationRow } from '../store/verifications.js';
import { reevaluatePending } from '../app/gate.js';
import type { AppDeps } from '../app/gate.js';
import { autoPromote } from '../app/promotions.js';
import type { ReleaseEventSink } from '../core/release-events.js';
import type { Verifier } from './verifier.js';

/** The App's dependencies with its verifier (absent: nothing is verified) and where release events go. */
export type VerifyingDeps = AppDeps & { verifier?: Verifier; events?: ReleaseEventSink };

/** A deployment the gate let through reached a success bound to its approval: the `deployed` event. */
export function publishDeployed(
  deps: VerifyingDeps,
  d: RepoRef & {
    installationId: number;
    deploymentId: number;
    sha: string;
    stage: string;
    environment: string;
    at: Date;
  },
): void {
  deps.events?.publish({
    kind: 'deployed',
    id: `deployed:${d.deploymentId}`,
    at: d.at,
    repository: { owner: d.owner, repo: d.repo, installationId: d.installationId },
    sha: d.sha,
    stage: d.stage,
    environment: d.environment,
    deploymentId: d.deploymentId,
    summary: `${d.sha.slice(0, 7)} deployed to ${d.stage} (${d.environment}).`,
  });
}

/** The policy's stage of a GitHub environment, with its successor, or null (no valid policy, no such stage). */
async function stageOf(
  octokit: GitHubClient,
  where: RepoRef & { defaultBranch?: string },
  environment: string,
): Promise<{ stage: EnvironmentPolicy; next: EnvironmentPolicy | null } | null> {
  const policy = await loadRepoPolicy(octokit, where);
  if (!policy.ok) return null;
  const index = findStageIndex(policy.policy, environment);
  if (index < 0) return null;
  return { stage: policy.policy.environments[index]!, next: policy.policy.environments[index + 1] ?? null };
}

/**
 * Starts the verification of a deployment just proven, when its stage has `verify`: the
 * caller then leaves the next stage to the verification. Null when nothing is verified.
 */
export async function beginVerification(
  deps: VerifyingDeps,
  octokit: GitHubClient,
  proven: RepoRef & {
    installationId: number;
    deploymentId: number;
    sha: string;
    ref: string | null;
    environment: string;
    defaultBranch?: string;
  },
): Promise<VerificationRow | null> {
  if (!deps.verifier) return null;
  const found = await stageOf(octokit, proven, proven.environment);
  if (!found?.stage.verify) return null;
  return deps.verifier.begin(octokit, { ...proven, stage: found.stage });
}

/** A verified deployment wakes the next stage's waiting gates and its auto-promotion, as a proven one does without `verify`. */
export async function afterVerified(deps: AppDeps, octokit: GitHubClient, row: VerificationRow): Promise<void> {
  const where = repoRefOf(row.repo);
  const found = await stageOf(octokit, where, row.environment);
  if (found?.next) {
    const tree = (await deps.store.releaseTrees(row.repo, [row.sha])).get(row.sha);
    const shas = [
      ...new Set([row.sha, ...(tree ? await deps.store.releasesWithTree(row.repo, tree, SAME_TREE_CANDIDATES) : [])]),
    ];
    await reevaluatePending(deps, octokit, {
      ...where,
      shas,
      environments: stageEnvironmentNames(found.next),
      trigger: 'verification',
      actor: null,
      deliveryId: null,
    });
  }
  await autoPromote(deps, octokit, {
    ...where,
    installationId: row.installationId,
    sha: row.sha,
    ref: row.ref ?? row.sha,
    environment: row.environment,
    deploymentId: row.deploymentId,
    deliveryId: `verification-${row.id}`,
  });
}

/**
 * The gate's word on a rollback deployment the App created (GitHub says which App created it;
 * the payload names what it rolls back): let through when its release was verified in that
 * stage before, freezes included unless `rollbackDuringFreeze: false`. Null when the
 * deployment is no rollback of this App's, or its environment is no stage: the gate judges it.
 */
export async function judgeRollbackDeployment(
  deps: AppDeps,
  octokit: GitHubClient,
  d: RepoRef & { sha: string; environment: string; payload: unknown; byApp: boolean; defaultBranch?: string },
): Promise<(RollbackJudgement & { stage: string; failedDeployment: number }) | null> {
  const failed = rollbackOf(d.payload);
  if (!d.byApp || failed === null) return null;
  const found = await stageOf(octokit, d, d.environment);
  if (!found) return null;
  const verifiedBefore = await deps.store.verifications.wasVerified(`${d.owner}/${d.repo}`, d.sha, [d.environment]);
  return {
    ...judgeRollback(found.stage, { failedDeployment: failed, verifiedBefore }, deps.clock()),
    stage: found.stage.name,
    failedDeployment: failed,
  };
}
