/**
 * The App under load: the real App (Probot's webhook middleware over HTTP on 127.0.0.1, the
 * store on a SQLite file) receives signed `deployment_protection_rule` webhooks with bounded
 * concurrency while a local HTTP server plays GitHub. Reports decisions per second, latency
 * from webhook in to callback out (p50/p99), and GitHub API calls per decision, against two
 * baselines from the same run: the bare `evaluate()` of the same policy and facts, and the
 * same webhooks delivered to a Probot app whose handler does nothing.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Probot, createNodeMiddleware } from 'probot';
import { startAppServer } from '../src/app/server.js';
import { evaluate } from '../src/core/evaluate.js';
import { renderEvidenceBlock } from '../src/core/evidence-block.js';
import { loadPolicy } from '../src/core/policy-load.js';
import type { ReleaseFacts } from '../src/core/types.js';
import { openStore } from '../src/store/open-store.js';
import { FakeGitHub } from '../test/support/fake-github.js';
import { sendWebhook, protectionRuleRequested } from '../test/support/webhooks.js';
import type { Delivery, RepoContext } from '../test/support/webhooks.js';

const POLICY = `version: 1
environments:
  - name: PROD
    github: production
    minApprovals: 1
    minScore: 70
    freezeWindows:
      - name: nightly
        days: [mon, tue, wed, thu, fri]
        start: "22:00"
        end: "23:59"
        timezone: America/Sao_Paulo
`;
const SECRET = 'bench-secret';

export interface AppBenchOptions {
  log: (line: string) => void;
  quick?: boolean;
  n?: number;
  concurrency?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const shaOf = (i: number) => i.toString(16).padStart(40, '0');

/** Bare `evaluate()` of the same policy and facts, per second, for about `ms`. */
function evaluateRate(ms: number): number {
  const loaded = loadPolicy(POLICY, 'bench');
  if (!loaded.ok) throw new Error('bench policy is invalid');
  const facts: ReleaseFacts = {
    environment: 'production',
    sha: shaOf(1),
    approvals: [{ login: 'reviewer', source: 'pr-review', state: 'APPROVED', submittedAt: '2026-03-10T10:00:00Z', commitId: shaOf(1) }],
    deployments: [],
    evidence: { score: 90, breakdown: { tests: 90 }, present: ['tests'] },
    checks: [],
    teams: {},
    overrides: [],
  };
  const now = new Date('2026-03-10T15:00:00Z');
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) evaluate(loaded.policy, facts, now);
    n += 100;
  }
  return n / (ms / 1000);
}

/** Runs the benchmark and prints its figures. */
export async function runAppBench(options: AppBenchOptions): Promise<void> {
  const { log } = options;
  const n = options.n ?? (options.quick ? 60 : 300);
  const concurrency = options.concurrency ?? 8;
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const github = new FakeGitHub();
  github.checkRequests = false;
  github.keepRequests = false;
  const apiBase = await github.start();
  const repo = github.addRepo('acme', 'shop');
  repo.files['.github/release-policy.yml'] = POLICY;
  repo.fileCommits['.github/release-policy.yml'] = 'c'.repeat(40);
  const ctx: RepoContext = { owner: 'acme', name: 'shop', id: repo.id, installationId: 1, defaultBranch: 'main', apiBase };
  const callbackAt = new Map<number, number>();
  github.interceptor = ({ path, body }) => {
    const m = /\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(path);
    if (m && (body as { state?: string }).state) callbackAt.set(Number(m[1]), performance.now());
    return undefined;
  };
  const deliveries: Array<{ runId: number; delivery: Delivery }> = [];
  for (let i = 1; i <= n; i++) {
    const sha = shaOf(i);
    repo.pulls.push({ number: i, user: 'author', headSha: sha, headRef: `feature-${i}`, commits: [sha] });
    repo.reviews[i] = [{ id: i, user: 'reviewer', state: 'APPROVED', commit_id: sha, submitted_at: '2026-03-10T10:00:00Z' }];
    repo.checkRuns.push({ id: 10_000 + i, name: 'Release evidence', head_sha: sha, status: 'completed', conclusion: 'success', app: { slug: 'github-actions' }, output: { text: renderEvidenceBlock({ version: 1, score: 90, breakdown: { tests: 90 }, present: ['tests'], digests: {} }) } });
    repo.pendingRules.add(`${i}/production`);
    deliveries.push({ runId: i, delivery: protectionRuleRequested(ctx, { id: 20_000 + i, runId: i, sha, ref: 'v1.0.0', environment: 'production', creator: 'deployer', createdAt: '2026-03-10T15:00:00Z' }) });
  }
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-bench-'));
  const store = await openStore({ databaseUrl: `file:${join(dir, 'bench.db')}` });
  const app = await startAppServer({ appId: 1, privateKey, secret: SECRET, baseUrl: apiBase, store, retries: false, schedulerIntervalMs: 0, logLevel: 'fatal', clock: () => new Date('2026-03-10T15:00:00Z') });

  // Warm up: token, policy cache, JIT.
  const warm = deliveries.slice(0, Math.min(5, n));
  for (const { delivery } of warm) {
    await sendWebhook(app.url, SECRET, delivery);
    await app.app.inbox().settled(delivery.id);
  }
  const measured = deliveries.slice(warm.length);
  const before = github.requestCount;
  const sentAt = new Map<number, number>();
  const t0 = performance.now();
  await pool(measured, concurrency, async ({ runId, delivery }) => {
    sentAt.set(runId, performance.now());
    const status = await sendWebhook(app.url, SECRET, delivery);
    if (status !== 200) throw new Error(`webhook answered ${status}`);
  });
  // The inbox acknowledges at once: the decisions are done when their callbacks are in.
  const until = performance.now() + 120_000;
  while (measured.some(({ runId }) => !callbackAt.has(runId)) && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t0) / 1000;
  const calls = github.requestCount - before;
  const latencies = measured.map(({ runId }) => (callbackAt.get(runId) ?? NaN) - sentAt.get(runId)!).filter(Number.isFinite).sort((a, b) => a - b);
  const answered = latencies.length;
  await app.close();
  await store.close();

  // Baseline: the same signed webhooks to a Probot app that does nothing.
  const probot = new Probot({ appId: 1, privateKey, secret: SECRET, baseUrl: apiBase, logLevel: 'fatal' });
  const middleware = await createNodeMiddleware((p) => {
    p.on('deployment_protection_rule.requested', async () => {});
  }, { probot });
  const noop = createServer((req, res) => void Promise.resolve(middleware(req, res, () => res.writeHead(404).end())));
  await new Promise<void>((resolve) => noop.listen(0, '127.0.0.1', resolve));
  const noopUrl = `http://127.0.0.1:${(noop.address() as AddressInfo).port}`;
  const t1 = performance.now();
  await pool(measured, concurrency, async ({ delivery }) => {
    await sendWebhook(noopUrl, SECRET, { ...delivery, id: `${delivery.id}-noop` });
  });
  const noopSeconds = (performance.now() - t1) / 1000;
  noop.closeAllConnections();
  await new Promise<void>((resolve) => noop.close(() => resolve()));
  await github.close();
  rmSync(dir, { recursive: true, force: true });

  const rate = measured.length / seconds;
  const noopRate = measured.length / noopSeconds;
  const evalRate = evaluateRate(options.quick ? 300 : 1000);
  log(`## App: ${measured.length} deployment_protection_rule webhooks, concurrency ${concurrency}, SQLite file, GitHub played on 127.0.0.1`);
  log('');
  log('| measure | value |');
  log('|---|---|');
  log(`| decisions answered | ${answered} of ${measured.length} |`);
  log(`| decisions per second | ${rate.toFixed(1)} |`);
  log(`| latency webhook in -> callback out, p50 | ${percentile(latencies, 50).toFixed(1)} ms |`);
  log(`| latency webhook in -> callback out, p99 | ${percentile(latencies, 99).toFixed(1)} ms |`);
  log(`| GitHub API calls per decision | ${(calls / measured.length).toFixed(2)} |`);
  log(`| baseline: Probot with a no-op handler, webhooks per second | ${noopRate.toFixed(1)} (App is ${(rate / noopRate).toFixed(3)}x) |`);
  log(`| baseline: bare evaluate() per second | ${evalRate.toFixed(0)} (App is ${(rate / evalRate).toExponential(2)}x) |`);
}
