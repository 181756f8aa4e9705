import type { ProbotOctokit } from 'probot';

/** An installation-authenticated Octokit (Probot's), as the App's GitHub calls take it. */
export type GitHubClient = InstanceType<typeof ProbotOctokit>;

/** A repository by owner and name. */
export interface RepoRef {
  owner: string;
  repo: string;
}

/** The HTTP status of an Octokit error, or 0 when it has none (network failure). */
export function httpStatus(error: unknown): number {
  return typeof error === 'object' && error !== null && 'status' in error && typeof (error as { status: unknown }).status === 'number'
    ? (error as { status: number }).status
    : 0;
}

/** A short description of any thrown value for logs and stored errors (never a token: Octokit errors carry none in their message). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
