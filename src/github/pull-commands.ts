import type { GitHubClient, RepoRef } from './types.js';

/*
 * The GitHub calls of a pull request's `/release-gate` commands: the pull request itself,
 * the commenter's permission on the repository, and the reply.
 */

/** The commenter's permission on the repository: `admin`, `maintain`, `write`, `triage`, `read` or `none`. */
export async function repositoryPermission(
  octokit: GitHubClient,
  where: RepoRef & { username: string },
): Promise<string> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', {
    owner: where.owner,
    repo: where.repo,
    username: where.username,
  });
  return (data as { role_name?: string; permission: string }).role_name ?? data.permission;
}

/** Replies on an issue or pull request. */
export async function replyOnIssue(
  octokit: GitHubClient,
  where: RepoRef & { issueNumber: number; body: string },
): Promise<void> {
  await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    owner: where.owner,
    repo: where.repo,
    issue_number: where.issueNumber,
    body: where.body.slice(0, 65_000),
  });
}

/** A pull request's head commit and author. */
export async function getPull(
  octokit: GitHubClient,
  where: RepoRef & { pullNumber: number },
): Promise<{ headSha: string; headRef: string; author: string }> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
    owner: where.owner,
    repo: where.repo,
    pull_number: where.pullNumber,
  });
  return { headSha: data.head.sha, headRef: data.head.ref, author: data.user?.login ?? '' };
}
