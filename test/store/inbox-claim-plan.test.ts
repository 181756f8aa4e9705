import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { PG_URL, postgresTarget, type Target } from './targets.js';

/**
 * The inbox's claim on PostgreSQL reads a few rows however many deliveries wait. It wants the
 * most urgent, oldest open delivery whose gate has no earlier one open: without indexes of the
 * open deliveries alone (migration 0015) PostgreSQL read and sorted every waiting delivery at
 * each claim (about 3,000 rows per claim behind 1,500, and 80 ms a claim before the table's
 * statistics were taken), and a burst of 1,500 status events took 80 s to drain where 10 s did.
 * Counted in rows PostgreSQL read (its table statistics), not in time.
 */
describe('the inbox claim on PostgreSQL behind a burst', () => {
  let tg: Target;
  const schema = () => new URL(tg.url).searchParams.get('schema')!;

  /** Rows PostgreSQL has read from the inbox's table, by scans and index fetches. */
  async function rowsRead(): Promise<number> {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const { rows } = await c.query<{ read: string }>(
        `SELECT COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0) AS read
           FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'InboxDelivery'`,
        [schema()],
      );
      return Number(rows[0]?.read ?? 0);
    } finally {
      await c.end();
    }
  }

  async function analyze(): Promise<void> {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`ANALYZE "${schema()}"."InboxDelivery"`);
    } finally {
      await c.end();
    }
  }

  beforeAll(async () => {
    tg = await postgresTarget();
  });

  afterAll(async () => {
    await tg?.cleanup();
  });

  it('reads a bounded number of rows per claim with 1,500 deliveries waiting', async () => {
    const now = new Date('2026-12-07T10:00:00Z');
    const filler = await openStore({ databaseUrl: tg.url });
    const ids = Array.from({ length: 1_500 }, (_, i) => i);
    for (let i = 0; i < ids.length; i += 50)
      await Promise.all(
        ids.slice(i, i + 50).map((n) =>
          filler.enqueueDelivery({
            deliveryId: `status-${n}`,
            event: 'deployment_status',
            action: 'created',
            repo: 'acme/shop',
            orderKey: `deployment:${n}`,
            priority: 2,
            payload: '{}',
            now,
          }),
        ),
      );
    // Closing ends the pool's connections, which hands their statistics to PostgreSQL.
    await filler.close();
    // What autovacuum does within a minute of a burst this size.
    await analyze();
    const before = await rowsRead();

    const store = await openStore({ databaseUrl: tg.url });
    const claims = 40;
    const until = new Date(now.getTime() + 30_000);
    for (let i = 0; i < claims; i++) {
      const item = await store.claimInboxDelivery('worker', until, now);
      expect(item?.deliveryId).toMatch(/^status-/);
      await store.finishInboxDelivery(item!.seq, 'worker', now);
    }
    await store.close();
    const perClaim = ((await rowsRead()) - before) / claims;
    // A claim and its finish read the head of the queue and the delivery's own order key: a
    // handful of rows, not the 1,500 waiting.
    expect(perClaim).toBeLessThan(50);
  });
});
