import { httpStatus } from './types.js';
import type { GitHubClient, RepoRef } from './types.js';

/**
 * A short ref (`v1.2.0`) resolved to what it is on GitHub: `refs/tags/v1.2.0` when that tag
 * points at the release commit and no branch has the name, `refs/heads/v1.2.0` when only a
 * branch has it. Anything else (unknown, both, a tag of another commit) stays short and so
 * matches no `refs/tags/*` pattern. A full tag ref is checked to point at the commit too.
 */
export async function resolveRef(
  octokit: GitHubClient,
  where: RepoRef,
  ref: string,
  sha: string,
  notes: string[],
): Promise<string> {
  const tagName = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : ref.startsWith('refs/') ? null : ref;
  if (ref.startsWith('refs/heads/')) return ref;
  if (tagName === null) return ref;
  const tagSha = await tagCommit(octokit, where, tagName);
  if (ref.startsWith('refs/tags/')) {
    if (tagSha === sha) return ref;
    notes.push(
      `Tag ${tagName} ${tagSha ? `points at ${tagSha.slice(0, 7)}, not at this commit` : 'was not found on GitHub'}: the ref is not taken for a tag of this release.`,
    );
    return tagName;
  }
  const branch = await refExists(octokit, where, `heads/${ref}`);
  if (tagSha === sha && !branch) return `refs/tags/${ref}`;
  if (branch && tagSha === null) return `refs/heads/${ref}`;
  notes.push(
    tagSha && branch
      ? `Ref ${ref} names both a branch and a tag: it is ambiguous and is not taken for either.`
      : tagSha
        ? `Tag ${ref} points at ${tagSha.slice(0, 7)}, not at this commit: the ref is not taken for a tag of this release.`
        : `Ref ${ref} is neither a branch nor a tag on GitHub.`,
  );
  return ref;
}

async function refExists(
  octokit: GitHubClient,
  where: RepoRef,
  ref: string,
): Promise<{ sha: string; type: string } | null> {
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...where, ref });
    return { sha: data.object.sha, type: data.object.type };
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw error;
  }
}

/** The commit a tag points at (an annotated tag is followed to its commit), or null. */
async function tagCommit(octokit: GitHubClient, where: RepoRef, name: string): Promise<string | null> {
  const found = await refExists(octokit, where, `tags/${name}`);
  if (!found) return null;
  if (found.type !== 'tag') return found.sha;
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/git/tags/{tag_sha}', {
    ...where,
    tag_sha: found.sha,
  });
  return data.object.sha;
}
