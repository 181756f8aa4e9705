import type { ProbotOctokit } from 'probot';

/** An installation-authenticated Octokit (Probot's), as the App's GitHub calls take it. */
export type GitHubClient = InstanceType<typeof ProbotOctokit>;

/** A repository by owner and name. */
export interface RepoRef {
  owner: string;
  repo: string;
}

/** The key the record files a repository under: `owner/repo`. The one place it is made. */
export function repoKey(ref: RepoRef): string {
  return `${ref.owner}/${ref.repo}`;
}

/** A repository of the record read back from its key (`owner/repo`, see {@link repoKey}). */
export function repoRefOf(key: string): RepoRef {
  const slash = key.indexOf('/');
  return slash < 0 ? { owner: key, repo: '' } : { owner: key.slice(0, slash), repo: key.slice(slash + 1) };
}

/** The HTTP status of an Octokit error, or 0 when it has none (network failure). */
export function httpStatus(error: unknown): number {
  return typeof error === 'object' &&
    error !== null &&
    'status' in error &&
    typeof (error as { status: unknown }).status === 'number'
    ? (error as { status: number }).status
    : 0;
}

/** A short description of any thrown value for logs and stored errors (never a token: Octokit errors carry none in their message). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
