import type { RuleResult } from './types.js';

/**
 * The rules that hold a release back: every result that did not pass. A rule an override
 * let through passed (`ok` is true), so it is not failing. The one definition of "failing"
 * for messages, comments, summaries, simulations and the console.
 */
export function failingRules<R extends Pick<RuleResult, 'ok'>>(rules: readonly R[]): R[] {
  return rules.filter((r) => !r.ok);
}
