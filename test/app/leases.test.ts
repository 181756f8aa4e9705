import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_MS } from '../../src/app/lease.js';
import { startAppServer } from '../../src/app/server.js';
import type { RunningApp } from '../../src/app/server.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/types.js';
import { TEST_APP_ID, TEST_PRIVATE_KEY, TEST_SECRET, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { protectionRuleRequested, sendWebhook } from '../support/webhooks.js';
import { postgresTarget } from '../store/targets.js';
import type { Target } from '../store/targets.js';

const POLICY = `version: 1
environments:
  - name: PROD
    github: production
`;

async function until<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('gate leases on two replicas sharing PostgreSQL', () => {
  let target: Target;
  let h: Harness;
  let storeB: Store;
  let appB: RunningApp;

  beforeAll(async () => {
    target = await postgresTarget();
    // Writes share the database's write slots (as `npm start` runs), and leases are renewed often.
    h = await startHarness({
      policy: POLICY,
      now: '2026-03-10T16:30:00Z',
      databaseUrl: target.url,
      server: { sharedWriteBudget: true, leaseRenewMs: 50, replicaId: 'replica-a' },
    });
    storeB = await openStore({ databaseUrl: target.url });
    appB = await startAppServer({
      appId: TEST_APP_ID,
      privateKey: TEST_PRIVATE_KEY,
      secret: TEST_SECRET,
      baseUrl: h.github.baseUrl,
      store: storeB,
      clock: h.clock.now,
      retries: false,
      sharedWriteBudget: true,
      leaseRenewMs: 50,
      schedulerIntervalMs: 0,
      logLevel: 'fatal',
      replicaId: 'replica-b',
      inbox: { pollMs: 20 },
    });
  });

  afterAll(async () => {
    await appB?.close();
    await storeB?.close();
    await h?.close();
    await target?.cleanup();
  });

  it('keeps the lease while the answer waits for a write slot, so the other replica does not answer again', async () => {
    h.repo.pendingRules.add('1/production');
    const d = protectionRuleRequested(h.ctx, {
      id: 1,
      runId: 1,
      sha: 'a'.repeat(40),
      ref: 'v1',
      environment: 'production',
      creator: 'dev',
      createdAt: '2026-03-10T16:30:00Z',
    });
    // The installation's writes are booked for the next three seconds (other decisions, any replica).
    await h.store.takeWriteSlot(h.ctx.installationId, new Date(), 3_000);
    expect(await sendWebhook(h.app.url, TEST_SECRET, d)).toBe(200);
    const gate = await until(
      async () => (await h.store.listPendingGates({ repo: 'acme/shop' })).find((g) => g.claimedBy !== null),
      'a claimed gate',
    );
    expect(gate.status).toBe('pending');

    // Minutes pass on the clock while the decision waits for GitHub: far past one lease.
    h.clock.advance(5 * 60_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await appB.app.scheduler().tick()).toBe(0);

    expect(await h.handled(d.id)).toMatchObject({ status: 'done' });
    expect(h.repo.answers.map((a) => [a.state, a.status])).toEqual([['approved', 204]]);
    expect(await appB.app.scheduler().tick()).toBe(0);
    expect(h.repo.answers).toHaveLength(1);
    expect(h.github.violations).toEqual([]);
  });

  /** A gate GitHub waits on for run `runId`, as a replica records it before deciding. */
  async function waitingGate(runId: number, sha: string) {
    h.repo.pendingRules.add(`${runId}/production`);
    const now = h.clock.now();
    const { gate } = await h.store.upsertPendingGate({
      repo: 'acme/shop',
      installationId: h.ctx.installationId,
      runId,
      environment: 'production',
      sha,
      deploymentId: null,
      callbackUrl: `${h.github.baseUrl}/repos/acme/shop/actions/runs/${runId}/deployment_protection_rule`,
      createdAt: now,
      nextCheckAt: new Date(now.getTime() + LEASE_MS),
    });
    return gate;
  }

  it('takes over the gate of a replica that died once its lease runs out, and answers it once', async () => {
    const now = h.clock.now();
    const gate = await waitingGate(2, 'b'.repeat(40));
    // A replica claimed it and died: nobody renews its lease.
    expect(await h.store.gateQueue.claim(gate.id, 'replica-dead', new Date(now.getTime() + LEASE_MS), now)).toBe(true);
    expect(await appB.app.scheduler().tick()).toBe(0);
    h.clock.advance(LEASE_MS + 1_000);
    expect(await appB.app.scheduler().tick()).toBe(1);
    expect(h.repo.answers.filter((a) => a.runId === 2).map((a) => [a.state, a.status])).toEqual([['approved', 204]]);
    expect(await h.app.app.scheduler().tick()).toBe(0);
    expect(h.github.violations).toEqual([]);
  });

  it('answers a decided gate once when GitHub redelivers its request while another replica answers it', async () => {
    const now = h.clock.now();
    const gate = await waitingGate(3, 'c'.repeat(40));
    await h.store.decideGate(gate.id, { decision: 'approved', comment: 'Release gate: allowed for PROD.', at: now });
    // Another replica holds the gate: it is answering GitHub (its callback waits for a write slot).
    expect(await h.store.gateQueue.claim(gate.id, 'replica-c', new Date(now.getTime() + LEASE_MS), now)).toBe(true);
    const again = protectionRuleRequested(h.ctx, {
      id: 3,
      runId: 3,
      sha: 'c'.repeat(40),
      ref: 'v1',
      environment: 'production',
      creator: 'dev',
      createdAt: now.toISOString(),
    });
    expect(await sendWebhook(appB.url, TEST_SECRET, again)).toBe(200);
    expect(await h.handled(again.id)).toMatchObject({ status: 'done' });
    expect(h.repo.answers.filter((a) => a.runId === 3)).toEqual([]);
    expect((await h.store.getGate(gate.id))?.status).toBe('decided');
    // The other replica died before answering: once its lease runs out, the gate is answered once.
    h.clock.advance(LEASE_MS + 1_000);
    expect((await appB.app.scheduler().tick()) + (await h.app.app.scheduler().tick())).toBe(1);
    expect(h.repo.answers.filter((a) => a.runId === 3).map((a) => [a.state, a.status])).toEqual([['approved', 204]]);
    expect((await h.store.getGate(gate.id))?.status).toBe('answered');
    expect(h.github.violations).toEqual([]);
  });

  it('spaces the writes of both replicas one second apart for the installation', async () => {
    const runs = [11, 12, 13, 14];
    for (const r of runs) h.repo.pendingRules.add(`${r}/production`);
    const from = h.github.requests.length;
    const started = Date.now();
    const sent = runs.map((r) =>
      protectionRuleRequested(h.ctx, {
        id: r,
        runId: r,
        sha: String(r).repeat(20),
        ref: 'v1',
        environment: 'production',
        creator: 'dev',
        createdAt: '2026-03-10T16:30:00Z',
      }),
    );
    expect(await Promise.all(sent.map((d, i) => sendWebhook(i % 2 ? appB.url : h.app.url, TEST_SECRET, d)))).toEqual([
      200, 200, 200, 200,
    ]);
    for (const d of sent) expect(await h.handled(d.id, 30_000)).toMatchObject({ status: 'done' });
    // The check runs are written after the answers.
    await Promise.all([h.app.app.idle(), appB.app.idle()]);
    const writes = h.github.requests
      .slice(from)
      .filter((r) => r.method !== 'GET' && !r.path.startsWith('/app/'))
      .map((r) => r.at)
      .sort((a, b) => a - b);
    // An answer per decision, once, and its check run (a re-evaluation may update one again).
    const kinds = h.github.requests.slice(from).filter((r) => r.method !== 'GET' && !r.path.startsWith('/app/'));
    expect(kinds.filter((r) => r.path.endsWith('/deployment_protection_rule'))).toHaveLength(4);
    expect(kinds.filter((r) => r.path.includes('/check-runs')).length).toBeGreaterThanOrEqual(4);
    // GitHub sees the writes as they arrive: a write held up on its way (a busy machine) arrives
    // closer to the next one, so each gap is only checked for a burst, and the spacing on average.
    const gaps = writes.slice(1).map((t, i) => t - writes[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(600);
    expect((writes.at(-1)! - writes[0]!) / gaps.length).toBeGreaterThanOrEqual(900);
    expect(writes.at(-1)! - started).toBeLessThan(writes.length * 1_000 + 3_000);
    expect(h.repo.answers.filter((a) => runs.includes(a.runId)).map((a) => a.status)).toEqual([204, 204, 204, 204]);
  });
});
