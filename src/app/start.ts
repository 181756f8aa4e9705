import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { parseEnv } from 'node:util';
import { Probot, Server } from 'probot';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { createApp } from './app.js';
import { readAppConfig } from './config.js';
import { createMetrics } from './metrics.js';
import { databaseWriteBudget } from '../github/write-budget.js';
import { appOctokit } from './server.js';

export interface StartHooks {
  /** Wraps the record the App uses (a test's process injects crashes at chosen steps). */
  wrapStore?: (store: Store) => Store;
}

/** Probot's own (unqueued) webhook route, unused: GitHub posts to the inbox's `/api/github/webhooks`. */
const PROBOT_DIRECT_WEBHOOK_PATH = '/api/github/webhooks-unqueued';

/**
 * `npm start`: the App on Probot's Server, with the record on the embedded SQLite file
 * (`./data/release-gate.db`) unless DATABASE_URL names PostgreSQL.
 */
export async function start(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), hooks: StartHooks = {}): Promise<Server> {
  loadDotEnv(env, cwd);
  const config = readAppConfig(env, cwd);
  const opened = await openStore({ ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}), cwd, log: { info: (m) => console.log(m), warn: (m) => console.warn(m) } });
  const store = hooks.wrapStore ? hooks.wrapStore(opened) : opened;
  const metrics = createMetrics({ defaults: true });
  // A stable name (the pod's) lets a restarted replica take back at once what it was doing.
  const replicaId = env.RELEASE_GATE_REPLICA_ID;
  const app = createApp({ store, metrics, schedulerIntervalMs: config.schedulerIntervalMs, ...(replicaId ? { replicaId } : {}) });
  const server = new Server({
    port: config.port,
    ...(config.host ? { host: config.host } : {}),
    Probot: Probot.defaults({
      appId: config.appId,
      privateKey: config.privateKey,
      secret: config.secret,
      baseUrl: config.baseUrl,
      logLevel: config.logLevel,
      // Webhooks go through the inbox (stored, acknowledged, then handled); Probot's own
      // webhook route is moved out of the way.
      webhookPath: PROBOT_DIRECT_WEBHOOK_PATH,
      // With Redis, Probot's throttling is shared by every replica (cluster mode); without
      // it, replicas take write slots from the database.
      ...(env.REDIS_URL ? { redisConfig: env.REDIS_URL } : {}),
      Octokit: appOctokit(true, { writeBudget: env.REDIS_URL ? null : databaseWriteBudget(store) }),
    }),
    webhookPath: PROBOT_DIRECT_WEBHOOK_PATH,
  });
  await server.load(app.appFn);
  await server.start();
  // A SQLite file deleted or replaced under the App keeps the open handle writable, and
  // everything written after that is gone at the next start: stop instead.
  const guard = setInterval(() => {
    const problem = store.fileProblem();
    if (problem) {
      console.error(`Release Gate stops: ${problem}`);
      process.exit(1);
    }
  }, 2_000);
  guard.unref();
  const stop = async () => {
    clearInterval(guard);
    await app.stop();
    await server.stop();
    await store.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  return server;
}

/**
 * Probot's convention: settings may live in a `.env` file beside the App (see
 * `.env.example`). Variables already set in the environment win over the file.
 */
function loadDotEnv(env: NodeJS.ProcessEnv, cwd: string): void {
  const file = join(cwd, '.env');
  if (!existsSync(file)) return;
  const values = parseEnv(readFileSync(file, 'utf8'));
  for (const [key, value] of Object.entries(values)) {
    if (env[key] === undefined) env[key] = value;
  }
}
