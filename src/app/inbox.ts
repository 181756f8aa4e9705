import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'probot';
import { describeError } from '../github/types.js';
import type { FileGuard } from '../store/file-guard.js';
import type { InboxItem, InboxRow, InboxStore } from '../store/inbox-store.js';
import { deliveryPriority, orderKeyOf } from './delivery-order.js';
import type { PayloadForOrder } from './delivery-order.js';

/** Where GitHub sends webhooks (Probot's default path). */
export const WEBHOOK_PATH = '/api/github/webhooks';

export interface InboxSettings {
  /** Deliveries one replica handles at the same time. */
  concurrency: number;
  /** How long a worker's claim on a delivery lasts without renewal (renewed every third of it). */
  leaseMs: number;
  /** How often an idle worker looks for deliveries another replica stored. */
  pollMs: number;
  /** The first retry's delay; each further one doubles, up to `maxRetryMs`. */
  retryBaseMs: number;
  maxRetryMs: number;
  /** Tries before a delivery is given up on (logged; a redelivery from GitHub queues it again). */
  maxAttempts: number;
  /**
   * At stop, how long deliveries being handled may take to finish; those still running then
   * (waiting on a GitHub that does not answer, say) are left to the next replica.
   */
  stopGraceMs: number;
  /**
   * Workers of `concurrency` that take only deliveries someone waits on (protection rules,
   * commands), so a burst of status events never keeps them waiting for a free worker.
   */
  urgentWorkers: number;
}

export const DEFAULT_INBOX_SETTINGS: InboxSettings = {
  concurrency: 16,
  leaseMs: 30_000,
  pollMs: 500,
  retryBaseMs: 2_000,
  maxRetryMs: 5 * 60_000,
  maxAttempts: 30,
  stopGraceMs: 5_000,
  urgentWorkers: 2,
};

/** GitHub caps webhook payloads at 25 MB; anything larger is not from GitHub. */
const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;
/** How long background workers hold off for a delivery someone waits on, at most. */
const URGENT_HOLD_MS = 2_000;

export interface InboxOptions {
  store: InboxStore & FileGuard;
  /** Hands a delivery to the App's handlers (`probot.receive`); a rejection is a failure. */
  handle: (item: InboxItem) => Promise<void>;
  /** Checks `X-Hub-Signature-256` against the raw body (`probot.webhooks.verify`). */
  verify: (body: string, signature: string) => Promise<boolean>;
  /**
   * The clock claims, retries and leases are timed by (the system clock by default). Not the
   * App's decision clock: a test or a replay may fix the instant a policy is evaluated at,
   * while a retry must still come due as time passes.
   */
  clock?: () => Date;
  /** This replica's name; claims carry it plus a per-process suffix. */
  replicaId: string;
  log: Logger;
  settings?: Partial<InboxSettings>;
  /** Counts deliveries by result (`queued`, `duplicate`, `retry`, `failed`; the handlers count `handled` and `error`). */
  count?: (event: string, result: string) => void;
}

/** The body as sent, up to `limit` bytes (the rest is read and dropped), and whether it was larger. */
async function readBody(
  req: IncomingMessage,
  limit: number,
): Promise<{ body: string; size: number; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return { body: Buffer.concat(chunks).toString('utf8'), size, tooLarge: size > limit };
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

/** Headers come from anyone: keep what is logged of them short. */
function clip(value: string | null): string | null {
  return value === null ? null : value.slice(0, 100);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * The durable inbox. A webhook is verified, stored and acknowledged at once; workers take
 * deliveries from the database (one conditional claim each, so replicas share them), hand
 * them to the handlers, and retry a failure with backoff. A claim is renewed while its
 * delivery is handled, so a worker that dies lets another replica take it over once the
 * claim runs out, and a restarted replica takes back its own at once.
 */
export class Inbox {
  readonly settings: InboxSettings;
  private readonly owner: string;
  private running = false;
  private workers: Promise<void>[] = [];
  private readonly waiters: Array<{ urgent: boolean; wake: () => void }> = [];

  private readonly clock: () => Date;
  /** Deliveries being handled now, and those given up on at stop (their results are not recorded). */
  private readonly handling = new Map<number, { item: InboxItem; renew: NodeJS.Timeout }>();
  private readonly abandoned = new Set<number>();

  constructor(private readonly options: InboxOptions) {
    this.settings = { ...DEFAULT_INBOX_SETTINGS, ...options.settings };
    this.clock = options.clock ?? (() => new Date());
    this.owner = `${options.replicaId}#${process.pid}-${this.clock().getTime().toString(36)}`;
  }

  /**
   * The one entry of webhooks: answers `POST /api/github/webhooks` (returns false for anything
   * else). The signature is checked here and nowhere else; a delivery with a bad or missing
   * signature is answered 400 and logged as one WARN line with its delivery id, event and
   * size, never its payload (a stranger posting junk cannot fill the log). 400 for a missing
   * header, 200 once stored, 503 when the database cannot store it (GitHub shows the delivery
   * as failed and can send it again).
   */
  async receive(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    if (path !== WEBHOOK_PATH || req.method !== 'POST') return false;
    const event = header(req, 'x-github-event');
    const id = header(req, 'x-github-delivery');
    const signature = header(req, 'x-hub-signature-256');
    const { body, size, tooLarge } = await readBody(req, MAX_PAYLOAD_BYTES);
    const problem = tooLarge
      ? 'larger than GitHub sends (25 MB)'
      : !signature
        ? 'no X-Hub-Signature-256 header'
        : !(await this.options.verify(body, signature).catch(() => false))
          ? 'the signature does not match WEBHOOK_SECRET'
          : null;
    if (problem) {
      this.options.log.warn({ deliveryId: clip(id), event: clip(event), size }, `Webhook refused: ${problem}`);
      reply(res, 400, { error: `Webhook refused: ${problem}` });
      return true;
    }
    if (event === null || id === null) {
      reply(res, 400, { error: 'Required headers missing: x-github-event and x-github-delivery must both be set' });
      return true;
    }
    const fileProblem = this.options.store.fileProblem();
    if (fileProblem) {
      reply(res, 503, { error: fileProblem });
      return true;
    }
    let payload: PayloadForOrder;
    try {
      payload = JSON.parse(body) as PayloadForOrder;
    } catch {
      reply(res, 400, { error: 'The webhook body is not JSON' });
      return true;
    }
    const priority = deliveryPriority(event, payload);
    try {
      const result = await this.options.store.enqueueDelivery({
        deliveryId: id,
        event,
        action: payload.action ?? null,
        repo: payload.repository?.full_name ?? null,
        orderKey: orderKeyOf(event, payload),
        priority,
        payload: body,
        now: this.clock(),
      });
      this.options.count?.(event, result === 'duplicate' ? 'duplicate' : 'queued');
      if (result === 'duplicate')
        this.options.log.info({ deliveryId: id, event }, 'Redelivery of a delivery already handled: nothing to do');
      reply(res, 200, { ok: true, delivery: id, inbox: result });
      if (result !== 'duplicate') this.wake(false, priority === 0);
    } catch (error) {
      this.options.log.error(
        { deliveryId: id, event, err: describeError(error) },
        'Could not store the webhook delivery',
      );
      reply(res, 503, { error: `The delivery could not be stored: ${describeError(error)}` });
    }
    return true;
  }

  /** Starts the workers; deliveries a previous life of this replica was handling are taken back at once. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const freed = await this.options.store
      .releaseInboxClaims(`${this.options.replicaId}#`, this.owner)
      .catch((error: unknown) => {
        this.options.log.warn(
          { err: describeError(error) },
          'Could not take back the deliveries of an earlier run; they are taken over when their claims run out',
        );
        return 0;
      });
    if (freed > 0)
      this.options.log.info({ freed }, 'Took back deliveries an earlier run of this replica left unfinished');
    const urgent = Math.min(this.settings.urgentWorkers, this.settings.concurrency - 1);
    this.workers = Array.from({ length: this.settings.concurrency }, (_, i) => this.work(i < urgent));
  }

  /**
   * Stops taking deliveries and waits for those being handled, at most `graceMs` (default
   * `stopGraceMs`; a span of time, not a reading of any clock). Deliveries still running then have their claims
   * released at once, so another replica takes them without waiting for the claim to run
   * out (the handlers are idempotent); returns how many were left.
   */
  async stop(graceMs = this.settings.stopGraceMs): Promise<number> {
    this.running = false;
    this.wake(true);
    const all = Promise.all(this.workers);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      all.then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, graceMs)))),
    ]);
    clearTimeout(timer);
    this.workers = [];
    if (finished) return 0;
    const left = [...this.handling.values()];
    for (const { item, renew } of left) {
      clearInterval(renew);
      this.abandoned.add(item.seq);
      this.options.log.warn(
        { deliveryId: item.deliveryId, event: item.event },
        'Stopping: the delivery was not finished in time and is left to the next replica',
      );
    }
    await this.options.store.releaseInboxClaims(this.owner, '').catch((error: unknown) => {
      this.options.log.warn(
        { err: describeError(error) },
        'Could not release the unfinished deliveries; another replica takes them when their claims run out',
      );
    });
    return left.length;
  }

  /**
   * Lets one idle worker look at once (a delivery was stored by this replica); `all` wakes
   * every one. An `urgent` delivery wakes an urgent worker first, so it never waits for one of
   * the others to finish what it holds.
   */
  wake(all = false, urgent = false): void {
    const pick = urgent ? this.waiters.findIndex((w) => w.urgent) : -1;
    const woken = all
      ? this.waiters.splice(0)
      : pick >= 0
        ? this.waiters.splice(pick, 1)
        : this.waiters.splice(this.waiters.findIndex((w) => !w.urgent) >>> 0, 1);
    // No worker idle right now (each is between a claim and its wait): the next one to go
    // idle looks again at once instead of sleeping through the poll interval.
    if (woken.length === 0) this.missedWakes++;
    for (const w of woken) w.wake();
  }

  /** Wake-ups that found no idle worker. */
  private missedWakes = 0;

  /** Deliveries someone waits on (priority 0) being handled by this replica now. */
  private urgentInFlight = 0;
  /** When the current run of urgent deliveries began (performance.now()). */
  private urgentSince = 0;
  private readonly urgentDone: Array<() => void> = [];

  /** How much longer background deliveries wait for the urgent ones in flight (0: they don't). */
  private holdLeft(): number {
    return this.urgentInFlight === 0 ? 0 : Math.max(0, URGENT_HOLD_MS - (performance.now() - this.urgentSince));
  }

  /**
   * A worker that takes background deliveries holds off before its next background claim while
   * this replica handles a delivery someone waits on, so the answer does not share the process
   * with a burst of records; meanwhile it takes only deliveries someone waits on, and a new one
   * wakes it (`wake`). Bounded: `URGENT_HOLD_MS` after the urgent work began (a delivery stuck
   * on an unreachable GitHub, say), background work goes on as before.
   */
  private async holdForUrgent(): Promise<void> {
    const left = this.holdLeft();
    if (left <= 0) return;
    await new Promise<void>((resolve) => {
      const waiter = { urgent: false, wake: () => done() };
      const done = () => {
        clearTimeout(timer);
        const i = this.urgentDone.indexOf(done);
        if (i >= 0) this.urgentDone.splice(i, 1);
        const w = this.waiters.indexOf(waiter);
        if (w >= 0) this.waiters.splice(w, 1);
        resolve();
      };
      const timer = setTimeout(done, left);
      this.urgentDone.push(done);
      this.waiters.push(waiter);
    });
  }

  /**
   * Resolves with the delivery's row once it is handled, given up on, or waiting for a
   * retry after a failure; null when it is not stored. Polls the database.
   */
  async settled(deliveryId: string, timeoutMs = 30_000): Promise<InboxRow | null> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const row = await this.options.store.getInboxDelivery(deliveryId);
      if (!row) return null;
      if (
        row.status === 'done' ||
        row.status === 'failed' ||
        (row.status === 'ready' && row.lastError !== null && row.availableAt > this.clock())
      )
        return row;
      if (performance.now() > end) return row;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits for a wake-up or the poll interval, whichever comes first. */
  private idle(urgent: boolean): Promise<void> {
    if (this.missedWakes > 0) {
      this.missedWakes--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const waiter = {
        urgent,
        wake: () => {
          clearTimeout(timer);
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, this.settings.pollMs);
      this.waiters.push(waiter);
    });
  }

  /** A worker: takes deliveries until stopped; an `urgent` one only those someone waits on. */
  private async work(urgent: boolean): Promise<void> {
    const { store, log } = this.options;
    while (this.running) {
      let item: InboxItem | null = null;
      let holding = false;
      try {
        // Never handle a delivery into a SQLite file that is gone: nothing written would stay.
        const fileProblem = store.fileProblem();
        if (fileProblem) throw new Error(fileProblem);
        // While this replica answers someone, a background worker helps with those answers
        // and takes no background delivery (`holdForUrgent`).
        holding = !urgent && this.holdLeft() > 0;
        const now = this.clock();
        item = await store.claimInboxDelivery(this.owner, this.leaseFrom(now), now, urgent || holding ? 0 : 2);
      } catch (error) {
        log.warn({ err: describeError(error) }, 'Could not take a delivery from the inbox; trying again');
      }
      if (!item) {
        await (holding ? this.holdForUrgent() : this.idle(urgent));
        continue;
      }
      await this.process(item);
    }
  }

  private leaseFrom(now: Date): Date {
    return new Date(now.getTime() + this.settings.leaseMs);
  }

  private async process(item: InboxItem): Promise<void> {
    const { store, log } = this.options;
    const renew = setInterval(
      () => {
        void store.renewInboxDelivery(item.seq, this.owner, this.leaseFrom(this.clock())).catch((error: unknown) => {
          log.warn(
            { deliveryId: item.deliveryId, err: describeError(error) },
            'Could not renew the claim on a delivery',
          );
        });
      },
      Math.max(50, Math.floor(this.settings.leaseMs / 3)),
    );
    this.handling.set(item.seq, { item, renew });
    const urgentItem = item.priority === 0;
    if (urgentItem && this.urgentInFlight++ === 0) this.urgentSince = performance.now();
    try {
      if ((await store.beginHandling(item, this.clock())) === 'handled')
        log.info({ deliveryId: item.deliveryId, event: item.event }, 'Delivery already handled to the end: not again');
      else await this.options.handle(item);
      clearInterval(renew);
      if (this.abandoned.has(item.seq)) return;
      await store.finishInboxDelivery(item.seq, this.owner, this.clock());
    } catch (error) {
      clearInterval(renew);
      // Left to another replica at stop: what happens here after that is not this replica's to record.
      if (this.abandoned.has(item.seq)) return;
      const message = describeError(error);
      const giveUp = item.attempts >= this.settings.maxAttempts;
      const delay = Math.min(
        this.settings.maxRetryMs,
        this.settings.retryBaseMs * 2 ** Math.min(30, item.attempts - 1),
      );
      // Jitter keeps replicas from retrying a shared cause in step.
      const now = this.clock();
      const retryAt = giveUp ? null : new Date(now.getTime() + Math.round(delay * (0.75 + Math.random() * 0.5)));
      this.options.count?.(item.event, giveUp ? 'failed' : 'retry');
      if (giveUp)
        log.error(
          { deliveryId: item.deliveryId, event: item.event, attempts: item.attempts, err: message },
          'Handling the delivery failed every time; given up on until GitHub redelivers it',
        );
      else
        log.warn(
          {
            deliveryId: item.deliveryId,
            event: item.event,
            attempts: item.attempts,
            retryInMs: retryAt!.getTime() - now.getTime(),
            err: message,
          },
          'Handling the delivery failed; retried with backoff',
        );
      await store.failInboxDelivery(item.seq, this.owner, message, retryAt).catch((e: unknown) => {
        // The claim runs out and the delivery is taken again.
        log.error({ deliveryId: item.deliveryId, err: describeError(e) }, 'Could not record the failed delivery');
      });
    } finally {
      clearInterval(renew);
      this.handling.delete(item.seq);
      this.abandoned.delete(item.seq);
      if (urgentItem && --this.urgentInFlight === 0) for (const done of this.urgentDone.splice(0)) done();
    }
  }
}
