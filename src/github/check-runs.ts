import { httpStatus } from './types.js';
import type { GitHubClient, RepoRef } from './types.js';

export interface CheckRunOutput {
  title: string;
  summary: string;
}

export type Conclusion = 'success' | 'failure' | 'neutral' | 'action_required';

/**
 * Writes the `Release gate / <STAGE>` check run: updates `existingId` in place when given
 * (and it still exists), else creates one. Returns the check run id.
 */
export async function writeGateCheckRun(
  octokit: GitHubClient,
  where: RepoRef & { sha: string; name: string; existingId: number | null; externalId: string },
  run: { status: 'in_progress' | 'completed'; conclusion?: Conclusion; output: CheckRunOutput; at: Date },
): Promise<number> {
  const common = {
    owner: where.owner,
    repo: where.repo,
    name: where.name,
    external_id: where.externalId,
    status: run.status,
    output: run.output,
    ...(run.status === 'completed'
      ? { conclusion: run.conclusion ?? 'neutral', completed_at: run.at.toISOString() }
      : {}),
  };
  if (where.existingId !== null) {
    try {
      await octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
        ...common,
        check_run_id: where.existingId,
      } as never);
      return where.existingId;
    } catch (error) {
      if (httpStatus(error) !== 404) throw error;
    }
  }
  const { data } = await octokit.request('POST /repos/{owner}/{repo}/check-runs', {
    ...common,
    head_sha: where.sha,
    started_at: run.at.toISOString(),
  } as never);
  return Number((data as { id: number }).id);
}
