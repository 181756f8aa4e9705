/**
 * The invariant of the gate, read in one place: a stage is proven only by a deployment the
 * gate let through for that stage and environment (its approval) that then reached
 * `success` bound to that approval (`provenAt`), and that is still its latest state. The
 * order and soak rules take nothing else; a later requirement (a verification, say) is one
 * more condition in {@link unprovenReason}.
 */
import { inStage, sameRelease } from './rules/shared.js';
import type { DeploymentFact, EnvironmentPolicy, ReleaseFacts } from './types.js';
import type { VerificationFact } from './verification.js';

/** A deployment that proves the release in a stage, and since when. */
export interface StageProof {
  deployment: DeploymentFact;
  /** ISO-8601 instant of its first bound success: the soak clock starts here. */
  since: string;
}

/** States of a deployment still on its way. */
const RUNNING = new Set<DeploymentFact['state']>(['in_progress', 'queued', 'pending']);

/** Why the gate's approval of `d` is not one for `stage` (none, another stage, another environment), or null. */
function approvalMismatch(d: DeploymentFact, stage: EnvironmentPolicy): string | null {
  if (!inStage(stage, d.environment)) return `${d.environment} is not an environment of ${stage.name}`;
  const a = d.approval;
  if (!a)
    return d.legacySuccessAt
      ? `it succeeded at ${d.legacySuccessAt}, before the gate recorded its approvals on deployments`
      : 'the gate never let it through (it held it, blocked it, or never saw it)';
  if (a.stage !== undefined && a.stage !== stage.name)
    return a.stage === null
      ? `the gate let it through as an environment the policy did not gate, not as ${stage.name}`
      : `the gate let it through as ${a.stage}, not as ${stage.name}`;
  if (a.environment !== undefined && a.environment.toLowerCase() !== d.environment.toLowerCase())
    return `the gate let it through for ${a.environment}, not for ${d.environment}`;
  return null;
}

/** Why `d` does not prove a release in `stage`, or null when it does. */
export function unprovenReason(d: DeploymentFact, stage: EnvironmentPolicy): string | null {
  const mismatch = approvalMismatch(d, stage);
  if (mismatch) return mismatch;
  if (!d.provenAt)
    return RUNNING.has(d.state)
      ? `the gate let it through and it is ${d.state.replace('_', ' ')}`
      : "no success bound to the gate's approval was reported on it (from its creator, or for GitHub Actions from a job of the run the gate approved)";
  if (d.state !== 'success') return `it succeeded, then became ${d.state.replace('_', ' ')}`;
  if (stage.verify) return unverifiedReason(d.verification ?? null, stage);
  return null;
}

/** With `verify` on the stage, why a proven deployment's verification does not (yet) prove it, or null when it was verified. */
function unverifiedReason(v: VerificationFact | null, stage: EnvironmentPolicy): string | null {
  if (v === null)
    return `it succeeded, but ${stage.name} verifies its deployments and its verification has not started`;
  switch (v.state) {
    case 'verified':
      return null;
    case 'running':
      return `it succeeded and its verification in ${stage.name} is running (since ${v.at})`;
    case 'failed':
      return `it succeeded, then failed its verification in ${stage.name} (at ${v.at})`;
    case 'inconclusive':
      return `it succeeded, but its verification in ${stage.name} was inconclusive (at ${v.at}): deploy it again to verify it again`;
  }
}

/**
 * The release's deployments in `stage` that would prove it but for a verification still to
 * come or running: a later stage waits for them rather than rejecting the release.
 */
export function awaitingVerification(
  facts: Pick<ReleaseFacts, 'sha' | 'tree' | 'deployments'>,
  stage: EnvironmentPolicy,
): DeploymentFact[] {
  if (!stage.verify) return [];
  return releaseDeployments(facts, stage).filter(
    (d) =>
      (d.verification == null || d.verification.state === 'running') &&
      d.provenAt &&
      d.state === 'success' &&
      approvalMismatch(d, stage) === null,
  );
}

/** The release's deployments in `stage` (the same commit, or a commit with the same tree). */
export function releaseDeployments(
  facts: Pick<ReleaseFacts, 'sha' | 'tree' | 'deployments'>,
  stage: EnvironmentPolicy,
): DeploymentFact[] {
  return facts.deployments.filter((d) => inStage(stage, d.environment) && sameRelease(facts, d));
}

/** The deployments that prove the release in `stage`, the earliest proof first. */
export function stageProofs(
  facts: Pick<ReleaseFacts, 'sha' | 'tree' | 'deployments'>,
  stage: EnvironmentPolicy,
): StageProof[] {
  const proofs: StageProof[] = [];
  for (const d of releaseDeployments(facts, stage))
    if (unprovenReason(d, stage) === null && Number.isFinite(Date.parse(d.provenAt!)))
      proofs.push({ deployment: d, since: d.provenAt! });
  return proofs.sort((x, y) => Date.parse(x.since) - Date.parse(y.since));
}

/** The release's deployments in `stage` that the gate let through and that are still on their way. */
export function approvedRunning(
  facts: Pick<ReleaseFacts, 'sha' | 'tree' | 'deployments'>,
  stage: EnvironmentPolicy,
): DeploymentFact[] {
  return releaseDeployments(facts, stage).filter(
    (d) => RUNNING.has(d.state) && !d.provenAt && approvalMismatch(d, stage) === null,
  );
}

/** A deployment named for a reader: `deployment 801 to staging (success)`. */
export function deploymentLabel(d: DeploymentFact): string {
  return `${d.id !== undefined ? `deployment ${d.id}` : 'a deployment'} to ${d.environment} (${d.state.replace('_', ' ')})`;
}
