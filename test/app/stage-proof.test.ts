import { afterEach, describe, expect, it } from 'vitest';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness, HarnessOptions } from '../support/app-harness.js';
import { freezeWindow, policy } from '../support/policies.js';
import {
  deploymentCreated,
  deploymentStatusCreated,
  GITHUB_ACTIONS_APP_ID,
  protectionRuleRequested,
  pullRequestReviewSubmitted,
} from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';

/**
 * The invariant (SECURITY.md I1): a stage is proven only by a deployment this App let through
 * for that environment that then reached `success` bound to that approval. Each test is an
 * attack by someone with write access (or a workflow's token), through signed webhooks
 * against the fake GitHub; PROD must not be approved by any of them.
 */

const SHA = '5'.repeat(40);
const GATED = policy({ DEV: [], PRE_PROD: ['minApprovals: 1'], PROD: [] });
const FROZEN = policy({ DEV: [], PRE_PROD: freezeWindow(), PROD: [] });
const PLAIN = policy({ DEV: [], PRE_PROD: [], PROD: [] });

describe('a stage is proven only by a deployment the gate let through that then succeeded', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  let next = 20_000;
  const start = async (text: string, options: HarnessOptions = {}) => {
    h = await startHarness({ policy: text, now: '2026-03-10T15:00:00Z', ...options });
    // The release's pull request: reviews of it are the approvals PRE_PROD waits for.
    h.repo.pulls.push({ number: 7, user: 'author', headSha: SHA, headRef: 'feature', commits: [SHA] });
    h.repo.reviews[7] = [];
    return h;
  };
  const spec = (environment: string, creator: string, extra: Partial<DeploymentSpec> = {}): DeploymentSpec => ({
    id: next++,
    sha: SHA,
    ref: 'main',
    environment,
    creator,
    createdAt: h!.clock.now().toISOString(),
    ...extra,
  });
  /** A deployment created through the REST API: GitHub tells the App with `deployment.created`. */
  const created = async (d: DeploymentSpec) => {
    const delivery = deploymentCreated(h!.ctx, d);
    expect(await h!.deliver(delivery)).toBe(200);
    return (await h!.store.getDelivery(delivery.id))?.outcome;
  };
  const status = async (
    d: DeploymentSpec,
    state: string,
    by: Partial<Parameters<typeof deploymentStatusCreated>[2]> = {},
  ) => {
    const delivery = deploymentStatusCreated(h!.ctx, d, {
      id: next++,
      state,
      at: h!.clock.now().toISOString(),
      ...by,
    });
    expect(await h!.deliver(delivery)).toBe(200);
    return { id: delivery.id, delivery, outcome: (await h!.store.getDelivery(delivery.id))?.outcome };
  };
  /** A workflow job asks the App's protection rule for `d` in run `runId`: the answers it got. */
  const ask = async (d: DeploymentSpec, runId = next++) => {
    expect(await h!.askGate({ ...d, runId })).toBe(200);
    return h!.repo.answers.filter((a) => a.runId === runId);
  };
  /** DEV proven: a REST deployment to development the gate allows, then its creator's success. */
  const devProven = async () => {
    const dev = spec('development', 'ci');
    expect(await created(dev)).toBe('recorded: allow');
    expect((await status(dev, 'success')).outcome).toMatch(/^recorded success/);
    return dev;
  };
  /** What the App answers PROD's protection rule for the release. */
  const prod = async () => (await ask(spec('production', 'ci')))[0]!;
  const approvePull = async (reviewer: string) => {
    const at = h!.clock.now().toISOString();
    h!.repo.reviews[7]!.push({ id: next++, user: reviewer, state: 'APPROVED', commit_id: SHA, submitted_at: at });
    await h!.deliver(
      pullRequestReviewSubmitted(h!.ctx, {
        pull: 7,
        headSha: SHA,
        author: 'author',
        reviewer,
        state: 'approved',
        at,
        reviewId: next++,
      }),
    );
  };
  const appStatuses = (d: DeploymentSpec) =>
    h!.repo.deploymentStatuses.filter((s) => s.deploymentId === d.id).map((s) => [s.state, s.description]);

  // SECURITY.md I1: a writer's REST deployment while the stage waits.
  it('holds a REST deployment while PRE_PROD waits for an approval, says so in a queued status, and a success its writer posts proves nothing', async () => {
    await start(GATED);
    await devProven();
    const staging = spec('staging', 'mallory');
    expect(await created(staging)).toBe('recorded: held, queued status set');
    expect(appStatuses(staging)).toEqual([
      ['queued', 'Release gate: waiting for PRE_PROD (APPROVAL_REQUIRED). Held: deploy again once it clears.'],
    ]);
    expect((await status(staging, 'success')).outcome).toBe(
      'recorded success: it proves nothing, because the gate never let it through (it held it, blocked it, or never saw it)',
    );
    const answer = await prod();
    expect(answer.state).toBe('rejected');
    expect(answer.comment).toBe(
      `Release gate: rejected for PROD. PROMOTION_ORDER: PROD needs a successful deployment of this release (5555555) to PRE_PROD first: no stage may be skipped. Found there, proving nothing: deployment ${staging.id} to staging (success): the gate never let it through (it held it, blocked it, or never saw it).`,
    );
  });

  // SECURITY.md I1: a waiting REST deployment stays held when what it waits for clears.
  it('keeps a REST deployment held during a freeze held once the freeze ends; a new deployment then is judged afresh and proves the stage', async () => {
    await start(FROZEN, { now: '2026-03-10T16:30:00Z' });
    await devProven();
    const frozen = spec('staging', 'mallory');
    expect(await created(frozen)).toBe('recorded: held, queued status set');
    expect(appStatuses(frozen)).toEqual([
      ['queued', 'Release gate: waiting for PRE_PROD (FREEZE_WINDOW_ACTIVE). Held: deploy again once it clears.'],
    ]);
    const timeline = await h!.store.timeline({ repo: 'acme/shop', sha: SHA });
    expect(timeline.filter((e) => e.status === 'held').map((e) => e.notes)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Deployment ${frozen.id} held: Release gate: waiting for PRE_PROD until 2026-03-10T18:00:00.000Z\\. FREEZE_WINDOW_ACTIVE: .* It stays held and proves nothing, whatever status follows: deploy again once this clears\\.$`,
        ),
      ),
    ]);
    // The freeze ends; the writer deploys the held deployment anyway and reports success.
    h!.clock.set('2026-03-10T18:05:00Z');
    expect(await h!.tick()).toBe(0);
    expect((await status(frozen, 'success')).outcome).toMatch(
      /^recorded success: it proves nothing, because the gate never let it through/,
    );
    expect((await prod()).state).toBe('rejected');
    // A new deployment after the freeze is judged now, let through, and proves PRE_PROD.
    const again = spec('staging', 'mallory');
    expect(await created(again)).toBe('recorded: allow');
    expect(appStatuses(again)).toEqual([]);
    expect((await status(again, 'success')).outcome).toBe('recorded success');
    expect((await prod()).state).toBe('approved');
  });

  // SECURITY.md I1: same creator is not same run.
  it("does not take a success another workflow posts with its GITHUB_TOKEN on the deploy workflow's held deployment", async () => {
    await start(GATED);
    await devProven();
    const staging = spec('staging', 'dev', { appId: GITHUB_ACTIONS_APP_ID, workflowRunId: 500 });
    expect(await created(staging)).toBe('recorded: wait');
    expect(appStatuses(staging)).toEqual([]);
    // Its protection rule waits too (the reasons did not change since the event: no second report).
    expect(await ask(staging, 500)).toEqual([]);
    // Another workflow, pushed on any branch, posts success: GitHub Actions in its own run 600.
    h!.repo.workflowJobs[601] = { run_id: 600, head_sha: SHA, status: 'completed', conclusion: 'success' };
    const forged = await status(staging, 'success', {
      creator: 'github-actions[bot]',
      appId: GITHUB_ACTIONS_APP_ID,
      workflowRunId: 600,
      jobId: 601,
    });
    expect(forged.outcome).toBe(
      'recorded success: it proves nothing, because the gate never let it through (it held it, blocked it, or never saw it)',
    );
    expect((await prod()).state).toBe('rejected');
    // Approved later, the deployment is proven only by its own run's job, finished with success.
    await approvePull('carol');
    expect(h!.repo.answers.filter((a) => a.runId === 500).map((a) => a.state)).toEqual(['approved']);
    const again = await status(staging, 'success', {
      creator: 'github-actions[bot]',
      appId: GITHUB_ACTIONS_APP_ID,
      workflowRunId: 600,
      jobId: 601,
    });
    expect(again.outcome).toBe(
      "recorded success: it does not change the deployment's state, because GitHub Actions set it in workflow run 600, not in run 500 that the gate approved",
    );
    expect((await prod()).state).toBe('rejected');
    h!.repo.workflowJobs[501] = { run_id: 500, head_sha: SHA, status: 'completed', conclusion: 'success' };
    const real = await status(staging, 'success', {
      creator: 'github-actions[bot]',
      appId: GITHUB_ACTIONS_APP_ID,
      workflowRunId: 500,
      jobId: 501,
    });
    expect(real.outcome).toBe('recorded success');
    expect((await prod()).state).toBe('approved');
  });

  // SECURITY.md I1: a success in the approved run whose job has not finished, or failed.
  it("takes a GitHub Actions success only once GitHub reports the approved run's job finished with success", async () => {
    await start(PLAIN, { inbox: { retryBaseMs: 100, maxRetryMs: 200 } });
    await devProven();
    const staging = spec('staging', 'dev', { appId: GITHUB_ACTIONS_APP_ID });
    expect((await ask(staging, 700)).map((a) => a.state)).toEqual(['approved']);
    h!.repo.workflowJobs[701] = { run_id: 700, head_sha: SHA, status: 'in_progress', conclusion: null };
    // Someone posts success naming the deploy job while it still runs (GitHub ties it to the run).
    const early = await status(staging, 'success', {
      creator: 'github-actions[bot]',
      appId: GITHUB_ACTIONS_APP_ID,
      workflowRunId: 700,
      jobId: 701,
    });
    expect(early.outcome).toBe(
      'error: GitHub reports job 701 as in_progress, not finished, though its deployment reported success: the success is taken once the job has finished (the delivery is retried).',
    );
    // The job fails: the retried delivery finds it so.
    h!.repo.workflowJobs[701]!.status = 'completed';
    h!.repo.workflowJobs[701]!.conclusion = 'failure';
    expect(await h!.handled(early.id)).toMatchObject({ status: 'done' });
    expect((await h!.store.getDelivery(early.id))?.outcome).toBe(
      'recorded success: it proves nothing, because job 701 finished with failure',
    );
    expect((await prod()).state).toBe('rejected');
  });

  it('takes a success whose job GitHub still reports running ten minutes later for nothing', async () => {
    await start(PLAIN, { inbox: { retryBaseMs: 100, maxRetryMs: 200 } });
    await devProven();
    const staging = spec('staging', 'dev', { appId: GITHUB_ACTIONS_APP_ID });
    expect((await ask(staging, 710)).map((a) => a.state)).toEqual(['approved']);
    h!.repo.workflowJobs[711] = { run_id: 710, head_sha: SHA, status: 'in_progress', conclusion: null };
    const stuck = await status(staging, 'success', {
      creator: 'github-actions[bot]',
      appId: GITHUB_ACTIONS_APP_ID,
      workflowRunId: 710,
      jobId: 711,
    });
    expect(stuck.outcome).toMatch(/^error: GitHub reports job 711 as in_progress/);
    h!.clock.advance(10 * 60_000);
    expect(await h!.handled(stuck.id)).toMatchObject({ status: 'done' });
    expect((await h!.store.getDelivery(stuck.id))?.outcome).toBe(
      'recorded success: it proves nothing, because job 711 was still in_progress 10 minutes after the success',
    );
    expect((await prod()).state).toBe('rejected');
  });

  // SECURITY.md I1: a success posted before the gate answers.
  it('does not count a success posted while the protection rule still waits, even once the gate approves', async () => {
    await start(GATED);
    await devProven();
    const staging = spec('staging', 'ci');
    expect((await ask(staging, 800)).map((a) => a.state)).toEqual([undefined]);
    expect((await status(staging, 'success')).outcome).toMatch(
      /^recorded success: it proves nothing, because the gate never let it through/,
    );
    await approvePull('carol');
    expect(h!.repo.answers.filter((a) => a.runId === 800).map((a) => a.state)).toEqual([undefined, 'approved']);
    expect((await prod()).state).toBe('rejected');
    // The deployment then really succeeds: that success is bound to the approval.
    expect((await status(staging, 'success')).outcome).toBe('recorded success');
    expect((await prod()).state).toBe('approved');
  });

  // SECURITY.md I1: a second deployment of the same commit.
  it('does not lend the approval of one deployment of the commit to a second one the gate held', async () => {
    await start(FROZEN, { now: '2026-03-10T15:00:00Z' });
    await devProven();
    const first = spec('staging', 'ci');
    expect(await created(first)).toBe('recorded: allow');
    h!.clock.set('2026-03-10T16:10:00Z');
    const second = spec('staging', 'ci');
    expect(await created(second)).toBe('recorded: held, queued status set');
    expect((await status(second, 'success')).outcome).toMatch(/^recorded success: it proves nothing/);
    expect((await status(first, 'failure')).outcome).toBe('recorded failure');
    const answer = await prod();
    expect(answer.state).toBe('rejected');
    expect(answer.comment).toContain(
      `deployment ${first.id} to staging (failure): no success bound to the gate's approval was reported on it`,
    );
  });

  // SECURITY.md I1: this App's own identity never reports a success.
  // SECURITY.md T3: only the statuses allowed to move a deployment move it.
  it("does not take a success status set under the App's own identity", async () => {
    await start(GATED);
    await devProven();
    const staging = spec('staging', 'mallory');
    expect(await created(staging)).toBe('recorded: held, queued status set');
    const replayed = await status(staging, 'success', { creator: 'release-gate[bot]', appId: h!.github.appId });
    expect(replayed.outcome).toBe(
      "recorded success: it does not change the deployment's state, because it was set under this App’s own identity, which never reports a deployment succeeded",
    );
    // The App's own promotion: the App created it, yet a success under its identity proves nothing.
    const promotion = spec('staging', 'release-gate[bot]', { appId: h!.github.appId });
    await approvePull('carol');
    expect(await created(promotion)).toBe('recorded: allow (created by the gate)');
    expect((await status(promotion, 'success')).outcome).toMatch(/^recorded success: it does not change/);
    // The promotion the gate let through has reported nothing it may take: PROD waits for it.
    const answer = await prod();
    expect(answer.state).toBeUndefined();
    expect(answer.comment).toBe(
      'Release gate: waiting for PROD. PROMOTION_ORDER: PROD needs a successful deployment of this release to PRE_PROD first; the one the gate let through there is queued.',
    );
  });

  // SECURITY.md T11: a lookalike environment name.
  it('does not take a deployment to a lookalike of the stage’s environment for the stage', async () => {
    await start(PLAIN);
    await devProven();
    for (const name of ['staging ', 'stagіng', 'Stagng']) {
      const lookalike = spec(name, 'mallory');
      await created(lookalike);
      expect(appStatuses(lookalike).map(([state]) => state)).toEqual(['failure']);
      await status(lookalike, 'success');
    }
    expect((await prod()).state).toBe('rejected');
  });

  // SECURITY.md I1: an approval under another policy.
  it('does not take a deployment let through as an ungated environment for the stage a later policy makes of it', async () => {
    await start(policy({ DEV: [], PROD: [] }));
    await devProven();
    const staging = spec('staging', 'mallory');
    expect(await created(staging)).toBe('recorded: allow');
    expect((await status(staging, 'success')).outcome).toBe('recorded success');
    // The admins insert PRE_PROD on staging: the old approval was not for that stage.
    h!.github.serveFile('acme/shop', '.github/release-policy.yml', PLAIN, 'd'.repeat(40));
    const answer = await prod();
    expect(answer.state).toBe('rejected');
    expect(answer.comment).toContain(
      `deployment ${staging.id} to staging (success): the gate let it through as an environment the policy did not gate, not as PRE_PROD`,
    );
  });

  // SECURITY.md I1: an approval for another environment.
  it('does not take a deployment the gate approved for another environment for a proof of its own', async () => {
    await start(PLAIN);
    await devProven();
    // A protection rule request for development about a deployment to staging.
    const staging = spec('staging', 'ci');
    h!.repo.pendingRules.add('900/development');
    const request = protectionRuleRequested(h!.ctx, { ...staging, runId: 900 });
    (request.payload as { environment: string }).environment = 'development';
    expect(await h!.deliver(request)).toBe(200);
    expect(h!.repo.answers.filter((a) => a.runId === 900).map((a) => a.state)).toEqual(['approved']);
    expect((await status(staging, 'success')).outcome).toBe(
      'recorded success: it proves nothing, because the gate let it through for development, not for staging',
    );
    expect((await prod()).state).toBe('rejected');
  });

  // SECURITY.md I1: a decision is for one deployment; a re-run asks anew.
  it('judges a re-run of an approved workflow run afresh instead of replaying the old approval', async () => {
    await start(FROZEN, { now: '2026-03-10T15:00:00Z' });
    await devProven();
    const first = spec('staging', 'ci');
    expect((await ask(first, 950)).map((a) => a.state)).toEqual(['approved']);
    h!.clock.set('2026-03-10T16:10:00Z');
    const rerun = spec('staging', 'ci');
    const answers = await ask(rerun, 950);
    expect(answers.map((a) => a.state)).toEqual(['approved', undefined]);
    expect((await status(rerun, 'success')).outcome).toMatch(
      /^recorded success: it proves nothing, because the gate never let it through/,
    );
    // Only the first deployment, approved and not reported on, is on its way.
    const answer = await prod();
    expect(answer.state).toBeUndefined();
    expect(answer.comment).toMatch(/the one the gate let through there is queued\.$/);
  });
});
