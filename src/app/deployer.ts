/**
 * Who deploys. GitHub names the creator of a deployment; when this App creates one (a
 * promotion), the creator is the App, and the person behind it would be lost. So the App
 * writes the deployer into the payload of the deployments it creates, and reads it back only
 * from deployments GitHub says this App performed (`performed_via_github_app`): nobody else
 * can make such a deployment, so nobody else can name a deployer this way (SECURITY.md).
 *
 * - A promotion a person asked for (console, `/release-gate promote`): that person.
 * - An auto-promotion: whoever deployed the stage before (the person behind a promotion of
 *   it, or its creator): their own approvals did not count there, and do not count here.
 */

/** Deployments the App created itself carry this key in their payload. */
export const PROMOTION_PAYLOAD_KEY = 'releaseGate';

/** What the App writes under {@link PROMOTION_PAYLOAD_KEY} in the deployments it creates. */
export interface PromotionPayload {
  stage: string;
  sha: string;
  ref?: string;
  /** The promotion row (src/store: `Promotion`) that created the deployment. */
  promotion?: number;
  /** Who deploys (see above); absent when unknown. */
  deployer?: string;
  /** The person who asked, for a promotion a person asked for. */
  promotedBy?: string;
  /** The stage the release came from, for an auto-promotion. */
  promotedFrom?: string;
}

/** The deployment as the record or a webhook knows it: who created it, whether this App did, its payload. */
export interface DeploymentAuthor {
  creator: string | null;
  /** Created by this App's installation (GitHub's `performed_via_github_app`, never a payload key). */
  byApp: boolean;
  payload: unknown;
}

/** The App's own payload of a deployment it created, or null. */
export function promotionPayloadOf(d: DeploymentAuthor): PromotionPayload | null {
  if (!d.byApp || typeof d.payload !== 'object' || d.payload === null) return null;
  const p = (d.payload as Record<string, unknown>)[PROMOTION_PAYLOAD_KEY];
  return typeof p === 'object' && p !== null ? (p as PromotionPayload) : null;
}

/** Who deploys `d`: the deployer this App recorded when it created it, else its creator. */
export function deployerOf(d: DeploymentAuthor): string | null {
  const own = promotionPayloadOf(d);
  const named = own?.deployer ?? own?.promotedBy;
  return typeof named === 'string' && named !== '' ? named : d.creator;
}

/** True when GitHub says the App `appId` performed the deployment (`performed_via_github_app`). */
export function performedBy(
  appId: number | null | undefined,
  d: { performed_via_github_app?: { id: number } | null },
): boolean {
  return appId != null && d.performed_via_github_app?.id === appId;
}
