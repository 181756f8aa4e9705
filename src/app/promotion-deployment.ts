import { createDeployment, listDeploymentsOf } from '../github/deployment-api.js';
import { repoKey } from '../github/types.js';
import type { GitHubClient, RepoRef } from '../github/types.js';
import type { AuditStore } from '../store/audit.js';
import type { PromotionRequestedVia } from '../store/promotions.js';
import { PROMOTION_PAYLOAD_KEY } from './deployer.js';
import type { PromotionPayload } from './deployer.js';

/** The deployment a promotion creates: where, what, and who deploys. */
export interface PromotionDeploymentInput extends RepoRef {
  sha: string;
  ref: string | null;
  /** The GitHub environment. */
  target: string;
  from: string;
  to: string;
  /** Who deploys (src/app/deployer.ts); written into the payload so the gate's requests for the deployment carry it. */
  deployer: string | null;
  /** The promotion row, when there is one (held or asked for by a person). */
  promotionId: number | null;
  /** How a person asked for it; null for an auto-promotion. */
  requestedVia: PromotionRequestedVia | null;
  deliveryId: string | null;
  /** An auto-promotion that was held before. */
  held: boolean;
}

/**
 * Creates a promotion's deployment as the App, with the payload that names the deployer, and
 * records `PROMOTE` on the timeline (by the person who asked, or `auto`).
 */
export async function createPromotionDeployment(
  deps: { store: AuditStore; clock: () => Date },
  octokit: GitHubClient,
  p: PromotionDeploymentInput,
): Promise<number> {
  const payload: PromotionPayload = {
    ...(p.requestedVia && p.deployer ? { promotedBy: p.deployer } : { promotedFrom: p.from }),
    stage: p.to,
    sha: p.sha,
    ...(p.requestedVia ? {} : { ref: p.ref ?? p.sha }),
    ...(p.deployer ? { deployer: p.deployer } : {}),
    ...(p.promotionId !== null ? { promotion: p.promotionId } : {}),
  };
  const id = await createDeployment(octokit, {
    owner: p.owner,
    repo: p.repo,
    sha: p.sha,
    environment: p.target,
    payload: { [PROMOTION_PAYLOAD_KEY]: payload },
    description: p.requestedVia
      ? `Release gate: promotion to ${p.to} by ${p.deployer ?? 'someone unknown'}`
      : `Release gate: promotion of ${p.ref ?? p.sha.slice(0, 7)} from ${p.from} to ${p.to}`,
  });
  await deps.store.recordEvent({
    repo: repoKey(p),
    sha: p.sha,
    environment: p.target,
    type: 'PROMOTE',
    status: p.requestedVia ?? 'auto',
    actor: p.requestedVia ? p.deployer : null,
    at: deps.clock(),
    notes: p.requestedVia
      ? p.requestedVia === 'console'
        ? `Deployment ${id} created in the release console by ${p.deployer}`
        : `Deployment ${id} created by /release-gate promote`
      : `Auto-promoted from ${p.from} to ${p.to}${p.held ? ' once the hold cleared' : ''}`,
    deliveryId: p.deliveryId,
  });
  return id;
}

/**
 * The deployment this App created for a promotion row, if GitHub has one (a retry after a
 * crash between creating it and recording it): found by the App's own payload on a deployment
 * GitHub says this App performed.
 */
export async function findPromotionDeployment(
  octokit: GitHubClient,
  where: RepoRef & { sha: string; environment: string },
  appId: number | null | undefined,
  promotionId: number,
): Promise<number | null> {
  if (appId == null) return null;
  for (const d of await listDeploymentsOf(octokit, where)) {
    if (d.appId !== appId || typeof d.payload !== 'object' || d.payload === null) continue;
    const own = (d.payload as Record<string, unknown>)[PROMOTION_PAYLOAD_KEY] as PromotionPayload | undefined;
    if (own?.promotion === promotionId) return d.id;
  }
  return null;
}
