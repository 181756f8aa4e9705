import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { startShop } from '../support/app-harness.js';
import type { FakeGitHub, FakeRepo } from '../support/fake-github.js';
import { DEV_PROD_APPROVALS } from '../support/policies.js';
import { appProcessEnv, exitOf, freePort, startAppProcess, waitForStatus } from '../support/processes.js';
import type { Started } from '../support/processes.js';
import { protectionRuleRequested, sendWebhook } from '../support/webhooks.js';
import type { RepoContext } from '../support/webhooks.js';

const SECRET = 'shutdown-secret';

async function until(fn: () => boolean | Promise<boolean>, what: string, ms: number, out: () => string) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SIGTERM while a delivery waits on a GitHub that does not answer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-shutdown-'));
  let github: FakeGitHub;
  let repo: FakeRepo;
  let ctx: RepoContext;
  const started: Started[] = [];

  beforeAll(async () => {
    ({ github, repo, ctx } = await startShop(DEV_PROD_APPROVALS));
  });

  afterAll(async () => {
    for (const s of started) await s.stop();
    github?.releaseHung();
    await github?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function replica(name: string): Promise<{ app: Started; url: string }> {
    const port = await freePort();
    const app = startAppProcess(
      dir,
      appProcessEnv(github.host, SECRET, {
        PORT: String(port),
        LOG_FORMAT: 'json',
        RELEASE_GATE_REPLICA_ID: name,
        SCHEDULER_INTERVAL_SECONDS: '1',
      }),
    );
    started.push(app);
    const url = `http://127.0.0.1:${port}`;
    expect(await waitForStatus(`${url}/health/ready`, 200, app), app.output()).not.toBeNull();
    return { app, url };
  }

  it('stops within 10 s and the next replica decides the gate at once', async () => {
    const a = await replica('replica-a');
    // GitHub accepts every connection and never answers.
    github.fault = () => 'hang';
    repo.pendingRules.add('61/development');
    const delivery = protectionRuleRequested(ctx, {
      id: 61,
      runId: 61,
      sha: 'e'.repeat(40),
      ref: 'main',
      environment: 'development',
      creator: 'dev',
      createdAt: '2026-03-10T15:00:00Z',
    });
    expect(await sendWebhook(a.url, SECRET, delivery)).toBe(200);
    await until(() => github.hungRequests > 0, 'the App to be waiting on GitHub', 10_000, a.app.output);
    // Let it wait into the request's retries.
    await new Promise((r) => setTimeout(r, 1_500));

    const sent = Date.now();
    a.app.child.kill('SIGTERM');
    const exit = await Promise.race([exitOf(a.app.child), new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
    const seconds = (Date.now() - sent) / 1000;
    expect(exit, a.app.output()).toEqual({ code: 0, signal: null });
    expect(seconds).toBeLessThan(10);
    const lines = a.app
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; msg: string; deliveryId?: string });
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        deliveryId: delivery.id,
        msg: 'Stopping: the delivery was not finished in time and is left to the next replica',
      }),
    );
    // The gate's lease too: the next replica need not wait a minute for it to run out.
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        leases: 1,
        msg: 'Stopping: gates and promotions being worked on are left to the next replica',
      }),
    );

    // The record says so: the delivery is unclaimed, ready for any replica.
    const store = await openStore({ cwd: dir });
    try {
      expect(await store.getInboxDelivery(delivery.id)).toMatchObject({ status: 'working', claimedBy: null });
    } finally {
      await store.close();
    }
    expect(repo.answers.filter((x) => x.runId === 61)).toEqual([]);

    // GitHub answers again; another replica takes the delivery and the gate over without waiting for a lease.
    github.fault = null;
    github.releaseHung();
    const taken = Date.now();
    const b = await replica('replica-b');
    await until(() => repo.answers.some((x) => x.runId === 61), 'the answer', 20_000, b.app.output);
    expect(repo.answers.filter((x) => x.runId === 61)).toMatchObject([{ state: 'approved' }]);
    expect((Date.now() - taken) / 1000).toBeLessThan(15);
  }, 90_000);
});
