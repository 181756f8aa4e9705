import process from 'node:process';
import { Probot, Server } from 'probot';
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
  const config = readAppConfig(env, cwd);
  const store = await openStore({ ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}), cwd, log: { info: (m) => console.log(m), warn: (m) => console.warn(m) } });
  const metrics = createMetrics({ defaults: true });
  const app = createApp({ store, metrics, schedulerIntervalMs: config.schedulerIntervalMs });
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
