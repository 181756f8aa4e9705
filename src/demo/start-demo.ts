import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import type { HttpMount } from '../app/app.js';
import { reportStartFailure, start } from '../app/start.js';
import { readConsoleConfig } from '../console/config.js';
import { mountConsole } from '../console/mount.js';
import { SESSION_COOKIE } from '../console/session.js';
import { parseCookies } from '../http/cookies.js';
import type { Store } from '../store/types.js';
import { refusalLine } from './credentials.js';
import { SimulatedGitHub } from './github/simulated-github.js';
import { DEMO_USER, playDemoHistory, seedDemoGitHub } from './history.js';

/**
 * `npm run demo` (and `RELEASE_GATE_DEMO=1` for `release-gate-app` and the container): the
 * App and its console exactly as `npm start` runs them, on a fresh embedded SQLite file in a
 * temporary directory (never the operator's database), against a simulated GitHub served
 * from the App's own port under `/api/v3` (the App's Octokit reaches it as a GitHub
 * Enterprise host, the browser signs in through its OAuth pages). A history of three
 * repositories is then played through the App by signed deliveries; the visitor is signed
 * in as the demo user, and every page says it is a demo.
 */

/** The banner on every page of the demo's console. */
export const DEMO_BANNER =
  'Demo: a simulated GitHub and generated history, on a throw-away database. Nothing here reaches GitHub.';

export interface DemoStarted {
  /** Where the console is (its board at `/`). */
  url: string;
  /** Resolves when the whole history has been played through the App. */
  history: Promise<void>;
  close(): Promise<void>;
}

/** The demo cannot start: one line says why. */
export class DemoRefused extends Error {
  override readonly name = 'DemoRefused';
}

/**
 * The simulated GitHub's part of the App's port: its REST API (`/api/v3`) and its OAuth
 * pages (`/login/oauth`); and a visitor without a session is signed in as the demo user.
 */
function demoMount(github: SimulatedGitHub): HttpMount {
  return () => async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://demo.invalid').pathname;
    if (path.startsWith('/api/v3/') || path.startsWith('/login/oauth/')) {
      await github.handle(req, res);
      return true;
    }
    if (req.method === 'GET' && path === '/' && !parseCookies(req.headers.cookie)[SESSION_COOKIE]) {
      res.writeHead(302, { location: '/auth/login?return=%2F', 'cache-control': 'no-store' }).end();
      return true;
    }
    return false;
  };
}

/**
 * A new directory for the demo's database: in memory (`/dev/shm`) where the system has it, as
 * the record is thrown away on exit and a file on disk costs seconds of migrations; else in
 * the temporary directory.
 */
function throwAwayDirectory(): string {
  for (const base of ['/dev/shm', tmpdir()]) {
    try {
      return mkdtempSync(join(base, 'release-gate-demo-'));
    } catch {
      // Not there or not writable: the next one.
    }
  }
  throw new DemoRefused(`The demo cannot create its temporary directory in ${tmpdir()}: set TMPDIR to a writable one.`);
}

async function waitHandled(store: () => Store | null, deliveryId: string): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    const row = await store()?.getInboxDelivery(deliveryId);
    if (row?.status === 'done') return;
    if (row?.status === 'failed') throw new Error(`the App could not handle the demo's delivery ${deliveryId}`);
    if (Date.now() > end) throw new Error(`the App did not handle the demo's delivery ${deliveryId} within 60 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Starts the demo; see the module's comment. `env` gives PORT, HOST, LOG_LEVEL and LOG_FORMAT
 * only. `github`: the simulated GitHub to use (a test's, which checks every request).
 */
export async function startDemo(
  env: NodeJS.ProcessEnv = process.env,
  options: { github?: SimulatedGitHub } = {},
): Promise<DemoStarted> {
  const refusal = refusalLine(env);
  if (refusal) throw new DemoRefused(refusal);
  const port = env.PORT ? Number(env.PORT) : 3000;
  if (!Number.isInteger(port) || port <= 0 || port > 65_535)
    throw new DemoRefused(`PORT must be a port number from 1 to 65535 for the demo, not "${env.PORT}".`);
  const dir = throwAwayDirectory();
  const github = options.github ?? new SimulatedGitHub();
  if (!options.github) github.keepRequests = false;
  github.baseUrl = `http://127.0.0.1:${port}/api/v3`;
  github.browserUser = DEMO_USER;
  const repos = seedDemoGitHub(github, new Date());
  const secret = randomBytes(20).toString('hex');
  const appEnv: NodeJS.ProcessEnv = {
    APP_ID: String(github.appId),
    PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString(),
    WEBHOOK_SECRET: secret,
    GHE_HOST: `127.0.0.1:${port}`,
    GHE_PROTOCOL: 'http',
    PORT: String(port),
    HOST: env.HOST || '127.0.0.1',
    DATABASE_URL: `file:${join(dir, 'release-gate-demo.db')}`,
    LOG_LEVEL: env.LOG_LEVEL || 'warn',
    ...(env.LOG_FORMAT ? { LOG_FORMAT: env.LOG_FORMAT } : {}),
    GITHUB_CLIENT_ID: github.oauthClient.id,
    GITHUB_CLIENT_SECRET: github.oauthClient.secret,
    SESSION_SECRET: randomBytes(32).toString('hex'),
  };
  let store: Store | null = null;
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  let started;
  try {
    // The temporary directory is the App's working directory: no `.env` of the operator's is read.
    started = await start(appEnv, dir, {
      wrapStore: (s) => (store = s),
      mounts: (e, apiBaseUrl) => [
        demoMount(github),
        mountConsole({ ...readConsoleConfig(e, apiBaseUrl), banner: DEMO_BANNER }),
      ],
    });
  } catch (error) {
    removeDir();
    throw error;
  }
  const appUrl = `http://127.0.0.1:${port}`;
  const history = playDemoHistory(
    { github, appUrl, secret, handled: (id) => waitHandled(() => store, id), now: () => new Date() },
    repos,
  );
  return {
    url: `http://localhost:${port}`,
    history,
    close: async () => {
      await started.close();
      removeDir();
    },
  };
}

/** `npm run demo`: starts the demo and says where it is; a refusal is one line and exit code 1. */
export async function runDemo(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let demo: DemoStarted;
  try {
    demo = await startDemo(env);
  } catch (error) {
    if (error instanceof DemoRefused) process.stderr.write(`${error.message}\n`);
    else reportStartFailure(error, env);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(
    `Release Gate demo: open ${demo.url}/ (signed in as ${DEMO_USER}; GitHub is simulated, the data is generated and thrown away on exit; Ctrl+C stops it)\n`,
  );
  const started = Date.now();
  demo.history.then(
    () => process.stdout.write(`Release Gate demo: history ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`),
    (error: unknown) => {
      process.stderr.write(
        `Release Gate demo: the history could not be played: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    },
  );
}
