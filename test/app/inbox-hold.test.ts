import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Inbox } from '../../src/app/inbox.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/types.js';
import type { InboxItem } from '../../src/store/inbox-store.js';
import { sqliteTarget, type Target } from '../store/targets.js';

/**
 * A replica handling a delivery someone waits on (a protection rule request) does not take
 * background deliveries (status records) meanwhile, so the answer does not share the process
 * with a burst; but a stuck urgent delivery does not stop background work for long.
 */
describe('background workers hold off while this replica answers a protection rule request', () => {
  let tg: Target | undefined;
  let store: Store | undefined;
  let inbox: Inbox | undefined;
  afterEach(async () => {
    await inbox?.stop(Date.now());
    await store?.close();
    await tg?.cleanup();
    inbox = store = tg = undefined;
  });

  async function start(): Promise<{ started: string[]; release: () => void; urgentStarted: Promise<void> }> {
    tg = await sqliteTarget();
    store = await openStore({ databaseUrl: tg.url });
    const started: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let urgentBegan!: () => void;
    const urgentStarted = new Promise<void>((r) => (urgentBegan = r));
    inbox = new Inbox({
      store,
      replicaId: 'replica-a',
      log: pino({ level: 'silent' }),
      settings: { concurrency: 4, urgentWorkers: 1, pollMs: 20 },
      verify: () => Promise.resolve(true),
      handle: async (item: InboxItem) => {
        started.push(item.deliveryId);
        if (item.priority === 0) {
          urgentBegan();
          await held;
        }
      },
    });
    await inbox.start();
    return { started, release, urgentStarted };
  }

  const enqueue = (id: string, priority: 0 | 2, orderKey: string) =>
    store!.enqueueDelivery({
      deliveryId: id,
      event: priority === 0 ? 'deployment_protection_rule' : 'deployment_status',
      action: priority === 0 ? 'requested' : 'created',
      repo: 'acme/shop',
      orderKey,
      priority,
      payload: '{}',
      now: new Date(),
    });

  const until = async (what: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return what();
  };

  it('takes no status record while the request is being answered, and all of them right after', async () => {
    const { started, release, urgentStarted } = await start();
    await enqueue('request', 0, 'gate:production:1');
    inbox!.wake(false, true);
    await urgentStarted;
    for (let i = 0; i < 12; i++) await enqueue(`status-${i}`, 2, `deployment:${i}`);
    inbox!.wake(true);
    // The three background workers are idle and woken: they would take the records at once.
    await new Promise((r) => setTimeout(r, 500));
    expect(started).toEqual(['request']);
    release();
    expect(await until(() => started.length === 13, 10_000)).toBe(true);
  });

  it('answers more requests meanwhile with the background workers, still taking no record', async () => {
    const { started, release, urgentStarted } = await start();
    await enqueue('request-1', 0, 'gate:production:1');
    inbox!.wake(false, true);
    await urgentStarted;
    // The one urgent worker is busy: two more requests and a burst of records arrive.
    for (let i = 0; i < 6; i++) await enqueue(`status-${i}`, 2, `deployment:${i}`);
    for (const n of [2, 3]) {
      await enqueue(`request-${n}`, 0, `gate:production:${n}`);
      inbox!.wake(false, true);
    }
    expect(await until(() => started.length === 3, 2_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect([...started].sort()).toEqual(['request-1', 'request-2', 'request-3']);
    release();
    expect(await until(() => started.length === 9, 10_000)).toBe(true);
  });

  it('goes on with the records when the request is stuck (GitHub unreachable, say)', async () => {
    const { started, release, urgentStarted } = await start();
    await enqueue('request', 0, 'gate:production:1');
    inbox!.wake(false, true);
    await urgentStarted;
    for (let i = 0; i < 6; i++) await enqueue(`status-${i}`, 2, `deployment:${i}`);
    inbox!.wake(true);
    // Held for at most 2 s after the request began, then handled while it is still stuck.
    expect(await until(() => started.length === 7, 15_000)).toBe(true);
    release();
  });
});
