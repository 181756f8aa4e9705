import type { ResultKind, ResultOf } from './rules/rule.js';
import type { Decision, DecisionKind, RuleResult } from './types.js';

/** The codes of the results the evaluation gives itself for an environment the policy does not name. */
export type EnvironmentCode = 'ENVIRONMENT_LOOKALIKE' | 'ENVIRONMENT_NOT_IN_POLICY' | 'UNGATED_ENVIRONMENT';

/** What each code of an unnamed environment's result carries in `values`. */
export type EnvironmentValues = {
  /** A name that looks like a stage's without being it: which one, and its code points (`U+0070 U+0072 ...`). */
  ENVIRONMENT_LOOKALIKE: { environment: string; resembles: string; stage: string; codePoints: string };
  ENVIRONMENT_NOT_IN_POLICY: { environment: string; stages: string[]; strict: true };
  UNGATED_ENVIRONMENT: { environment: string; stages: string[]; strict: false };
};

/** The results for an environment the policy does not name: blocked when it looks like a stage or the policy is strict, else ungated. */
export const environmentResults: ResultKind<EnvironmentCode, EnvironmentValues> = {
  name: 'environment',
  codes: ['ENVIRONMENT_LOOKALIKE', 'ENVIRONMENT_NOT_IN_POLICY', 'UNGATED_ENVIRONMENT'],
};

/** The results of an environment the policy does not name. */
export type EnvironmentResult = ResultOf<EnvironmentCode, EnvironmentValues>;

/** The result of a policy the gate could not load: its problems. */
export const policyResults: ResultKind<'POLICY_INVALID', { POLICY_INVALID: { problems: string[] } }> = {
  name: 'policy',
  codes: ['POLICY_INVALID'],
};

/** The result of a rollback the gate lets through (src/core/rollback.ts): the deployment it rolls back. */
export const rollbackResults: ResultKind<
  'ROLLBACK_OF_VERIFIED_RELEASE',
  { ROLLBACK_OF_VERIFIED_RELEASE: { rollbackOf: number } }
> = {
  name: 'rollback',
  codes: ['ROLLBACK_OF_VERIFIED_RELEASE'],
};

/** The result of a rollback the gate lets through. */
export type RollbackRuleResult = ResultOf<
  'ROLLBACK_OF_VERIFIED_RELEASE',
  { ROLLBACK_OF_VERIFIED_RELEASE: { rollbackOf: number } }
>;

/** The result of a policy the gate could not load. */
export type PolicyResult = ResultOf<'POLICY_INVALID', { POLICY_INVALID: { problems: string[] } }>;

/** A decision the evaluation gives from one result of its own (an invalid policy, a rollback): no score, nothing to wait for. */
export function decisionOfOne(decision: DecisionKind, environment: string, rule: RuleResult): Decision {
  return {
    decision,
    environment,
    ungated: false,
    rules: [rule],
    score: null,
    breakdown: {},
    clearsAt: null,
    recheckAt: null,
    overridesUsed: [],
  };
}
