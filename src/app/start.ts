import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { parseEnv } from 'node:util';
import { Probot, Server } from 'probot';
import { readConsoleConfig } from '../console/config.js';
import { openStore } from '../store/open-store.js';
import { createApp } from './app.js';
import { readAppConfig } from './config.js';
import { createMetrics } from './metrics.js';
import { appOctokit } from './server.js';

/**
 * `npm start`: the App on Probot's Server, with the record on the embedded SQLite file
 * (`./data/release-gate.db`) unless DATABASE_URL names PostgreSQL.
 */
export async function start(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<Server> {
  loadDotEnv(env, cwd);
  const config = readAppConfig(env, cwd);
  const store = await openStore({ ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}), cwd, log: { info: (m) => console.log(m), warn: (m) => console.warn(m) } });
  const metrics = createMetrics({ defaults: true });
  const app = createApp({ store, metrics, schedulerIntervalMs: config.schedulerIntervalMs, console: readConsoleConfig(env, config.baseUrl) });
  const server = new Server({
    port: config.port,
    ...(config.host ? { host: config.host } : {}),
    Probot: Probot.defaults({
      appId: config.appId,
      privateKey: config.privateKey,
      secret: config.secret,
      baseUrl: config.baseUrl,
      logLevel: config.logLevel,
      Octokit: appOctokit(true),
    }),
  });
  await server.load(app.appFn);
  await server.start();
  const stop = async () => {
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
