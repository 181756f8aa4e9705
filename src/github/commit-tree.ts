import { LruCache } from './conditional-requests.js';
import { httpStatus, repoKey } from './types.js';
import type { GitHubClient, RepoRef } from './types.js';

/** Commit -> tree: immutable, so kept for the life of the process (bounded). */
const treeCache = new LruCache<string>(20_000);

/** The git tree of a commit, or undefined when GitHub does not know the commit. */
export async function commitTree(octokit: GitHubClient, where: RepoRef, sha: string): Promise<string | undefined> {
  const key = `${repoKey(where)}@${sha}`;
  const hit = treeCache.get(key);
  if (hit) return hit;
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
      owner: where.owner,
      repo: where.repo,
      commit_sha: sha,
    });
    treeCache.set(key, data.tree.sha);
    return data.tree.sha;
  } catch (error) {
    if (httpStatus(error) === 404 || httpStatus(error) === 422) return undefined;
    throw error;
  }
}
