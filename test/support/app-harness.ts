import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { expect } from 'vitest';
import { startAppServer } from '../../src/app/server.js';
import type { AppServerOptions, RunningApp } from '../../src/app/server.js';
import { openStore } from '../../src/store/open-store.js';
import type { InboxRow, Store } from '../../src/store/types.js';
import type { InboxSettings } from '../../src/app/inbox.js';
import { TEST_APP_ID, TEST_PRIVATE_KEY, TEST_SECRET } from './app-identity.js';
import { FakeGitHub } from './fake-github.js';
import type { FakeRepo } from './fake-github.js';
import { POLICY_PATH } from './policies.js';
import { protectionRuleRequested, sendWebhook } from './webhooks.js';
import type { Delivery, DeploymentSpec, RepoContext } from './webhooks.js';

export { TEST_APP_ID, TEST_PRIVATE_KEY, TEST_SECRET };

/** A controllable clock. */
export class TestClock {
  constructor(private t: number) {}
  now = (): Date => new Date(this.t);
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** The commit that last changed the policy of acme/shop. */
export const POLICY_COMMIT = 'c0ffee'.padEnd(40, '0');

/** A fake GitHub, started, with the repository acme/shop (its policy on the default branch, when given). */
export interface Shop {
  github: FakeGitHub;
  repo: FakeRepo;
  /** What webhooks about acme/shop are built from. */
  ctx: RepoContext;
}

export async function startShop(policy?: string): Promise<Shop> {
  const github = new FakeGitHub();
  const apiBase = await github.start();
  const repo = github.addRepo('acme', 'shop');
  if (policy !== undefined) github.serveFile('acme/shop', POLICY_PATH, policy, POLICY_COMMIT);
  return {
    github,
    repo,
    ctx: { owner: 'acme', name: 'shop', id: repo.id, installationId: 77, defaultBranch: 'main', apiBase },
  };
}

/** Another replica of the App, on the harness's database. */
export interface Replica {
  store: Store;
  app: RunningApp;
  close(): Promise<void>;
}

export interface Harness {
  github: FakeGitHub;
  repo: FakeRepo;
  ctx: RepoContext;
  store: Store;
  app: RunningApp;
  clock: TestClock;
  dir: string;
  databaseUrl: string;
  deliver(d: Delivery): Promise<number>;
  /** GitHub waits on the App's protection rule for run `d.runId` in `d.environment`, and asks the App: the delivery's status. */
  askGate(d: DeploymentSpec & { runId: number }): Promise<number>;
  /** One scheduler pass, then the audit writes it asked for; returns how many gates and promotions it worked on. */
  tick(): Promise<number>;
  /** Waits (real time) until the inbox handled the delivery to the end or gave up on it. */
  handled(deliveryId: string, timeoutMs?: number): Promise<InboxRow | null>;
  /** Closes the App and the store, then opens both again on the same database. */
  restart(): Promise<void>;
  /** Starts another replica of the App on the same database, GitHub and clock, with these server options. */
  startReplica(server: Partial<AppServerOptions>): Promise<Replica>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  policy?: string;
  now?: string;
  databaseUrl?: string;
  /** Inbox settings; by default a failed delivery is retried only after a minute (tests redeliver or wait on purpose). */
  inbox?: Partial<InboxSettings>;
  /** Further App server options (request timeout, scheduler, replica name, console...), or a function of the fake GitHub that gives them. */
  server?: Partial<AppServerOptions> | ((github: FakeGitHub) => Partial<AppServerOptions>);
}

/** Starts fake GitHub, a store on a fresh SQLite file, and the App over HTTP. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  const { github, repo, ctx } = await startShop(options.policy);
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-app-'));
  const databaseUrl = options.databaseUrl ?? `file:${join(dir, 'gate.db')}`;
  const clock = new TestClock(Date.parse(options.now ?? '2026-03-10T15:00:00Z'));
  const server = typeof options.server === 'function' ? options.server(github) : options.server;
  const open = async (more: Partial<AppServerOptions> = {}) => {
    const store = await openStore({ databaseUrl });
    const app = await startAppServer({
      appId: TEST_APP_ID,
      privateKey: TEST_PRIVATE_KEY,
      secret: TEST_SECRET,
      baseUrl: github.baseUrl,
      store,
      clock: clock.now,
      retries: false,
      schedulerIntervalMs: 0,
      logLevel: 'fatal',
      inbox: { pollMs: 20, retryBaseMs: 60_000, ...options.inbox },
      ...server,
      ...more,
    });
    return { store, app };
  };
  let current = await open();
  const h: Harness = {
    github,
    repo,
    ctx,
    get store() {
      return current.store;
    },
    get app() {
      return current.app;
    },
    clock,
    dir,
    databaseUrl,
    // The App acknowledges at once and handles the delivery from its inbox: wait for that,
    // and for the check runs written after the answers, as a reader would.
    deliver: async (d) => {
      const status = await sendWebhook(current.app.url, TEST_SECRET, d);
      if (status === 200) await current.app.app.inbox().settled(d.id);
      await current.app.app.idle();
      return status;
    },
    askGate: (d) => {
      repo.pendingRules.add(`${d.runId}/${d.environment}`);
      return h.deliver(protectionRuleRequested(ctx, d));
    },
    tick: async () => {
      const worked = await current.app.app.scheduler().tick();
      await current.app.app.idle();
      return worked;
    },
    handled: (deliveryId, timeoutMs = 20_000) => waitHandled(current.store, deliveryId, timeoutMs),
    restart: async () => {
      await current.app.close();
      await current.store.close();
      current = await open();
    },
    startReplica: async (more) => {
      const replica = await open(more);
      return {
        ...replica,
        close: async () => {
          await replica.app.close();
          await replica.store.close();
        },
      };
    },
    close: async () => {
      await current.app.close();
      await current.store.close();
      await github.close();
      rmSync(dir, { recursive: true, force: true });
      nock.enableNetConnect();
    },
  };
  return h;
}

/** After a test: the harness sent GitHub nothing it would refuse; then it is closed. */
export async function closeChecked(h: Harness | undefined): Promise<void> {
  if (h) expect(h.github.violations).toEqual([]);
  await h?.close();
}

/** Polls the inbox row of a delivery until it is `done` or `failed` (or the time is up). */
export async function waitHandled(store: Store, deliveryId: string, timeoutMs = 20_000): Promise<InboxRow | null> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const row = await store.getInboxDelivery(deliveryId);
    if ((row && (row.status === 'done' || row.status === 'failed')) || Date.now() > end) return row;
    await new Promise((r) => setTimeout(r, 20));
  }
}
