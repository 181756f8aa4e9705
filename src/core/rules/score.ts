import type { EvaluationContext, GateRule, ResultOf } from './rule.js';
import type { ApprovalFact, EnvironmentPolicy, Policy, ReleaseFacts } from '../types.js';
import { PEOPLE } from '../fact-kinds.js';
import { membersOf } from './shared.js';

/** The codes of the scoreRule's results. */
export type ScoreCode =
  'EVIDENCE_MISSING' | 'SCORE_OK' | 'SCORE_WARNING_APPROVED' | 'SCORE_NEEDS_APPROVAL' | 'SCORE_TOO_LOW';

/** What every result of the score rule carries: the score and the stage's thresholds. */
type ScoreBase = { score: number; minScore: number; warnScore: number | null };

/** What each code of the score rule carries in `values`. */
export type ScoreValues = {
  /** No evidence, so no score. */
  EVIDENCE_MISSING: Omit<ScoreBase, 'score'> & { score: null };
  SCORE_OK: ScoreBase;
  /** Who of the override teams accepted a score in the warning band. */
  SCORE_WARNING_APPROVED: ScoreBase & { approvedBy: string };
  SCORE_NEEDS_APPROVAL: ScoreBase;
  SCORE_TOO_LOW: ScoreBase;
};

/** The results of the score rule. */
export type ScoreResult = ResultOf<ScoreCode, ScoreValues>;

/** The evidence score reaches `minScore`; within the warning band an override team's approval lets it through. */
export const scoreRule: GateRule<ScoreCode, ScoreValues> = {
  name: 'score',
  codes: ['EVIDENCE_MISSING', 'SCORE_OK', 'SCORE_WARNING_APPROVED', 'SCORE_NEEDS_APPROVAL', 'SCORE_TOO_LOW'],
  keys: ['minScore', 'scoring.warnScore', 'overrides.teams'],
  applies: (c) => c.stage.minScore !== null,
  // Within the warning band an override team's approval lets a low score through.
  facts: (c) => ['evidence', ...(c.policy.scoring.warnScore !== null ? [...PEOPLE, 'teams' as const] : [])],
  // The override team's acceptance is its own role: its members count whether or not they are in `fromTeams`.
  evaluate: (c: EvaluationContext) => score(c.policy, c.stage, c.facts, c.approvals().eligible),
};

function score(policy: Policy, stage: EnvironmentPolicy, facts: ReleaseFacts, counted: ApprovalFact[]): ScoreResult {
  const min = stage.minScore!;
  const score = facts.evidence.score;
  const warn = policy.scoring.warnScore;
  if (score === null) {
    return {
      code: 'EVIDENCE_MISSING',
      rule: 'score',
      ok: false,
      outcome: 'block',
      message: `No evidence was given, so there is no score; ${stage.name} requires a score of at least ${min}.`,
      values: { score, minScore: min, warnScore: warn },
    };
  }
  const values: ScoreBase = { score, minScore: min, warnScore: warn };
  if (score >= min) {
    return {
      code: 'SCORE_OK',
      rule: 'score',
      ok: true,
      outcome: 'pass',
      message: `Score ${score} >= minScore ${min}.`,
      values,
    };
  }
  if (warn !== null && score >= warn) {
    const members = membersOf(facts, policy.overrides.teams) ?? new Set<string>();
    const approver = counted.find((a) => members.has(a.login.toLowerCase()));
    if (approver) {
      return {
        code: 'SCORE_WARNING_APPROVED',
        rule: 'score',
        ok: true,
        outcome: 'pass',
        message: `Score ${score} is in the warning band (${warn} to ${min - 1}); accepted by ${approver.login} (${policy.overrides.teams.join(', ')}).`,
        values: { ...values, approvedBy: approver.login },
      };
    }
    return {
      code: 'SCORE_NEEDS_APPROVAL',
      rule: 'score',
      ok: false,
      outcome: 'wait',
      message: `Score ${score} < minScore ${min} but within the warning band (>= ${warn}): an approval from a member of ${policy.overrides.teams.join(', ') || 'the override teams'} is required.`,
      values,
      clearsAt: null,
    };
  }
  return {
    code: 'SCORE_TOO_LOW',
    rule: 'score',
    ok: false,
    outcome: 'block',
    message: `Score ${score} < minScore ${min} required for ${stage.name}.`,
    values,
  };
}
