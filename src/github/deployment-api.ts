import type { GitHubClient, RepoRef } from './types.js';

/** Creates a deployment of `sha` to a GitHub environment (auto-promotion, `/release-gate promote`). */
export async function createDeployment(
  octokit: GitHubClient,
  where: RepoRef & { sha: string; environment: string; payload: Record<string, unknown>; description: string },
): Promise<number> {
  const { data } = await octokit.request('POST /repos/{owner}/{repo}/deployments', {
    owner: where.owner,
    repo: where.repo,
    ref: where.sha,
    environment: where.environment,
    payload: where.payload,
    description: where.description.slice(0, 140),
    auto_merge: false,
    // The gate has judged the checks; GitHub's own context check would judge them again.
    required_contexts: [],
    production_environment: /prod/i.test(where.environment),
  });
  return Number((data as { id: number }).id);
}

/** Sets a deployment status (a deployment created outside the rules gets `failure`). */
export async function setDeploymentStatus(
  octokit: GitHubClient,
  where: RepoRef & {
    deploymentId: number;
    state: 'failure' | 'error' | 'success' | 'in_progress' | 'queued' | 'pending' | 'inactive';
    description: string;
  },
): Promise<void> {
  await octokit.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
    owner: where.owner,
    repo: where.repo,
    deployment_id: where.deploymentId,
    state: where.state,
    description: where.description.slice(0, 140),
  });
}

/** Ids of the deployments of a commit to one environment (newest first, the first 100). */
export async function findDeployments(
  octokit: GitHubClient,
  where: RepoRef & { sha: string; environment: string },
): Promise<number[]> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/deployments', {
    owner: where.owner,
    repo: where.repo,
    sha: where.sha,
    environment: where.environment,
    per_page: 100,
  });
  return data.filter((d) => d.sha === where.sha && d.environment === where.environment).map((d) => Number(d.id));
}

/** The deployments of a commit to one environment (newest first, the first 100), with their payload and the App that created each. */
export async function listDeploymentsOf(
  octokit: GitHubClient,
  where: RepoRef & { sha: string; environment: string },
): Promise<Array<{ id: number; payload: unknown; appId: number | null }>> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/deployments', {
    owner: where.owner,
    repo: where.repo,
    sha: where.sha,
    environment: where.environment,
    per_page: 100,
  });
  return data
    .filter((d) => d.sha === where.sha && d.environment === where.environment)
    .map((d) => ({ id: Number(d.id), payload: d.payload, appId: d.performed_via_github_app?.id ?? null }));
}
