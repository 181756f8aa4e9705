import process from 'node:process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryReport } from '../../src/delivery/delivery-report.js';
import { createAdapter, parseDatabaseUrl } from '../../src/store/database-url.js';
import { PrismaClient as PostgresClient } from '../../src/store/generated/postgresql/client.js';
import { PrismaClient as SqliteClient } from '../../src/store/generated/sqlite/client.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/types.js';
import { seedDeliveryMonth } from '../support/delivery-seed.js';
import { postgresTarget, sqliteTarget, type Target } from '../store/targets.js';

const NOW = new Date('2026-03-31T00:00:00Z');

/** Years of history before the window, written straight into the table (thousands of rows). */
async function seedHistory(url: string, provider: 'sqlite' | 'postgresql', repo: string, count: number): Promise<void> {
  const { factory, dispose } = createAdapter(parseDatabaseUrl(url, process.cwd()));
  const db =
    provider === 'sqlite'
      ? new SqliteClient({ adapter: factory })
      : (new PostgresClient({ adapter: factory }) as unknown as SqliteClient);
  try {
    const start = Date.parse('2023-01-01T00:00:00Z');
    const rows = Array.from({ length: count }, (_, i) => {
      const at = new Date(start + i * 3_600_000 * 6);
      return {
        id: BigInt(9_000_000 + i),
        repo,
        sha: i.toString(16).padStart(40, '0'),
        environment: 'live',
        stage: 'LIVE',
        createdAt: at,
        payload: i % 10 === 0 ? '{"releaseGate":{"rollbackOf":1}}' : '{}',
        latestState: i % 7 === 0 ? 'failure' : 'success',
        latestStateAt: at,
        approvedVia: 'deployment-event',
        approvedAt: at,
        approvedStage: 'LIVE',
        approvedEnvironment: 'live',
        provenAt: at,
      };
    });
    for (let i = 0; i < rows.length; i += 1000) await db.deployment.createMany({ data: rows.slice(i, i + 1000) });
  } finally {
    await db.$disconnect();
    await dispose();
  }
}

/** The plan of the window query, as the database explains it. */
async function windowPlan(url: string, provider: 'sqlite' | 'postgresql'): Promise<string> {
  const { factory, dispose } = createAdapter(parseDatabaseUrl(url, process.cwd()));
  const db =
    provider === 'sqlite'
      ? new SqliteClient({ adapter: factory })
      : (new PostgresClient({ adapter: factory }) as unknown as SqliteClient);
  try {
    if (provider === 'sqlite') {
      const rows = await db.$queryRawUnsafe<Array<{ detail: string }>>(
        `EXPLAIN QUERY PLAN SELECT * FROM "Deployment" WHERE "repo" = 'acme/shop' AND "provenAt" >= 1 AND "provenAt" < 2 ORDER BY "provenAt" LIMIT 50000`,
      );
      return rows.map((r) => r.detail).join('\n');
    }
    await db.$executeRawUnsafe('ANALYZE "Deployment"');
    const rows = await db.$queryRawUnsafe<Array<{ 'QUERY PLAN': string }>>(
      `EXPLAIN SELECT * FROM "Deployment" WHERE "repo" = 'acme/shop' AND "provenAt" >= '2026-03-01' AND "provenAt" < '2026-03-31' ORDER BY "provenAt" LIMIT 50000`,
    );
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await db.$disconnect();
    await dispose();
  }
}

describe.each([
  { provider: 'sqlite' as const, target: sqliteTarget },
  { provider: 'postgresql' as const, target: postgresTarget },
])('delivery figures from the record on $provider', ({ provider, target }) => {
  let tg: Target;
  let store: Store;

  beforeAll(async () => {
    tg = await target();
    store = await openStore({ databaseUrl: tg.url });
    await seedDeliveryMonth(store, 'acme/shop');
    await seedDeliveryMonth(store, 'acme/api', 1000);
  });
  afterAll(async () => {
    await store?.close();
    await tg?.cleanup();
  });

  it('counts the last stage of the policy in force, by hand', async () => {
    // SECURITY.md N2: unproven deployments and other stages' are in the record and do not count.
    const report = await deliveryReport(store.deliveryRecord, { repo: 'acme/shop', days: 30, now: NOW });
    expect(report.repositories).toHaveLength(1);
    expect(report.repositories[0]).toMatchObject({ repo: 'acme/shop', prodStage: 'LIVE', prodStageFrom: 'policy' });
    expect(report.total).toMatchObject({
      deployments: 7,
      deploymentsPerDay: 7 / 30,
      leadTime: { count: 3, p50: 86_400, p90: 172_800 },
      leadTimeUnknown: 1,
      failures: 3,
      changeFailureRate: 3 / 7,
      timeToRestore: { count: 2, p50: 1_800, p90: 3_600 },
      unrestored: 1,
    });
  });

  it('adds repositories together across the record, and only those the caller may read', async () => {
    const all = await deliveryReport(store.deliveryRecord, { days: 30, now: NOW });
    expect(all.repositories.map((r) => r.repo)).toEqual(['acme/api', 'acme/shop']);
    expect(all.total).toMatchObject({ deployments: 14, failures: 6, changeFailureRate: 3 / 7, unrestored: 2 });
    const some = await deliveryReport(store.deliveryRecord, {
      days: 30,
      now: NOW,
      allowed: async (repo) => repo === 'acme/api',
    });
    expect(some.repositories.map((r) => r.repo)).toEqual(['acme/api']);
    expect(some.total.deployments).toBe(7);
    // 90 days reaches back to February's deployment 7 (release f has no pull request recorded).
    const ninety = await deliveryReport(store.deliveryRecord, { repo: 'acme/shop', days: 90, now: NOW });
    expect(ninety.total).toMatchObject({ deployments: 8, leadTimeUnknown: 2, failures: 3 });
  });

  it('reads only the window: thousands of older deployments change neither the figures nor the plan', async () => {
    await seedHistory(tg.url, provider, 'acme/shop', 4_000);
    const report = await deliveryReport(store.deliveryRecord, { repo: 'acme/shop', days: 30, now: NOW });
    expect(report.total).toMatchObject({ deployments: 7, failures: 3, changeFailureRate: 3 / 7 });
    const plan = await windowPlan(tg.url, provider);
    // An index bounded by the proof time (the repository's, or all repositories' when the planner prefers it).
    expect(plan).toMatch(/Deployment_(repo_)?provenAt_idx/);
    expect(plan).not.toMatch(/SCAN "?Deployment"?\s*$|Seq Scan/m);
  });
});
