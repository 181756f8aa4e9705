import type { EvaluationContext, GateRule } from './rule.js';
import type { EnvironmentPolicy, RuleResult } from '../types.js';
import { PEOPLE } from '../fact-kinds.js';
import type { ApprovalCount } from './rule.js';

/** Enough approvals that count (`minApprovals`), from the named teams when `approvals.fromTeams` is set. */
export const approvalsRule: GateRule = {
  name: 'approvals',
  codes: ['APPROVALS_OK', 'APPROVAL_REQUIRED'],
  keys: ['minApprovals', 'approvals.excludeAuthor', 'approvals.fromTeams'],
  applies: (c) => c.stage.minApprovals > 0 || c.stage.approvals.fromTeams.length > 0,
  facts: (c) => [...PEOPLE, ...(c.stage.approvals.fromTeams.length > 0 ? (['teams'] as const) : [])],
  evaluate: (c: EvaluationContext) => approvals(c.stage, c.approvals()),
};

function approvals(stage: EnvironmentPolicy, approvals: ApprovalCount): RuleResult {
  const have = approvals.counted.length;
  const need = Math.max(stage.minApprovals, stage.approvals.fromTeams.length > 0 ? 1 : 0);
  const values = {
    required: need,
    counted: have,
    approvers: approvals.counted.map((a) => a.login),
    notCounted: approvals.notCounted,
    fromTeams: stage.approvals.fromTeams,
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
