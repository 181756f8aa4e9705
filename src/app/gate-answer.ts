import type { Logger } from 'probot';
import { failingRules } from '../core/rule-results.js';
import { gateComment } from '../core/render-gate-summary.js';
import type { Decision } from '../core/types.js';
import { callBackProtectionRule, STATUS_REPORTS_PER_DEPLOYMENT } from '../github/protection-rule-callback.js';
import { describeError, repoRefOf } from '../github/types.js';
import type { GitHubClient } from '../github/types.js';
import type { PendingGateRow } from '../store/types.js';
import { recordRuleAnswer } from './deployment-proof.js';
import { GATE_DEADLINE_MS, WAIT_POLL_MS } from './gate-deps.js';
import type { AnswerRecord, GateDeps, GateRequest, GateResult } from './gate-deps.js';

/** What answering needs of the App. */
export type AnswerDeps = Pick<GateDeps, 'clock' | 'audit'> & { store: AnswerRecord };

/**
 * The protection rule's answer: a verdict stored, then sent; or, while it waits, the next
 * look scheduled and a status report (when what the reader sees changed).
 */
export async function answerGate(
  deps: AnswerDeps,
  octokit: GitHubClient,
  req: GateRequest,
  gate: PendingGateRow,
  decision: Decision,
  changed: boolean,
  now: Date,
  log: Logger,
): Promise<{ answer: GateResult['answer']; gate: PendingGateRow | null }> {
  const { store } = deps;
  const comment = gateComment(decision);
  let verdict: 'approved' | 'rejected' | null =
    decision.decision === 'allow' ? 'approved' : decision.decision === 'block' ? 'rejected' : null;
  let verdictComment = comment;
  if (!verdict) {
    const deadline = gate.createdAt.getTime() + GATE_DEADLINE_MS;
    if (now.getTime() >= deadline) {
      verdict = 'rejected';
      verdictComment = deadlineComment(
        decision.environment,
        `Still waiting on: ${failingRules(decision.rules)
          .map((r) => `${r.code}: ${r.message}`)
          .join(' ')}`,
      );
    } else {
      const recheck = decision.recheckAt ? Date.parse(decision.recheckAt) : Number.POSITIVE_INFINITY;
      const next = Math.min(recheck, deadline, now.getTime() + WAIT_POLL_MS);
      await store.gateQueue.setNextCheck(gate.id, new Date(next));
      if (changed && gate.reportsPosted < STATUS_REPORTS_PER_DEPLOYMENT) {
        const count = await store.incrementGateReports(gate.id);
        if (count <= STATUS_REPORTS_PER_DEPLOYMENT) {
          const report = await deps.audit.callback(req.installationId, () =>
            callBackProtectionRule(
              octokit,
              { owner: req.owner, repo: req.repo, runId: gate.runId, environment: gate.environment },
              { comment },
            ),
          );
          if (!report.ok) {
            log.warn({ status: report.status, err: report.error }, 'Status report refused');
            if (report.nothingPending)
              await store.expireGate(gate.id, deps.clock(), `GitHub no longer waits on this rule: ${report.error}`);
          }
        }
      }
      return { answer: null, gate };
    }
  }
  const stored = await store.decideGate(gate.id, { decision: verdict, comment: verdictComment, at: now });
  const decided = await store.getGate(gate.id);
  const answer = await answerStoredDecision(
    deps,
    octokit,
    decided ?? { ...gate, decision: stored.decision, decisionComment: stored.comment },
    log,
  );
  return { answer, gate: decided };
}

/** The rejection of a request GitHub would fail at 30 days, answered at 29 with what kept it waiting. */
function deadlineComment(environment: string, detail: string): string {
  return `Release gate: rejected for ${environment} because the request waited 29 days and GitHub fails it at 30. ${detail}`;
}

/** Rejects a gate that reached the 29-day deadline without a decision, saying what kept failing. */
export async function answerAtDeadline(
  deps: AnswerDeps,
  octokit: GitHubClient,
  gate: PendingGateRow,
  error: unknown,
  log: Logger,
): Promise<'approved' | 'rejected' | null> {
  const at = deps.clock();
  const comment = deadlineComment(gate.environment, `The gate could not be evaluated: ${describeError(error)}`).slice(
    0,
    1000,
  );
  await deps.store.decideGate(gate.id, { decision: 'rejected', comment, at });
  await deps.store.recordEvent({
    repo: gate.repo,
    sha: gate.sha,
    environment: gate.environment,
    type: 'REJECTED',
    status: 'block',
    actor: null,
    at,
    notes: comment,
    deliveryId: null,
  });
  const decided = await deps.store.getGate(gate.id);
  return decided ? answerStoredDecision(deps, octokit, decided, log) : null;
}

/**
 * Calls GitHub back with the decision stored for a gate (never a different one). A 422
 * (nothing pending any more) expires the gate; other failures keep it `decided` so the
 * scheduler tries again.
 */
export async function answerStoredDecision(
  deps: Pick<GateDeps, 'clock' | 'audit'> & {
    store: Pick<
      AnswerRecord,
      'approveDeployment' | 'revokeDeploymentApproval' | 'listEvaluations' | 'markGateAnswered' | 'expireGate'
    >;
  },
  octokit: GitHubClient,
  gate: PendingGateRow,
  log: Logger,
): Promise<'approved' | 'rejected' | null> {
  if (!gate.decision) return null;
  const decision = gate.decision;
  // The gate's word on the deployment, before GitHub hears it: `approved` is the approval a
  // proof of the stage needs; a rejection takes any away (every answer passes here: a
  // decision, the 29-day deadline, a poisoned policy, a retry).
  await recordRuleAnswer(deps.store, gate, deps.clock());
  const result = await deps.audit.callback(gate.installationId, () =>
    callBackProtectionRule(
      octokit,
      { ...repoRefOf(gate.repo), runId: gate.runId, environment: gate.environment },
      { state: decision, comment: gate.decisionComment ?? `Release gate: ${decision}.` },
    ),
  );
  const at = deps.clock();
  if (result.ok) {
    await deps.store.markGateAnswered(gate.id, at);
    return gate.decision;
  }
  if (result.nothingPending) {
    log.warn(
      { gateId: gate.id, err: result.error },
      'GitHub no longer waits on this protection rule; recorded, not retried',
    );
    await deps.store.expireGate(
      gate.id,
      at,
      `GitHub refused the answer because nothing is pending any more: ${result.error}`,
    );
    return gate.decision;
  }
  log.warn(
    { gateId: gate.id, err: result.error },
    'Calling GitHub back failed; the scheduler retries with the stored decision',
  );
  await deps.store.markGateAnswered(gate.id, at, result.error);
  return gate.decision;
}
