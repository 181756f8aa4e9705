import type { EvaluationContext, GateRule, ResultOf } from './rule.js';
import { matchAnyGlob } from '../glob.js';
import type { EnvironmentPolicy, ReleaseFacts } from '../types.js';

/** The codes of the refsRule's results. */
export type RefsCode = 'REF_OK' | 'REF_NOT_ALLOWED';

/** What each code of the refs rule carries: the release's ref (null when unknown) and the stage's patterns. */
export type RefsValues = {
  REF_OK: { ref: string; patterns: string[] };
  REF_NOT_ALLOWED: { ref: string | null; patterns: string[] };
};

/** The results of the refs rule. */
export type RefsResult = ResultOf<RefsCode, RefsValues>;

/** The release's ref matches one of the stage's `refs` patterns. */
export const refsRule: GateRule<RefsCode, RefsValues> = {
  name: 'refs',
  codes: ['REF_OK', 'REF_NOT_ALLOWED'],
  keys: ['refs'],
  applies: (c) => c.stage.refs.length > 0,
  facts: () => ['ref'],
  evaluate: (c: EvaluationContext) => refs(c.stage, c.facts),
};

/**
 * A full ref (`refs/tags/v1.2.0`) is matched as it is. A short name (`v1.2.0`) could be a
 * branch or a tag: the shells resolve it on GitHub first; one left short was not resolved
 * (unknown, ambiguous, or a tag of another commit) and matches only a pattern written for
 * the bare name, never `refs/tags/*` or `refs/heads/*`.
 */
function refs(stage: EnvironmentPolicy, facts: ReleaseFacts): RefsResult {
  const ref = facts.ref;
  const matched = ref && matchAnyGlob(stage.refs, ref) ? ref : undefined;
  if (matched) {
    return {
      code: 'REF_OK',
      rule: 'refs',
      ok: true,
      outcome: 'pass',
      message: `Ref ${matched} matches ${stage.refs.join(', ')}.`,
      values: { ref: matched, patterns: stage.refs },
    };
  }
  return {
    code: 'REF_NOT_ALLOWED',
    rule: 'refs',
    ok: false,
    outcome: 'block',
    message: ref
      ? ref.startsWith('refs/')
        ? `Ref ${ref} may not be deployed to ${stage.name}: it must match ${stage.refs.join(', ')}.`
        : `Ref ${ref} may not be deployed to ${stage.name}: it must match ${stage.refs.join(', ')}, and a short name is matched only once it is resolved to a branch or to a tag of this commit (unknown, ambiguous, or a tag of another commit here). Give the full ref (refs/tags/${ref} or refs/heads/${ref}).`
      : `The release's ref is unknown, and ${stage.name} only takes refs matching ${stage.refs.join(', ')}.`,
    values: { ref: ref ?? null, patterns: stage.refs },
  };
}
