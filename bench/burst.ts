/**
 * A burst on two replicas sharing PostgreSQL, as `npm start` runs them: Octokit retries and
 * throttling ON, writes spaced through the database's per-installation write slots. N signed
 * `deployment_protection_rule` webhooks (20% of them redeliveries of the same delivery id),
 * in random order, over 10 installations, each sent to one of the two replicas. Reports the
 * acknowledgement latency (p50/p99), decisions per minute per installation against GitHub's
 * write floor (one content-creating request per second per installation), and how many
 * requests were answered exactly once, lost, answered twice, or refused by GitHub.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Probot, createNodeMiddleware } from 'probot';
import { startAppServer } from '../src/app/server.js';
import type { RunningApp } from '../src/app/server.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/types.js';
import { FakeGitHub } from '../test/support/fake-github.js';
import { protectionRuleRequested, sendWebhook } from '../test/support/webhooks.js';
import type { Delivery, RepoContext } from '../test/support/webhooks.js';
import { pool } from './pool.js';

const POLICY = `version: 1
environments:
  - name: PROD
    github: production
`;
const SECRET = 'burst-secret';
const INSTALLATIONS = 10;
/** GitHub's floor: one write per second per installation. */
const WRITES_PER_MINUTE = 60;

export interface BurstBenchOptions {
  log: (line: string) => void;
  /** Webhooks to send, duplicates included (default 10,000). */
  webhooks?: number;
  /** Concurrent webhook senders. */
  senders?: number;
  databaseUrl?: string;
  /** Give up waiting for answers after this long without progress. */
  stallMs?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed;
  const rand = () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Runs the burst and prints its figures; returns whether every target was met. */
export async function runBurstBench(options: BurstBenchOptions): Promise<boolean> {
  const { log } = options;
  const total = options.webhooks ?? 10_000;
  const unique = Math.round(total * 0.8);
  const baseUrl =
    options.databaseUrl ??
    process.env.BENCH_DATABASE_URL ??
    process.env.TEST_DATABASE_URL ??
    'postgresql://postgres@127.0.0.1:5432/test';
  const schema = `rg_burst_${Math.random().toString(36).slice(2, 10)}`;
  const databaseUrl = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}schema=${schema}`;
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();

  const github = new FakeGitHub();
  github.checkRequests = false;
  github.keepRequests = false;
  const apiBase = await github.start();
  const contexts: RepoContext[] = [];
  for (let i = 0; i < INSTALLATIONS; i++) {
    const repo = github.addRepo(`org${i}`, 'shop');
    repo.files['.github/release-policy.yml'] = POLICY;
    repo.fileCommits['.github/release-policy.yml'] = 'c'.repeat(40);
    contexts.push({
      owner: `org${i}`,
      name: 'shop',
      id: repo.id,
      installationId: 1000 + i,
      defaultBranch: 'main',
      apiBase,
    });
  }
  // Every callback GitHub sees: accepted (204) or refused (422), and when; writes per installation.
  const callbacks = new Map<number, Array<{ status: number; at: number }>>();
  const writesByInstallation = new Map<number, number[]>();
  github.fault = ({ method, path, body }) => {
    const owner = /^\/repos\/org(\d+)\//.exec(path);
    if (owner && method !== 'GET') {
      const list = writesByInstallation.get(Number(owner[1])) ?? [];
      list.push(performance.now());
      writesByInstallation.set(Number(owner[1]), list);
    }
    const m = /\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(path);
    if (m && (body as { state?: string }).state) {
      const runId = Number(m[1]);
      const repo = github.repo(path.split('/').slice(2, 4).join('/'));
      const pending = repo.pendingRules.has(`${runId}/production`);
      const list = callbacks.get(runId) ?? [];
      list.push({ status: pending ? 204 : 422, at: performance.now() });
      callbacks.set(runId, list);
    }
    return undefined;
  };

  const deliveries: Array<{ runId: number; installation: number; delivery: Delivery }> = [];
  for (let i = 1; i <= unique; i++) {
    const installation = i % INSTALLATIONS;
    const ctx = contexts[installation]!;
    github.repo(`org${installation}/shop`).pendingRules.add(`${i}/production`);
    deliveries.push({
      runId: i,
      installation,
      delivery: protectionRuleRequested(ctx, {
        id: 50_000 + i,
        runId: i,
        sha: i.toString(16).padStart(40, '0'),
        ref: 'v1.0.0',
        environment: 'production',
        creator: 'deployer',
        createdAt: new Date().toISOString(),
      }),
    });
  }
  // 20% of the webhooks are GitHub redeliveries of one already sent (same delivery id).
  const sends = shuffle([...deliveries, ...shuffle([...deliveries], 7).slice(0, total - unique)], 42);

  const stores: Store[] = [];
  const apps: RunningApp[] = [];
  try {
    for (const name of ['replica-a', 'replica-b']) {
      const store = await openStore({ databaseUrl });
      stores.push(store);
      // As `npm start` runs it: retries and throttling on, the shared write budget on.
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
    const acks: number[] = [];
    const ackStatus = new Map<number, number>();
    const t0 = performance.now();
    let sent = 0;
    await pool(sends, options.senders ?? 32, async ({ delivery }) => {
      const app = apps[sent++ % 2]!;
      const start = performance.now();
      const status = await sendWebhook(app.url, SECRET, delivery);
      acks.push(performance.now() - start);
      ackStatus.set(status, (ackStatus.get(status) ?? 0) + 1);
    });
    const sentSeconds = (performance.now() - t0) / 1000;

    // Wait for the answers: until all are in or nothing moved for a while.
    const stallMs = options.stallMs ?? 90_000;
    let last = -1;
    let lastChange = performance.now();
    for (;;) {
      const answered = deliveries.filter((d) => callbacks.get(d.runId)?.some((c) => c.status === 204)).length;
      if (answered === unique) break;
      if (answered !== last) {
        last = answered;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > stallMs) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // Room for a late second answer to show up.
    await new Promise((r) => setTimeout(r, 3_000));
    const elapsedMinutes = (performance.now() - t0) / 60_000;

    let once = 0;
    let lost = 0;
    let twice = 0;
    let refused = 0;
    for (const d of deliveries) {
      const list = callbacks.get(d.runId) ?? [];
      const ok = list.filter((c) => c.status === 204).length;
      refused += list.filter((c) => c.status === 422).length;
      if (ok === 0) lost++;
      else if (ok === 1 && list.length === 1) once++;
      if (list.length > 1) twice++;
    }
    const perInstallation: number[] = [];
    const floors: number[] = [];
    for (let i = 0; i < INSTALLATIONS; i++) {
      const mine = deliveries.filter((d) => d.installation === i);
      const times = mine.flatMap((d) =>
        (callbacks.get(d.runId) ?? []).filter((c) => c.status === 204).map((c) => c.at),
      );
      const minutes = times.length > 0 ? (Math.max(...times) - t0) / 60_000 : elapsedMinutes;
      perInstallation.push(times.length / minutes);
      const writes = writesByInstallation.get(i)?.length ?? 0;
      // The floor: the decisions per minute that GitHub's one write per second allows, at the writes each decision makes.
      floors.push(WRITES_PER_MINUTE / Math.max(1, writes / Math.max(1, times.length)));
    }
    for (const app of apps.splice(0)) await app.close();

    // Baseline: the same webhooks, same senders, to a Probot app whose handler does nothing.
    const probot = new Probot({ appId: 1, privateKey, secret: SECRET, baseUrl: apiBase, logLevel: 'fatal' });
    const middleware = await createNodeMiddleware(
      (p) => {
        p.on('deployment_protection_rule.requested', async () => {});
      },
      { probot },
    );
    const noop = createServer((req, res) => void Promise.resolve(middleware(req, res, () => res.writeHead(404).end())));
    await new Promise<void>((resolve) => noop.listen(0, '127.0.0.1', resolve));
    const noopUrl = `http://127.0.0.1:${(noop.address() as AddressInfo).port}`;
    const baseAcks: number[] = [];
    await pool(sends, options.senders ?? 32, async ({ delivery }) => {
      const start = performance.now();
      await sendWebhook(noopUrl, SECRET, delivery);
      baseAcks.push(performance.now() - start);
    });
    noop.closeAllConnections();
    await new Promise<void>((resolve) => noop.close(() => resolve()));
    const baseP99 = percentile(
      [...baseAcks].sort((a, b) => a - b),
      99,
    );

    const sorted = [...acks].sort((a, b) => a - b);
    const ackP99 = percentile(sorted, 99);
    const worstRatio = Math.max(...perInstallation.map((rate, i) => floors[i]! / rate));
    const writesPerDecision =
      [...writesByInstallation.values()].reduce((a, l) => a + l.length, 0) / Math.max(1, unique - lost);
    const met = { lost: lost === 0, twice: twice === 0, ack: ackP99 < 500, floor: worstRatio <= 1.5 };

    log(
      `## Burst: ${total} webhooks (${unique} requests + ${total - unique} redeliveries), random order, ${INSTALLATIONS} installations, 2 replicas on PostgreSQL, throttling on`,
    );
    log('');
    log('| measure | value | target |');
    log('|---|---|---|');
    log(
      `| webhooks acknowledged | ${[...ackStatus].map(([s, n]) => `${n} x ${s}`).join(', ')} in ${sentSeconds.toFixed(1)} s | all 2xx |`,
    );
    log(
      `| ack latency p50 / p99 | ${percentile(sorted, 50).toFixed(1)} ms / ${ackP99.toFixed(1)} ms | p99 < 500 ms: ${met.ack ? 'met' : 'NOT met'} |`,
    );
    log(
      `| baseline: the same webhooks to Probot with a no-op handler, ack p99 | ${baseP99.toFixed(1)} ms (the App's p99 is ${(ackP99 / baseP99).toFixed(2)}x) | |`,
    );
    log(`| requests answered exactly once | ${once} of ${unique} | all |`);
    log(`| lost (never answered) | ${lost} | 0: ${met.lost ? 'met' : 'NOT met'} |`);
    log(`| answered more than once (second callback sent) | ${twice} | 0: ${met.twice ? 'met' : 'NOT met'} |`);
    log(`| callbacks refused by GitHub (422) | ${refused} | 0 |`);
    log(`| GitHub writes per decision | ${writesPerDecision.toFixed(2)} | |`);
    log(
      `| decisions per minute per installation (min / mean / max) | ${Math.min(...perInstallation).toFixed(1)} / ${(perInstallation.reduce((a, b) => a + b, 0) / INSTALLATIONS).toFixed(1)} / ${Math.max(...perInstallation).toFixed(1)} | |`,
    );
    log(
      `| baseline: GitHub's write floor, decisions per minute per installation | ${(floors.reduce((a, b) => a + b, 0) / INSTALLATIONS).toFixed(1)} (one write per second) | |`,
    );
    log(
      `| slowest installation vs the floor | ${worstRatio.toFixed(2)}x slower | within 1.5x: ${met.floor ? 'met' : 'NOT met'} |`,
    );
    log(`| total time | ${(elapsedMinutes * 60).toFixed(0)} s | |`);
    return Object.values(met).every(Boolean);
  } finally {
    for (const app of apps) await app.close();
    for (const store of stores) await store.close();
    await github.close();
    const pgClient = new pg.Client({ connectionString: baseUrl });
    await pgClient.connect();
    await pgClient.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pgClient.end();
  }
}
