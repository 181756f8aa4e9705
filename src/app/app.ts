import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApplicationFunction, Logger, Probot } from 'probot';
import { evaluationPool } from '../budget/pool.js';
import { setApiCallObserver } from '../github/api-calls.js';
import { describeError } from '../github/types.js';
import type { Store } from '../store/types.js';
import { createReleaseActions } from './actions/index.js';
import type { ReleaseActions } from './actions/index.js';
import { AuditWriter } from './audit-writer.js';
import { onCheckRun, onCheckSuiteRerequested } from './events/checks.js';
import { onIssueComment } from './events/comments.js';
import { onPolicyPush } from './events/push.js';
import { onDeploymentCreated, onDeploymentStatus } from './events/deployments.js';
import type { EvaluationBudget } from './evaluation-budget.js';
import type { AppDeps } from './gate.js';
import { DEFAULT_INBOX_SETTINGS, Inbox } from './inbox.js';
import type { InboxSettings } from './inbox.js';
import { endLeasesOf } from './lease.js';
import type { AppMetrics } from './metrics.js';
import { onPullRequestPolicyImpact } from './events/pull-request.js';
import { onProtectionRuleRequested } from './events/protection-rule.js';
import { onDeploymentReview, onPullRequestReview } from './events/reviews.js';
import { DueWorkScheduler, probotOctokitFor } from './due-work-scheduler.js';
import { createNotifications, type NotificationOptions } from '../notify/index.js';
import { registerDeliveryGauges } from '../delivery/delivery-gauges.js';
import type { ReleaseEventSink } from '../core/release-events.js';
import type { SourceSet } from '../verify/sources.js';
import { afterVerified } from '../verify/stage-hooks.js';
import type { VerifyingDeps } from '../verify/stage-hooks.js';
import { Verifier } from '../verify/verifier.js';

export interface CreateAppOptions {
  store: Store;
  /** The time, injected: tests drive it. */
  clock?: () => Date;
  logger?: Logger;
  metrics: AppMetrics;
  /** This replica's name in gate leases (default: a random id). */
  replicaId?: string;
  /** How often the scheduler looks at due gates; 0 turns the timer off (tests call `tick`). */
  schedulerIntervalMs?: number;
  /** The App's id (its own deployments are recognised by it). */
  appId?: number | null;
  /**
   * HTTP handlers served beside the webhooks, made once Probot loaded the App (the release
   * console: src/release-gate-app.ts mounts it, so the App never imports the console).
   */
  mounts?: HttpMount[];
  /** The inbox's workers and retries (see src/app/inbox.ts). */
  inbox?: Partial<InboxSettings>;
  /** How often held gate and promotion leases are renewed (default a third of the lease). */
  leaseRenewMs?: number;
  /** The time and heap one evaluation may use (default 2 s, 512 MiB). */
  evaluationBudget?: EvaluationBudget;
  /** Release notifications: the outbox worker's settings and where channel URLs are read (src/notify). */
  notifications?: NotificationOptions;
  /** The operator's data sources for verifications after a deploy (none: a policy naming one is invalid). */
  sources?: SourceSet;
  /** Where release events go (default: the notifications' outbox, src/notify). */
  events?: ReleaseEventSink;
  /** How often the verifier looks at due verifications; 0 turns its timer off (tests call `verifier().tick`). */
  verifyIntervalMs?: number;
}

/** What a handler mounted beside the App is given: the record, the clock, the log, the actions people take, Probot. */
export interface AppHost {
  store: Store;
  clock: () => Date;
  log: Logger;
  actions: ReleaseActions;
  probot: Probot;
  /** The time and heap one evaluation may use. */
  evaluationBudget?: EvaluationBudget;
}

/** Makes an HTTP handler from the loaded App; the handler answers a request (true) or leaves it to the next (false). */
export type HttpMount = (host: AppHost) => (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface ReleaseGateApp {
  /** The Probot application function. */
  appFn: ApplicationFunction;
  /** The scheduler, once Probot loaded the app. */
  scheduler(): DueWorkScheduler;
  /** `/health` and `/metrics` (returns true when it answered). */
  handleHttp(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Resolves when the audit writes asked for so far are sent (tests; shutdown). */
  idle(): Promise<void>;
  /** The inbox webhooks go through, once Probot loaded the app. */
  inbox(): Inbox;
  /** Where release events are published (Slack, CloudEvents: src/notify). */
  events: ReleaseEventSink;
  /** The verifier of deployments after their success, once Probot loaded the app. */
  verifier(): Verifier;
  stop(): Promise<void>;
}

/**
 * The Release Gate App: one handler per event family, a scheduler for waiting gates, and
 * `/health` and `/metrics`. Every decision goes through `runGate` (src/app/gate.ts).
 */
export function createApp(options: CreateAppOptions): ReleaseGateApp {
  const clock = options.clock ?? (() => new Date());
  // The evaluation workers load while the App starts, not with its first decision.
  evaluationPool(options.evaluationBudget?.heapBytes).warm();
  let scheduler: DueWorkScheduler | null = null;
  let deps: VerifyingDeps | null = null;
  let verifier: Verifier | null = null;
  let inbox: Inbox | null = null;
  setApiCallObserver(options.metrics.observer);
  let auditLog: Logger | null = options.logger ?? null;
  const audit = new AuditWriter((error) => auditLog?.warn({ err: describeError(error) }, 'An audit write failed'));
  const notify = createNotifications(
    options.store,
    clock,
    { warn: (o, m) => auditLog?.warn(o, m) },
    options.notifications,
    options.metrics.registry,
  );
  registerDeliveryGauges(options.metrics.registry, options.store.deliveryRecord, clock, (error) =>
    auditLog?.warn({ err: describeError(error) }, 'Delivery metrics could not be read'),
  );

  const handleHttp = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return false;
    if (path === '/health/live') {
      // Liveness: the process answers. It does not look at the database, so an outage there
      // makes the App unready (below) without making an orchestrator restart it in a loop.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok' }));
      return true;
    }
    if (path === '/health' || path === '/health/ready') {
      const health = await options.store.health().catch((error: unknown) => ({
        ok: false,
        database: 'down' as const,
        migrations: { applied: 0, expected: 0 },
        error: describeError(error),
      }));
      res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: health.ok ? 'ok' : 'unavailable',
          database: health.database,
          migrations: health.migrations,
          ...(health.error ? { error: health.error } : {}),
        }),
      );
      return true;
    }
    if (path === '/metrics') {
      const body = await options.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': options.metrics.registry.contentType });
      res.end(body);
      return true;
    }
    return false;
  };

  const appFn: ApplicationFunction = (app: Probot, fnOptions) => {
    const log = options.logger ?? app.log;
    auditLog = log;
    deps = {
      store: notify.store,
      clock,
      metrics: options.metrics,
      log,
      replicaId: options.replicaId ?? `release-gate-${randomUUID()}`,
      audit,
      appId: options.appId ?? null,
      ...(options.leaseRenewMs ? { leaseRenewMs: options.leaseRenewMs } : {}),
      ...(options.evaluationBudget ? { evaluationBudget: options.evaluationBudget } : {}),
      verifySources: new Set(options.sources?.keys() ?? []),
    };
    const gateDeps: AppDeps = deps;
    verifier = new Verifier(
      {
        store: options.store,
        clock,
        log,
        replicaId: deps.replicaId,
        sources: options.sources ?? new Map(),
        octokitFor: probotOctokitFor(app),
        appId: options.appId ?? null,
        events: options.events ?? notify.sink,
        ...(options.leaseRenewMs ? { leaseRenewMs: options.leaseRenewMs } : {}),
        onVerified: (row, octokit) => afterVerified(gateDeps, octokit, row),
      },
      options.verifyIntervalMs || 1_000,
    );
    deps.verifier = verifier;
    deps.events = options.events ?? notify.sink;
    // Without sources nothing can be measured (a policy naming one is invalid): no timer then, unless asked for.
    const verifyTimer = options.verifyIntervalMs ?? ((options.sources?.size ?? 0) > 0 ? 1_000 : 0);
    if (verifyTimer > 0) verifier.start();
    const d = deps;
    app.on('deployment_protection_rule.requested', (context) => onProtectionRuleRequested(d, context));
    app.on('deployment.created', (context) => onDeploymentCreated(d, context));
    app.on('deployment_status.created', (context) => onDeploymentStatus(d, context));
    app.on(['pull_request_review.submitted', 'pull_request_review.dismissed'], (context) =>
      onPullRequestReview(d, context),
    );
    app.on(['deployment_review.approved', 'deployment_review.rejected'], (context) => onDeploymentReview(d, context));
    app.on(['check_run.completed', 'check_run.rerequested'], (context) => onCheckRun(d, context));
    app.on('check_suite.rerequested', (context) => onCheckSuiteRerequested(d, context));
    app.on('issue_comment.created', (context) => onIssueComment(d, context));
    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened'], (context) =>
      onPullRequestPolicyImpact(d, context),
    );
    app.on('push', (context) => onPolicyPush(d, context));
    // Webhooks are stored and acknowledged by the inbox, then handed to the handlers above.
    inbox = new Inbox({
      store: options.store,
      replicaId: d.replicaId,
      log,
      ...(options.inbox ? { settings: options.inbox } : {}),
      verify: (body, signature) => app.webhooks.verify(body, signature),
      handle: async (item) => {
        try {
          await app.receive({
            id: item.deliveryId,
            name: item.event as never,
            payload: JSON.parse(item.payload) as never,
          });
        } catch (error) {
          throw error instanceof AggregateError && error.errors.length > 0 ? (error.errors[0] as unknown) : error;
        }
      },
      count: (event, result) => options.metrics.deliveries.inc({ event, result }),
    });
    const box = inbox;
    fnOptions.addHandler?.((req, res) => box.receive(req, res));
    void box.start();
    fnOptions.addHandler?.((req, res) => handleHttp(req, res));
    const host: AppHost = {
      store: d.store,
      clock,
      log,
      actions: createReleaseActions(d),
      probot: app,
      ...(d.evaluationBudget ? { evaluationBudget: d.evaluationBudget } : {}),
    };
    for (const mount of options.mounts ?? []) fnOptions.addHandler?.(mount(host));
    notify.start(d.replicaId, log);
    scheduler = new DueWorkScheduler(d, probotOctokitFor(app), options.schedulerIntervalMs ?? 30_000);
    if ((options.schedulerIntervalMs ?? 30_000) > 0) scheduler.start();
  };

  return {
    appFn,
    scheduler: () => {
      if (!scheduler) throw new Error('The app is not loaded yet: load appFn into Probot first.');
      return scheduler;
    },
    handleHttp,
    idle: async () => {
      await audit.idle();
      await notify.outbox.idle();
    },
    events: options.events ?? notify.sink,
    inbox: () => {
      if (!inbox) throw new Error('The app is not loaded yet: load appFn into Probot first.');
      return inbox;
    },
    verifier: () => {
      if (!verifier) throw new Error('The app is not loaded yet: load appFn into Probot first.');
      return verifier;
    },
    stop: async () => {
      // Whatever is still waiting (on GitHub, say) after the inbox's grace is left to the next
      // replica: deliveries, gates and promotions are released, not waited for.
      const grace = inbox?.settings.stopGraceMs ?? DEFAULT_INBOX_SETTINGS.stopGraceMs;
      const deadline = performance.now() + grace;
      const left = (await inbox?.stop(grace)) ?? 0;
      const schedulerDone =
        (await settlesBy(scheduler?.stop(), deadline)) && (await settlesBy(verifier?.stop(), deadline));
      const auditDone = await settlesBy(audit.idle(), deadline);
      await settlesBy(notify.stop(), deadline);
      if ((left > 0 || !schedulerDone) && deps) {
        const freed = await endLeasesOf(deps.replicaId);
        if (freed > 0)
          deps.log.warn(
            { leases: freed },
            'Stopping: gates and promotions being worked on are left to the next replica',
          );
      }
      if (!auditDone)
        auditLog?.warn('Stopping: check run summaries still being written were not finished; the decisions are stored');
    },
  };
}

/** Waits for `work` until `deadlineMs` (of `performance.now()`): true when it settled by then (it is not cancelled otherwise). */
async function settlesBy(work: Promise<unknown> | undefined, deadlineMs: number): Promise<boolean> {
  if (!work) return true;
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, deadlineMs - performance.now())))),
  ]);
  clearTimeout(timer);
  return settled;
}
