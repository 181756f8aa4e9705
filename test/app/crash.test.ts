import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { startShop } from '../support/app-harness.js';
import { FakeGitHub } from '../support/fake-github.js';
import type { FakeRepo } from '../support/fake-github.js';
import { PROD_ONLY } from '../support/policies.js';
import { appProcessEnv, exitOf, freePort, startAppProcess, waitForStatus } from '../support/processes.js';
import type { Started } from '../support/processes.js';
import { protectionRuleRequested, sendWebhook } from '../support/webhooks.js';
import type { RepoContext } from '../support/webhooks.js';
import { postgresTarget, sqliteTarget } from '../store/targets.js';
import type { Target } from '../store/targets.js';

const SECRET = 'crash-test-secret';

async function until<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs: number,
  output: () => string,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the App's output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The App in its own process (as `npm start` runs it), killed and started again by the test. */
class AppProcess {
  private started: Started | null = null;
  private earlier = '';
  constructor(
    private readonly dir: string,
    readonly env: Record<string, string>,
  ) {}

  get child(): ChildProcess | null {
    return this.started?.child ?? null;
  }

  /** Everything the App wrote, in all its runs. */
  get output(): string {
    return this.earlier + (this.started?.output() ?? '');
  }

  async start(extra: Record<string, string> = {}): Promise<void> {
    this.earlier = this.output;
    this.started = startAppProcess(this.dir, { ...this.env, ...extra }, 'crashable');
    if (!(await waitForStatus(`http://127.0.0.1:${this.env.PORT}/health/ready`, 200, this.started)))
      throw new Error(`the App exited or was not ready within 40 s:\n${this.output}`);
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
    ({ github, repo, ctx } = await startShop(PROD_ONLY));
    tg = await target();
    dir = mkdtempSync(join(tmpdir(), 'release-gate-crash-'));
    app = new AppProcess(
      dir,
      appProcessEnv(github.host, SECRET, {
        PORT: String(await freePort()),
        DATABASE_URL: tg.url,
        LOG_LEVEL: 'warn',
        SCHEDULER_INTERVAL_SECONDS: '1',
        // The restarted process is the same replica: it takes back at once what it was doing.
        RELEASE_GATE_REPLICA_ID: 'replica-crash',
      }),
    );
  });

  afterAll(async () => {
    await app?.stop();
    await github?.close();
    await tg?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(STEPS.map((step, i) => ({ step, runId: 100 + i })))(
    "answers once, with the policy's decision, after a kill $step",
    async ({ step, runId }) => {
      repo.pendingRules.add(`${runId}/production`);
      github.fault = null;
      if (step === 'during-callback') {
        // GitHub has the callback request open when the process dies; it never answers it.
        github.fault = ({ method, path, body }) => {
          if (
            method === 'POST' &&
            path.endsWith(`/runs/${runId}/deployment_protection_rule`) &&
            (body as { state?: string }).state
          ) {
            app.child?.kill('SIGKILL');
            return 'hang';
          }
          return undefined;
        };
        await app.start();
      } else {
        await app.start({ RELEASE_GATE_CRASH_AT: step });
      }
      const d = protectionRuleRequested(ctx, {
        id: 7000 + runId,
        runId,
        sha: 'd'.repeat(40),
        ref: 'v1.0.0',
        environment: 'production',
        creator: 'dev',
        createdAt: new Date().toISOString(),
      });
      expect(await sendWebhook(`http://127.0.0.1:${app.env.PORT}`, SECRET, d)).toBe(200);
      const exit = await Promise.race([
        exitOf(app.child!),
        new Promise<null>((r) => setTimeout(() => r(null), 20_000)),
      ]);
      expect(exit, app.output).toEqual({ code: null, signal: 'SIGKILL' });
      expect(repo.answers.filter((a) => a.runId === runId && a.state)).toEqual([]);
      github.fault = null;
      github.releaseHung();

      // Started again; nobody redelivers.
      const restarted = Date.now();
      await app.start();
      await until(
        () => repo.answers.some((a) => a.runId === runId && a.state),
        `the answer to run ${runId}`,
        30_000,
        () => app.output,
      );
      const seconds = (Date.now() - restarted) / 1000;
      expect(seconds).toBeLessThan(30);
      // Let a second answer show up if there were one.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(repo.answers.filter((a) => a.runId === runId).map((a) => [a.state, a.status, a.comment])).toEqual([
        ['approved', 204, 'Release gate: allowed for PROD.'],
      ]);
      await app.stop();
      const store = await openStore({ databaseUrl: tg.url });
      try {
        expect(await store.getInboxDelivery(d.id)).toMatchObject({ status: 'done' });
        expect((await store.listPendingGates({ repo: 'acme/shop' })).find((g) => g.runId === runId)).toMatchObject({
          status: 'answered',
          decision: 'approved',
        });
      } finally {
        await store.close();
      }
      expect(github.violations).toEqual([]);
    },
    90_000,
  );
});

describe('the SQLite file deleted under the running App', () => {
  it('stops the App (npm start) with a clear message instead of writing into the deleted file', async () => {
    const github = new FakeGitHub();
    await github.start();
    const tg = await sqliteTarget();
    const dir = mkdtempSync(join(tmpdir(), 'release-gate-lost-file-'));
    const file = tg.url.slice('file:'.length);
    const app = new AppProcess(
      dir,
      appProcessEnv(github.host, SECRET, { PORT: String(await freePort()), DATABASE_URL: tg.url, LOG_LEVEL: 'warn' }),
    );
    try {
      await app.start();
      rmSync(file);
      const exit = await Promise.race([
        exitOf(app.child!),
        new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
      ]);
      expect(exit, app.output).toEqual({ code: 1, signal: null });
      expect(app.output).toContain(
        `Release Gate stops: The SQLite file ${file} was deleted while the App had it open: writes would be lost. Restore it from a backup and restart the App.`,
      );
    } finally {
      await app.stop();
      await github.close();
      await tg.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
