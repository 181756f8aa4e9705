import { DEFAULT_EVALUATION_BUDGET, runWithinBudget } from '../budget/pool.js';
import type { EvaluationBudget } from '../budget/pool.js';
import { policyInvalidDecision } from '../core/evaluate.js';
import type { Decision, Policy, ReleaseFacts } from '../core/types.js';
import type { Logger } from 'probot';
import type { PoisonedPolicyStore } from '../store/poisoned-policies.js';

export { EVALUATION_BUDGET_MS, EVALUATION_HEAP_BUDGET_BYTES } from '../budget/pool.js';
export type { EvaluationBudget } from '../budget/pool.js';
/**
 * Evaluations of one policy for one gate started and never finished (the process died
 * while evaluating: out of memory, killed) before the policy is refused without trying
 * again, so a restarted App does not die on it in a loop.
 */
export const UNFINISHED_EVALUATIONS_LIMIT = 2;

export interface EvaluationSubject {
  repo: string;
  sha: string;
  environment: string;
  policyPath: string;
  blobSha: string | null;
}

function refuse(subject: EvaluationSubject, problem: string): Decision {
  return policyInvalidDecision(subject.environment, [
    `${subject.policyPath}${subject.blobSha ? ` (blob ${subject.blobSha.slice(0, 12)})` : ''}: ${problem}; it is refused until the policy changes`,
  ]);
}

function attemptSubject(subject: EvaluationSubject): string {
  return `${subject.repo}@${subject.sha}/${subject.environment}`;
}

/** The evaluation attempt an evaluation of `subject` started (null for a policy without a blob). */
export function evaluationAttempt(subject: EvaluationSubject): { blobSha: string; subject: string } | null {
  return subject.blobSha ? { blobSha: subject.blobSha, subject: attemptSubject(subject) } : null;
}

/**
 * The decision for a policy whose content was refused before (its evaluation threw, ran
 * past its budget or never finished): `block` with the recorded reason, at once, without
 * loading facts. Null when the policy is not refused.
 */
export async function refusedPolicyDecision(
  deps: { store: PoisonedPolicyStore },
  subject: EvaluationSubject,
): Promise<Decision | null> {
  if (!subject.blobSha) return null;
  const poisoned = await deps.store.getPoisonedPolicy(subject.blobSha);
  return poisoned ? refuse(subject, poisoned.reason) : null;
}

/**
 * Runs one evaluation in a worker thread of the evaluation pool (`src/budget/pool.ts`),
 * within a time and heap budget, off the event loop. An evaluation that throws, runs past
 * the budget, or was started {@link UNFINISHED_EVALUATIONS_LIMIT} times before without
 * finishing is answered `block` with a reason that names the policy problem, and the
 * policy content is recorded as refused, so the next requests are refused at once.
 */
export async function evaluateWithinBudget(
  deps: { store: PoisonedPolicyStore; clock: () => Date; log: Logger },
  subject: EvaluationSubject,
  input: { policy: Policy; facts: ReleaseFacts; at: Date },
  budget: EvaluationBudget = DEFAULT_EVALUATION_BUDGET,
  options: {
    /**
     * The caller records the attempt finished with its decision's write (`evaluationAttempt`),
     * so a decision costs the record one write fewer.
     */
    finishWithDecision?: boolean;
  } = {},
): Promise<Decision> {
  const { store } = deps;
  const key = attemptSubject(subject);
  const blob = subject.blobSha;
  const poison = async (problem: string): Promise<Decision> => {
    deps.log.error(
      { repo: subject.repo, policy: subject.policyPath, blobSha: blob, problem },
      'The policy is refused: its evaluation failed',
    );
    if (blob)
      await store.poisonPolicy({ blobSha: blob, repo: subject.repo, reason: problem.slice(0, 1000), at: deps.clock() });
    return refuse(subject, problem);
  };
  if (blob) {
    const started = await store.startEvaluationAttempt(blob, key, deps.clock());
    if (started > UNFINISHED_EVALUATIONS_LIMIT) {
      await store.finishEvaluationAttempt(blob, key);
      return poison(
        `its evaluation never finished: the App stopped ${started - 1} times while evaluating it (out of memory or killed)`,
      );
    }
  }
  const outcome = await runWithinBudget({ kind: 'evaluate', ...input }, budget);
  if (blob && !(outcome.ok && options.finishWithDecision)) await store.finishEvaluationAttempt(blob, key);
  return outcome.ok ? outcome.value : poison(outcome.problem);
}
