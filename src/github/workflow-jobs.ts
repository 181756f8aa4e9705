import { httpStatus } from './types.js';
import type { GitHubClient, RepoRef } from './types.js';

/** A job of a GitHub Actions workflow run, as GitHub's Actions API reports it. */
export interface WorkflowJob {
  id: number;
  runId: number;
  headSha: string;
  /** queued, in_progress, completed, waiting... */
  status: string;
  conclusion: string | null;
}

/**
 * A job of a workflow run (a job's id is the id of its check run), or null when GitHub does
 * not know it. Actions alone sets a job's status and conclusion: no token can write them.
 */
export async function readWorkflowJob(
  octokit: GitHubClient,
  where: RepoRef,
  jobId: number,
): Promise<WorkflowJob | null> {
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', {
      owner: where.owner,
      repo: where.repo,
      job_id: jobId,
    });
    return {
      id: Number(data.id),
      runId: Number(data.run_id),
      headSha: data.head_sha,
      status: data.status,
      conclusion: data.conclusion,
    };
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw error;
  }
}
