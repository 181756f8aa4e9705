/**
 * Rolling back after a failed verification: a deployment of the last release verified in that
 * environment, created through GitHub's Deployments API (`auto_merge: false`, no required
 * contexts: the gate has judged it) with the payload that names what it rolls back, which the
 * gate lets through (`src/core/rollback.ts`) and delivery metrics count.
 */
import { rollbackOf } from '../core/rollback.js';
import type { RollbackMode } from '../core/verification.js';
import { createDeployment, listDeploymentsOf } from '../github/deployment-api.js';
import { repoRefOf } from '../github/types.js';
import type { GitHubClient } from '../github/types.js';
import type { VerificationRow, VerifiedDeployment } from '../store/verifications.js';
import type { VerifierDeps } from './types.js';

/** The comment command that rolls an environment back: `/release-gate rollback production`. */
export function rollbackCommand(row: Pick<VerificationRow, 'environment'>): string {
  return `\`/release-gate rollback ${row.environment}\``;
}

export interface RollbackResult {
  /** The rollback deployment (created or found); null when none was created. */
  deploymentId: number | null;
  /** The release rolled back to. */
  sha: string | null;
  /** One sentence: what was done, or why nothing was. */
  note: string;
}

/** The rollback deployment of `failed` to `target`: found when one was created before (a retry), else created. */
export async function createRollbackDeployment(
  deps: Pick<VerifierDeps, 'appId'>,
  octokit: GitHubClient,
  failed: Pick<VerificationRow, 'repo' | 'environment' | 'deploymentId' | 'stage'>,
  target: Pick<VerifiedDeployment, 'sha'>,
  reason: string,
): Promise<{ id: number; created: boolean }> {
  const where = repoRefOf(failed.repo);
  const existing = await listDeploymentsOf(octokit, { ...where, sha: target.sha, environment: failed.environment });
  const found = existing.find(
    (d) => rollbackOf(d.payload) === failed.deploymentId && (deps.appId == null || d.appId === deps.appId),
  );
  if (found) return { id: found.id, created: false };
  const id = await createDeployment(octokit, {
    ...where,
    sha: target.sha,
    environment: failed.environment,
    payload: { releaseGate: { rollbackOf: failed.deploymentId, reason: reason.slice(0, 500) } },
    description: `Rollback of deployment ${failed.deploymentId} in ${failed.stage}`,
  });
  return { id, created: true };
}

/** What a failed verification's `rollback` does: auto deploys the last verified release; propose says how; off nothing. */
export async function rollBack(
  deps: VerifierDeps,
  octokit: GitHubClient,
  row: VerificationRow,
  mode: RollbackMode,
  reason: string,
): Promise<RollbackResult> {
  if (mode === 'off') return { deploymentId: null, sha: null, note: 'none (the policy says rollback: off).' };
  const target = await deps.store.verifications.lastVerified(row.repo, [row.environment], row.sha);
  if (!target)
    return {
      deploymentId: null,
      sha: null,
      note: `no other release was verified in ${row.environment} before, so there is nothing to roll back to.`,
    };
  const short = target.sha.slice(0, 7);
  if (mode === 'propose')
    return {
      deploymentId: null,
      sha: target.sha,
      note: `proposed: ${rollbackCommand(row)} deploys ${short}, the last release verified in ${row.environment} (deployment ${target.id}).`,
    };
  const { id } = await createRollbackDeployment(deps, octokit, row, target, reason);
  return {
    deploymentId: id,
    sha: target.sha,
    note: `deployment ${id} of ${short}, the last release verified in ${row.environment}, created to roll back deployment ${row.deploymentId}.`,
  };
}
