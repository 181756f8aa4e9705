import type { ApprovalFact } from '../core/types.js';
import { commitTree } from './commit-tree.js';
import { listPullApprovals } from './pull-reviews.js';
import type { GitHubClient, RepoRef } from './types.js';

/** Pull requests of one release commit that are read (GitHub lists the one that introduced it first). */
const PULLS_PER_RELEASE = 10;

export interface ReleasePull {
  number: number;
  author: string;
  title: string;
  body: string;
  /** The commit the PR's approvals must cover: its last head (at merge, for a merged PR). */
  headSha: string;
  merged: boolean;
  /** False when the PR contains the commit but did not become it: its reviews do not count. */
  becameRelease: boolean;
  /** The earliest author date of its commits (ISO-8601), read with them; where lead time for changes starts. */
  firstCommitAt?: string | null;
}

export interface ReleasePeople {
  pulls: ReleasePull[];
  approvals: ApprovalFact[];
  author?: string;
  contributors: string[];
  notes: string[];
}

/**
 * The pull requests that became the release commit, their reviews, and who wrote them. A PR
 * became the commit when the commit is its head, its merge commit (merge, squash or rebase),
 * or has its head's tree; its approvals must cover its last head. A PR that only contains
 * the commit (an intermediate commit of a merged PR) lends it no approval.
 */
export async function releasePeople(octokit: GitHubClient, where: RepoRef, sha: string): Promise<ReleasePeople> {
  const out: ReleasePeople = { pulls: [], approvals: [], contributors: [], notes: [] };
  const { data: pulls } = await octokit.request('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', {
    ...where,
    commit_sha: sha,
    per_page: PULLS_PER_RELEASE,
  });
  const contributors = new Set<string>();
  const tree = (c: string) => commitTree(octokit, where, c);
  for (const pull of pulls.slice(0, PULLS_PER_RELEASE)) {
    const merged = Boolean(pull.merged_at);
    const headSha = pull.head.sha;
    let became = headSha === sha || (merged && pull.merge_commit_sha === sha);
    if (!became) {
      const [a, b] = await Promise.all([tree(sha), tree(headSha)]);
      became = a !== undefined && a === b;
    }
    const author = pull.user?.login ?? '';
    out.pulls.push({
      number: pull.number,
      author,
      title: pull.title,
      body: pull.body ?? '',
      headSha,
      merged,
      becameRelease: became,
    });
    if (author) contributors.add(author);
    if (!became) {
      out.notes.push(
        `Pull request #${pull.number} contains this commit but did not become it (its last head is ${headSha.slice(0, 7)}): its reviews do not count for this release.`,
      );
      continue;
    }
    const reviews = await listPullApprovals(octokit as never, { ...where, pull_number: pull.number, headSha }, tree);
    out.approvals.push(...reviews);
    const commits = await commitAuthors(octokit, where, pull.number);
    for (const login of commits.logins) contributors.add(login);
    out.pulls.at(-1)!.firstCommitAt = commits.firstCommitAt;
  }
  if (out.pulls.length > 0) {
    const first = out.pulls.find((p) => p.becameRelease) ?? out.pulls[0]!;
    if (first.author) out.author = first.author;
  }
  out.contributors = [...contributors].sort();
  return out;
}

/** GitHub logins of the authors and committers of a PR's commits (GitHub lists at most 250), and the earliest author date. */
async function commitAuthors(
  octokit: GitHubClient,
  where: RepoRef,
  pullNumber: number,
): Promise<{ logins: string[]; firstCommitAt: string | null }> {
  const commits = (await octokit.paginate('GET /repos/{owner}/{repo}/pulls/{pull_number}/commits', {
    ...where,
    pull_number: pullNumber,
    per_page: 100,
  })) as Array<{
    author: { login?: string } | null;
    committer: { login?: string } | null;
    commit?: { author?: { date?: string } | null };
  }>;
  const logins = new Set<string>();
  let first: number | null = null;
  for (const c of commits) {
    const at = Date.parse(c.commit?.author?.date ?? '');
    if (Number.isFinite(at) && (first === null || at < first)) first = at;
    if (c.author?.login) logins.add(c.author.login);
    // GitHub's web-flow commits GitHub itself for merges and suggestions: not a person.
    if (c.committer?.login && c.committer.login !== 'web-flow') logins.add(c.committer.login);
  }
  return { logins: [...logins], firstCommitAt: first === null ? null : new Date(first).toISOString() };
}
