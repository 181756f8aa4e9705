import type { EvaluationContext, GateRule, ResultOf } from './rule.js';
import type { EnvironmentPolicy, ReleaseFacts } from '../types.js';
import { stageProofs } from '../stage-proof.js';

/** The codes of the soakRule's results. */
export type SoakCode = 'SOAK_OK' | 'SOAK_INCOMPLETE';

/** The soak clock of a release proven in the stage before: since its first proof there, until it has soaked. */
type SoakClock = { predecessor: string; minutes: number; since: string; ends: string };

/** What each code of the soak rule carries in `values`: `since` is null while the release is not proven in the stage before. */
export type SoakValues = {
  SOAK_OK: SoakClock;
  SOAK_INCOMPLETE: SoakClock | { predecessor: string; minutes: number; since: null };
};

/** The results of the soak rule. */
export type SoakResult = ResultOf<SoakCode, SoakValues>;

/** The release has run in the stage before for `soak.minutes` since it was first proven there. */
export const soakRule: GateRule<SoakCode, SoakValues> = {
  name: 'soak',
  codes: ['SOAK_OK', 'SOAK_INCOMPLETE'],
  keys: ['soak.minutes'],
  applies: (c) => c.predecessor !== null && c.stage.soakMinutes > 0,
  facts: () => ['deployments'],
  evaluate: (c: EvaluationContext) => soak(c.stage, c.predecessor!, c.facts, c.now),
};

function soak(stage: EnvironmentPolicy, predecessor: EnvironmentPolicy, facts: ReleaseFacts, now: Date): SoakResult {
  // Only a proof starts the clock: a success the gate did not let through is no time in the stage.
  const successes = stageProofs(facts, predecessor).map((p) => Date.parse(p.since));
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
  // The soak clock starts at the release's first proof there.
  const since = Math.min(...successes);
  const ends = since + minutes * 60_000;
  const values: SoakClock = {
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
