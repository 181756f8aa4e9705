/**
 * Whether the gate lets a rollback through: a deployment the App created to restore the last
 * release verified in an environment after a failed verification there. Pure: the caller says
 * whether the release was verified there before and gives the instant.
 */
import { decisionOfOne } from './evaluation-results.js';
import type { RollbackRuleResult } from './evaluation-results.js';
import { freezeStatus } from './freeze-windows.js';
import type { Decision, EnvironmentPolicy } from './types.js';

/** The payload key of a rollback deployment: `{ "releaseGate": { "rollbackOf": <id>, "reason": "..." } }`. */
export interface RollbackPayload {
  releaseGate: { rollbackOf: number; reason: string };
}

/** The rollback a deployment's payload names, or null. Trusted only on a deployment this App created. */
export function rollbackOf(payload: unknown): number | null {
  const gate = (payload as { releaseGate?: { rollbackOf?: unknown } } | null)?.releaseGate;
  const id = gate?.rollbackOf;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0 ? id : null;
}

/** What the gate knew of a rollback it judged, as its evaluation records it (`inputs.rollback`) for replay. */
export interface RecordedRollback {
  /** The deployment rolled back. */
  failedDeployment: number;
  /** Its release was verified in the stage before. */
  verifiedBefore: boolean;
}

export type RollbackJudgement = { allow: true; reason: string } | { allow: false; reason: string };

/**
 * A rollback of a release verified in the stage before is let through, freeze windows
 * included unless the stage says `rollbackDuringFreeze: false`; anything else is judged by
 * the gate's rules like any deployment.
 */
export function judgeRollback(
  stage: EnvironmentPolicy,
  rollback: { failedDeployment: number; verifiedBefore: boolean },
  now: Date,
): RollbackJudgement {
  if (!rollback.verifiedBefore)
    return {
      allow: false,
      reason: `this release was never verified in ${stage.name}: a rollback restores only a verified release, so the gate's rules judge it`,
    };
  if (stage.rollbackDuringFreeze === false) {
    const freeze = freezeStatus(stage.freezeWindows, now);
    if (freeze.frozen)
      return {
        allow: false,
        reason: `${stage.name} is frozen (${freeze.window ?? 'a freeze window'}) and the policy says rollbackDuringFreeze: false, so the gate's rules judge it`,
      };
  }
  return {
    allow: true,
    reason: `a rollback of deployment ${rollback.failedDeployment} to a release verified in ${stage.name} before`,
  };
}

/**
 * The gate's decision on a rollback it lets through (`judgeRollback` allowed it): `allow`
 * with one result saying why, so the decision is recorded, answered and reported like any
 * other, and the deployment is proven by the gate's own approval (SECURITY.md I1).
 */
export function rollbackDecision(stage: string, judgement: { reason: string; failedDeployment: number }): Decision {
  const rule: RollbackRuleResult = {
    code: 'ROLLBACK_OF_VERIFIED_RELEASE',
    rule: 'rollback',
    ok: true,
    outcome: 'pass',
    message: `Let through as ${judgement.reason}: a rollback restores what was verified here, so the stage's rules (freeze windows included) do not hold it.`,
    values: { rollbackOf: judgement.failedDeployment },
  };
  return decisionOfOne('allow', stage, rule);
}
