import type { ConsoleConfig } from '../../src/console/config.js';
import { mountConsole } from '../../src/console/mount.js';
import { startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import type { FakeGitHub } from '../support/fake-github.js';
import { deploymentStatusCreated } from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';
import { overrides, policy } from '../support/policies.js';

export const CONSOLE_POLICY = policy(
  {
    DEV: [],
    PRE_PROD: [],
    PROD: [
      'minApprovals: 1',
      'approvals:',
      '  excludeAuthor: true',
      'freezeWindows:',
      '  - name: nightly',
      '    days: [mon, tue, wed, thu, fri]',
      '    start: "22:00"',
      '    end: "23:59"',
      '    timezone: America/Sao_Paulo',
    ],
  },
  ...overrides({ secondApprover: false, expires: '24h' }),
);

export const sha = (c: string) => c.repeat(40);
/** A release in DEV and PRE_PROD that waits for an approval in PROD. */
export const WAITING = sha('a');
/** A release deployed to DEV only. */
export const IN_DEV = sha('b');
export const PROD_RUN = 9001;

/** The people of the tests: their GitHub permission on acme/shop. */
export const PEOPLE = {
  ada: 'admin',
  bob: 'write',
  maria: 'write',
  carol: 'write',
  vic: 'read',
  tess: 'triage',
  nobody: 'none',
} as const;
export type Person = keyof typeof PEOPLE;

export interface ConsoleHarness extends Pick<
  Harness,
  'github' | 'repo' | 'ctx' | 'store' | 'app' | 'clock' | 'deliver' | 'askGate' | 'tick' | 'close' | 'databaseUrl'
> {
  /** Another replica of the App with its console, on the same database, GitHub and clock. */
  startReplica(replicaId: string): ReturnType<Harness['startReplica']>;
  url: string;
  tokens: Record<Person, string>;
  /** Signs in through the OAuth web flow; returns the Cookie header of the session. */
  signIn(person: Person): Promise<string>;
  /** A request to the console with a session cookie or a bearer token. */
  call(
    path: string,
    init?: { cookie?: string; token?: string; method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** The CSRF token of a session. */
  csrf(cookie: string): Promise<string>;
}

export interface ConsoleHarnessOptions {
  now?: string;
  rateLimit?: { limit: number; windowMs: number };
  sessionTtlMs?: number;
  /** Seed the release story (waiting in PROD, another in DEV). */
  seed?: boolean;
  port?: number;
  /** The record (a fresh SQLite file unless given). */
  databaseUrl?: string;
  /** The policy on the default branch (the console's own unless given). */
  policy?: string;
  /** TRUST_PROXY: believe X-Forwarded-Host, -Proto and -For. */
  trustProxy?: boolean;
  /** Further App server options (the verifier's data sources, its interval...). */
  server?: Record<string, unknown>;
}

/** Fake GitHub, a SQLite store, and the App with its console, over HTTP. */
export async function startConsoleHarness(options: ConsoleHarnessOptions = {}): Promise<ConsoleHarness> {
  const consoleConfig = (github: FakeGitHub): ConsoleConfig => ({
    clientId: github.oauthClient.id,
    clientSecret: github.oauthClient.secret,
    sessionSecret: 'a-console-session-secret-of-more-than-32-characters',
    apiBaseUrl: github.baseUrl,
    publicUrl: null,
    trustProxy: options.trustProxy ?? false,
    sessionTtlMs: options.sessionTtlMs ?? 8 * 3_600_000,
    rateLimit: options.rateLimit ?? { limit: 10_000, windowMs: 60_000 },
    permissionTtlMs: 5 * 60_000,
    tokenTtlMs: 60_000,
  });
  const harness = await startHarness({
    policy: options.policy ?? CONSOLE_POLICY,
    now: options.now ?? '2026-03-10T15:00:00Z',
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    server: (github) => ({
      ...options.server,
      mounts: [mountConsole(consoleConfig(github))],
      ...(options.port ? { port: options.port } : {}),
    }),
  });
  const { github, repo, ctx, store, app, clock } = harness;
  for (const [login, permission] of Object.entries(PEOPLE)) repo.permissions[login] = permission;
  github.teams.set('acme', { 'release-managers': ['maria'] });
  repo.pulls.push({
    number: 1,
    user: 'carol',
    headSha: WAITING,
    headRef: 'feature/checkout',
    commits: [WAITING],
    body: 'New checkout',
  });
  const tokens = Object.fromEntries(Object.keys(PEOPLE).map((p) => [p, github.addUser(p).token])) as Record<
    Person,
    string
  >;
  const url = app.url;
  const call: ConsoleHarness['call'] = (path, init = {}) => {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (init.cookie) headers.cookie = init.cookie;
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    }
    return fetch(`${url}${path}`, {
      method: init.method ?? (body !== undefined ? 'POST' : 'GET'),
      headers,
      redirect: 'manual',
      ...(body !== undefined ? { body } : {}),
    });
  };
  const h: ConsoleHarness = {
    github,
    repo,
    ctx,
    store,
    app,
    clock,
    url,
    tokens,
    call,
    async signIn(person) {
      const start = await call('/auth/login');
      if (start.status !== 303) throw new Error(`GET /auth/login answered ${start.status}`);
      const authorize = new URL(start.headers.get('location')!);
      const stateCookie = start.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      // GitHub: the user agrees, and is sent back with a one-time code.
      const code = github.oauthCode(tokens[person]);
      const back = await call(`/auth/callback?code=${code}&state=${authorize.searchParams.get('state')}`, {
        cookie: stateCookie,
      });
      if (back.status !== 303) throw new Error(`GET /auth/callback answered ${back.status}: ${await back.text()}`);
      const session = back.headers.getSetCookie().find((c) => c.startsWith('rg_session='));
      if (!session) throw new Error('no session cookie');
      return session.split(';')[0]!;
    },
    async csrf(cookie) {
      const me = (await (await call('/api/v1/me', { cookie })).json()) as { csrfToken: string };
      return me.csrfToken;
    },
    deliver: harness.deliver,
    askGate: harness.askGate,
    tick: harness.tick,
    startReplica: (replicaId) =>
      harness.startReplica({ replicaId, mounts: [mountConsole(consoleConfig(github))], inbox: { pollMs: 20 } }),
    close: harness.close,
    databaseUrl: harness.databaseUrl,
  };
  if (options.seed ?? true) await seedStory(h);
  return h;
}

let nextId = 700;

async function seedStory(h: ConsoleHarness): Promise<void> {
  const request = async (runId: number, commit: string, environment: string): Promise<DeploymentSpec> => {
    const d: DeploymentSpec = {
      id: nextId++,
      sha: commit,
      ref: 'v1.0.0',
      environment,
      creator: 'deployer',
      createdAt: h.clock.now().toISOString(),
    };
    const status = await h.askGate({ ...d, runId });
    if (status !== 200) throw new Error(`protection rule delivery answered ${status}`);
    return d;
  };
  const succeeded = async (d: DeploymentSpec) => {
    const status = await h.deliver(
      deploymentStatusCreated(h.ctx, d, { id: nextId++, state: 'success', at: h.clock.now().toISOString() }),
    );
    if (status !== 200) throw new Error(`deployment status delivery answered ${status}`);
  };
  await succeeded(await request(8001, WAITING, 'development'));
  h.clock.advance(60_000);
  await succeeded(await request(8002, WAITING, 'staging'));
  h.clock.advance(60_000);
  await request(PROD_RUN, WAITING, 'production');
  h.clock.advance(60_000);
  await succeeded(await request(8003, IN_DEV, 'development'));
  h.clock.advance(60_000);
}
