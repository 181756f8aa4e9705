import type { Context } from 'probot';
import { repoKey } from '../../github/types.js';
import { handleOnce } from '../deliveries.js';
import { factsChanged } from '../facts-changed.js';
import type { FactsChange } from '../facts-changed.js';
import type { AppDeps } from '../gate.js';
import { defaultBranchOf, repositoryOf } from './repository.js';

/** Release commits of one PR that a review wakes (its head, its merge commit, and those recorded). */
const RELEASES_PER_PULL = 50;

type PullRequestReviewPayload = Context<'pull_request_review.submitted' | 'pull_request_review.dismissed'>['payload'];
type DeploymentReviewPayload = Context<'deployment_review.approved' | 'deployment_review.rejected'>['payload'];

/**
 * `pull_request_review` (submitted, dismissed): record it, and re-evaluate the waiting gates
 * (and held promotions) of every release the PR became: its head, its merge commit (merge,
 * squash or rebase), and the release commits recorded for it.
 */
export async function onPullRequestReview(
  deps: AppDeps,
  context: Context<'pull_request_review.submitted' | 'pull_request_review.dismissed'>,
): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p: PullRequestReviewPayload = context.payload;
    const where = repositoryOf(p);
    const key = repoKey(where);
    const sha = p.pull_request.head.sha;
    const releases = new Set<string>([sha]);
    if (p.pull_request.merged_at && p.pull_request.merge_commit_sha) releases.add(p.pull_request.merge_commit_sha);
    for (const s of await deps.store.releasesOfPull(key, p.pull_request.number, RELEASES_PER_PULL)) releases.add(s);
    if (p.review.user && p.review.submitted_at) {
      await deps.store.recordApprovals(
        [
          {
            repo: key,
            sha,
            environment: null,
            login: p.review.user.login,
            source: 'pr-review',
            state: p.review.state.toLowerCase(),
            submittedAt: new Date(p.review.submitted_at),
            commitId: p.review.commit_id,
          },
        ],
        deps.clock(),
      );
    }
    const change: FactsChange = {
      ...where,
      shas: [...releases],
      trigger: 'pull_request_review',
      actor: p.sender.login,
      deliveryId: context.id,
      ...defaultBranchOf(p),
    };
    return (await factsChanged(deps, context.octokit, change)).summary;
  });
}

/**
 * The GitHub environments a deployment review covers: those of its jobs, and the one the
 * payload names (GitHub's types leave it out of approved and rejected reviews, but it may
 * come); none named: null, any.
 */
function reviewedEnvironments(p: DeploymentReviewPayload): Array<string | null> {
  const environments = new Set<string>(
    (p.workflow_job_runs ?? []).map((j) => j.environment).filter((e): e is string => Boolean(e)),
  );
  if ('environment' in p && typeof p.environment === 'string' && p.environment) environments.add(p.environment);
  return environments.size > 0 ? [...environments] : [null];
}

/** `deployment_review` (approved, rejected): a GitHub deployment review counts as an approval for its environments. */
export async function onDeploymentReview(
  deps: AppDeps,
  context: Context<'deployment_review.approved' | 'deployment_review.rejected'>,
): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p: DeploymentReviewPayload = context.payload;
    const sha = p.workflow_run?.head_sha;
    if (!sha) return 'ignored: no workflow run';
    const where = repositoryOf(p);
    const login = p.approver?.login ?? p.sender.login;
    const at = deps.clock();
    const list = reviewedEnvironments(p).map((environment) => ({
      repo: repoKey(where),
      sha,
      environment,
      login,
      source: 'deployment-review' as const,
      state: p.action,
      submittedAt: p.since ? new Date(p.since) : at,
    }));
    await deps.store.recordApprovals(list, at);
    const change: FactsChange = {
      ...where,
      shas: [sha],
      trigger: `deployment_review.${p.action}`,
      actor: login,
      deliveryId: context.id,
      ...defaultBranchOf(p),
    };
    return (await factsChanged(deps, context.octokit, change)).summary;
  });
}
