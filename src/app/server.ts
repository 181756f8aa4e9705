import { createServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Probot, createNodeMiddleware } from 'probot';
import type { ProbotOctokit } from 'probot';
import type { Logger } from 'probot';
import { countApiCalls } from '../github/api-calls.js';
import { conditionalRequests } from '../github/conditional-requests.js';
import { GateOctokit } from '../github/gate-octokit.js';
import { databaseWriteBudget, requestLimits } from '../github/write-budget.js';
import type { RequestLimitsOptions } from '../github/write-budget.js';
import type { Store } from '../store/types.js';
import { createApp } from './app.js';
import type { SourceSet } from '../verify/sources.js';
import type { ReleaseEventSink } from '../core/release-events.js';
import type { CreateAppOptions, ReleaseGateApp } from './app.js';
import type { EvaluationBudget } from './evaluation-budget.js';
import type { InboxSettings } from './inbox.js';
import { createMetrics } from './metrics.js';
import type { AppMetrics } from './metrics.js';

export interface AppServerOptions {
  appId: number;
  privateKey: string;
  secret: string;
  /** GitHub's API root: `https://api.github.com` or `<GHE_PROTOCOL>://<GHE_HOST>/api/v3`. */
  baseUrl: string;
  store: Store;
  clock?: () => Date;
  port?: number;
  host?: string;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  /** Octokit retries and throttling (on by default; tests turn them off). */
  retries?: boolean;
  schedulerIntervalMs?: number;
  /** The operator's data sources for verifications (PROMETHEUS_URL, RELEASE_GATE_SOURCES). */
  sources?: SourceSet;
  /** How often the verifier looks at due verifications; 0: only when asked (tests). */
  verifyIntervalMs?: number;
  /** Where release events go (notifications, delivery metrics). */
  events?: ReleaseEventSink;
  replicaId?: string;
  metrics?: AppMetrics;
  /** The process's logger (`npm start`); tests let Probot make one at `logLevel`. */
  log?: Logger;
  /** HTTP handlers served beside the webhooks (the release console: see src/release-gate-app.ts). */
  mounts?: CreateAppOptions['mounts'];
  /** The inbox's workers and retries (see src/app/inbox.ts). */
  inbox?: Partial<InboxSettings>;
  /** Writes share the database's per-installation write slots (on with retries, as in production). */
  sharedWriteBudget?: boolean;
  /** How long any one GitHub request may take (default 10 s). */
  requestTimeoutMs?: number;
  leaseRenewMs?: number;
  evaluationBudget?: EvaluationBudget;
  /** Redis for Probot's cluster throttling (shared by every replica); the database's write slots are used otherwise. */
  redisConfig?: string;
  /** Release notifications (src/notify): the outbox worker's settings and the environment channels are read from. */
  notifications?: CreateAppOptions['notifications'];
}

export interface RunningApp {
  url: string;
  port: number;
  probot: Probot;
  app: ReleaseGateApp;
  metrics: AppMetrics;
  http: HttpServer;
  close(): Promise<void>;
}

/**
 * The Octokit the App uses: Probot's (`GateOctokit`: its plugins, its request logging at debug
 * level only), counting every call, with retries and throttling unless turned off.
 */
export function appOctokit(retries: boolean, limits: RequestLimitsOptions = {}): typeof ProbotOctokit {
  // The counter before the conditional cache, so it sees GitHub's 304s before they are answered from the cache.
  const Counted = GateOctokit.plugin(countApiCalls, requestLimits(limits) as never, conditionalRequests as never);
  if (retries) {
    // Probot leaves the installation clients' throttle without an id, so every installation
    // of the process shares one write queue ("no-id"): key it by the installation.
    return Counted.defaults((instanceOptions: Record<string, unknown>) => {
      const installationId = (instanceOptions.auth as { installationId?: number | string } | undefined)?.installationId;
      const throttle = instanceOptions.throttle as { enabled?: boolean; id?: string } | undefined;
      if (installationId === undefined || !throttle || throttle.enabled === false || throttle.id)
        return instanceOptions;
      return { ...instanceOptions, throttle: { ...throttle, id: String(installationId) } };
    }) as unknown as typeof ProbotOctokit;
  }
  // A function, not an object: Probot passes its own throttle options per instance, which
  // would replace an object default; this runs after them and turns both plugins off.
  return Counted.defaults((instanceOptions: Record<string, unknown>) => ({
    ...instanceOptions,
    retry: { enabled: false },
    throttle: { ...(instanceOptions.throttle as object | undefined), enabled: false },
  })) as unknown as typeof ProbotOctokit;
}

/**
 * Runs the App on a plain Node HTTP server with Probot's webhook middleware
 * (`createNodeMiddleware`), plus `/health` and `/metrics`. Used by tests and the benchmark
 * (port 0 picks a free port); `npm start` uses Probot's own Server (src/app/start.ts).
 */
/** How long the App's server keeps an idle connection open. */
export const KEEP_ALIVE_MS = 65_000;

export async function startAppServer(options: AppServerOptions): Promise<RunningApp> {
  const metrics = options.metrics ?? createMetrics();
  const probot = new Probot({
    appId: options.appId,
    privateKey: options.privateKey,
    secret: options.secret,
    baseUrl: options.baseUrl,
    logLevel: options.logLevel ?? 'warn',
    Octokit: appOctokit(options.retries ?? true, {
      writeBudget: (options.sharedWriteBudget ?? options.retries ?? true) ? databaseWriteBudget(options.store) : null,
      ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}),
    }),
    ...(options.log ? { log: options.log } : {}),
    ...(options.redisConfig ? { redisConfig: options.redisConfig } : {}),
  });
  const app = createApp({
    store: options.store,
    metrics,
    appId: options.appId,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.replicaId ? { replicaId: options.replicaId } : {}),
    ...(options.schedulerIntervalMs !== undefined ? { schedulerIntervalMs: options.schedulerIntervalMs } : {}),
    ...(options.mounts ? { mounts: options.mounts } : {}),
    ...(options.inbox ? { inbox: options.inbox } : {}),
    ...(options.leaseRenewMs ? { leaseRenewMs: options.leaseRenewMs } : {}),
    ...(options.evaluationBudget ? { evaluationBudget: options.evaluationBudget } : {}),
    ...(options.notifications ? { notifications: options.notifications } : {}),
    ...(options.sources ? { sources: options.sources } : {}),
    ...(options.verifyIntervalMs !== undefined ? { verifyIntervalMs: options.verifyIntervalMs } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  const middleware = await createNodeMiddleware(app.appFn, { probot });
  // The inbox (src/app/inbox.ts) is the webhook path's one entry: it checks the signature.
  const http = createServer((req, res) => {
    // Every answer (console, API, webhooks, health, metrics, errors) is read as the type it says it is.
    res.setHeader('x-content-type-options', 'nosniff');
    Promise.resolve(
      middleware(req, res, () => {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      }),
    ).catch((error: unknown) => {
      probot.log.error({ err: error instanceof Error ? error.message : String(error) }, 'Request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // Idle connections are kept longer than the balancers and proxies put in front of the App
  // keep theirs (60 s for most): one that reuses a connection the App has just closed gets a
  // reset (a 502 for GitHub's delivery), and a client that reuses its connection does not pay
  // for a new one per webhook. `close()` ends them at once.
  http.keepAliveTimeout = KEEP_ALIVE_MS;
  http.headersTimeout = KEEP_ALIVE_MS + 1_000;
  // A port in use fails the start (with the App's workers stopped), not the process.
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await app.stop();
    throw error;
  });
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    probot,
    app,
    metrics,
    http,
    close: async () => {
      await app.stop();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
