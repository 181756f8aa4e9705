import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { TEST_PRIVATE_KEY } from '../support/app-harness.js';
import { FakeGitHub } from '../support/fake-github.js';
import type { FakeRepo } from '../support/fake-github.js';
import { protectionRuleRequested, sendWebhook } from '../support/webhooks.js';
import type { RepoContext } from '../support/webhooks.js';
import { postgresTarget, sqliteTarget } from '../store/targets.js';
import type { Target } from '../store/targets.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SECRET = 'crash-test-secret';
const POLICY = `version: 1
environments:
  - name: PROD
    github: production
`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
}

async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs: number, output: () => string): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the App's output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The App in its own process (as `npm start` runs it), killed and started again by the test. */
class AppProcess {
  child: ChildProcess | null = null;
  output = '';
  constructor(
    private readonly dir: string,
    readonly env: Record<string, string>,
  ) {}

  async start(extra: Record<string, string> = {}): Promise<void> {
    const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    this.child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'test/support/app-process.ts')], {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '', HOME: this.dir, ...this.env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (c: Buffer) => (this.output += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.output += c.toString()));
    const child = this.child;
    await until(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the App exited while starting:\n${this.output}`);
        return fetch(`http://127.0.0.1:${this.env.PORT}/health/ready`).then((r) => r.status === 200).catch(() => false);
      },
      'the App to be ready',
      40_000,
      () => this.output,
    );
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await exitOf(this.child);
    }
  }
}

const STEPS = ['after-claim', 'after-gate-row', 'after-decision', 'during-callback'] as const;

describe.each([
  { provider: 'sqlite', target: sqliteTarget },
  { provider: 'postgresql', target: postgresTarget },
])('kill -9 at each step of a decision, then a restart, on $provider', ({ target }) => {
  let github: FakeGitHub;
  let repo: FakeRepo;
  let ctx: RepoContext;
  let tg: Target;
  let app: AppProcess;
  let dir: string;

  beforeAll(async () => {
    github = new FakeGitHub();
    const apiBase = await github.start();
    repo = github.addRepo('acme', 'shop');
    repo.files['.github/release-policy.yml'] = POLICY;
    repo.fileCommits['.github/release-policy.yml'] = 'c0ffee'.padEnd(40, '0');
    ctx = { owner: 'acme', name: 'shop', id: repo.id, installationId: 77, defaultBranch: 'main', apiBase };
    tg = await target();
    dir = mkdtempSync(join(tmpdir(), 'release-gate-crash-'));
    app = new AppProcess(dir, {
      APP_ID: '4242',
      PRIVATE_KEY: Buffer.from(TEST_PRIVATE_KEY).toString('base64'),
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: github.host,
      GHE_PROTOCOL: 'http',
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATABASE_URL: tg.url,
      LOG_LEVEL: 'warn',
      SCHEDULER_INTERVAL_SECONDS: '1',
      // The restarted process is the same replica: it takes back at once what it was doing.
      RELEASE_GATE_REPLICA_ID: 'replica-crash',
    });
  });

  afterAll(async () => {
    await app?.stop();
    await github?.close();
    await tg?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(STEPS.map((step, i) => ({ step, runId: 100 + i })))('answers once, with the policy\'s decision, after a kill $step', async ({ step, runId }) => {
    repo.pendingRules.add(`${runId}/production`);
    github.fault = null;
    if (step === 'during-callback') {
      // GitHub has the callback request open when the process dies; it never answers it.
      github.fault = ({ method, path, body }) => {
        if (method === 'POST' && path.endsWith(`/runs/${runId}/deployment_protection_rule`) && (body as { state?: string }).state) {
          app.child?.kill('SIGKILL');
          return 'hang';
        }
        return undefined;
      };
      await app.start();
    } else {
      await app.start({ RELEASE_GATE_CRASH_AT: step });
    }
    const d = protectionRuleRequested(ctx, { id: 7000 + runId, runId, sha: 'd'.repeat(40), ref: 'v1.0.0', environment: 'production', creator: 'dev', createdAt: new Date().toISOString() });
    expect(await sendWebhook(`http://127.0.0.1:${app.env.PORT}`, SECRET, d)).toBe(200);
    const exit = await Promise.race([exitOf(app.child!), new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    expect(exit, app.output).toEqual({ code: null, signal: 'SIGKILL' });
    expect(repo.answers.filter((a) => a.runId === runId && a.state)).toEqual([]);
    github.fault = null;
    github.releaseHung();

    // Started again; nobody redelivers.
    const restarted = Date.now();
    await app.start();
    await until(() => repo.answers.some((a) => a.runId === runId && a.state), `the answer to run ${runId}`, 30_000, () => app.output);
    const seconds = (Date.now() - restarted) / 1000;
    expect(seconds).toBeLessThan(30);
    // Let a second answer show up if there were one.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(repo.answers.filter((a) => a.runId === runId).map((a) => [a.state, a.status, a.comment])).toEqual([['approved', 204, 'Release gate: allowed for PROD.']]);
    await app.stop();
    const store = await openStore({ databaseUrl: tg.url });
    try {
      expect(await store.getInboxDelivery(d.id)).toMatchObject({ status: 'done' });
      expect((await store.listPendingGates({ repo: 'acme/shop' })).find((g) => g.runId === runId)).toMatchObject({ status: 'answered', decision: 'approved' });
    } finally {
      await store.close();
    }
    expect(github.violations).toEqual([]);
  }, 90_000);
});

describe('the SQLite file deleted under the running App', () => {
  it('stops the App (npm start) with a clear message instead of writing into the deleted file', async () => {
    const github = new FakeGitHub();
    await github.start();
    const tg = await sqliteTarget();
    const dir = mkdtempSync(join(tmpdir(), 'release-gate-lost-file-'));
    const file = tg.url.slice('file:'.length);
    const app = new AppProcess(dir, {
      APP_ID: '4242',
      PRIVATE_KEY: Buffer.from(TEST_PRIVATE_KEY).toString('base64'),
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: github.host,
      GHE_PROTOCOL: 'http',
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATABASE_URL: tg.url,
      LOG_LEVEL: 'warn',
    });
    try {
      await app.start();
      rmSync(file);
      const exit = await Promise.race([exitOf(app.child!), new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
      expect(exit, app.output).toEqual({ code: 1, signal: null });
      expect(app.output).toContain(`Release Gate stops: The SQLite file ${file} was deleted while the App had it open: writes would be lost. Restore it from a backup and restart the App.`);
    } finally {
      await app.stop();
      await github.close();
      await tg.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
