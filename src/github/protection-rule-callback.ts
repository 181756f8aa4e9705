import { describeError, httpStatus } from './types.js';
import type { GitHubClient, RepoRef } from './types.js';

/** GitHub's limits on a protection rule's comments and status reports. */
export const PROTECTION_COMMENT_LIMIT = 1024;
export const STATUS_REPORTS_PER_DEPLOYMENT = 10;

export type CallbackResult = { ok: true } | { ok: false; status: number; error: string; nothingPending: boolean };

/** The workflow run id in a `deployment_callback_url` (`.../actions/runs/{run_id}/deployment_protection_rule`). */
export function runIdFromCallbackUrl(url: string): number | null {
  const m = /\/actions\/runs\/(\d+)\/deployment_protection_rule\/?$/.exec(url);
  return m ? Number(m[1]) : null;
}

/** Cut a comment to GitHub's 1,024 characters, marking the cut. */
export function fitComment(text: string, limit = PROTECTION_COMMENT_LIMIT): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit - 1)}…`;
}

/**
 * Answers a deployment protection rule (`state` given) or posts a status report on the
 * run (`state` left out). A 422 means GitHub waits on nothing any more (answered
 * elsewhere, cancelled, timed out): `nothingPending` says so, so the caller records it
 * instead of retrying.
 */
export async function callBackProtectionRule(
  octokit: GitHubClient,
  where: RepoRef & { runId: number; environment: string },
  answer: { state?: 'approved' | 'rejected'; comment: string },
): Promise<CallbackResult> {
  const body: { environment_name: string; comment: string; state?: 'approved' | 'rejected' } = {
    environment_name: where.environment,
    comment: fitComment(answer.comment),
  };
  if (answer.state) body.state = answer.state;
  try {
    await octokit.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
      owner: where.owner,
      repo: where.repo,
      run_id: where.runId,
      ...body,
    } as never);
    return { ok: true };
  } catch (error) {
    const status = httpStatus(error);
    return {
      ok: false,
      status,
      error: `${status || 'network'}: ${describeError(error)}`,
      nothingPending: status === 422,
    };
  }
}
