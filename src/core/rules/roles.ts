import type { ApprovalFact, ReleaseFacts, RuleResult } from '../types.js';
import type { ApprovalCount } from './rule.js';
import { membersOf } from './shared.js';

/**
 * One role a stage's approvals fill, as the `approvals` rule (the release approval:
 * `minApprovals` from `approvals.fromTeams`) and the `reviewers` rule (one per
 * `requiredReviewers` entry: the technical review of its paths) carry it in their result's
 * `values.role`. It says who counted and who is still needed, so a reader (the check run, the
 * console and its queue) needs nothing else: a person may still fill the role when
 * `missing > 0`, they are in one of `teams` (anyone when `teams` is empty), not in `excluded`
 * and not already in `counted`. Plain JSON: the record keeps it with the decision.
 */
export interface RoleStatus {
  /** `release`: `minApprovals` (the go/no-go); `review`: one `requiredReviewers` entry. */
  kind: 'release' | 'review';
  /** The teams whose members fill the role; empty for a release approval anyone may give. */
  teams: string[];
  /** For a review: the entry's path patterns; empty for a release approval. */
  paths: string[];
  /** False for a review no changed file triggers: nobody is needed. */
  needed: boolean;
  /**
   * For a review: the changed files that match its paths (at most 20), or null when the
   * changed files are unknown (no earlier deployment to the last stage: every path rule
   * applies). Null for a release approval.
   */
  touched: string[] | null;
  /** How many changed files match (all of them, where `touched` shows at most 20); 0 when unknown or for a release approval. */
  touchedCount: number;
  /** How many distinct approvals the role needs (0 when not needed). */
  required: number;
  /** Who counted for the role (logins, sorted). */
  counted: string[];
  /** How many more approvals it needs: `required` less the counted ones, never below 0. */
  missing: number;
  /** Whose approval cannot count for the role whatever they do: the authors, contributors and deployer when `excludeAuthor` (sorted). */
  excluded: string[];
  /** Teams of the role whose membership could not be read, and why: the role cannot be filled until they can. */
  unreadable: Array<{ team: string; reason: string }>;
}

/**
 * The role a rule result carries (`values.role`), or null when it carries none or something
 * else. Reads results from the record as well as fresh ones: the shape is checked, not assumed.
 */
export function roleOf(result: Pick<RuleResult, 'values'>): RoleStatus | null {
  const role = result.values.role;
  return isRoleStatus(role) ? role : null;
}

/** Whether a value (read back from JSON) is a {@link RoleStatus}, every field of it. */
function isRoleStatus(o: unknown): o is RoleStatus {
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  return (
    typeof o === 'object' &&
    o !== null &&
    'kind' in o &&
    (o.kind === 'release' || o.kind === 'review') &&
    'teams' in o &&
    strings(o.teams) &&
    'paths' in o &&
    strings(o.paths) &&
    'needed' in o &&
    typeof o.needed === 'boolean' &&
    'touched' in o &&
    (o.touched === null || strings(o.touched)) &&
    'touchedCount' in o &&
    typeof o.touchedCount === 'number' &&
    'required' in o &&
    typeof o.required === 'number' &&
    'counted' in o &&
    strings(o.counted) &&
    'missing' in o &&
    typeof o.missing === 'number' &&
    'excluded' in o &&
    strings(o.excluded) &&
    'unreadable' in o &&
    Array.isArray(o.unreadable) &&
    o.unreadable.every(
      (u: unknown) =>
        typeof u === 'object' &&
        u !== null &&
        'team' in u &&
        typeof u.team === 'string' &&
        'reason' in u &&
        typeof u.reason === 'string',
    )
  );
}

/** The eligible approvals from members of `teams` (every eligible one when `teams` is empty), by login, sorted. */
export function approversIn(
  facts: ReleaseFacts,
  teams: readonly string[],
  eligible: readonly ApprovalFact[],
): string[] {
  const members = membersOf(facts, teams);
  return eligible
    .filter((a) => !members || members.has(a.login.toLowerCase()))
    .map((a) => a.login)
    .sort((a, b) => a.localeCompare(b));
}

/** The role's teams whose membership the shell could not read, with its reason. */
export function unreadableTeams(facts: ReleaseFacts, teams: readonly string[]): RoleStatus['unreadable'] {
  return teams
    .filter((t) => facts.teamErrors?.[t] !== undefined)
    .map((t) => ({ team: t, reason: facts.teamErrors![t]! }));
}

/** A role's status from its parts: `missing` follows from `required` and `counted`. */
export function roleStatus(
  parts: Omit<RoleStatus, 'missing' | 'excluded'>,
  approvals: Pick<ApprovalCount, 'excluded'>,
): RoleStatus {
  return {
    ...parts,
    missing: parts.needed ? Math.max(0, parts.required - parts.counted.length) : 0,
    excluded: approvals.excluded,
  };
}

/** `tech-reviewers`, `release-owners or owners`, or `any approver` for a role open to anyone. */
export function teamsPhrase(teams: readonly string[]): string {
  return teams.length === 0 ? 'any approver' : teams.join(' or ');
}

/** `(the author, contributors and deployer do not count: ci, dev)`-style note, or '' when nobody is set apart. */
export function excludedPhrase(role: Pick<RoleStatus, 'excluded'>): string {
  return role.excluded.length === 0 ? '' : `${role.excluded.join(', ')} (the author, contributors and deployer)`;
}

const MARK = { done: '✅', needed: '⏳', unreadable: '❌', idle: '➖' } as const;

/** A role in words, in parts a renderer lays out (Markdown, HTML): shared so the check run and the console say the same. */
export interface RoleDescription {
  mark: (typeof MARK)[keyof typeof MARK];
  /** `Release approval` or `Technical review`. */
  title: string;
  /** The review's path patterns; empty for a release approval. */
  paths: string[];
  /** Who fills it: `release-owners`, `any approver`. */
  by: string;
  /** Who counted, or who is still needed and why. */
  status: string;
}

/** A role in words: what it is, then who counted or who is still needed. */
export function describeRole(role: RoleStatus): RoleDescription {
  const base = {
    title: role.kind === 'release' ? 'Release approval' : 'Technical review',
    paths: role.paths,
    by: role.teams.length > 0 ? role.teams.join(', ') : 'any approver',
  };
  if (!role.needed) return { ...base, mark: MARK.idle, status: 'not needed, no changed file matches.' };
  if (role.missing === 0)
    return {
      ...base,
      mark: MARK.done,
      status: `${role.counted.length} of ${role.required}, counted ${role.counted.join(', ')}.`,
    };
  const why =
    role.kind === 'review'
      ? role.touched === null
        ? ': the changed files are unknown (no earlier deployment to the last stage), so every path rule applies'
        : `: ${filesPhrase(role.touched, role.touchedCount)} changed`
      : '';
  const counted = role.counted.length > 0 ? ` Counted so far: ${role.counted.join(', ')}.` : '';
  const excluded = role.excluded.length > 0 ? ` Cannot count: ${excludedPhrase(role)}.` : '';
  // The rule's message gives the reason and what to do; the line only names the teams.
  const unreadable =
    role.unreadable.length > 0
      ? ` Cannot tell who is in ${role.unreadable.map((u) => u.team).join(', ')}: the team could not be read.`
      : '';
  return {
    ...base,
    mark: role.unreadable.length > 0 ? MARK.unreadable : MARK.needed,
    status: `needs ${role.missing} of ${teamsPhrase(role.teams)}${why}.${counted}${excluded}${unreadable}`,
  };
}

/** `src/billing/invoice.ts`, `a.ts, b.ts, c.ts and 4 more`: the changed files a message names. */
export function filesPhrase(files: readonly string[], total = files.length): string {
  const shown = files.slice(0, 3);
  return total > shown.length ? `${shown.join(', ')} and ${total - shown.length} more` : shown.join(', ');
}
