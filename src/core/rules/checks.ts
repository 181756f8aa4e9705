import type { EvaluationContext, GateRule } from './rule.js';
import type { EnvironmentPolicy, ReleaseFacts, RuleResult } from '../types.js';

/** Check conclusions that count as passed. */
const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);

/** Every check run or commit status in `requiredChecks` concluded successfully. */
export const checksRule: GateRule = {
  name: 'checks',
  codes: ['CHECKS_OK', 'CHECKS_PENDING', 'CHECKS_FAILED'],
  keys: ['requiredChecks'],
  applies: (c) => c.stage.requiredChecks.length > 0,
  facts: () => ['checks'],
  evaluate: (c: EvaluationContext) => checks(c.stage, c.facts),
};

function checks(stage: EnvironmentPolicy, facts: ReleaseFacts): RuleResult {
  const failed: string[] = [];
  const pending: string[] = [];
  const passed: string[] = [];
  for (const name of stage.requiredChecks) {
    const runs = facts.checks.filter((c) => c.name === name);
    if (runs.length === 0) {
      pending.push(`${name} (not reported)`);
      continue;
    }
    // The last report of a check is its current state (a re-run replaces a failure).
    const c = runs[runs.length - 1]!;
    if (c.status !== 'completed') pending.push(`${name} (${c.status.replace('_', ' ')})`);
    else if (PASSING_CONCLUSIONS.has(c.conclusion ?? '')) passed.push(name);
    else failed.push(`${name} (${c.conclusion ?? 'no conclusion'})`);
  }
  const values = { required: stage.requiredChecks, passed, pending, failed };
  if (failed.length > 0) {
    return {
      code: 'CHECKS_FAILED',
      rule: 'checks',
      ok: false,
      outcome: 'block',
      message: `Required checks failed: ${failed.join(', ')}.`,
      values,
    };
  }
  if (pending.length > 0) {
    return {
      code: 'CHECKS_PENDING',
      rule: 'checks',
      ok: false,
      outcome: 'wait',
      message: `Waiting for required checks: ${pending.join(', ')}.`,
      values,
      clearsAt: null,
    };
  }
  return {
    code: 'CHECKS_OK',
    rule: 'checks',
    ok: true,
    outcome: 'pass',
    message: `Required checks passed: ${passed.join(', ')}.`,
    values,
  };
}
