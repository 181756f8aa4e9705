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

export type {
  ApprovalCount,
  CommonValues,
  EvaluationContext,
  GateRule,
  ResultKind,
  ResultOf,
  ResultOfRule,
  ResultParts,
  RuleContext,
  TypedRuleResult,
  ValuesByCode,
} from './rule.js';
export { isResultOf } from './rule.js';
export { approvalsRule, type ApprovalsResult, type ApprovalsValues } from './approvals.js';
export { checksRule, type ChecksResult, type ChecksValues } from './checks.js';
export { evidenceRule, type EvidenceResult, type EvidenceValues } from './evidence.js';
export { freezeRule, type FreezeResult, type FreezeValues } from './freeze.js';
export { linkedIssueRule, type LinkedIssueResult, type LinkedIssueValues } from './linked-issue.js';
export { orderRule, type OrderResult, type OrderValues } from './order.js';
export { refsRule, type RefsResult, type RefsValues } from './refs.js';
export { reviewersRule, type ReviewersResult, type ReviewersValues, type ReviewValues } from './reviewers.js';
export { scoreRule, type ScoreResult, type ScoreValues } from './score.js';
export { soakRule, type SoakResult, type SoakValues } from './soak.js';

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
