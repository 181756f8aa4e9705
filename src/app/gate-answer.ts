import type { Logger } from 'probot';
import { failingRules } from '../core/rule-results.js';
import { gateComment } from '../core/render-gate-summary.js';
import type { Decision } from '../core/types.js';
import { callBackProtectionRule, STATUS_REPORTS_PER_DEPLOYMENT } from '../github/protection-rule-callback.js';
import { describeError, repoRefOf } from '../github/types.js';
import type { GitHubClient } from '../github/types.js';
import type { GateVerdictResult } from '../store/decision-write.js';
import type { PendingGateRow } from '../store/types.js';
import { recordRuleAnswer } from './deployment-proof.js';
import { GATE_DEADLINE_MS, WAIT_POLL_MS } from './gate-deps.js';
import type { AnswerRecord, GateDeps, GateRequest, GateResult } from './gate-deps.js';

/** What answering needs of the App. */
export type AnswerDeps = Pick<GateDeps, 'clock' | 'audit'> & { store: AnswerRecord };

/** What a decision does to the gate that asked: a verdict to store, or when to look at it again. */
export interface GateOutcome {
  verdict: { decision: 'approved' | 'rejected'; comment: string; at: Date } | null;
  /** While it waits: the next look (its `recheckAt`, the deadline, or the periodic poll, whichever comes first). */
  nextCheckAt: Date | null;
}

/**
 * The gate's outcome of a decision: `allow` is approved and `block` rejected; `wait` waits,
 * unless the request reached the 29-day deadline, where it is rejected with what kept it waiting.
 */
export function gateOutcome(gate: PendingGateRow, decision: Decision, now: Date): GateOutcome {
  const comment = gateComment(decision);
  if (decision.decision === 'allow') return { verdict: { decision: 'approved', comment, at: now }, nextCheckAt: null };
  if (decision.decision === 'block') return { verdict: { decision: 'rejected', comment, at: now }, nextCheckAt: null };
  const deadline = gate.createdAt.getTime() + GATE_DEADLINE_MS;
  if (now.getTime() >= deadline) {
    const detail = `Still waiting on: ${failingRules(decision.rules)
      .map((r) => `${r.code}: ${r.message}`)
      .join(' ')}`;
    return {
      verdict: { decision: 'rejected', comment: deadlineComment(decision.environment, detail), at: now },
      nextCheckAt: null,
    };
  }
  const recheck = decision.recheckAt ? Date.parse(decision.recheckAt) : Number.POSITIVE_INFINITY;
  return { verdict: null, nextCheckAt: new Date(Math.min(recheck, deadline, now.getTime() + WAIT_POLL_MS)) };
}

/**
 * The protection rule's answer once the decision is written (`writeDecision` stored the
 * verdict, with the gate's word on the deployment, or the next look): the stored verdict
 * sent, or, while it waits, a status report when what the reader sees changed.
 */
export async function answerGate(
  deps: AnswerDeps,
  octokit: GitHubClient,
  req: GateRequest,
  gate: PendingGateRow,
  decision: Decision,
  stored: GateVerdictResult | null,
  changed: boolean,
  log: Logger,
): Promise<{ answer: GateResult['answer']; gate: PendingGateRow | null }> {
  const { store } = deps;
  if (!stored) {
    if (changed && gate.reportsPosted < STATUS_REPORTS_PER_DEPLOYMENT) {
      const count = await store.incrementGateReports(gate.id);
      if (count <= STATUS_REPORTS_PER_DEPLOYMENT) {
        const report = await deps.audit.callback(req.installationId, () =>
          callBackProtectionRule(
            octokit,
            { owner: req.owner, repo: req.repo, runId: gate.runId, environment: gate.environment },
            { comment: gateComment(decision) },
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
  // The gate as this write left it; decided before (another request, another replica): as stored.
  const decided: PendingGateRow | null = stored.decided
    ? {
        ...gate,
        status: 'decided',
        decision: stored.decision,
        decisionComment: stored.comment,
        decidedAt: stored.decidedAt,
      }
    : await store.getGate(gate.id);
  const answer = await answerStoredDecision(
    deps,
    octokit,
    decided ?? { ...gate, decision: stored.decision, decisionComment: stored.comment },
    log,
    // The write that decided the gate recorded its word on the deployment with the verdict.
    { wordRecorded: stored.decided },
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
  options: { wordRecorded?: boolean } = {},
): Promise<'approved' | 'rejected' | null> {
  if (!gate.decision) return null;
  const decision = gate.decision;
  // The gate's word on the deployment, before GitHub hears it: `approved` is the approval a
  // proof of the stage needs; a rejection takes any away (every answer passes here: a
  // decision, the 29-day deadline, a poisoned policy, a retry; a fresh decision wrote it
  // with its verdict).
  if (!options.wordRecorded) await recordRuleAnswer(deps.store, gate, deps.clock());
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
