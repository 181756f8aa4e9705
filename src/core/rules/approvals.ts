import type { EvaluationContext, GateRule, ResultOf } from './rule.js';
import type { EnvironmentPolicy, ReleaseFacts } from '../types.js';
import { PEOPLE } from '../fact-kinds.js';
import type { ApprovalCount } from './rule.js';
import { roleStatus, unreadableTeams, type RoleStatus } from './roles.js';

export type ApprovalsCode = 'APPROVALS_OK' | 'APPROVAL_REQUIRED' | 'TEAMS_UNREADABLE';

/** What every result of the approvals rule carries in `values`. */
export type ApprovalsValues = {
  /** Approvals required (`minApprovals`, at least 1 when `approvals.fromTeams` names teams). */
  required: number;
  /** Approvals that count. */
  counted: number;
  /** Who gave them. */
  approvers: string[];
  /** The reviews that do not count, and why. */
  notCounted: ApprovalCount['notCounted'];
  fromTeams: string[];
  role: RoleStatus;
};

/** The results of the approvals rule: every code carries {@link ApprovalsValues}. */
export type ApprovalsResult = ResultOf<ApprovalsCode, Record<ApprovalsCode, ApprovalsValues>>;

/**
 * The release approval (the go/no-go): enough approvals that count (`minApprovals`), from the
 * named teams when `approvals.fromTeams` is set. It does not limit who gives a required
 * review (`reviewers.ts`): each role counts the approvals of its own teams.
 */
export const approvalsRule: GateRule<ApprovalsCode, Record<ApprovalsCode, ApprovalsValues>> = {
  name: 'approvals',
  codes: ['APPROVALS_OK', 'APPROVAL_REQUIRED', 'TEAMS_UNREADABLE'],
  keys: ['minApprovals', 'approvals.excludeAuthor', 'approvals.fromTeams'],
  // A required review reports as `approvals` too, and also gives TEAMS_UNREADABLE: only the release approval names its approvers.
  owns: (r) => r.code !== 'TEAMS_UNREADABLE' || Array.isArray(r.values.approvers),
  applies: (c) => c.stage.minApprovals > 0 || c.stage.approvals.fromTeams.length > 0,
  facts: (c) => [...PEOPLE, ...(c.stage.approvals.fromTeams.length > 0 ? (['teams'] as const) : [])],
  evaluate: (c: EvaluationContext) => approvals(c.stage, c.facts, c.approvals()),
};

function approvals(stage: EnvironmentPolicy, facts: ReleaseFacts, approvals: ApprovalCount): ApprovalsResult {
  const have = approvals.counted.length;
  const need = Math.max(stage.minApprovals, stage.approvals.fromTeams.length > 0 ? 1 : 0);
  const approvers = approvals.counted.map((a) => a.login);
  const unreadable = unreadableTeams(facts, stage.approvals.fromTeams);
  const role = roleStatus(
    {
      kind: 'release',
      teams: stage.approvals.fromTeams,
      paths: [],
      needed: true,
      touched: null,
      touchedCount: 0,
      required: need,
      counted: [...approvers].sort((a, b) => a.localeCompare(b)),
      unreadable,
    },
    approvals,
  );
  const values: ApprovalsValues = {
    required: need,
    counted: have,
    approvers,
    notCounted: approvals.notCounted,
    fromTeams: stage.approvals.fromTeams,
    role,
  };
  if (have >= need) {
    return {
      code: 'APPROVALS_OK',
      rule: 'approvals',
      ok: true,
      outcome: 'pass',
      message: `${have} of ${need} required approval(s): ${values.approvers.join(', ')}.`,
      values,
    };
  }
  if (unreadable.length > 0) {
    // Fail closed, and say why: an approval whose team cannot be read is neither counted nor waited on in silence.
    return {
      code: 'TEAMS_UNREADABLE',
      rule: 'approvals',
      ok: false,
      outcome: 'block',
      message: `Cannot tell who is in ${unreadable.map((u) => u.team).join(', ')}, so no approval counts toward the ${need} required for ${stage.name}: ${unreadable.map((u) => u.reason).join(' ')}`,
      values,
    };
  }
  const teams = stage.approvals.fromTeams.length > 0 ? ` from ${stage.approvals.fromTeams.join(', ')}` : '';
  return {
    code: 'APPROVAL_REQUIRED',
    rule: 'approvals',
    ok: false,
    outcome: 'wait',
    message: `Release requires ${need} approval(s)${teams} for ${stage.name}. Current: ${have}.`,
    values,
    clearsAt: null,
  };
}
