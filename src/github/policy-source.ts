import { loadPolicy, formatPolicyProblem } from '../core/policy-load.js';
import type { Policy } from '../core/types.js';
import { httpStatus, describeError } from './types.js';
import type { GitHubClient, RepoRef } from './types.js';

/** The policy file's path in the repository (SPEC section 2). */
export const POLICY_PATH = '.github/release-policy.yml';

export type RepoPolicy =
  | { ok: true; policy: Policy; path: string; ref: string; blobSha: string; commitSha: string | null }
  | { ok: false; problems: string[]; path: string; ref: string; blobSha: string | null; commitSha: string | null };

interface CachedPolicy {
  result: ReturnType<typeof loadPolicy>;
  commitSha: string | null;
}

/** Parsed policies by blob SHA: the same content is parsed and its commit looked up once. */
const byBlob = new Map<string, CachedPolicy>();
const CACHE_LIMIT = 500;

/**
 * Reads the policy from the repository's DEFAULT branch (never the branch under review, so
 * a pull request cannot weaken the gate that judges it). A missing, unreadable or invalid
 * file comes back as `ok: false` with the problems: the gate then fails closed.
 */
export async function loadRepoPolicy(octokit: GitHubClient, where: RepoRef & { defaultBranch?: string }): Promise<RepoPolicy> {
  let ref = where.defaultBranch;
  try {
    if (!ref) {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}', { owner: where.owner, repo: where.repo });
      ref = data.default_branch;
    }
  } catch (error) {
    if (httpStatus(error) !== 404) throw error; // transient: the caller retries rather than deciding
    return { ok: false, problems: [`Could not read the repository to find its default branch: ${describeError(error)}`], path: POLICY_PATH, ref: '', blobSha: null, commitSha: null };
  }
  let content: string;
  let blobSha: string;
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { owner: where.owner, repo: where.repo, path: POLICY_PATH, ref });
    if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) {
      return { ok: false, problems: [`${POLICY_PATH} on ${ref} is not a file.`], path: POLICY_PATH, ref, blobSha: null, commitSha: null };
    }
    blobSha = data.sha;
    content = Buffer.from(data.content, 'base64').toString('utf8');
  } catch (error) {
    // A missing file fails closed; any other failure is thrown so the request is retried, not rejected.
    if (httpStatus(error) !== 404) throw error;
    const problem = `${POLICY_PATH} was not found on the default branch (${ref}). Add the release policy there; until then the gate does not approve anything.`;
    return { ok: false, problems: [problem], path: POLICY_PATH, ref, blobSha: null, commitSha: null };
  }
  let cached = byBlob.get(blobSha);
  if (!cached) {
    const result = loadPolicy(content, POLICY_PATH);
    let commitSha: string | null = null;
    try {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits', { owner: where.owner, repo: where.repo, path: POLICY_PATH, sha: ref, per_page: 1 });
      commitSha = data[0]?.sha ?? null;
    } catch (error) {
      // The commit is shown on the summary only; the decision does not depend on it.
      if (httpStatus(error) === 0) throw error;
    }
    cached = { result, commitSha };
    if (byBlob.size >= CACHE_LIMIT) byBlob.delete(byBlob.keys().next().value!);
    byBlob.set(blobSha, cached);
  }
  if (!cached.result.ok) {
    return { ok: false, problems: cached.result.errors.map(formatPolicyProblem), path: POLICY_PATH, ref, blobSha, commitSha: cached.commitSha };
  }
  return { ok: true, policy: structuredClone(cached.result.policy), path: POLICY_PATH, ref, blobSha, commitSha: cached.commitSha };
}
