import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/types.js';
import { postgresTarget, sqliteTarget, type Target } from './targets.js';

const T0 = Date.parse('2026-11-01T10:00:00Z');
/** An instant `ms` after the epoch. */
const t = (ms: number) => new Date(ms);

describe.each([
  { provider: 'sqlite' as const, target: sqliteTarget },
  { provider: 'postgresql' as const, target: postgresTarget },
])('inbox, write slots and poisoned policies on $provider', ({ target }) => {
  let tg: Target;
  let store: Store;
  let other: Store;

  beforeAll(async () => {
    tg = await target();
    store = await openStore({ databaseUrl: tg.url });
    other = await openStore({ databaseUrl: tg.url });
  });

  afterAll(async () => {
    await store?.close();
    await other?.close();
    await tg?.cleanup();
  });

  /** Finishes everything claimable at `nowMs`, so the next test starts from an empty inbox. */
  const drain = async (nowMs: number) => {
    for (
      let item = await store.claimInboxDelivery('drainer', t(nowMs + 1), t(nowMs));
      item;
      item = await store.claimInboxDelivery('drainer', t(nowMs + 1), t(nowMs))
    ) {
      await store.finishInboxDelivery(item.seq, 'drainer', t(nowMs));
    }
  };
  const enqueue = (id: string, orderKey: string, nowMs = T0) =>
    store.enqueueDelivery({
      deliveryId: id,
      event: 'deployment_protection_rule',
      action: 'requested',
      repo: 'acme/web',
      orderKey,
      priority: 0,
      payload: `{"id":"${id}"}`,
      now: t(nowMs),
    });

  it('stores a delivery once; a redelivery is a duplicate only once it was handled to the end', async () => {
    expect(await enqueue('d-1', 'k1')).toBe('queued');
    expect(await enqueue('d-1', 'k1')).toBe('pending');
    const item = await store.claimInboxDelivery('w1', t(T0 + 30_000), t(T0));
    expect(item).toMatchObject({ deliveryId: 'd-1', attempts: 1, payload: '{"id":"d-1"}' });
    expect(await store.claimInboxDelivery('w2', t(T0 + 30_000), t(T0))).toBeNull();
    await store.finishInboxDelivery(item!.seq, 'w1', t(T0 + 10));
    expect(await enqueue('d-1', 'k1')).toBe('duplicate');
    expect(await store.getInboxDelivery('d-1')).toMatchObject({ status: 'done', finishedAt: t(T0 + 10) });
  });

  it('hands deliveries of one gate out one after the other, in order, and others in parallel', async () => {
    for (const [id, key] of [
      ['o-1', 'gate-a'],
      ['o-2', 'gate-a'],
      ['o-3', 'gate-b'],
      ['o-4', 'gate-a'],
    ] as const)
      await enqueue(id, key);
    const first = await Promise.all(
      [store, other, store, other].map((s, i) => s.claimInboxDelivery(`w${i}`, t(T0 + 30_000), t(T0))),
    );
    expect(
      first
        .filter((x) => x !== null)
        .map((x) => x!.deliveryId)
        .sort(),
    ).toEqual(['o-1', 'o-3']);
    const a = first.find((x) => x?.deliveryId === 'o-1')!;
    const owner = `w${first.indexOf(a)}`;
    // A failure waits for its retry and keeps the later deliveries of its gate waiting too.
    await store.failInboxDelivery(a.seq, owner, 'GitHub answered 502', t(T0 + 2_000));
    expect(await store.claimInboxDelivery('w9', t(T0 + 30_000), t(T0 + 1_000))).toBeNull();
    const again = await store.claimInboxDelivery('w9', t(T0 + 32_000), t(T0 + 2_000));
    expect(again).toMatchObject({ deliveryId: 'o-1', attempts: 2 });
    await store.finishInboxDelivery(again!.seq, 'w9', t(T0 + 2_100));
    expect(await store.claimInboxDelivery('w9', t(T0 + 32_000), t(T0 + 2_200))).toMatchObject({ deliveryId: 'o-2' });
    await drain(T0 + 40_000);
    await drain(T0 + 40_000);
    expect((await store.countInbox()).ready).toBe(0);
  });

  it('lets another worker take a delivery whose claim ran out (its worker died), and not before', async () => {
    await drain(T0 + 40_000);
    await enqueue('c-1', 'gate-c');
    const mine = await store.claimInboxDelivery('dead-worker', t(T0 + 30_000), t(T0));
    expect(mine?.deliveryId).toBe('c-1');
    expect(await store.claimInboxDelivery('w2', t(T0 + 60_000), t(T0 + 29_999))).toBeNull();
    expect(await store.renewInboxDelivery(mine!.seq, 'w2', t(T0 + 90_000))).toBe(false);
    const taken = await other.claimInboxDelivery('w2', t(T0 + 60_000), t(T0 + 30_000));
    expect(taken).toMatchObject({ deliveryId: 'c-1', attempts: 2 });
    // The dead worker's late finish does not count: the claim is not its own any more.
    await store.finishInboxDelivery(mine!.seq, 'dead-worker', t(T0 + 30_001));
    expect((await store.getInboxDelivery('c-1'))?.status).toBe('working');
    await store.finishInboxDelivery(taken!.seq, 'w2', t(T0 + 30_002));
  });

  it('gives 40 concurrent claims from two connections 40 different deliveries', async () => {
    for (let i = 0; i < 40; i++) await enqueue(`p-${i}`, `par-${i}`, T0 + 100_000);
    const claims = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? store : other).claimInboxDelivery(`p${i}`, t(T0 + 200_000), t(T0 + 100_000)),
      ),
    );
    const ids = claims.filter((c) => c !== null && c.deliveryId.startsWith('p-')).map((c) => c!.deliveryId);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    await drain(T0 + 200_000);
    expect(await store.countInbox()).toMatchObject({ ready: 0, working: 0 });
  });

  it('queues a delivery given up on again when GitHub redelivers it', async () => {
    await enqueue('f-1', 'gate-f', T0 + 300_000);
    const item = await store.claimInboxDelivery('w', t(T0 + 330_000), t(T0 + 300_000));
    expect(item?.deliveryId).toBe('f-1');
    await store.failInboxDelivery(item!.seq, 'w', 'policy handler bug', null);
    expect(await store.getInboxDelivery('f-1')).toMatchObject({ status: 'failed', lastError: 'policy handler bug' });
    expect(await enqueue('f-1', 'gate-f', T0 + 400_000)).toBe('requeued');
    expect(await store.getInboxDelivery('f-1')).toMatchObject({ status: 'ready', attempts: 0 });
  });

  it('hands out the most urgent delivery first, keeps the order of one gate, and lends urgency to what a gate waits behind', async () => {
    await drain(T0 + 500_000);
    const at = T0 + 500_000;
    const put = (id: string, orderKey: string, priority: 0 | 1 | 2) =>
      store.enqueueDelivery({
        deliveryId: id,
        event: priority === 0 ? 'deployment_protection_rule' : 'deployment_status',
        action: 'created',
        repo: 'acme/web',
        orderKey,
        priority,
        payload: '{}',
        now: t(at),
      });
    for (let i = 0; i < 30; i++) await put(`rec-${i}`, `status-${i}`, 2);
    await put('wake-1', 'reviews', 1);
    // The gate's own status event came before its protection rule request: it goes first.
    await put('gate-status', 'gate-x', 2);
    await put('gate-request', 'gate-x', 0);
    const order: string[] = [];
    for (let item = await store.claimInboxDelivery('w', t(at + 1), t(at)); item;) {
      order.push(item.deliveryId);
      await store.finishInboxDelivery(item.seq, 'w', t(at));
      item = await store.claimInboxDelivery('w', t(at + 1), t(at));
    }
    expect(order.slice(0, 3)).toEqual(['gate-status', 'gate-request', 'wake-1']);
    expect(order.slice(3)).toEqual(Array.from({ length: 30 }, (_, i) => `rec-${i}`));
  });

  it('lets an urgent worker take only deliveries someone waits on', async () => {
    const at = T0 + 600_000;
    await store.enqueueDelivery({
      deliveryId: 'only-record',
      event: 'deployment_status',
      action: 'created',
      repo: 'acme/web',
      orderKey: 'r',
      priority: 2,
      payload: '{}',
      now: t(at),
    });
    expect(await store.claimInboxDelivery('urgent', t(at + 1), t(at), 0)).toBeNull();
    expect(await store.claimInboxDelivery('any', t(at + 1), t(at), 2)).toMatchObject({ deliveryId: 'only-record' });
    await drain(at + 40_000);
  });

  it('records a delivery once with what its handling did; counts its tries after the first and its sends after it was handled', async () => {
    const at = T0 + 700_000;
    const send = () =>
      store.enqueueDelivery({
        deliveryId: 'dlv-1',
        event: 'deployment',
        action: 'created',
        repo: 'acme/web',
        orderKey: 'dlv',
        priority: 0,
        payload: '{}',
        now: t(at),
      });
    const results = await Promise.all(Array.from({ length: 5 }, send));
    expect(results.filter((r) => r === 'queued')).toHaveLength(1);
    expect(results.filter((r) => r === 'pending')).toHaveLength(4);
    // The first try fails; the second is counted; then it is handled to the end.
    const first = await store.claimInboxDelivery('w', t(at + 30_000), t(at));
    expect(await store.beginHandling(first!, t(at))).toBe('handle');
    await store.finishDelivery('dlv-1', 'error: 502', t(at));
    await store.failInboxDelivery(first!.seq, 'w', '502', t(at));
    const second = await store.claimInboxDelivery('w', t(at + 30_000), t(at));
    expect(await store.beginHandling(second!, t(at))).toBe('handle');
    await store.finishDelivery('dlv-1', 'recorded', t(at + 1_000));
    // Its worker dies before marking it done: taken again, it is not handled twice.
    const third = await store.claimInboxDelivery('w2', t(at + 60_000), t(at + 30_000));
    expect(third).toMatchObject({ deliveryId: 'dlv-1', attempts: 3 });
    expect(await store.beginHandling(third!, t(at + 30_000))).toBe('handled');
    await store.finishInboxDelivery(third!.seq, 'w2', t(at + 30_000));
    expect(await send()).toBe('duplicate');
    const row = await store.getDelivery('dlv-1');
    expect(row).toMatchObject({
      id: 'dlv-1',
      event: 'deployment',
      action: 'created',
      repo: 'acme/web',
      redeliveries: 2,
      outcome: 'recorded',
    });
    expect(row?.receivedAt.toISOString()).toBe(t(at).toISOString());
  });

  it("spaces one installation's write slots a second apart across connections, whoever asks", async () => {
    const slots = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? store : other).takeWriteSlot(77, new Date(T0), 1_000).then((slot) => slot.getTime()),
      ),
    );
    expect([...slots].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => T0 + i * 1_000));
    // Another installation has its own slots; a slot in the past is not handed out.
    expect((await store.takeWriteSlot(78, new Date(T0 + 5_000), 1_000)).getTime()).toBe(T0 + 5_000);
    expect((await store.takeWriteSlot(78, new Date(T0 + 60_000), 1_000)).getTime()).toBe(T0 + 60_000);
  });

  it('records a poisoned policy once and counts evaluations started and not finished', async () => {
    const at = new Date(T0);
    expect(await store.getPoisonedPolicy('blob-1')).toBeNull();
    await store.poisonPolicy({ blobSha: 'blob-1', repo: 'acme/web', reason: 'evaluation threw: boom', at });
    await store.poisonPolicy({ blobSha: 'blob-1', repo: 'acme/web', reason: 'second reason is not kept', at });
    expect(await store.getPoisonedPolicy('blob-1')).toMatchObject({ reason: 'evaluation threw: boom' });
    expect(await store.startEvaluationAttempt('blob-2', 'acme/web@1/production', at)).toBe(1);
    expect(await store.startEvaluationAttempt('blob-2', 'acme/web@1/production', at)).toBe(2);
    await store.finishEvaluationAttempt('blob-2', 'acme/web@1/production');
    expect(await store.startEvaluationAttempt('blob-2', 'acme/web@1/production', at)).toBe(1);
  });
});

describe('the SQLite file behind the open handle', () => {
  it('makes health fail with a clear message when the file is deleted', async () => {
    const tg = await sqliteTarget();
    const store = await openStore({ databaseUrl: tg.url });
    try {
      expect((await store.health()).ok).toBe(true);
      expect(store.fileProblem()).toBeNull();
      const file = tg.url.slice('file:'.length);
      await rm(file);
      const health = await store.health();
      expect(health).toMatchObject({ ok: false, database: 'down' });
      expect(health.error).toBe(
        `The SQLite file ${file} was deleted while the App had it open: writes would be lost. Restore it from a backup and restart the App.`,
      );
    } finally {
      await store.close();
      await tg.cleanup();
    }
  });
});
