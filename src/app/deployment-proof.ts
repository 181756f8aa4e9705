import type { Context } from 'probot';
import { failingRules } from '../core/rule-results.js';
import type { Decision } from '../core/types.js';
import { readWorkflowJob } from '../github/workflow-jobs.js';
import type { GitHubClient, RepoRef } from '../github/types.js';
import type { DeploymentRow, DeploymentStore } from '../store/deployments.js';
import type { EvaluationStore } from '../store/evaluations.js';
import type { PendingGateRow } from '../store/gates.js';

/**
 * The gate's own word on deployments (SECURITY.md, the invariant): a stage is proven only by
 * a deployment the gate let through for that environment and that then reached `success`
 * bound to that approval. This file writes both halves: the approval (from a protection-rule
 * answer or the judgement of a `deployment` event) and the proof (a success that binds).
 * `src/core/stage-proof.ts` reads them.
 */

/** GitHub's own App that runs workflows: its token (`GITHUB_TOKEN`) is every workflow's. */
export const GITHUB_ACTIONS_SLUG = 'github-actions';

/**
 * How long after a GitHub Actions success its job may still be reported unfinished: GitHub
 * sets the deployment's success as the job ends, and its API may lag a little. Until then the
 * delivery is retried; after, the success proves nothing.
 */
export const JOB_REPORT_GRACE_MS = 10 * 60_000;

type StatusPayload = Context<'deployment_status.created'>['payload'];
type Deployment = StatusPayload['deployment'];
type Status = StatusPayload['deployment_status'];

/** True for GitHub Actions (its App performed the request). */
export function isGitHubActions(app: { slug?: string } | null | undefined): boolean {
  return app?.slug === GITHUB_ACTIONS_SLUG;
}

/** The protection rule decided: `approved` records the gate's approval, anything else takes it away. */
export async function recordRuleAnswer(
  store: Pick<DeploymentStore, 'approveDeployment' | 'revokeDeploymentApproval'> &
    Pick<EvaluationStore, 'listEvaluations'>,
  gate: PendingGateRow,
  at: Date,
): Promise<void> {
  if (gate.deploymentId === null) return;
  if (gate.decision !== 'approved') {
    await store.revokeDeploymentApproval(gate.deploymentId);
    return;
  }
  // The stage the gate judged: the evaluation that decided it is the latest of the request.
  const [evaluation] = await store.listEvaluations({
    repo: gate.repo,
    sha: gate.sha,
    environment: gate.environment,
    last: 1,
  });
  await store.approveDeployment(gate.deploymentId, {
    via: 'protection-rule',
    at: gate.decidedAt ?? at,
    stage: evaluation?.stage ?? null,
    environment: gate.environment,
    runId: gate.runId,
  });
}

/** A success whose job GitHub does not report finished yet: the delivery is tried again. */
export class JobNotFinishedError extends Error {
  constructor(
    readonly jobId: number,
    readonly jobStatus: string,
  ) {
    super(
      `GitHub reports job ${jobId} as ${jobStatus}, not finished, though its deployment reported success: the success is taken once the job has finished (the delivery is retried).`,
    );
    this.name = 'JobNotFinishedError';
  }
}

/** What a deployment status does: whether it moves the deployment's state, and whether a success proves it. */
export interface StatusJudgement {
  moves: boolean;
  /** Why it does not move the state, or why a success does not prove the deployment. */
  reason: string | null;
}

/**
 * Whether a status may move a deployment's state. This App's own statuses do (never a
 * success: the App does not report deployments succeeded). A GitHub Actions deployment's
 * move when GitHub Actions set them in the workflow run the gate approved; another
 * deployment's when its creator set them.
 */
export function statusMoves(
  appId: number | null | undefined,
  row: Pick<DeploymentRow, 'approvedRunId'> | null,
  d: Pick<Deployment, 'creator' | 'performed_via_github_app'>,
  s: Pick<Status, 'creator' | 'performed_via_github_app' | 'state'>,
  run: { id: number } | null | undefined,
): StatusJudgement {
  const statusApp = s.performed_via_github_app;
  if (appId != null && statusApp?.id === appId)
    return s.state === 'success'
      ? { moves: false, reason: 'it was set under this App’s own identity, which never reports a deployment succeeded' }
      : { moves: true, reason: null };
  if (isGitHubActions(d.performed_via_github_app)) {
    if (!isGitHubActions(statusApp))
      return { moves: false, reason: 'the deployment was made by GitHub Actions and this status was not set by it' };
    const approved = row?.approvedRunId ?? null;
    if (approved !== null && run?.id !== approved)
      return {
        moves: false,
        reason: `GitHub Actions set it in ${run ? `workflow run ${run.id}` : 'no workflow run'}, not in run ${approved} that the gate approved`,
      };
    return { moves: true, reason: null };
  }
  const by = s.creator?.login;
  if (by !== undefined && by.toLowerCase() === (d.creator?.login ?? '').toLowerCase())
    return { moves: true, reason: null };
  return { moves: false, reason: `it was set by ${by ?? 'someone unknown'}, who did not create the deployment` };
}

/**
 * Whether a `success` that moves the state proves the deployment: the gate let it through
 * (for the environment it is of), and for GitHub Actions the success is tied to a job of the
 * approved run that GitHub reports finished with success. Same creator is not same run: any
 * workflow's `GITHUB_TOKEN` is GitHub Actions, so the job is asked of GitHub, whose Actions
 * API no token can write. Throws {@link JobNotFinishedError} while the job is still running.
 */
export async function successBinds(
  octokit: GitHubClient,
  where: RepoRef,
  row: DeploymentRow,
  p: Pick<StatusPayload, 'deployment' | 'deployment_status' | 'check_run'>,
  now: Date,
): Promise<string | null> {
  if (!row.approvedAt || !row.approvedVia)
    return 'the gate never let it through (it held it, blocked it, or never saw it)';
  if ((row.approvedEnvironment ?? '').toLowerCase() !== p.deployment.environment.toLowerCase())
    return `the gate let it through for ${row.approvedEnvironment}, not for ${p.deployment.environment}`;
  if (!isGitHubActions(p.deployment.performed_via_github_app)) return null;
  if (row.approvedRunId === null) return 'the gate approved no workflow run of it';
  const jobId = p.check_run?.id;
  if (jobId === undefined) return `GitHub tied the success to no job of run ${row.approvedRunId}`;
  const job = await readWorkflowJob(octokit, where, jobId);
  if (!job) return `GitHub knows no job ${jobId}`;
  if (job.runId !== row.approvedRunId)
    return `job ${jobId} belongs to workflow run ${job.runId}, not to run ${row.approvedRunId} that the gate approved`;
  if (job.headSha !== p.deployment.sha) return `job ${jobId} ran on ${job.headSha.slice(0, 7)}, not on the release`;
  if (job.status !== 'completed') {
    const at = Date.parse(p.deployment_status.updated_at ?? p.deployment_status.created_at);
    if (now.getTime() - at < JOB_REPORT_GRACE_MS) throw new JobNotFinishedError(jobId, job.status);
    return `job ${jobId} was still ${job.status} ${JOB_REPORT_GRACE_MS / 60_000} minutes after the success`;
  }
  if (job.conclusion !== 'success') return `job ${jobId} finished with ${job.conclusion ?? 'no conclusion'}`;
  return null;
}

/**
 * The description of the status a held deployment (created through the API) gets: what it
 * waits for, and that it stays held (140 characters, GitHub's limit).
 */
export function heldDescription(decision: Decision): string {
  const codes = failingRules(decision.rules)
    .map((r) => r.code)
    .join(', ');
  const head = `Release gate: waiting for ${decision.environment} (${codes}).`;
  const tail = ' Held: deploy again once it clears.';
  const text = `${head}${tail}`;
  return text.length <= 140 ? text : `${head.slice(0, 140 - tail.length - 1)}…${tail}`;
}
