import type { NotificationRow, NotificationStore } from '../store/notifications.js';
import { cloudEventRequest } from './cloud-event.js';
import { parseChannelKey, resolveChannel } from './channels.js';
import { eventFromJson } from './outbox.js';
import { slackMessage } from './slack-message.js';

export interface NotificationSettings {
  /** How often the worker looks for due rows (0: no timer; tests call `tick`). */
  pollMs: number;
  /** Rows claimed per look. */
  batch: number;
  /** How long a claim holds: a replica that dies mid-delivery frees its rows after this. */
  leaseMs: number;
  /** One request's time limit. */
  timeoutMs: number;
  /** Attempts before a row is given up (`failed`). */
  maxAttempts: number;
  /** The first retry's delay; each next one doubles, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = {
  pollMs: 2_000,
  batch: 20,
  leaseMs: 60_000,
  timeoutMs: 10_000,
  maxAttempts: 8,
  backoffMs: 10_000,
  maxBackoffMs: 3_600_000,
};

/** The delay before attempt `attempt + 1` after `attempt` failed ones: exponential, capped. */
export function backoffDelay(
  attempt: number,
  settings: Pick<NotificationSettings, 'backoffMs' | 'maxBackoffMs'>,
): number {
  return Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** Math.max(0, attempt - 1));
}

/** What one attempt came to. */
export type AttemptResult = { ok: true } | { ok: false; error: string; retry: boolean; retryAfterMs?: number };

export interface NotificationWorkerOptions {
  store: { notifications: NotificationStore };
  /** The operator's environment: channel URLs and secrets are read from it at each delivery. */
  env: Readonly<Record<string, string | undefined>>;
  replicaId: string;
  clock?: () => Date;
  log: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
  settings?: Partial<NotificationSettings>;
  /** Counts each attempt (`/metrics`). */
  count?: (channel: 'slack' | 'webhook', result: 'delivered' | 'retry' | 'failed') => void;
}

/**
 * Delivers the outbox: claims due rows under a lease (one replica per row), sends each to its
 * channel, and records the outcome: delivered, retried later with exponential backoff (a
 * network error, a timeout, 429 or 5xx), or given up (4xx, a channel the operator has not
 * set, or the last attempt). Rows survive restarts: a claim that is not finished expires.
 */
export class NotificationWorker {
  readonly settings: NotificationSettings;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private readonly clock: () => Date;

  constructor(private readonly options: NotificationWorkerOptions) {
    this.settings = { ...DEFAULT_NOTIFICATION_SETTINGS, ...options.settings };
    this.clock = options.clock ?? (() => new Date());
  }

  start(): void {
    if (this.timer || this.settings.pollMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.settings.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One look: delivers the rows due now; resolves with how many were attempted. */
  tick(): Promise<number> {
    if (this.running) return this.running;
    const run = this.deliverDue().catch((error: unknown) => {
      this.options.log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'The notification worker could not read the outbox',
      );
      return 0;
    });
    this.running = run;
    void run.finally(() => {
      if (this.running === run) this.running = null;
    });
    return run;
  }

  private async deliverDue(): Promise<number> {
    const now = this.clock();
    const rows = await this.options.store.notifications.claimNotifications(
      this.options.replicaId,
      new Date(now.getTime() + this.settings.leaseMs),
      now,
      this.settings.batch,
    );
    await Promise.all(rows.map((row) => this.deliver(row)));
    return rows.length;
  }

  private async deliver(row: NotificationRow): Promise<void> {
    const { notifications } = this.options.store;
    const ref = parseChannelKey(row.channel);
    const kind = ref?.kind ?? 'webhook';
    const result: AttemptResult = ref
      ? await this.attempt(row, ref)
      : { ok: false, error: `Unknown channel ${row.channel}.`, retry: false };
    const at = this.clock();
    if (result.ok) {
      await notifications.deliverNotification(row.id, this.options.replicaId, at);
      this.options.count?.(kind, 'delivered');
      return;
    }
    const attempts = row.attempts + 1;
    const retry = result.retry && attempts < this.settings.maxAttempts;
    const delay = Math.max(result.retryAfterMs ?? 0, backoffDelay(attempts, this.settings));
    await notifications.failNotification(
      row.id,
      this.options.replicaId,
      result.error,
      retry ? new Date(at.getTime() + delay) : null,
    );
    this.options.count?.(kind, retry ? 'retry' : 'failed');
    this.options.log.warn(
      { repo: row.repo, event: row.eventId, channel: row.channel, attempts, error: result.error },
      retry ? `A notification failed; it is retried in ${Math.round(delay / 1000)} s` : 'A notification was given up',
    );
  }

  private async attempt(
    row: NotificationRow,
    ref: NonNullable<ReturnType<typeof parseChannelKey>>,
  ): Promise<AttemptResult> {
    const channel = resolveChannel(ref, this.options.env);
    if (!channel.ok) return { ok: false, error: channel.error, retry: false };
    let event;
    try {
      event = eventFromJson(row.event);
    } catch (error) {
      return { ok: false, error: `The queued event is not JSON: ${String(error)}`, retry: false };
    }
    const request =
      ref.kind === 'slack'
        ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(slackMessage(event)) }
        : cloudEventRequest(event, channel.secret!);
    try {
      const res = await fetch(channel.url, {
        method: 'POST',
        headers: { ...request.headers, 'user-agent': 'release-gate' },
        body: request.body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      // The body is read so the connection is reused; its text helps say why (Slack answers `invalid_payload`...).
      const text = (await res.text()).slice(0, 200);
      if (res.ok) return { ok: true };
      const error = `${ref.variable} answered ${res.status}${text ? `: ${text}` : ''}`;
      if (res.status === 429 || res.status === 408 || res.status >= 500) {
        const after = Number(res.headers.get('retry-after'));
        return {
          ok: false,
          error,
          retry: true,
          ...(Number.isFinite(after) && after > 0 ? { retryAfterMs: after * 1000 } : {}),
        };
      }
      return { ok: false, error, retry: false };
    } catch (error) {
      const why =
        error instanceof Error
          ? error.name === 'TimeoutError'
            ? `no answer within ${this.settings.timeoutMs} ms`
            : error.message
          : String(error);
      return { ok: false, error: `${ref.variable} could not be reached: ${why}`, retry: true };
    }
  }
}
