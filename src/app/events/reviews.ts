import type { Context } from 'probot';
import type { GitHubClient } from '../../github/types.js';
import { handleOnce } from '../deliveries.js';
import { reevaluatePending } from '../gate.js';
import type { GateDeps } from '../gate.js';
import { reexamineHeldPromotions, reexaminedSuffix } from '../promotions.js';

/** Release commits of one PR that a review wakes (its head, its merge commit, and those recorded). */
const RELEASES_PER_PULL = 50;

interface ReviewPayload {
  review: { user: { login: string } | null; state: string; submitted_at?: string | null; commit_id: string | null };
  pull_request: { number: number; head: { sha: string }; merge_commit_sha?: string | null; merged_at?: string | null };
  repository: { name: string; owner: { login: string }; default_branch?: string; full_name: string };
  sender?: { login: string };
}

/**
 * `pull_request_review` (submitted, dismissed): record it, and re-evaluate the waiting gates
 * (and held promotions) of every release the PR became: its head, its merge commit (merge,
 * squash or rebase), and the release commits recorded for it.
 */
export async function onPullRequestReview(deps: GateDeps, context: Context<'pull_request_review'>): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p = context.payload as unknown as ReviewPayload;
    const sha = p.pull_request.head.sha;
    const fullName = p.repository.full_name;
    const releases = new Set<string>([sha]);
    if (p.pull_request.merged_at && p.pull_request.merge_commit_sha) releases.add(p.pull_request.merge_commit_sha);
    for (const s of await deps.store.releasesOfPull(fullName, p.pull_request.number, RELEASES_PER_PULL)) releases.add(s);
    if (p.review.user && p.review.submitted_at) {
      await deps.store.recordApprovals(
        [{ repo: fullName, sha, environment: null, login: p.review.user.login, source: 'pr-review', state: p.review.state.toLowerCase(), submittedAt: new Date(p.review.submitted_at), commitId: p.review.commit_id }],
        deps.clock(),
      );
    }
    const octokit = context.octokit as unknown as GitHubClient;
    const where = { owner: p.repository.owner.login, repo: p.repository.name, trigger: 'pull_request_review', actor: p.sender?.login ?? null, deliveryId: context.id };
    const shas = [...releases];
    const results = await reevaluatePending(deps, octokit, { ...where, shas, ...(p.repository.default_branch ? { defaultBranch: p.repository.default_branch } : {}) });
    // An auto-promotion of one of these commits held on approvals may go now.
    let held = 0;
    for (const s of shas) held += await reexamineHeldPromotions(deps, octokit, { ...where, sha: s });
    return `re-evaluated ${results.length} gate(s)${reexaminedSuffix(held)}`;
  });
}

interface DeploymentReviewPayload {
  action: string;
  approver?: { login: string };
  sender?: { login: string };
  since?: string;
  workflow_run?: { head_sha: string } | null;
  workflow_job_runs?: Array<{ environment?: string }>;
  reviewers?: Array<{ reviewer?: { login?: string; slug?: string } }>;
  environment?: string;
  repository: { name: string; owner: { login: string }; default_branch?: string; full_name: string };
}

/** `deployment_review` (approved, rejected): a GitHub deployment review counts as an approval for its environments. */
export async function onDeploymentReview(deps: GateDeps, context: Context<'deployment_review'>): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p = context.payload as unknown as DeploymentReviewPayload;
    const sha = p.workflow_run?.head_sha;
    if (!sha) return 'ignored: no workflow run';
    const login = p.approver?.login ?? p.sender?.login;
    if (login && (p.action === 'approved' || p.action === 'rejected')) {
      const environments = new Set<string>((p.workflow_job_runs ?? []).map((j) => j.environment).filter((e): e is string => Boolean(e)));
      if (p.environment) environments.add(p.environment);
      const at = deps.clock();
      const list = (environments.size > 0 ? [...environments] : [null]).map((environment) => ({
        repo: p.repository.full_name,
        sha,
        environment,
        login,
        source: 'deployment-review' as const,
        state: p.action,
        submittedAt: p.since ? new Date(p.since) : at,
      }));
      await deps.store.recordApprovals(list, at);
    }
    const octokit = context.octokit as unknown as GitHubClient;
    const where = { owner: p.repository.owner.login, repo: p.repository.name, sha, trigger: `deployment_review.${p.action}`, actor: login ?? null, deliveryId: context.id };
    const results = await reevaluatePending(deps, octokit, { ...where, ...(p.repository.default_branch ? { defaultBranch: p.repository.default_branch } : {}) });
    const held = await reexamineHeldPromotions(deps, octokit, where);
    return `re-evaluated ${results.length} gate(s)${reexaminedSuffix(held)}`;
  });
}
