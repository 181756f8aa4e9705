import type { EvaluationContext, GateRule, ResultOf } from './rule.js';
import type { DeploymentApproval, DeploymentFact, EnvironmentPolicy, ReleaseFacts } from '../types.js';
import {
  approvedRunning,
  awaitingVerification,
  deploymentLabel,
  releaseDeployments,
  stageProofs,
  unprovenReason,
} from '../stage-proof.js';

/** The codes of the orderRule's results. */
export type OrderCode = 'FIRST_STAGE' | 'ORDER_OK' | 'PROMOTION_ORDER';

/** What each code of the order rule carries in `values`. */
export type OrderValues = {
  FIRST_STAGE: { stage: string; predecessor: null };
  /** The deployment that proves the stage before: its commit (`sameTree` when another commit of the same tree), since when. */
  ORDER_OK: {
    predecessor: string;
    sha: string;
    at: string;
    sameTree: boolean;
    deployment?: number;
    approvedVia?: DeploymentApproval['via'];
  };
  /**
   * Why the stage before is not proven: a deployment there still running (`state`), or awaiting
   * its verification (`verification`), one recorded before approvals were kept (`legacy`), or
   * none that proves anything (`found`, `unproven`).
   */
  PROMOTION_ORDER:
    | { predecessor: string; state: DeploymentFact['state'] }
    | { predecessor: string; state: DeploymentFact['state']; verification: string; deployment: number | null }
    | { predecessor: string; sha: string; legacy: number | null }
    | { predecessor: string; sha: string; found: DeploymentFact['state'][]; unproven: string[] };
};

/** The results of the order rule. */
export type OrderResult = ResultOf<OrderCode, OrderValues>;

/**
 * No stage is skipped: a release enters a stage only after the stage before is proven, by a
 * deployment the gate let through there that then succeeded (`stage-proof.ts`).
 */
export const orderRule: GateRule<OrderCode, OrderValues> = {
  name: 'order',
  codes: ['FIRST_STAGE', 'ORDER_OK', 'PROMOTION_ORDER'],
  keys: ['environments'],
  applies: () => true,
  facts: (c) => (c.predecessor ? ['deployments'] : []),
  evaluate: (c: EvaluationContext) => order(c.stage, c.predecessor, c.facts),
};

function order(stage: EnvironmentPolicy, predecessor: EnvironmentPolicy | null, facts: ReleaseFacts): OrderResult {
  if (!predecessor) {
    return {
      code: 'FIRST_STAGE',
      rule: 'order',
      ok: true,
      outcome: 'pass',
      message: `${stage.name} is the first stage of the promotion path: no earlier stage is required.`,
      values: { stage: stage.name, predecessor: null },
    };
  }
  const [proof] = stageProofs(facts, predecessor);
  if (proof) {
    const d = proof.deployment;
    return {
      code: 'ORDER_OK',
      rule: 'order',
      ok: true,
      outcome: 'pass',
      message: `The release was deployed successfully to ${predecessor.name} (${d.sha.slice(0, 7)} at ${proof.since}).`,
      values: {
        predecessor: predecessor.name,
        sha: d.sha,
        at: proof.since,
        sameTree: d.sha !== facts.sha,
        ...(d.id !== undefined ? { deployment: d.id } : {}),
        ...(d.approval ? { approvedVia: d.approval.via } : {}),
      },
    };
  }
  const mine = releaseDeployments(facts, predecessor);
  const running = approvedRunning(facts, predecessor)[0];
  if (running) {
    return {
      code: 'PROMOTION_ORDER',
      rule: 'order',
      ok: false,
      outcome: 'wait',
      message: `${stage.name} needs a successful deployment of this release to ${predecessor.name} first; the one ${running.approval?.via === 'reported' ? 'reported' : 'the gate let through'} there is ${running.state.replace('_', ' ')}.`,
      values: { predecessor: predecessor.name, state: running.state },
      clearsAt: null,
    };
  }
  const verifying = awaitingVerification(facts, predecessor)[0];
  if (verifying) {
    const state = verifying.verification?.state ?? 'not started';
    return {
      code: 'PROMOTION_ORDER',
      rule: 'order',
      ok: false,
      outcome: 'wait',
      message: `${stage.name} needs this release verified in ${predecessor.name}, not only deployed: ${deploymentLabel(verifying)} succeeded and its verification is ${state === 'running' ? `running (since ${verifying.verification!.at})` : 'about to start'}.`,
      values: {
        predecessor: predecessor.name,
        state: verifying.state,
        verification: state,
        deployment: verifying.id ?? null,
      },
      clearsAt: null,
    };
  }
  const legacy = mine.find((d) => !d.approval && d.legacySuccessAt);
  if (legacy) {
    // Recorded before approvals were kept: not proof, but not a reason to reject a release
    // that was on its way either. It waits for a deployment the gate judges.
    return {
      code: 'PROMOTION_ORDER',
      rule: 'order',
      ok: false,
      outcome: 'wait',
      message: `${stage.name} needs a deployment of this release to ${predecessor.name} that the gate let through: ${deploymentLabel(legacy)} succeeded at ${legacy.legacySuccessAt}, before this version of Release Gate recorded the gate's approval on each deployment, so it proves nothing. Deploy the release to ${predecessor.name} again; this request goes on when that deployment succeeds.`,
      values: { predecessor: predecessor.name, sha: facts.sha, legacy: legacy.id ?? null },
      clearsAt: null,
    };
  }
  const unproven = mine.slice(0, 3).map((d) => `${deploymentLabel(d)}: ${unprovenReason(d, predecessor)}`);
  return {
    code: 'PROMOTION_ORDER',
    rule: 'order',
    ok: false,
    outcome: 'block',
    message: `${stage.name} needs a successful deployment of this release (${facts.sha.slice(0, 7)}) to ${predecessor.name} first: no stage may be skipped.${unproven.length > 0 ? ` Found there, proving nothing: ${unproven.join('; ')}.` : ''}`,
    values: { predecessor: predecessor.name, sha: facts.sha, found: mine.map((d) => d.state), unproven },
  };
}
