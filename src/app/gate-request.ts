import { judgeRollback, rollbackDecision, rollbackOf } from '../core/rollback.js';
import type { RecordedRollback } from '../core/rollback.js';
import { stageEnvironmentNames } from '../core/release-stage.js';
import type { Decision, EnvironmentPolicy } from '../core/types.js';
import { repoKey, repoRefOf } from '../github/types.js';
import type { PendingGateRow, RecordStore } from '../store/types.js';
import { deployerOf } from './deployer.js';
import type { GateRecord, GateRequest } from './gate-deps.js';

/**
 * The gate's decision on a rollback the App created (`req.rollbackOf`, trusted only on the
 * App's own deployments) of a release verified in the stage before: `allow`, freeze windows
 * included unless the stage says `rollbackDuringFreeze: false`. Null when the stage's rules
 * judge the request.
 */
export async function rollbackVerdict(
  store: Pick<GateRecord, 'verifications'>,
  req: GateRequest,
  stage: EnvironmentPolicy | null,
  now: Date,
): Promise<{ decision: Decision; rollback: RecordedRollback } | null> {
  if (!stage || !req.rollbackOf) return null;
  const verifiedBefore = await store.verifications.wasVerified(repoKey(req), req.sha, stageEnvironmentNames(stage));
  const rollback = { failedDeployment: req.rollbackOf, verifiedBefore };
  const judged = judgeRollback(stage, rollback, now);
  return judged.allow ? { decision: rollbackDecision(stage.name, { ...judged, ...rollback }), rollback } : null;
}

/**
 * The gate request that re-evaluates a stored gate: ref and deployer come from the recorded
 * deployment (the deployer of one this App created is the person it recorded: src/app/deployer.ts).
 */
export async function requestForGate(
  store: Pick<RecordStore, 'getDeployment'>,
  g: PendingGateRow,
  extra: { trigger: string; actor?: string | null; deliveryId?: string | null; defaultBranch?: string },
): Promise<GateRequest> {
  let ref: string | null = null;
  let deployer: string | null = null;
  let rollback: number | null = null;
  if (g.deploymentId !== null) {
    const d = await store.getDeployment(g.deploymentId);
    ref = d?.ref ?? null;
    deployer = d ? deployerOf(d) : null;
    rollback = d?.byApp ? rollbackOf(d.payload) : null;
  }
  return {
    ...repoRefOf(g.repo),
    installationId: g.installationId,
    sha: g.sha,
    ref,
    environment: g.environment,
    deployer,
    trigger: extra.trigger,
    actor: extra.actor ?? null,
    deliveryId: extra.deliveryId ?? null,
    ...(extra.defaultBranch ? { defaultBranch: extra.defaultBranch } : {}),
    protection: { runId: g.runId, callbackUrl: g.callbackUrl, deploymentId: g.deploymentId },
    rollbackOf: rollback,
  };
}
