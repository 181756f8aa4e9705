/**
 * The App under load: the real App (Probot's webhook middleware over HTTP on 127.0.0.1, the
 * store on a SQLite file) receives signed webhooks while a local HTTP server plays GitHub
 * (ETags and 304s included). Four parts:
 *
 * 1. Throughput with Octokit's throttling and retries off (the App's own cost): decisions per
 *    second and latency at concurrency 8, against the App as it was before this version
 *    (`RELEASE_GATE_BASELINE_REF`, checked out beside the repository and run on the same
 *    webhooks in the same run), Probot with a no-op handler, and the bare `evaluate()`.
 * 2. Production configuration (`npm start`: throttling and retries on, one write per second
 *    per installation): a single request answered with nothing else queued, 20 simultaneous
 *    requests of one installation, and the billed GitHub requests of a PROD decision (cold:
 *    the first of a release whose DEV and PRE_PROD decisions the App made; warm: the same
 *    release again, nothing changed).
 * 3. Decision time against the repository's history: 0, 10k and 100k recorded deployments.
 *
 * Each figure is printed with its target and whether this run met it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { Probot, createNodeMiddleware } from 'probot';
import { startAppServer } from '../src/app/server.js';
import type { RunningApp } from '../src/app/server.js';
import { evaluate } from '../src/core/evaluate.js';
import { loadPolicy } from '../src/core/policy-load.js';
import type { ReleaseFacts } from '../src/core/types.js';
import { etagCache } from '../src/github/conditional-requests.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/types.js';
import { evidenceText } from '../test/support/evidence.js';
import { FakeGitHub } from '../test/support/fake-github.js';
import type { FakeRepo } from '../test/support/fake-github.js';
import {
  checkRunEvent,
  deploymentStatusCreated,
  protectionRuleRequested,
  sendWebhook,
} from '../test/support/webhooks.js';
import type { Delivery, DeploymentSpec, RepoContext } from '../test/support/webhooks.js';

/** The workload of the throughput part: the same as the benchmark of the previous version. */
export const POLICY = `version: 1
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

/** The production part: a PROD policy with approvals and a required check. */
export const PIPELINE = `version: 1
environments:
  - name: DEV
    github: development
  - name: PRE_PROD
    github: staging
  - name: PROD
    github: production
    minApprovals: 1
    requiredChecks: [ci]
`;

export const SECRET = 'bench-secret';
export const NOW = '2026-03-10T15:00:00Z';
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The commit the throughput baseline is measured from: the App before this version. */
const BASELINE_REF = process.env.RELEASE_GATE_BASELINE_REF ?? '6683019';

export interface AppBenchOptions {
  log: (line: string) => void;
  quick?: boolean;
  n?: number;
  concurrency?: number;
}

export function percentile(sorted: number[], p: number): number {
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
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

/** Bare `evaluate()` of the same policy and facts, per second, for about `ms`. */
function evaluateRate(ms: number): number {
  const loaded = loadPolicy(POLICY, 'bench');
  if (!loaded.ok) throw new Error('bench policy is invalid');
  const facts: ReleaseFacts = {
    environment: 'production',
    sha: shaOf(1),
    approvals: [
      {
        login: 'reviewer',
        source: 'pr-review',
        state: 'APPROVED',
        submittedAt: '2026-03-10T10:00:00Z',
        commitId: shaOf(1),
      },
    ],
    deployments: [],
    evidence: { score: 90, breakdown: { tests: 90 }, present: ['tests'] },
    checks: [],
    teams: {},
    overrides: [],
  };
  const now = new Date(NOW);
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) evaluate(loaded.policy, facts, now);
    n += 100;
  }
  return n / (ms / 1000);
}

export interface Rig {
  github: FakeGitHub;
  repo: FakeRepo;
  ctx: RepoContext;
  store: Store;
  app: RunningApp;
  dir: string;
  callbackAt: CallbackLog;
  close(): Promise<void>;
}

/**
 * How long the played GitHub keeps an idle connection open when asked to keep connections
 * (Node's default): undici, which the App's Octokit sends with, closes a connection after each
 * answer when the server's `Keep-Alive: timeout` is not above its 1 s safety margin, so with the
 * played GitHub's own 1 s every request of the App opens a new connection, which GitHub's API
 * does not make it do.
 */
export const KEEP_ALIVE_MS = 5_000;

/**
 * Decisions made before the measured ones, one at a time, so the measured ones find the App's
 * code compiled and its connections open, as in a process that has been running (the first
 * hundred decisions of a fresh process were a quarter slower: bench/README.md).
 */
export const WARM_UP = 40;

/**
 * The callbacks GitHub received, by run id (when), and who waits for one: the sender waits on
 * a promise instead of polling a timer, as it shares the App's thread in most figures.
 */
export class CallbackLog extends Map<number, number> {
  private readonly waiting = new Map<number, () => void>();
  /** The state of each run's first callback (`approved` or `rejected`). */
  readonly states = new Map<number, string>();
  override set(run: number, at: number, state?: string): this {
    super.set(run, at);
    if (state !== undefined && !this.states.has(run)) this.states.set(run, state);
    this.waiting?.get(run)?.();
    this.waiting?.delete(run);
    return this;
  }
  answered(run: number): Promise<void> {
    if (this.has(run)) return Promise.resolve();
    return new Promise((resolve) => this.waiting.set(run, resolve));
  }
  /** How many of `runs` GitHub heard approved: every release of the throughput parts is ready for PROD. */
  approved(runs: number[]): number {
    return runs.filter((run) => this.states.get(run) === 'approved').length;
  }
}

/** Records a protection rule callback's time and state in `log` (the played GitHub's interceptor). */
export function watchCallbacks(log: CallbackLog) {
  return ({ path, body }: { path: string; body: unknown }) => {
    const m = /\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(path);
    const state = (body as { state?: string } | undefined)?.state;
    if (m && state) log.set(Number(m[1]), performance.now(), state);
    return undefined;
  };
}

/**
 * `dbFile`: a SQLite file, or a `postgresql://` URL (its schema is the caller's to drop).
 * `keepAlive`: the played GitHub keeps idle connections `KEEP_ALIVE_MS` (else its own 1 s).
 */
export async function rig(policy: string, throttled: boolean, dbFile?: string, keepAlive = false): Promise<Rig> {
  etagCache.clear();
  const github = new FakeGitHub();
  github.checkRequests = false;
  const apiBase = await github.start();
  // Set from here, not in the played GitHub, so a commit compared with `--compare` gets it too.
  if (keepAlive) (github as unknown as { server: Server }).server.keepAliveTimeout = KEEP_ALIVE_MS;
  const repo = github.addRepo('acme', 'shop');
  repo.files['.github/release-policy.yml'] = policy;
  repo.fileCommits['.github/release-policy.yml'] = 'c'.repeat(40);
  const ctx: RepoContext = {
    owner: 'acme',
    name: 'shop',
    id: repo.id,
    installationId: 1,
    defaultBranch: 'main',
    apiBase,
  };
  const callbackAt = new CallbackLog();
  github.interceptor = watchCallbacks(callbackAt);
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-bench-'));
  const databaseUrl = dbFile?.startsWith('postgresql://') ? dbFile : `file:${dbFile ?? join(dir, 'bench.db')}`;
  const store = await openStore({ databaseUrl });
  const app = await startAppServer({
    appId: github.appId,
    privateKey,
    secret: SECRET,
    baseUrl: apiBase,
    store,
    retries: throttled,
    schedulerIntervalMs: 0,
    logLevel: 'fatal',
    clock: () => new Date(NOW),
  });
  return {
    github,
    repo,
    ctx,
    store,
    app,
    dir,
    callbackAt,
    close: async () => {
      await app.close();
      await store.close();
      await github.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Evidence the App scores 90: tests, security, coverage and half a checklist (`evidenceText` throws if the core scores it otherwise). */
const READY_EVIDENCE = evidenceText(90);

/**
 * The size of a release's pull request: its reviews (all but the last are comments of other
 * people; the last approves the head) and its commits (the last is the release commit).
 */
export interface ReleaseShape {
  reviews: number;
  commits: number;
}

/** The smallest release: one approving review, one commit (the throughput figures). */
export const SMALL_RELEASE: ReleaseShape = { reviews: 1, commits: 1 };

/** A release as a busy repository has them: 30 reviews of its pull request, 60 commits. */
export const GITHUB_SIZED_RELEASE: ReleaseShape = { reviews: 30, commits: 60 };

/** A release ready for PROD in the fake GitHub: a PR approved on its head, CI passed, `READY_EVIDENCE`. */
export function release(r: Rig, i: number, shape: ReleaseShape = SMALL_RELEASE): string {
  const sha = shaOf(i);
  // The earlier commits of the pull request: shas of their own, never another release's.
  const earlier = Array.from(
    { length: shape.commits - 1 },
    (_, k) => `${(k + 1).toString(16).padStart(8, 'e')}${sha.slice(8)}`,
  );
  r.repo.pulls.push({ number: i, user: 'author', headSha: sha, headRef: `feature-${i}`, commits: [...earlier, sha] });
  r.repo.reviews[i] = [
    ...Array.from({ length: shape.reviews - 1 }, (_, k) => ({
      id: 1_000_000 + i * 1_000 + k,
      user: `commenter${k % 7}`,
      state: 'COMMENTED' as const,
      commit_id: earlier[k % Math.max(1, earlier.length)] ?? sha,
      submitted_at: '2026-03-10T09:00:00Z',
    })),
    { id: i, user: 'reviewer', state: 'APPROVED' as const, commit_id: sha, submitted_at: '2026-03-10T10:00:00Z' },
  ];
  r.repo.checkRuns.push({
    id: 10_000 + i,
    name: 'Release evidence',
    head_sha: sha,
    status: 'completed',
    conclusion: 'success',
    app: { slug: 'github-actions' },
    output: { text: READY_EVIDENCE },
  });
  r.repo.checkRuns.push({
    id: 20_000 + i,
    name: 'ci',
    head_sha: sha,
    status: 'completed',
    conclusion: 'success',
    app: { slug: 'github-actions' },
    output: {},
  });
  return sha;
}

export const request = (
  r: Rig,
  runId: number,
  sha: string,
  environment: string,
  deploymentId = 100_000 + runId,
): { d: DeploymentSpec; delivery: Delivery } => {
  r.repo.pendingRules.add(`${runId}/${environment}`);
  const d: DeploymentSpec = { id: deploymentId, sha, ref: 'main', environment, creator: 'deployer', createdAt: NOW };
  return { d, delivery: protectionRuleRequested(r.ctx, { ...d, runId }) };
};

/** Sends a webhook and waits until the App handled it (the inbox acknowledges at once, then works). */
export async function send(r: Rig, delivery: Delivery, accept: number[] = [200]): Promise<number> {
  const status = await sendWebhook(r.app.url, SECRET, delivery);
  if (!accept.includes(status)) throw new Error(`webhook answered ${status}`);
  await r.app.app.inbox().settled(delivery.id);
  return status;
}

/** What a measured run of decisions gives (this file's `throughput`, bench/decisions-apart.ts). */
export interface DecisionRun {
  /** Decisions per second over the measured ones. */
  rate: number;
  /** Latency webhook sent -> callback received, ms. */
  p50: number;
  p99: number;
  /** Decisions whose callback reached GitHub. */
  answered: number;
  /** Of those, approved (all should be: each release is ready for PROD). */
  approved: number;
  measured: number;
  /**
   * The main thread's CPU time per decision (user + system, ms): the App, Probot and, unless
   * they have a process of their own, the GitHub played on 127.0.0.1 and the sender share that
   * thread; other processes on the machine change it less than they change the rate.
   */
  cpuMs: number;
  /** The CPU per decision of the played GitHub's and the sender's own process, when they have one. */
  otherCpuMs?: number;
  /** The App's heap in use after the run, after a full garbage collection (MB), when the App has the process to itself. */
  heapMb?: number;
}

/** Part 1: decisions per second and latency, throttling off (or on, on another database: bench/decisions.ts). */
export async function throughput(
  n: number,
  concurrency: number,
  options: { throttled?: boolean; databaseUrl?: string; keepAlive?: boolean; warmUp?: number } = {},
): Promise<DecisionRun & { billed: number }> {
  const r = await rig(POLICY, options.throttled ?? false, options.databaseUrl, options.keepAlive);
  const deliveries: Array<{ runId: number; delivery: Delivery }> = [];
  for (let i = 1; i <= n; i++)
    deliveries.push({ runId: i, delivery: request(r, i, release(r, i), 'production').delivery });
  const warm = deliveries.slice(0, Math.min(options.warmUp ?? WARM_UP, n));
  for (const { delivery } of warm) await send(r, delivery);
  await r.app.app.idle();
  const measured = deliveries.slice(warm.length);
  const billedBefore = r.github.requests.filter((q) => q.status !== 304).length;
  const sentAt = new Map<number, number>();
  const cpu = process.threadCpuUsage();
  const t0 = performance.now();
  await pool(measured, concurrency, async ({ runId, delivery }) => {
    sentAt.set(runId, performance.now());
    // Acknowledged at once by the inbox; the decision is done when its callback reaches GitHub
    // (watched in memory, so the benchmark does not load the database it measures).
    const status = await sendWebhook(r.app.url, SECRET, delivery);
    if (status !== 200) throw new Error(`webhook answered ${status}`);
    await r.callbackAt.answered(runId);
  });
  // The inbox acknowledges at once: the decisions are done when their callbacks are in.
  const until = performance.now() + 120_000;
  while (measured.some(({ runId }) => !r.callbackAt.has(runId)) && performance.now() < until)
    await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t0) / 1000;
  const used = process.threadCpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / measured.length;
  await r.app.app.idle();
  const billed = (r.github.requests.filter((q) => q.status !== 304).length - billedBefore) / measured.length;
  const latencies = measured
    .map(({ runId }) => (r.callbackAt.get(runId) ?? NaN) - sentAt.get(runId)!)
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const approved = r.callbackAt.approved(measured.map(({ runId }) => runId));
  await r.close();
  return {
    rate: measured.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    answered: latencies.length,
    approved,
    measured: measured.length,
    billed,
    cpuMs,
  };
}

/**
 * The App as it was at `BASELINE_REF`, on the same webhooks, in the same run: its own
 * benchmark, run from a checkout beside this one that shares its node_modules.
 */
function baselineThroughput(
  n: number,
  concurrency: number,
  log: (line: string) => void,
): { rate: number; p99: number } | null {
  // The baseline's own run never measures a baseline in turn (a checkout whose benchmark also
  // has this function would otherwise start itself again and again).
  if (process.env.RELEASE_GATE_BASELINE_CHILD) return null;
  const dir = join(tmpdir(), `release-gate-baseline-${BASELINE_REF}`);
  try {
    if (!existsSync(join(dir, 'package.json'))) {
      execFileSync('git', ['-C', REPO_ROOT, 'worktree', 'add', '--detach', '--force', dir, BASELINE_REF], {
        stdio: 'ignore',
      });
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
      execFileSync('node', ['scripts/prisma-generate.mjs'], { cwd: dir, stdio: 'ignore' });
    }
    const run = spawnSync(
      join(REPO_ROOT, 'node_modules/.bin/tsx'),
      ['bench/app-main.ts', '--n', String(n), '--concurrency', String(concurrency)],
      { cwd: dir, encoding: 'utf8', timeout: 600_000, env: { ...process.env, RELEASE_GATE_BASELINE_CHILD: '1' } },
    );
    const rate = /\| decisions per second \| ([\d.]+) \|/.exec(run.stdout)?.[1];
    const p99 = /p99 \| ([\d.]+) ms \|/.exec(run.stdout)?.[1];
    if (!rate || !p99) throw new Error(`its benchmark printed no figures: ${(run.stderr || run.stdout).slice(-300)}`);
    return { rate: Number(rate), p99: Number(p99) };
  } catch (error) {
    log(`(baseline ${BASELINE_REF} not measured: ${error instanceof Error ? error.message : String(error)})`);
    return null;
  }
}

/** Probot with a no-op handler on the same kind of webhooks, per second. */
async function noopRate(n: number, concurrency: number): Promise<number> {
  const github = new FakeGitHub();
  const apiBase = await github.start();
  const ctx: RepoContext = { owner: 'acme', name: 'shop', id: 1, installationId: 1, defaultBranch: 'main', apiBase };
  const probot = new Probot({ appId: 1, privateKey, secret: SECRET, baseUrl: apiBase, logLevel: 'fatal' });
  const middleware = await createNodeMiddleware(
    (p) => {
      p.on('deployment_protection_rule.requested', async () => {});
    },
    { probot },
  );
  const noop = createServer((req, res) => void Promise.resolve(middleware(req, res, () => res.writeHead(404).end())));
  await new Promise<void>((resolve) => noop.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(noop.address() as AddressInfo).port}`;
  const items = Array.from({ length: n }, (_, i) =>
    protectionRuleRequested(ctx, {
      id: i,
      runId: i,
      sha: shaOf(i),
      ref: 'main',
      environment: 'production',
      creator: 'x',
      createdAt: NOW,
    }),
  );
  const t0 = performance.now();
  await pool(items, concurrency, async (d) => {
    await sendWebhook(url, SECRET, d);
  });
  const rate = n / ((performance.now() - t0) / 1000);
  noop.closeAllConnections();
  await new Promise<void>((resolve) => noop.close(() => resolve()));
  await github.close();
  return rate;
}

/** Part 2: production configuration. */
async function production(log: (line: string) => void, quick: boolean): Promise<void> {
  const r = await rig(PIPELINE, true);
  const billed = () => r.github.requests.filter((q) => q.status !== 304 && !q.path.endsWith('/access_tokens')).length;
  const writes = () => r.github.requests.filter((q) => q.method !== 'GET' && !q.path.endsWith('/access_tokens')).length;
  let runId = 1;
  let statusId = 500_000;
  /** One decision, nothing else queued: sent, answered, its audit written, the write slot free again. */
  const decide = async (sha: string, environment: string) => {
    const { d, delivery } = request(r, runId, sha, environment);
    const run = runId++;
    const [b, w] = [billed(), writes()];
    const t0 = performance.now();
    await send(r, delivery);
    const answeredMs = (r.callbackAt.get(run) ?? NaN) - t0;
    await r.app.app.idle();
    const cost = { billed: billed() - b, writes: writes() - w, answeredMs };
    if (r.repo.answers.find((a) => a.runId === run)?.state === 'approved') {
      await send(r, deploymentStatusCreated(r.ctx, d, { id: statusId++, state: 'success', at: NOW }));
      await r.app.app.idle();
    }
    await sleep(1_100); // the installation's write slot is free again
    return cost;
  };
  const singles: number[] = [];
  const cold: Array<{ billed: number; writes: number }> = [];
  const warm: Array<{ billed: number; writes: number }> = [];
  const releases = quick ? 2 : 4;
  for (let i = 1; i <= releases; i++) {
    const sha = release(r, 1_000 + i);
    // CI's check run completed: GitHub said so with a webhook before anyone deployed.
    await send(
      r,
      checkRunEvent(r.ctx, {
        action: 'completed',
        name: 'ci',
        headSha: sha,
        appSlug: 'github-actions',
        id: 20_000 + 1_000 + i,
        sender: 'ci',
      }),
    );
    singles.push((await decide(sha, 'development')).answeredMs);
    singles.push((await decide(sha, 'staging')).answeredMs);
    const c = await decide(sha, 'production');
    singles.push(c.answeredMs);
    cold.push(c);
    const w = await decide(sha, 'production');
    singles.push(w.answeredMs);
    warm.push(w);
  }
  singles.sort((a, b) => a - b);

  // 20 simultaneous requests of one installation, for 20 releases that passed PRE_PROD.
  const burst: Array<{ run: number; delivery: Delivery }> = [];
  for (let i = 1; i <= 20; i++) {
    const sha = release(r, 2_000 + i);
    const staging = 700_000 + i;
    await r.store.recordDeployment({
      id: staging,
      repo: 'acme/shop',
      sha,
      ref: 'main',
      environment: 'staging',
      creator: 'deployer',
      createdAt: new Date(NOW),
    });
    await r.store.recordDeploymentStatus({
      id: 800_000 + i,
      deploymentId: staging,
      state: 'success',
      at: new Date(NOW),
      creator: 'deployer',
    });
    const run = 5_000 + i;
    burst.push({ run, delivery: request(r, run, sha, 'production').delivery });
  }
  const t0 = performance.now();
  const acks = await Promise.all(burst.map(({ delivery }) => send(r, delivery, [200, 202])));
  // A handler still running when Probot answered 202 goes on: wait for every answer.
  for (let waited = 0; burst.some(({ run }) => !r.callbackAt.has(run)) && waited < 60_000; waited += 100)
    await sleep(100);
  const answeredAt = burst.map(({ run }) => (r.callbackAt.get(run) ?? NaN) - t0).sort((a, b) => a - b);
  const late = acks.filter((s) => s === 202).length;
  const answered = answeredAt.filter(Number.isFinite).length;
  await r.app.app.idle();
  await r.close();

  const max = (xs: Array<{ billed: number }>) => Math.max(...xs.map((x) => x.billed));
  const maxWrites = Math.max(...[...cold, ...warm].map((x) => x.writes));
  const p50 = percentile(singles, 50);
  const last = answeredAt.at(-1)!;
  log('| measure (throttling and retries ON, as `npm start` runs) | value | target | |');
  log('|---|---|---|---|');
  log(
    `| single request, nothing else queued: webhook in -> callback out, p50 (${singles.length} requests) | ${p50.toFixed(0)} ms | under 300 ms | ${met(p50 < 300)} |`,
  );
  log(
    `| 20 simultaneous requests of one installation: first / median / last answered | ${(answeredAt[0]! / 1000).toFixed(1)} s / ${(percentile(answeredAt, 50) / 1000).toFixed(1)} s / ${(last / 1000).toFixed(1)} s (${answered} of 20; ${late} webhook(s) acknowledged 202 by Probot after about 9 s) | all within 25 s | ${met(answered === 20 && last <= 25_000)} |`,
  );
  log(
    `| billed GitHub requests, first PROD decision of a release (DEV and PRE_PROD decided by the App), worst of ${cold.length} | ${max(cold)} | at most 5 | ${met(max(cold) <= 5)} |`,
  );
  log(
    `| billed GitHub requests, the same release again, nothing changed, worst of ${warm.length} | ${max(warm)} | at most 2 | ${met(max(warm) <= 2)} |`,
  );
  log(`| writes per decision, worst | ${maxWrites} | at most 2 | ${met(maxWrites <= 2)} |`);
}

/**
 * Part 3: one decision's time with 0, 10k and 100k deployments (each with a success status)
 * recorded in the repository: the rows are written straight into the SQLite file.
 */
async function history(log: (line: string) => void, quick: boolean): Promise<void> {
  const sizes = quick ? [0, 10_000] : [0, 10_000, 100_000];
  const rows: string[] = [];
  const medians: number[] = [];
  for (const size of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'release-gate-history-'));
    const file = join(dir, 'history.db');
    await (await openStore({ databaseUrl: `file:${file}` })).close();
    const db = createClient({ url: `file:${file}` });
    const envs = ['development', 'staging', 'production'];
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    for (let start = 0; start < size; start += 5_000) {
      const batch: Array<{ sql: string; args: Array<string | number> }> = [];
      for (let i = start; i < Math.min(size, start + 5_000); i++) {
        const at = t0 + i * 60_000;
        const sha = (i % 3_000).toString(16).padStart(40, 'e');
        batch.push({
          // Each one let through by the gate and proven by its success, as the App records them.
          sql: 'INSERT INTO "Deployment" ("id","repo","sha","ref","environment","creator","createdAt","latestState","latestStateAt","approvedVia","approvedAt","approvedEnvironment","provenAt") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)',
          args: [
            1_000_000 + i,
            'acme/shop',
            sha,
            'main',
            envs[i % 3]!,
            'ci',
            at,
            'success',
            at,
            'deployment-event',
            at,
            envs[i % 3]!,
            at,
          ],
        });
        batch.push({
          sql: 'INSERT INTO "DeploymentStatus" ("id","deploymentId","state","at","creator") VALUES (?,?,?,?,?)',
          args: [5_000_000 + i, 1_000_000 + i, 'success', at, 'ci'],
        });
      }
      await db.batch(batch, 'write');
    }
    db.close();
    const r = await rig(PIPELINE, false, file);
    const times: number[] = [];
    const warmUp = 5;
    for (let i = 1; i <= warmUp + (quick ? 10 : 30); i++) {
      const sha = release(r, 3_000 + i);
      await r.store.recordDeployment({
        id: 900_000 + i,
        repo: 'acme/shop',
        sha,
        ref: 'main',
        environment: 'staging',
        creator: 'deployer',
        createdAt: new Date(NOW),
      });
      await r.store.recordDeploymentStatus({
        id: 950_000 + i,
        deploymentId: 900_000 + i,
        state: 'success',
        at: new Date(NOW),
        creator: 'deployer',
      });
      const { delivery } = request(r, 30_000 + i, sha, 'production');
      const started = performance.now();
      await send(r, delivery);
      if (i > warmUp) times.push((r.callbackAt.get(30_000 + i) ?? NaN) - started);
      await r.app.app.idle();
    }
    await r.close();
    rmSync(dir, { recursive: true, force: true });
    times.sort((a, b) => a - b);
    const median = percentile(times, 50);
    medians.push(median);
    rows.push(`| ${size.toLocaleString('en-US')} | ${median.toFixed(1)} ms | ${percentile(times, 90).toFixed(1)} ms |`);
  }
  const spread = Math.max(...medians) / Math.min(...medians);
  log('| recorded deployments in the repository | PROD decision, median | p90 |');
  log('|---|---|---|');
  for (const row of rows) log(row);
  log('');
  log(`Largest / smallest median: ${spread.toFixed(2)}x (target: flat within 1.5x, ${met(spread <= 1.5)}).`);
}

/** Runs the benchmark and prints its figures. */
export async function runAppBench(options: AppBenchOptions): Promise<void> {
  const { log } = options;
  const n = options.n ?? (options.quick ? 60 : 300);
  const concurrency = options.concurrency ?? 8;

  log(
    `## App: ${n - 5} deployment_protection_rule webhooks, concurrency ${concurrency}, throttling off, SQLite file, GitHub played on 127.0.0.1`,
  );
  log('');
  const ours = await throughput(n, concurrency, { warmUp: 5 });
  const base = baselineThroughput(n, concurrency, log);
  const noop = await noopRate(n, concurrency);
  const evalRate = evaluateRate(options.quick ? 300 : 1000);
  log('| measure | value | target | |');
  log('|---|---|---|---|');
  log(
    `| decisions answered, approved | ${ours.answered} of ${ours.measured}, ${ours.approved} approved | all approved | ${met(ours.approved === ours.measured)} |`,
  );
  log(
    `| decisions per second | ${ours.rate.toFixed(1)}${base ? ` (${(ours.rate / base.rate).toFixed(2)}x the previous version's ${base.rate.toFixed(1)}, same run)` : ''} | at least 3x the previous version | ${base ? met(ours.rate >= 3 * base.rate) : 'not measured'} |`,
  );
  log(`| latency webhook in -> callback out, p50 | ${ours.p50.toFixed(1)} ms | | |`);
  log(
    `| latency webhook in -> callback out, p99 | ${ours.p99.toFixed(1)} ms${base ? ` (previous version ${base.p99.toFixed(1)} ms)` : ''} | under 60 ms | ${met(ours.p99 < 60)} |`,
  );
  log(`| billed GitHub requests per decision (a 304 is free) | ${ours.billed.toFixed(2)} | | |`);
  log(
    `| baseline: Probot with a no-op handler, webhooks per second | ${noop.toFixed(1)} (App is ${(ours.rate / noop).toFixed(3)}x) | | |`,
  );
  log(
    `| baseline: bare evaluate() per second | ${evalRate.toFixed(0)} (App is ${(ours.rate / evalRate).toExponential(2)}x) | | |`,
  );
  log('');
  log('## App in production configuration: throttling and retries on, GitHub played on 127.0.0.1');
  log('');
  await production(log, Boolean(options.quick));
  log('');
  log("## App: decision time against the repository's history (throttling off)");
  log('');
  await history(log, Boolean(options.quick));
}
