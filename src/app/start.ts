import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { parseEnv } from 'node:util';
import type { Logger } from 'probot';
import { openStore } from '../store/open-store.js';
import { AppConfigError, readAppConfig, readLogSettings } from './config.js';
import { describeListenError } from './listen-error.js';
import { atMost, createLogger } from './logger.js';
import { startRegistrationServer } from './manifest.js';
import { createMetrics } from './metrics.js';
import { startAppServer } from './server.js';
import type { AppServerOptions } from './server.js';
import type { Store } from '../store/types.js';

/** What `start` returns: the App (or the registration page) listening, and how to stop it. */
export interface Started {
  mode: 'app' | 'registration';
  url: string;
  close(): Promise<void>;
}

export interface StartHooks {
  /** Wraps the record the App uses (a test's process injects crashes at chosen steps). */
  wrapStore?: (store: Store) => Store;
  /** HTTP handlers served beside the webhooks, from the settings (the release console: src/release-gate-app.ts). */
  mounts?: (env: NodeJS.ProcessEnv, apiBaseUrl: string) => NonNullable<AppServerOptions['mounts']>;
}

/**
 * `npm start` (`release-gate-app`): the App, with the record on the embedded SQLite file
 * (`./data/release-gate.db`) unless DATABASE_URL names PostgreSQL. Without APP_ID (and
 * outside production) it serves the registration page instead (src/app/manifest.ts).
 * Every line it writes goes through one pino logger (LOG_LEVEL, LOG_FORMAT).
 */
export async function start(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  hooks: StartHooks = {},
): Promise<Started> {
  loadDotEnv(env, cwd);
  const logSettings = readLogSettings(env);
  if (logSettings.problems.length > 0) throw new AppConfigError(logSettings.problems);
  const log = await createLogger(logSettings);
  const port = env.PORT ? Number(env.PORT) : 3000;
  const host = env.HOST || 'localhost';

  if (!env.APP_ID && env.NODE_ENV !== 'production') {
    const registration = await startRegistrationServer({ env, cwd, log: atMost(log, 'info'), port, host }).catch(
      (error: unknown) => {
        throw describeListenError(error, { host, port });
      },
    );
    stopOnSignals(log, () => registration.close());
    return { mode: 'registration', url: registration.url, close: registration.close };
  }

  const config = readAppConfig(env, cwd);
  const opened = await openStore({
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    cwd,
    log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
  });
  const store = hooks.wrapStore ? hooks.wrapStore(opened) : opened;
  const metrics = createMetrics({ defaults: true });
  // A stable name (the pod's) lets a restarted replica take back at once what it was doing.
  const replicaId = env.RELEASE_GATE_REPLICA_ID;
  const running = await startAppServer({
    appId: config.appId,
    privateKey: config.privateKey,
    secret: config.secret,
    baseUrl: config.baseUrl,
    store,
    metrics,
    mounts: hooks.mounts?.(env, config.baseUrl) ?? [],
    port: config.port,
    host: config.host ?? 'localhost',
    schedulerIntervalMs: config.schedulerIntervalMs,
    sources: config.sources,
    log,
    ...(replicaId ? { replicaId } : {}),
    // With Redis, Probot's throttling is shared by every replica (cluster mode); without it,
    // replicas take write slots from the database.
    ...(env.REDIS_URL ? { redisConfig: env.REDIS_URL, sharedWriteBudget: false } : {}),
  }).catch(async (error: unknown) => {
    await store.close();
    throw describeListenError(error, { host: config.host ?? 'localhost', port: config.port });
  });
  log.info(
    { url: running.url, github: config.baseUrl },
    `Release Gate is listening on ${running.url} (webhooks at /api/github/webhooks)`,
  );
  const proxy = config.webhookProxyUrl
    ? await startWebhookProxy(config.webhookProxyUrl, running.port, config.host, log)
    : null;
  // A SQLite file deleted or replaced under the App keeps the open handle writable, and
  // everything written after that is gone at the next start: stop instead.
  const guard = setInterval(() => {
    const problem = store.fileProblem();
    if (problem) {
      log.fatal(`Release Gate stops: ${problem}`);
      process.exit(1);
    }
  }, 2_000);
  guard.unref();
  const close = async () => {
    clearInterval(guard);
    await proxy?.stop();
    await running.close();
    await store.close();
  };
  stopOnSignals(log, close);
  return { mode: 'app', url: running.url, close };
}

/**
 * Local development: deliveries sent to a smee.io channel are forwarded to this App, as in
 * every Probot app (smee-client, which Probot uses too). The channel is opened in the
 * background: without network the App still starts and says why nothing arrives.
 */
async function startWebhookProxy(
  source: string,
  port: number,
  host: string | undefined,
  log: Logger,
): Promise<{ stop(): Promise<void> }> {
  const { SmeeClient } = await import('smee-client');
  const local = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const target = `http://${local}:${port}/api/github/webhooks`;
  const proxyLog = log.child({ name: 'webhook-proxy' });
  const client = new SmeeClient({
    source,
    target,
    logger: {
      info: (...args: unknown[]) => proxyLog.info(args.map(String).join(' ')),
      error: (...args: unknown[]) => proxyLog.warn(args.map(String).join(' ')),
    },
  });
  proxyLog.info({ source, target }, `Forwarding webhooks from ${source} to ${target}`);
  client.start().catch((error: unknown) => {
    proxyLog.warn(
      { source },
      `Cannot connect to the webhook proxy ${source} (${error instanceof Error ? error.message : 'no connection'}); retrying in the background`,
    );
  });
  return { stop: () => client.stop() };
}

/**
 * How long a stop may take in all: orchestrators kill a process that does not stop after
 * their grace period (Kubernetes: 30 s by default; `docker stop`: 10 s). Work still running
 * after the inbox's grace (5 s) is left to the next replica.
 */
export const STOP_DEADLINE_MS = 9_000;

function stopOnSignals(log: Logger, close: () => Promise<void>): void {
  const stop = (signal: string) => {
    log.info(`Stopping on ${signal}`);
    setTimeout(() => {
      log.error(`Stopping took longer than ${STOP_DEADLINE_MS / 1000} s; exiting with work unfinished`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error instanceof Error ? error.message : String(error) }, 'Stopping failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/**
 * How `release-gate-app` reports a start that failed: the problems and how to fix them,
 * as one JSON line with LOG_FORMAT=json, else as text on stderr. Never a key or secret.
 */
export function reportStartFailure(error: unknown, env: NodeJS.ProcessEnv = process.env): void {
  const message =
    error instanceof AppConfigError
      ? error.message
      : `Release Gate cannot start: ${error instanceof Error ? error.message : String(error)}`;
  if ((env.LOG_FORMAT ?? '').toLowerCase() === 'json') {
    const line = {
      level: 'fatal',
      time: Date.now(),
      name: 'release-gate',
      msg: message.split('\n')[0],
      ...(error instanceof AppConfigError ? { problems: error.problems } : {}),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } else {
    process.stderr.write(`${message}\n`);
  }
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
