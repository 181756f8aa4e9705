import { policyInvalidDecision } from '../core/evaluate.js';
import type { Decision, Policy, ReleaseFacts } from '../core/types.js';
import { DEFAULT_EVALUATION_BUDGET, runWithinBudget } from './pool.js';
import type { EvaluationBudget } from './pool.js';

/**
 * One evaluation within the evaluation budget, for a shell that has no record of refused
 * policies (the CLI): the decision, or `POLICY_INVALID` naming the policy and what went
 * wrong (past the budget, out of heap, an error), as the App answers it. Fail closed.
 */
export async function evaluateWithinBudget(
  policyPath: string,
  policy: Policy,
  facts: ReleaseFacts,
  at: Date,
  budget: EvaluationBudget = DEFAULT_EVALUATION_BUDGET,
): Promise<Decision> {
  const outcome = await runWithinBudget({ kind: 'evaluate', policy, facts, at }, budget);
  if (outcome.ok) return outcome.value;
  return policyInvalidDecision(facts.environment, [
    `${policyPath}: ${outcome.problem}; it is refused until the policy changes`,
  ]);
}
