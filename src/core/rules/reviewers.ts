import type { EvaluationContext, GateRule, ResultOf } from './rule.js';
import type { ApprovalCount } from './rule.js';
import { matchAnyGlob } from '../glob.js';
import type { EnvironmentPolicy, Policy, ReleaseFacts, RequiredReviewers } from '../types.js';
import { PEOPLE } from '../fact-kinds.js';
import { approversIn, filesPhrase, roleStatus, teamsPhrase, unreadableTeams, type RoleStatus } from './roles.js';

/** The codes of the reviewersRule's results. */
export type ReviewersCode = 'REVIEW_NOT_TRIGGERED' | 'REVIEW_OK' | 'REVIEW_REQUIRED' | 'TEAMS_UNREADABLE';

/** What every result of a required review carries: its entry, the changed files it matched, and its role. */
export type ReviewValues = {
  paths: string[];
  teams: string[];
  changedFilesKnown: boolean;
  /** The changed files matching `paths` (at most 20; `role.touchedCount` says how many). */
  touched: string[];
  role: RoleStatus;
};

/** What each code of the reviewers rule carries in `values`: a review that passed names its first reviewer. */
export type ReviewersValues = Record<Exclude<ReviewersCode, 'REVIEW_OK'>, ReviewValues> & {
  REVIEW_OK: ReviewValues & { reviewer: string };
};

/** The results of the reviewers rule. */
export type ReviewersResult = ResultOf<ReviewersCode, ReviewersValues>;

/**
 * The technical review: a change to files matching `requiredReviewers[].paths` needs an
 * approval from a member of that entry's teams, whether or not they are in
 * `approvals.fromTeams` (the release approval is another role, `approvals.ts`). The approval
 * counts under the same rules as any other (`countApprovals`). When the changed files are
 * unknown (no earlier deployment to the last stage), every entry applies.
 */
export const reviewersRule: GateRule<ReviewersCode, ReviewersValues> = {
  name: 'reviewers',
  reportsAs: 'approvals',
  codes: ['REVIEW_NOT_TRIGGERED', 'REVIEW_OK', 'REVIEW_REQUIRED', 'TEAMS_UNREADABLE'],
  keys: ['requiredReviewers', 'approvals.excludeAuthor'],
  // Reports as `approvals` and shares TEAMS_UNREADABLE with the release approval: only a review names its paths.
  owns: (r) => r.code !== 'TEAMS_UNREADABLE' || Array.isArray(r.values.paths),
  applies: (c) => c.stage.requiredReviewers.length > 0,
  facts: () => [...PEOPLE, 'teams', 'changedFiles'],
  evaluate: (c: EvaluationContext) =>
    c.stage.requiredReviewers.map((req) => review(c.policy, c.stage, c.facts, c.approvals(), req)),
};

/** Matched files a result keeps in its values (the count says how many there are). */
const TOUCHED_SHOWN = 20;

function review(
  policy: Pick<Policy, 'environments'>,
  stage: EnvironmentPolicy,
  facts: ReleaseFacts,
  approvals: ApprovalCount,
  req: RequiredReviewers,
): ReviewersResult {
  const known = facts.changedFiles !== undefined;
  const touched = known ? facts.changedFiles!.filter((f) => matchAnyGlob(req.paths, f)) : [];
  const needed = !known || touched.length > 0;
  const counted = needed ? approversIn(facts, req.teams, approvals.eligible) : [];
  const unreadable = needed ? unreadableTeams(facts, req.teams) : [];
  const role = roleStatus(
    {
      kind: 'review',
      teams: req.teams,
      paths: req.paths,
      needed,
      touched: known ? touched.slice(0, TOUCHED_SHOWN) : null,
      touchedCount: touched.length,
      required: needed ? 1 : 0,
      counted,
      unreadable,
    },
    approvals,
  );
  const values: ReviewValues = {
    paths: req.paths,
    teams: req.teams,
    changedFilesKnown: known,
    touched: touched.slice(0, TOUCHED_SHOWN),
    role,
  };
  if (!needed) {
    return {
      code: 'REVIEW_NOT_TRIGGERED',
      rule: 'approvals',
      ok: true,
      outcome: 'pass',
      message: `No changed file matches ${req.paths.join(', ')}: no review from ${req.teams.join(', ')} is needed.`,
      values,
    };
  }
  const lastStage = policy.environments[policy.environments.length - 1]!.name;
  if (counted.length > 0) {
    const why = known
      ? `${filesPhrase(touched)} changed`
      : `no earlier deployment to ${lastStage} is known, so every path rule applies`;
    return {
      code: 'REVIEW_OK',
      rule: 'approvals',
      ok: true,
      outcome: 'pass',
      message: `Reviewed by ${counted.join(', ')} (${req.teams.join(', ')}): ${why}.`,
      values: { ...values, reviewer: counted[0]! },
    };
  }
  if (unreadable.length > 0) {
    // Fail closed, and say why: a review whose team cannot be read is neither counted nor waited on in silence.
    const of = known ? filesPhrase(touched) : req.paths.join(', ');
    return {
      code: 'TEAMS_UNREADABLE',
      rule: 'approvals',
      ok: false,
      outcome: 'block',
      message: `Cannot tell who is in ${unreadable.map((u) => u.team).join(', ')}, so no approval counts as its review of ${of}: ${unreadable.map((u) => u.reason).join(' ')}`,
      values,
    };
  }
  const needs = `Needs 1 of ${teamsPhrase(req.teams)}`;
  const excluded =
    role.excluded.length > 0
      ? ` (not by ${orList(role.excluded)}: the author, contributors and deployer do not count)`
      : '';
  return {
    code: 'REVIEW_REQUIRED',
    rule: 'approvals',
    ok: false,
    outcome: 'wait',
    message: known
      ? `${needs}: ${filesPhrase(touched)} changed.`
      : `${needs}: no earlier deployment to ${lastStage} is known, so the files changed since are unknown and every path rule applies (${req.paths.join(', ')}). An approval of the pull request or the deployment by a member of ${teamsPhrase(req.teams)} clears it${excluded}.`,
    values,
    clearsAt: null,
  };
}

/** `a`, `a or b`, `a, b or c`. */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)!}`;
}
