import { afterEach, describe, expect, it } from 'vitest';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { deploymentStatusCreated, pullRequestReviewSubmitted } from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';
import { policy, PROD_APPROVALS } from '../support/policies.js';

/**
 * The App in a repository's real life: the release commit is a merge, a squash or a rebase
 * on main, reviews were given on the PR before the merge, the repository has months of
 * deployments behind it.
 */

const PIPELINE = policy({ DEV: [], PRE_PROD: [], PROD: ['minApprovals: 1', 'requiredChecks: [ci]'] });

const sha = (c: string) => c.repeat(40);
const HEAD = sha('a'); // the PR's last head: approved
const FIRST = sha('b'); // an earlier commit of the PR
const MERGE = sha('c'); // what the PR became on main

describe('approvals of a pull request that was merged', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  const ask = (runId: number, commit: string, environment = 'production', ref = 'main') => {
    return h!.askGate({
      id: 7000 + runId,
      runId,
      sha: commit,
      ref,
      environment,
      creator: 'deployer',
      createdAt: h!.clock.now().toISOString(),
    });
  };
  const answers = (runId: number) => h!.repo.answers.filter((a) => a.runId === runId).map((a) => a.state ?? 'report');

  /** A PR of FIRST then HEAD, approved on HEAD by `reviewer`, merged into `merged` with `method`. */
  function mergedPull(
    method: 'merge' | 'squash' | 'rebase',
    reviews: Array<{ user: string; commit: string | null }> = [{ user: 'reviewer', commit: HEAD }],
  ) {
    h!.repo.pulls.push({
      number: 12,
      user: 'author',
      headSha: HEAD,
      headRef: 'feature',
      commits: [FIRST, HEAD],
      state: 'closed',
      mergeCommitSha: MERGE,
      mergedAt: '2026-03-10T11:00:00Z',
    });
    h!.repo.reviews[12] = reviews.map((r, i) => ({
      id: 100 + i,
      user: r.user,
      state: 'APPROVED',
      commit_id: r.commit,
      submitted_at: '2026-03-10T10:00:00Z',
    }));
    h!.repo.trees[HEAD] = 'tree-head';
    h!.repo.trees[FIRST] = 'tree-first';
    // A merge commit has main's content too; a squash or rebase of an up-to-date branch has the head's.
    h!.repo.trees[MERGE] = method === 'merge' ? 'tree-merged-with-main' : 'tree-head';
  }

  for (const method of ['merge', 'squash', 'rebase'] as const) {
    it(`counts the approval of the PR's last head for the commit a ${method} made on main`, async () => {
      h = await startHarness({ policy: PROD_APPROVALS });
      mergedPull(method);
      expect(await ask(1, MERGE)).toBe(200);
      expect(answers(1)).toEqual(['approved']);
      const run = h.repo.checkRuns.find((c) => c.name === 'Release gate / PROD')!;
      expect(run.output.summary).toContain('| ✅ | `APPROVALS_OK` | 1 of 1 required approval(s): reviewer. |');
    });
  }

  it('counts it when the PR head itself is deployed', async () => {
    h = await startHarness({ policy: PROD_APPROVALS });
    h.repo.pulls.push({ number: 13, user: 'author', headSha: HEAD, headRef: 'feature', commits: [FIRST, HEAD] });
    h.repo.reviews[13] = [
      { id: 1, user: 'reviewer', state: 'APPROVED', commit_id: HEAD, submitted_at: '2026-03-10T10:00:00Z' },
    ];
    expect(await ask(2, HEAD, 'production', 'feature')).toBe(200);
    expect(answers(2)).toEqual(['approved']);
  });

  // SECURITY.md T8: stale approvals do not count.
  it('does not count an approval followed by a push of other content, nor a review of a commit GitHub no longer has', async () => {
    h = await startHarness({ policy: PROD_APPROVALS });
    mergedPull('squash', [
      { user: 'early', commit: FIRST },
      { user: 'forced', commit: null },
    ]);
    expect(await ask(3, MERGE)).toBe(200);
    expect(answers(3)).toEqual(['report']);
    const summary = h.repo.checkRuns.find((c) => c.name === 'Release gate / PROD')!.output.summary!;
    expect(summary).toContain('approved an older head (bbbbbbb) whose content changed since');
    expect(summary).toContain('the reviewed commit is unknown (GitHub no longer has it, e.g. after a force-push)');
  });

  it('lends no approval to an intermediate commit of a merged PR (the PR contains it but did not become it)', async () => {
    h = await startHarness({ policy: PROD_APPROVALS });
    mergedPull('merge');
    expect(await ask(4, FIRST, 'production', 'feature')).toBe(200);
    expect(answers(4)).toEqual(['report']);
    expect(h.repo.checkRuns.find((c) => c.name === 'Release gate / PROD')!.output.summary).toContain(
      'Pull request #12 contains this commit but did not become it',
    );
  });

  it('wakes the waiting gate of the merge commit when a review of the PR arrives', async () => {
    h = await startHarness({ policy: PROD_APPROVALS });
    mergedPull('merge', []);
    expect(await ask(5, MERGE)).toBe(200);
    expect(answers(5)).toEqual(['report']);
    h.repo.reviews[12] = [
      { id: 9, user: 'reviewer', state: 'APPROVED', commit_id: HEAD, submitted_at: '2026-03-10T15:30:00Z' },
    ];
    const review = pullRequestReviewSubmitted(h.ctx, {
      pull: 12,
      headSha: HEAD,
      author: 'author',
      reviewer: 'reviewer',
      state: 'approved',
      at: '2026-03-10T15:30:00Z',
      reviewId: 9,
      mergeCommitSha: MERGE,
    });
    expect(await h.deliver(review)).toBe(200);
    expect(answers(5)).toEqual(['report', 'approved']);
    expect((await h.store.getDelivery(review.id))?.outcome).toBe('re-evaluated 1 gate(s)');
  });
});

describe('a repository with months of history', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  it('decides correctly after 1,500 recorded deployments with their statuses', async () => {
    h = await startHarness({ policy: PIPELINE, now: '2026-03-10T15:00:00Z' });
    const repo = 'acme/shop';
    const envs = ['development', 'staging', 'production'];
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < 1500; i++) {
      const at = new Date(t0 + i * 60_000);
      const id = 10_000 + i;
      await h.store.recordDeployment({
        id,
        repo,
        sha: (i % 500).toString(16).padStart(40, '9'),
        ref: 'main',
        environment: envs[i % 3]!,
        creator: 'ci',
        createdAt: at,
      });
      await h.store.recordDeploymentStatus({ id: 50_000 + i, deploymentId: id, state: 'success', at, creator: 'ci' });
    }
    const commit = sha('e');
    h.repo.pulls.push({ number: 40, user: 'author', headSha: commit, headRef: 'feature', commits: [commit] });
    h.repo.reviews[40] = [
      { id: 1, user: 'reviewer', state: 'APPROVED', commit_id: commit, submitted_at: '2026-03-10T10:00:00Z' },
    ];
    h.repo.checkRuns.push({
      id: 77,
      name: 'ci',
      head_sha: commit,
      status: 'completed',
      conclusion: 'success',
      app: { slug: 'github-actions' },
      output: {},
    });

    let runId = 100;
    let deploymentId = 900;
    const deploy = async (environment: string): Promise<string | undefined> => {
      const d: DeploymentSpec = {
        id: deploymentId++,
        sha: commit,
        ref: 'main',
        environment,
        creator: 'ci',
        createdAt: h!.clock.now().toISOString(),
      };
      const run = runId++;
      expect(await h!.askGate({ ...d, runId: run })).toBe(200);
      const state = h!.repo.answers.find((a) => a.runId === run)?.state;
      if (state === 'approved')
        expect(
          await h!.deliver(
            deploymentStatusCreated(h!.ctx, d, {
              id: deploymentId++,
              state: 'success',
              at: h!.clock.now().toISOString(),
            }),
          ),
        ).toBe(200);
      return state;
    };
    // PROD first: the order holds with 1,500 deployments of other commits recorded.
    expect(await deploy('production')).toBe('rejected');
    expect(await deploy('development')).toBe('approved');
    expect(await deploy('staging')).toBe('approved');
    expect(await deploy('production')).toBe('approved');
  });
});

describe('environment names as GitHub keeps them', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  it('finds the release in the stage before when GitHub spells the environment with capitals (Staging for staging)', async () => {
    h = await startHarness({ policy: PIPELINE.replace('    minApprovals: 1\n    requiredChecks: [ci]\n', '') });
    const commit = sha('d');
    let id = 4000;
    const deploy = async (environment: string) => {
      const d: DeploymentSpec = {
        id: id++,
        sha: commit,
        ref: 'main',
        environment,
        creator: 'ci',
        createdAt: h!.clock.now().toISOString(),
      };
      const run = id++;
      expect(await h!.askGate({ ...d, runId: run })).toBe(200);
      const state = h!.repo.answers.find((a) => a.runId === run)?.state;
      if (state === 'approved')
        await h!.deliver(
          deploymentStatusCreated(h!.ctx, d, { id: id++, state: 'success', at: h!.clock.now().toISOString() }),
        );
      return state;
    };
    expect(await deploy('Development')).toBe('approved');
    expect(await deploy('Staging')).toBe('approved');
    expect(await deploy('PRODUCTION')).toBe('approved');
  });
});
