import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import type { Fault } from '../support/fake-github.js';
import { assertRequestMatchesGitHub } from '../support/openapi.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import type { TcpProxy } from '../support/tcp-proxy.js';
import { protectionRuleRequested, sendWebhook } from '../support/webhooks.js';
import { postgresTarget, sqliteTarget } from '../store/targets.js';
import type { Target } from '../store/targets.js';
import { PROD_APPROVALS } from '../support/policies.js';

const FAULTS: Fault[] = [500, 502, 429, 'secondary-limit', 'hang'];
const SHA = '7'.repeat(40);

async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The App's settings in these tests: GitHub calls time out after 1 s, failed deliveries are retried after ~100 ms, the scheduler looks every 200 ms. */
const FAST = {
  inbox: { retryBaseMs: 100, maxRetryMs: 400 },
  server: { requestTimeoutMs: 1_000, schedulerIntervalMs: 200 },
};

describe.each([
  { provider: 'sqlite', target: sqliteTarget },
  { provider: 'postgresql', target: postgresTarget },
])('GitHub failing on each call of a decision, on $provider', ({ target }) => {
  let tg: Target;
  let h: Harness;
  let routes: string[] = [];
  let runId = 1;

  const templateOf = (method: string, path: string, body: unknown) => {
    try {
      return `${method} ${assertRequestMatchesGitHub(method, path, body)}`;
    } catch {
      return `${method} ${path}`;
    }
  };

  const ask = async () => {
    const id = runId++;
    h.repo.pendingRules.add(`${id}/production`);
    const d = protectionRuleRequested(h.ctx, {
      id: 300_000 + id,
      runId: id,
      sha: SHA,
      ref: 'v1.0.0',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    });
    expect(await h.deliver(d)).toBe(200);
    return { id, d };
  };
  const accepted = (id: number) => h.repo.answers.filter((a) => a.runId === id && a.state);

  beforeAll(async () => {
    tg = await target();
    h = await startHarness({ policy: PROD_APPROVALS, databaseUrl: tg.url, ...FAST });
    h.repo.pulls.push({ number: 5, user: 'alice', headSha: SHA, headRef: 'feature', commits: [SHA] });
    h.repo.reviews[5] = [
      { id: 51, user: 'bob', state: 'APPROVED', commit_id: SHA, submitted_at: '2026-03-10T14:00:00Z' },
    ];
    // Decisions without faults (the second one warm): the calls it makes are the ones to break.
    let from = 0;
    for (let i = 0; i < 2; i++) {
      from = h.github.requests.length;
      const { id, d } = await ask();
      expect(await h.handled(d.id)).toMatchObject({ status: 'done' });
      expect(accepted(id).map((a) => a.state)).toEqual(['approved']);
    }
    routes = [
      ...new Set(
        h.github.requests
          .slice(from)
          .filter((r) => !r.path.startsWith('/app/'))
          .map((r) => templateOf(r.method, r.path, r.body)),
      ),
    ];
  });

  afterAll(async () => {
    await h?.close();
    await tg?.cleanup();
  });

  it('makes the calls a decision needs: the policy, the facts, the check run and the answer', () => {
    expect(routes).toContain('GET /repos/{owner}/{repo}/contents/{path}');
    expect(routes, routes.join('\n')).toContain('POST /repos/{owner}/{repo}/check-runs');
    expect(routes).toContain('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule');
    expect(routes.length, routes.join('\n')).toBeGreaterThanOrEqual(5);
  });

  it.each(FAULTS)(
    "answers every request exactly once, with the policy's decision, when GitHub answers %s on any one call",
    async (fault) => {
      for (const route of routes) {
        let armed = true;
        h.github.fault = ({ method, path, body }) => {
          if (!armed || templateOf(method, path, body) !== route) return undefined;
          armed = false;
          return fault;
        };
        const { id } = await ask();
        await until(() => accepted(id).length > 0, `an answer to run ${id} with ${fault} on ${route}`);
        // Time for a second answer to show up, if there were one.
        await new Promise((r) => setTimeout(r, 300));
        expect(armed, `the fault on ${route} was injected`).toBe(false);
        expect(
          accepted(id).map((a) => [a.state, a.status, a.comment]),
          `${fault} on ${route}`,
        ).toEqual([['approved', 204, 'Release gate: allowed for PROD.']]);
        expect(
          h.repo.answers.filter((a) => a.runId === id && a.status !== 204),
          `${fault} on ${route}: refused answers`,
        ).toEqual([]);
        h.github.releaseHung();
      }
      h.github.fault = null;
      expect(h.github.violations).toEqual([]);
    },
    120_000,
  );
});

describe('PostgreSQL refusing connections in the middle of a decision', () => {
  let tg: Target;
  let proxy: TcpProxy;
  let h: Harness;

  beforeAll(async () => {
    tg = await postgresTarget();
    const url = new URL(tg.url);
    proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    h = await startHarness({
      policy: PROD_APPROVALS,
      databaseUrl: url.toString(),
      inbox: { retryBaseMs: 100, maxRetryMs: 400, leaseMs: 1_000 },
      server: { requestTimeoutMs: 1_000, schedulerIntervalMs: 200 },
    });
    h.repo.pulls.push({ number: 5, user: 'alice', headSha: SHA, headRef: 'feature', commits: [SHA] });
    h.repo.reviews[5] = [
      { id: 51, user: 'bob', state: 'APPROVED', commit_id: SHA, submitted_at: '2026-03-10T14:00:00Z' },
    ];
  });

  afterAll(async () => {
    await proxy?.accept();
    await h?.close();
    await proxy?.close();
    await tg?.cleanup();
  });

  it('answers once after the database comes back, without a redelivery; /health/ready says it is down meanwhile', async () => {
    h.repo.pendingRules.add('1/production');
    let cut = false;
    // The database goes away right after the App read the policy from GitHub.
    h.github.fault = ({ method, path }) => {
      if (!cut && method === 'GET' && path.includes('/contents/')) {
        cut = true;
        proxy.refuse();
      }
      return undefined;
    };
    const d = protectionRuleRequested(h.ctx, {
      id: 400_001,
      runId: 1,
      sha: SHA,
      ref: 'v1.0.0',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    });
    expect(await sendWebhook(h.app.url, TEST_SECRET, d)).toBe(200);
    await until(() => cut, 'the cut');
    await new Promise((r) => setTimeout(r, 500));
    const ready = await fetch(`${h.app.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', database: 'down' });
    // A webhook arriving meanwhile cannot be stored: GitHub is told so (it shows the delivery failed).
    h.repo.pendingRules.add('2/production');
    const other = protectionRuleRequested(h.ctx, {
      id: 400_002,
      runId: 2,
      sha: SHA,
      ref: 'v1.0.0',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    });
    expect(await sendWebhook(h.app.url, TEST_SECRET, other)).toBe(503);
    expect(h.repo.answers).toEqual([]);

    await proxy.accept();
    h.github.fault = null;
    await until(
      () => h.repo.answers.some((a) => a.runId === 1 && a.state),
      'the answer after the database came back',
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(h.repo.answers.map((a) => [a.runId, a.state, a.status])).toEqual([[1, 'approved', 204]]);
    expect(await h.store.getInboxDelivery(d.id)).toMatchObject({ status: 'done' });
    expect((await fetch(`${h.app.url}/health/ready`)).status).toBe(200);
    expect(h.github.violations).toEqual([]);
  }, 60_000);
});

describe('a GitHub that hangs', () => {
  it('does not hold the webhook: it is acknowledged 200 while the App still waits on GitHub, and answered once GitHub is back', async () => {
    const tg = await sqliteTarget();
    const h = await startHarness({
      policy: PROD_APPROVALS,
      databaseUrl: tg.url,
      inbox: { retryBaseMs: 100, maxRetryMs: 400 },
      server: { requestTimeoutMs: 2_000, schedulerIntervalMs: 200 },
    });
    try {
      h.repo.pulls.push({ number: 5, user: 'alice', headSha: SHA, headRef: 'feature', commits: [SHA] });
      h.repo.reviews[5] = [
        { id: 51, user: 'bob', state: 'APPROVED', commit_id: SHA, submitted_at: '2026-03-10T14:00:00Z' },
      ];
      h.repo.pendingRules.add('1/production');
      h.github.fault = ({ path }) => (path.startsWith('/app/') ? undefined : 'hang');
      const d = protectionRuleRequested(h.ctx, {
        id: 500_001,
        runId: 1,
        sha: SHA,
        ref: 'v1.0.0',
        environment: 'production',
        creator: 'dev',
        createdAt: h.clock.now().toISOString(),
      });
      expect(await sendWebhook(h.app.url, TEST_SECRET, d)).toBe(200);
      // Acknowledged while the handling is still waiting on GitHub.
      await until(() => h.github.hungRequests > 0, 'a request held by GitHub');
      expect(await h.store.getInboxDelivery(d.id)).toMatchObject({ status: 'working' });
      // The App gives up on the hung request after its own time limit and retries later.
      await until(
        async () => (await h.store.getInboxDelivery(d.id))?.lastError === 'The operation was aborted due to timeout',
        'the timeout to count as a failure',
      );
      h.github.fault = null;
      h.github.releaseHung();
      await until(() => h.repo.answers.some((a) => a.runId === 1 && a.state), 'the answer');
      expect(h.repo.answers.map((a) => [a.state, a.status])).toEqual([['approved', 204]]);
      expect(h.github.violations).toEqual([]);
    } finally {
      await h.close();
      await tg.cleanup();
    }
  }, 60_000);
});
