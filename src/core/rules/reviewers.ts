import type { EvaluationContext, GateRule } from './rule.js';
import { matchAnyGlob } from '../glob.js';
import type { ApprovalFact, EnvironmentPolicy, ReleaseFacts, RuleResult } from '../types.js';
import { PEOPLE } from '../fact-kinds.js';
import { membersOf } from './shared.js';

/** A change to files matching `requiredReviewers[].paths` needs an approval from one of its teams. */
export const reviewersRule: GateRule = {
  name: 'reviewers',
  codes: ['REVIEW_NOT_TRIGGERED', 'REVIEW_OK', 'REVIEW_REQUIRED'],
  keys: ['requiredReviewers', 'approvals.excludeAuthor'],
  applies: (c) => c.stage.requiredReviewers.length > 0,
  facts: () => [...PEOPLE, 'teams', 'changedFiles'],
  evaluate: (c: EvaluationContext) => requiredReviewers(c.stage, c.facts, c.approvals().counted),
};

function requiredReviewers(stage: EnvironmentPolicy, facts: ReleaseFacts, counted: ApprovalFact[]): RuleResult[] {
  return stage.requiredReviewers.map((req) => {
    const known = facts.changedFiles !== undefined;
    const touched = known ? facts.changedFiles!.filter((f) => matchAnyGlob(req.paths, f)) : [];
    const values = { paths: req.paths, teams: req.teams, changedFilesKnown: known, touched: touched.slice(0, 20) };
    if (known && touched.length === 0) {
      return {
        code: 'REVIEW_NOT_TRIGGERED',
        rule: 'approvals',
        ok: true,
        outcome: 'pass',
        message: `No changed file matches ${req.paths.join(', ')}: no review from ${req.teams.join(', ')} is needed.`,
        values,
      };
    }
    const members = membersOf(facts, req.teams)!;
    const reviewer = counted.find((a) => members.has(a.login.toLowerCase()));
    const why = known
      ? `${touched.length} changed file(s) match ${req.paths.join(', ')} (${touched.slice(0, 3).join(', ')}${touched.length > 3 ? ', ...' : ''})`
      : `the changed files are unknown, so ${req.paths.join(', ')} may be touched`;
    if (reviewer) {
      return {
        code: 'REVIEW_OK',
        rule: 'approvals',
        ok: true,
        outcome: 'pass',
        message: `${why}; reviewed by ${reviewer.login} (${req.teams.join(', ')}).`,
        values: { ...values, reviewer: reviewer.login },
      };
    }
    return {
      code: 'REVIEW_REQUIRED',
      rule: 'approvals',
      ok: false,
      outcome: 'wait',
      message: `${why}: an approval from a member of ${req.teams.join(', ')} is required.`,
      values,
      clearsAt: null,
    };
  });
}
