import { approvalsRule } from './approvals.js';
import { checksRule } from './checks.js';
import { evidenceRule } from './evidence.js';
import { freezeRule } from './freeze.js';
import { linkedIssueRule } from './linked-issue.js';
import { orderRule } from './order.js';
import { refsRule } from './refs.js';
import { reviewersRule } from './reviewers.js';
import type { GateRule } from './rule.js';
import { scoreRule } from './score.js';
import { soakRule } from './soak.js';

export type { ApprovalCount, EvaluationContext, GateRule, RuleContext, TypedRuleResult } from './rule.js';
export { isResultOf } from './rule.js';
export { approvalsRule, type ApprovalsValues } from './approvals.js';

/**
 * Every rule of the gate, in the order `evaluate` applies them and lists their results. The
 * one list of rules: the facts a stage needs and the results of a decision both come from it.
 */
export const RULES: readonly GateRule[] = [
  orderRule,
  refsRule,
  approvalsRule,
  reviewersRule,
  scoreRule,
  evidenceRule,
  soakRule,
  freezeRule,
  checksRule,
  linkedIssueRule,
];
