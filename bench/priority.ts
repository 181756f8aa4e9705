/**
 * The gate answers first: two replicas on PostgreSQL, as `npm start` runs them (Octokit
 * retries and throttling ON, writes spaced through the database's write slots). A burst of
 * `deployment_status` webhooks (queued, in progress, success of many deployments of one busy
 * repository) is acknowledged, then one `deployment_protection_rule` request arrives. Reports
 * how long that request waited for its answer, against the same request sent to the idle
 * App in the same run, and whether every status event was still recorded exactly once.
 */
import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { startAppServer } from '../src/app/server.js';
import type { RunningApp } from '../src/app/server.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/types.js';
import { FakeGitHub } from '../test/support/fake-github.js';
import { deploymentStatusCreated, protectionRuleRequested, sendWebhook } from '../test/support/webhooks.js';
import type { Delivery, RepoContext } from '../test/support/webhooks.js';
import { pool } from './pool.js';

const POLICY = `version: 1
environments:
  - name: DEV
    github: development
  - name: PRE_PROD
    github: staging
  - name: PROD
    github: production
`;
const SECRET = 'priority-secret';
/** The target: the protection rule request answered within this long after it was sent. */
const TARGET_MS = 2_000;

export interface PriorityBenchOptions {
  log: (line: string) => void;
  /** Status webhooks in the burst (default 1,500). */
  statuses?: number;
  databaseUrl?: string;
}

/** Runs the benchmark and prints its figures; returns whether every target was met. */
export async function runPriorityBench(options: PriorityBenchOptions): Promise<boolean> {
  const { log } = options;
  const statuses = options.statuses ?? 1_500;
  const baseUrl =
    options.databaseUrl ??
    process.env.BENCH_DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgresql://postgres@127.0.0.1:5432/test';
  const schema = `rg_priority_${Math.random().toString(36).slice(2, 10)}`;
  const databaseUrl = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}schema=${schema}`;
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();

  const github = new FakeGitHub();
  github.checkRequests = false;
  github.keepRequests = false;
  const apiBase = await github.start();
  const repo = github.addRepo('acme', 'shop');
  repo.files['.github/release-policy.yml'] = POLICY;
  repo.fileCommits['.github/release-policy.yml'] = 'c'.repeat(40);
  const ctx: RepoContext = {
    owner: 'acme',
    name: 'shop',
    id: repo.id,
    installationId: 77,
    defaultBranch: 'main',
    apiBase,
  };
  // When GitHub saw each answer of a protection rule (by run id).
  const answeredAt = new Map<number, number>();
  github.fault = ({ method, path, body }) => {
    const m = /\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(path);
    if (m && method === 'POST' && (body as { state?: string }).state && !answeredAt.has(Number(m[1])))
      answeredAt.set(Number(m[1]), performance.now());
    return undefined;
  };

  // The burst: each deployment of a busy repository goes queued -> in_progress -> success.
  const burst: Delivery[] = [];
  const states = ['queued', 'in_progress', 'success'];
  for (let i = 0; burst.length < statuses; i++) {
    const d = {
      id: 10_000 + i,
      sha: (0xa00000 + i).toString(16).padStart(40, '0'),
      ref: 'main',
      environment: i % 2 === 0 ? 'development' : 'staging',
      creator: 'github-actions[bot]',
      createdAt: new Date(Date.now() - 60_000).toISOString(),
      appId: 15368,
    };
    for (const [k, state] of states.entries()) {
      if (burst.length >= statuses) break;
      burst.push(deploymentStatusCreated(ctx, d, { id: 100_000 + i * 3 + k, state, at: new Date().toISOString() }));
    }
  }
  let nextRun = 1;
  const request = (): { runId: number; delivery: Delivery } => {
    const runId = nextRun++;
    repo.pendingRules.add(`${runId}/production`);
    return {
      runId,
      delivery: protectionRuleRequested(ctx, {
        id: 90_000 + runId,
        runId,
        sha: (0xf00000 + runId).toString(16).padStart(40, '0'),
        ref: 'v1.0.0',
        environment: 'production',
        creator: 'deployer',
        createdAt: new Date().toISOString(),
      }),
    };
  };

  const stores: Store[] = [];
  const apps: RunningApp[] = [];
  const waitFor = async (runId: number, sentAt: number, limitMs: number): Promise<number> => {
    while (!answeredAt.has(runId) && performance.now() - sentAt < limitMs) await new Promise((r) => setTimeout(r, 5));
    return (answeredAt.get(runId) ?? Number.NaN) - sentAt;
  };
  try {
    for (const name of ['replica-a', 'replica-b']) {
      const store = await openStore({ databaseUrl });
      stores.push(store);
      apps.push(
        await startAppServer({
          appId: 1,
          privateKey,
          secret: SECRET,
          baseUrl: apiBase,
          store,
          retries: true,
          replicaId: name,
          logLevel: 'fatal',
          schedulerIntervalMs: 30_000,
        }),
      );
    }
    // Baseline: the same kind of request to the idle App (three, the median counts).
    const idle: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = request();
      const sentAt = performance.now();
      await sendWebhook(apps[i % 2]!.url, SECRET, r.delivery);
      idle.push(await waitFor(r.runId, sentAt, 60_000));
      // Its check run is written after the answer: let it go out before the next request.
      await Promise.all(apps.map((a) => a.app.idle()));
      await new Promise((res) => setTimeout(res, 1_100));
    }
    idle.sort((a, b) => a - b);
    const idleMs = idle[1]!;

    // The burst, acknowledged by both replicas, then the request.
    const t0 = performance.now();
    let sent = 0;
    await pool(burst, 32, async (delivery) => {
      await sendWebhook(apps[sent++ % 2]!.url, SECRET, delivery);
    });
    const ackSeconds = (performance.now() - t0) / 1000;
    const r = request();
    const sentAt = performance.now();
    await sendWebhook(apps[0]!.url, SECRET, r.delivery);
    const busyMs = await waitFor(r.runId, sentAt, 300_000);

    // Every status event still handled, once.
    const deadline = performance.now() + 600_000;
    let counts = await stores[0]!.countInbox();
    while (counts.ready + counts.working > 0 && performance.now() < deadline) {
      await new Promise((res) => setTimeout(res, 500));
      counts = await stores[0]!.countInbox();
    }
    const drainSeconds = (performance.now() - t0) / 1000;
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    const rows = await client.query<{ n: string; distinct_ids: string }>(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT "id") AS distinct_ids FROM "${schema}"."DeploymentStatus"`,
    );
    await client.end();
    const recorded = Number(rows.rows[0]!.n);
    const distinct = Number(rows.rows[0]!.distinct_ids);
    const met = {
      answer: busyMs <= TARGET_MS,
      recorded: recorded === statuses && distinct === statuses,
      handled: counts.failed === 0 && counts.ready + counts.working === 0,
    };

    log(
      `## The gate answers first: ${statuses} deployment_status webhooks, then one protection rule request; 2 replicas on PostgreSQL, throttling on`,
    );
    log('');
    log('| measure | value | target |');
    log('|---|---|---|');
    log(`| burst acknowledged | ${statuses} webhooks in ${ackSeconds.toFixed(1)} s | |`);
    log(`| baseline: the request answered on the idle App (median of 3) | ${idleMs.toFixed(0)} ms | |`);
    log(
      `| the request answered after the burst | ${Number.isNaN(busyMs) ? 'never (5 min)' : `${busyMs.toFixed(0)} ms`} (${(busyMs / idleMs).toFixed(1)}x the idle App) | within ${TARGET_MS} ms: ${met.answer ? 'met' : 'NOT met'} |`,
    );
    log(
      `| status events recorded | ${recorded} rows, ${distinct} distinct of ${statuses} | all, once: ${met.recorded ? 'met' : 'NOT met'} |`,
    );
    log(
      `| inbox after the burst | ${counts.done} done, ${counts.failed} failed, ${counts.ready + counts.working} left; drained in ${drainSeconds.toFixed(1)} s | none failed or left: ${met.handled ? 'met' : 'NOT met'} |`,
    );
    return Object.values(met).every(Boolean);
  } finally {
    for (const app of apps) await app.close();
    for (const store of stores) await store.close();
    await github.close();
    const c = new pg.Client({ connectionString: baseUrl });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  }
}
