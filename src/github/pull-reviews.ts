import type { Octokit } from '@octokit/rest';
import type { ApprovalFact } from '../core/types.js';

/** The part of an Octokit client these calls need (satisfied by Probot's and @actions/github's). */
export type ReviewsClient = Pick<Octokit, 'paginate' | 'rest'>;

interface ReviewLike {
  user: { login: string } | null;
  state: string;
  submitted_at?: string | null;
  commit_id: string | null;
}

/**
 * The reviews of a pull request as approval facts, every page of them. `headSha` is the
 * commit the approvals must cover: the PR's head for a deployment of the PR itself, its last
 * head at merge for the commit it became on the default branch. An approval given on another
 * commit counts only when that commit's tree equals the head's (a rebase of the same
 * content); one whose commit GitHub no longer knows (`commit_id: null`, after a force-push)
 * cannot be shown to cover it and does not count. `treeOf` answers a commit's tree and is
 * called once per distinct commit.
 */
export async function listPullApprovals(
  octokit: ReviewsClient,
  params: { owner: string; repo: string; pull_number: number; headSha: string; headTree?: string },
  treeOf?: (sha: string) => Promise<string | undefined>,
): Promise<ApprovalFact[]> {
  const reviews = (await octokit.paginate(octokit.rest.pulls.listReviews, {
    owner: params.owner,
    repo: params.repo,
    pull_number: params.pull_number,
    per_page: 100,
  })) as ReviewLike[];
  const trees = new Map<string, Promise<string | undefined>>();
  const tree = (sha: string) => {
    if (!treeOf) return Promise.resolve(undefined);
    let t = trees.get(sha);
    if (!t) trees.set(sha, (t = treeOf(sha)));
    return t;
  };
  const facts: ApprovalFact[] = [];
  for (const r of reviews) {
    if (!r.user || !r.submitted_at) continue; // pending reviews have no submission time
    const state = normaliseState(r.state);
    if (!state) continue;
    let contentMatches: boolean | undefined;
    if (!r.commit_id && state === 'APPROVED') contentMatches = false;
    else if (r.commit_id && r.commit_id !== params.headSha && state === 'APPROVED') {
      const [reviewed, head] = await Promise.all([
        tree(r.commit_id),
        params.headTree ? Promise.resolve(params.headTree) : tree(params.headSha),
      ]);
      contentMatches = reviewed !== undefined && head !== undefined && reviewed === head;
    }
    facts.push({
      login: r.user.login,
      source: 'pr-review',
      state,
      submittedAt: r.submitted_at,
      ...(r.commit_id ? { commitId: r.commit_id } : {}),
      ...(contentMatches === undefined ? {} : { contentMatches }),
      pull: params.pull_number,
    });
  }
  return facts;
}

function normaliseState(state: string): ApprovalFact['state'] | null {
  switch (state.toUpperCase()) {
    case 'APPROVED':
      return 'APPROVED';
    case 'CHANGES_REQUESTED':
      return 'CHANGES_REQUESTED';
    case 'COMMENTED':
      return 'COMMENTED';
    case 'DISMISSED':
      return 'DISMISSED';
    default:
      return null;
  }
}
