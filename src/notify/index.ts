import { Counter, type Registry } from 'prom-client';
import type { ReleaseEventSink } from '../core/release-events.js';
import type { Store } from '../store/types.js';
import { NotificationWorker, type NotificationSettings } from './notification-worker.js';
import { NotificationOutbox } from './outbox.js';
import { publishingStore } from './publishing-store.js';

export { NotificationOutbox } from './outbox.js';
export { NotificationWorker, DEFAULT_NOTIFICATION_SETTINGS, backoffDelay } from './notification-worker.js';
export type { NotificationSettings } from './notification-worker.js';

export interface NotificationOptions extends Partial<NotificationSettings> {
  /** Where channel URLs and secrets are read (default the process's environment). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** `release_gate_notifications_total{channel, result}` on the registry (once per registry). */
function notificationCounter(registry: Registry | undefined): Counter<'channel' | 'result'> | null {
  if (!registry) return null;
  const known = registry.getSingleMetric('release_gate_notifications_total');
  if (known) return known as Counter<'channel' | 'result'>;
  return new Counter({
    name: 'release_gate_notifications_total',
    help: 'Notification attempts by channel (slack, webhook) and result (delivered, retry, failed: given up).',
    labelNames: ['channel', 'result'] as const,
    registers: [registry],
  });
}

export interface Notifications {
  /** Where the App's deciders (and the verifier) publish release events. */
  sink: ReleaseEventSink;
  outbox: NotificationOutbox;
  /** The record, publishing the events it records (decisions, promotions, proven deployments). */
  store: Store;
  /** Starts the outbox's worker under this replica's name. */
  start(replicaId: string, log: { warn(obj: object, msg: string): void }): NotificationWorker;
  /** Stops the worker (what it is sending finishes) once the queued events are written. */
  stop(): Promise<void>;
}

/** Composes notifications for the App: the outbox sink, the publishing record and the worker. */
export function createNotifications(
  store: Store,
  clock: () => Date,
  log: { warn(obj: object, msg: string): void },
  options: NotificationOptions = {},
  registry?: Registry,
): Notifications {
  const { env = process.env, ...settings } = options;
  const counter = notificationCounter(registry);
  const outbox = new NotificationOutbox(store, clock, log);
  let worker: NotificationWorker | null = null;
  return {
    sink: outbox,
    outbox,
    store: publishingStore(store, outbox),
    start(replicaId, workerLog) {
      worker = new NotificationWorker({
        store,
        env,
        replicaId,
        clock,
        log: workerLog,
        settings,
        ...(counter ? { count: (channel, result) => counter.inc({ channel, result }) } : {}),
      });
      worker.start();
      return worker;
    },
    async stop() {
      await outbox.idle();
      await worker?.stop();
    },
  };
}
