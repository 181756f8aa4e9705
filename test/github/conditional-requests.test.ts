import { afterEach, describe, expect, it } from 'vitest';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { policy } from '../support/policies.js';
import { checkRunEvent, deploymentStatusCreated } from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';

/**
 * Every GitHub read costs budget: a decision asks conditionally (If-None-Match with the ETag
 * GitHub sent), and a 304 is not billed.
 */

const PIPELINE = policy({ DEV: [], PRE_PROD: [], PROD: ['minApprovals: 1', 'requiredChecks: [ci]'] });

const sha = (c: string) => c.repeat(40);
const HEAD = sha('a'); // the PR's last head: approved

describe("GitHub's budget: billed requests of a PROD decision", () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  it('makes at most 5 billed requests for the first PROD decision of a release and 2 for a re-run with nothing changed', async () => {
    h = await startHarness({ policy: PIPELINE });
    const commit = sha('f');
    h.repo.pulls.push({
      number: 50,
      user: 'author',
      headSha: HEAD,
      headRef: 'feature',
      commits: [HEAD],
      state: 'closed',
      mergeCommitSha: commit,
      mergedAt: '2026-03-10T11:00:00Z',
    });
    h.repo.reviews[50] = [
      { id: 1, user: 'reviewer', state: 'APPROVED', commit_id: HEAD, submitted_at: '2026-03-10T10:00:00Z' },
    ];
    h.repo.checkRuns.push({
      id: 88,
      name: 'ci',
      head_sha: commit,
      status: 'completed',
      conclusion: 'success',
      app: { slug: 'github-actions' },
      output: {},
    });
    // CI finished on the commit: GitHub said so with a webhook.
    expect(
      await h.deliver(
        checkRunEvent(h.ctx, {
          action: 'completed',
          name: 'ci',
          headSha: commit,
          appSlug: 'github-actions',
          id: 88,
          sender: 'ci',
        }),
      ),
    ).toBe(200);

    let runId = 200;
    let id = 3000;
    const billed = () =>
      h!.github.requests.filter((r) => r.status !== 304 && !r.path.endsWith('/access_tokens')).length;
    const notModified = () => h!.github.requests.filter((r) => r.status === 304).length;
    const deploy = async (environment: string) => {
      const d: DeploymentSpec = {
        id: id++,
        sha: commit,
        ref: 'main',
        environment,
        creator: 'ci',
        createdAt: h!.clock.now().toISOString(),
      };
      const run = runId++;
      const before = billed();
      expect(await h!.askGate({ ...d, runId: run })).toBe(200);
      const cost = billed() - before;
      const state = h!.repo.answers.find((a) => a.runId === run)?.state;
      if (state === 'approved')
        await h!.deliver(
          deploymentStatusCreated(h!.ctx, d, { id: id++, state: 'success', at: h!.clock.now().toISOString() }),
        );
      return { state, cost };
    };
    expect((await deploy('development')).state).toBe('approved');
    expect((await deploy('staging')).state).toBe('approved');
    const cold = await deploy('production');
    expect(cold.state).toBe('approved');
    expect(cold.cost).toBeLessThanOrEqual(5);
    const freeBefore = notModified();
    const warm = await deploy('production');
    expect(warm.state).toBe('approved');
    expect(warm.cost).toBeLessThanOrEqual(2);
    expect(notModified()).toBeGreaterThan(freeBefore);
    // The two writes of the warm decision: the callback and the check run.
    const writes = h.github.requests
      .slice(-6)
      .filter((r) => r.method !== 'GET')
      .map((r) => `${r.method} ${r.template ?? r.path}`);
    expect(writes.some((w) => w.includes('deployment_protection_rule'))).toBe(true);

    const metrics = await (await fetch(`${h.app.url}/metrics`)).text();
    expect(metrics).toMatch(/release_gate_github_requests_total\{kind="billed"\} \d+/);
    expect(metrics).toMatch(/release_gate_github_requests_total\{kind="not_modified"\} [1-9]\d*/);
  });
});
