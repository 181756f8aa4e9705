/**
 * Delivery figures over a long history: the 30-day report of one repository (and of all
 * repositories) with 200 proven production deployments in the window, measured on a record
 * with only those (the baseline) and again once 100,000 older deployments (10,000 with
 * --quick) of the same repositories are added. Target: the report with history takes at
 * most twice the baseline's time (its queries read the window only, by index).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaLibSql } from '@prisma/adapter-libsql';
import { deliveryReport } from '../src/delivery/delivery-report.js';
import { PrismaClient } from '../src/store/generated/sqlite/client.js';
import { openStore } from '../src/store/open-store.js';
import { LIVE_POLICY, seedPolicyInForce } from '../test/support/delivery-seed.js';

const TMP = fileURLToPath(new URL('./.tmp/', import.meta.url));
const NOW = new Date('2026-03-31T00:00:00Z');
const REPOS = ['acme/shop', 'acme/api', 'acme/web', 'acme/jobs'];
export const DELIVERY_TARGET_RATIO = 2;

/** Proven LIVE deployments: `count` of them, one every `spacingMs`, ending just before `end`. */
function rows(first: number, count: number, end: number, spacingMs: number) {
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(end - (count - i) * spacingMs);
    return {
      id: BigInt(first + i),
      repo: REPOS[i % REPOS.length]!,
      sha: (first + i).toString(16).padStart(40, '0'),
      environment: 'live',
      stage: 'LIVE',
      createdAt: at,
      payload: i % 25 === 0 ? `{"releaseGate":{"rollbackOf":${first + i - 1}}}` : '{}',
      latestState: i % 9 === 0 ? 'failure' : 'success',
      latestStateAt: new Date(at.getTime() + 60_000),
      approvedVia: 'deployment-event',
      approvedAt: at,
      approvedStage: 'LIVE',
      approvedEnvironment: 'live',
      provenAt: at,
    };
  });
}

async function timeReports(url: string, rounds: number): Promise<{ one: number; all: number }> {
  const store = await openStore({ databaseUrl: url });
  try {
    // Rounds to warm the connection, the statement cache and the JIT, not counted.
    for (let r = 0; r < 20; r++) {
      await deliveryReport(store.deliveryRecord, { repo: 'acme/shop', days: 30, now: NOW });
      await deliveryReport(store.deliveryRecord, { days: 30, now: NOW });
    }
    let one = 0;
    let all = 0;
    for (let r = 0; r < rounds; r++) {
      let t = performance.now();
      await deliveryReport(store.deliveryRecord, { repo: 'acme/shop', days: 30, now: NOW });
      one += performance.now() - t;
      t = performance.now();
      await deliveryReport(store.deliveryRecord, { days: 30, now: NOW });
      all += performance.now() - t;
    }
    return { one: one / rounds, all: all / rounds };
  } finally {
    await store.close();
  }
}

export async function runDeliveryBench(options: { log: (line: string) => void; quick: boolean }): Promise<boolean> {
  const { log } = options;
  const history = options.quick ? 10_000 : 100_000;
  mkdirSync(TMP, { recursive: true });
  const file = join(TMP, `delivery-${process.pid}.db`);
  rmSync(file, { force: true });
  const url = `file:${file}`;
  try {
    const store = await openStore({ databaseUrl: url });
    for (const repo of REPOS) await seedPolicyInForce(store, repo, LIVE_POLICY, '2026-01-01T00:00:00Z');
    await store.close();
    const db = new PrismaClient({ adapter: new PrismaLibSql({ url }) });
    const windowStart = NOW.getTime() - 30 * 86_400_000;
    await db.deployment.createMany({ data: rows(1, 200, NOW.getTime(), (30 * 86_400_000) / 201) });
    await db.$queryRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
    const baseline = await timeReports(url, 100);
    for (let i = 0; i < history; i += 5_000)
      await db.deployment.createMany({
        data: rows(1_000_000 + i, Math.min(5_000, history - i), windowStart - (history - i) * 3_600_000, 3_600_000),
      });
    // The history as a long-running record holds it: written back from the WAL into the file.
    await db.$queryRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
    await db.$disconnect();
    const loaded = await timeReports(url, 100);
    const ratioOne = loaded.one / baseline.one;
    const ratioAll = loaded.all / baseline.all;
    const met = ratioOne <= DELIVERY_TARGET_RATIO && ratioAll <= DELIVERY_TARGET_RATIO;
    log(`delivery: 30-day report, 200 proven deployments in the window, ${history.toLocaleString('en-US')} before it`);
    log(
      `  one repository:  ${loaded.one.toFixed(1)} ms (baseline without history ${baseline.one.toFixed(1)} ms, x${ratioOne.toFixed(2)})`,
    );
    log(
      `  all repositories: ${loaded.all.toFixed(1)} ms (baseline without history ${baseline.all.toFixed(1)} ms, x${ratioAll.toFixed(2)})`,
    );
    log(`  target: at most x${DELIVERY_TARGET_RATIO} the baseline: ${met ? 'met' : 'NOT met'}`);
    return met;
  } finally {
    rmSync(file, { force: true });
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
  }
}
