import type { EvaluationContext, GateRule } from './rule.js';
import type { EnvironmentPolicy, ReleaseFacts, RuleResult } from '../types.js';
import { inStage, sameRelease } from './shared.js';

/** The release has run in the stage before for `soak.minutes` since its first success there. */
export const soakRule: GateRule = {
  name: 'soak',
  codes: ['SOAK_OK', 'SOAK_INCOMPLETE'],
  keys: ['soak.minutes'],
  applies: (c) => c.predecessor !== null && c.stage.soakMinutes > 0,
  facts: () => ['deployments'],
  evaluate: (c: EvaluationContext) => soak(c.stage, c.predecessor!, c.facts, c.now),
};

function soak(stage: EnvironmentPolicy, predecessor: EnvironmentPolicy, facts: ReleaseFacts, now: Date): RuleResult {
  const successes = facts.deployments
    .filter((d) => d.state === 'success' && inStage(predecessor, d.environment) && sameRelease(facts, d))
    .map((d) => Date.parse(d.at))
    .filter((t) => Number.isFinite(t));
  const minutes = stage.soakMinutes;
  if (successes.length === 0) {
    return {
      code: 'SOAK_INCOMPLETE',
      rule: 'soak',
      ok: false,
      outcome: 'block',
      message: `The release has not run in ${predecessor.name} yet; it must run there for ${minutes} minute(s) first.`,
      values: { predecessor: predecessor.name, minutes, since: null },
    };
  }
  // The soak clock starts at the first successful deployment of the release there.
  const since = Math.min(...successes);
  const ends = since + minutes * 60_000;
  const values = {
    predecessor: predecessor.name,
    minutes,
    since: new Date(since).toISOString(),
    ends: new Date(ends).toISOString(),
  };
  if (now.getTime() >= ends) {
    return {
      code: 'SOAK_OK',
      rule: 'soak',
      ok: true,
      outcome: 'pass',
      message: `The release has run in ${predecessor.name} since ${values.since} (at least ${minutes} minute(s)).`,
      values,
    };
  }
  const left = Math.ceil((ends - now.getTime()) / 60_000);
  return {
    code: 'SOAK_INCOMPLETE',
    rule: 'soak',
    ok: false,
    outcome: 'wait',
    message: `The release must run in ${predecessor.name} for ${minutes} minute(s); ${left} minute(s) left, until ${values.ends}.`,
    values,
    clearsAt: values.ends,
  };
}
