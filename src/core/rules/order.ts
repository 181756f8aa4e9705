import type { EvaluationContext, GateRule } from './rule.js';
import type { EnvironmentPolicy, ReleaseFacts, RuleResult } from '../types.js';
import { inStage, sameRelease } from './shared.js';

/** No stage is skipped: a release enters a stage only after it succeeded in the stage before. */
export const orderRule: GateRule = {
  name: 'order',
  codes: ['FIRST_STAGE', 'ORDER_OK', 'PROMOTION_ORDER'],
  keys: ['environments'],
  applies: () => true,
  facts: (c) => (c.predecessor ? ['deployments'] : []),
  evaluate: (c: EvaluationContext) => order(c.stage, c.predecessor, c.facts),
};

function order(stage: EnvironmentPolicy, predecessor: EnvironmentPolicy | null, facts: ReleaseFacts): RuleResult {
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
  const mine = facts.deployments.filter((d) => inStage(predecessor, d.environment) && sameRelease(facts, d));
  const success = mine.find((d) => d.state === 'success');
  if (success) {
    return {
      code: 'ORDER_OK',
      rule: 'order',
      ok: true,
      outcome: 'pass',
      message: `The release was deployed successfully to ${predecessor.name} (${success.sha.slice(0, 7)} at ${success.at}).`,
      values: { predecessor: predecessor.name, sha: success.sha, at: success.at, sameTree: success.sha !== facts.sha },
    };
  }
  const running = mine.find((d) => d.state === 'in_progress' || d.state === 'queued' || d.state === 'pending');
  if (running) {
    return {
      code: 'PROMOTION_ORDER',
      rule: 'order',
      ok: false,
      outcome: 'wait',
      message: `${stage.name} needs a successful deployment of this release to ${predecessor.name} first; the one there is ${running.state.replace('_', ' ')}.`,
      values: { predecessor: predecessor.name, state: running.state },
      clearsAt: null,
    };
  }
  return {
    code: 'PROMOTION_ORDER',
    rule: 'order',
    ok: false,
    outcome: 'block',
    message: `${stage.name} needs a successful deployment of this release (${facts.sha.slice(0, 7)}) to ${predecessor.name} first: no stage may be skipped.`,
    values: { predecessor: predecessor.name, sha: facts.sha, found: mine.map((d) => d.state) },
  };
}
