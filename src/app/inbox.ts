import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'probot';
import { describeError } from '../github/types.js';
import type { DeliveryStore, InboxItem, InboxRow } from '../store/types.js';

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
}

export const DEFAULT_INBOX_SETTINGS: InboxSettings = {
  concurrency: 16,
  leaseMs: 30_000,
  pollMs: 500,
  retryBaseMs: 2_000,
  maxRetryMs: 5 * 60_000,
  maxAttempts: 30,
  stopGraceMs: 5_000,
};

export interface InboxOptions {
  store: DeliveryStore;
  /** Hands a delivery to the App's handlers (`probot.receive`); a rejection is a failure. */
  handle: (item: InboxItem) => Promise<void>;
  /** Checks `X-Hub-Signature-256` against the raw body (`probot.webhooks.verify`). */
  verify: (body: string, signature: string) => Promise<boolean>;
  /** This replica's name; claims carry it plus a per-process suffix. */
  replicaId: string;
  log: Logger;
  settings?: Partial<InboxSettings>;
  /** Counts deliveries by result (`queued`, `duplicate`, `retry`, `failed`; the handlers count `handled` and `error`). */
  count?: (event: string, result: string) => void;
}

interface PayloadForKey {
  action?: string;
  environment?: string;
  repository?: { full_name?: string };
  installation?: { id?: number };
  deployment?: { sha?: string; environment?: string };
}

/**
 * The key that orders deliveries: those of one gate (the repository, commit and
 * environment of a deployment or its protection rule request) are handled one after the
 * other; other events of a repository are handled in order among themselves.
 */
export function orderKeyOf(event: string, payload: PayloadForKey): string {
  const repo = payload.repository?.full_name ?? `installation:${payload.installation?.id ?? 'none'}`;
  if (event === 'deployment_protection_rule' || event === 'deployment' || event === 'deployment_status') {
    const environment = payload.environment ?? payload.deployment?.environment ?? '';
    return `${repo}|${payload.deployment?.sha ?? ''}|${environment}`;
  }
  return `${repo}|events`;
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`The webhook body is over ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
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
  private readonly waiters: Array<() => void> = [];
  /** Deliveries being handled now, and those given up on at stop (their results are not recorded). */
  private readonly handling = new Map<number, { item: InboxItem; renew: NodeJS.Timeout }>();
  private readonly abandoned = new Set<number>();

  constructor(private readonly options: InboxOptions) {
    this.settings = { ...DEFAULT_INBOX_SETTINGS, ...options.settings };
    this.owner = `${options.replicaId}#${process.pid}-${Date.now().toString(36)}`;
  }

  /**
   * The webhook endpoint: answers `POST /api/github/webhooks` (returns false for anything
   * else). 400 for a missing header or a wrong signature, 200 once stored, 503 when the
   * database cannot store it (GitHub shows the delivery as failed).
   */
  async receive(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    if (path !== WEBHOOK_PATH || req.method !== 'POST') return false;
    const event = req.headers['x-github-event'];
    const id = req.headers['x-github-delivery'];
    const signature = req.headers['x-hub-signature-256'];
    if (typeof event !== 'string' || typeof id !== 'string' || typeof signature !== 'string') {
      reply(res, 400, {
        error: 'Required headers missing: x-github-event, x-github-delivery and x-hub-signature-256 must all be set',
      });
      return true;
    }
    let body: string;
    try {
      // GitHub caps payloads at 25 MB. The webhook guard may have read (and checked) it already.
      const read = (req as IncomingMessage & { body?: unknown }).body;
      body = typeof read === 'string' ? read : await readBody(req, 25 * 1024 * 1024);
    } catch (error) {
      reply(res, 413, { error: describeError(error) });
      return true;
    }
    if (!(await this.options.verify(body, signature).catch(() => false))) {
      reply(res, 400, { error: 'signature does not match event payload and secret' });
      return true;
    }
    const fileProblem = this.options.store.fileProblem();
    if (fileProblem) {
      reply(res, 503, { error: fileProblem });
      return true;
    }
    let payload: PayloadForKey;
    try {
      payload = JSON.parse(body) as PayloadForKey;
    } catch {
      reply(res, 400, { error: 'The webhook body is not JSON' });
      return true;
    }
    try {
      const result = await this.options.store.enqueueDelivery({
        deliveryId: id,
        event,
        action: payload.action ?? null,
        orderKey: orderKeyOf(event, payload),
        payload: body,
        nowMs: Date.now(),
      });
      this.options.count?.(event, result === 'duplicate' ? 'duplicate' : 'queued');
      if (result === 'duplicate')
        this.options.log.info({ deliveryId: id, event }, 'Redelivery of a delivery already handled: nothing to do');
      reply(res, 200, { ok: true, delivery: id, inbox: result });
      if (result !== 'duplicate') this.wake();
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
    this.workers = Array.from({ length: this.settings.concurrency }, () => this.work());
  }

  /**
   * Stops taking deliveries and waits for those being handled, at most until `deadlineMs`
   * (default: `stopGraceMs` from now). Deliveries still running then have their claims
   * released at once, so another replica takes them without waiting for the claim to run
   * out (the handlers are idempotent); returns how many were left.
   */
  async stop(deadlineMs = Date.now() + this.settings.stopGraceMs): Promise<number> {
    this.running = false;
    this.wake(true);
    const all = Promise.all(this.workers);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      all.then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, deadlineMs - Date.now())))),
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

  /** Lets one idle worker look at once (a delivery was stored by this replica); `all` wakes every one. */
  wake(all = false): void {
    const woken = all ? this.waiters.splice(0) : this.waiters.splice(0, 1);
    // No worker idle right now (each is between a claim and its wait): the next one to go
    // idle looks again at once instead of sleeping through the poll interval.
    if (woken.length === 0) this.missedWakes++;
    for (const w of woken) w();
  }

  /** Wake-ups that found no idle worker. */
  private missedWakes = 0;

  /**
   * Resolves with the delivery's row once it is handled, given up on, or waiting for a
   * retry after a failure; null when it is not stored. Polls the database.
   */
  async settled(deliveryId: string, timeoutMs = 30_000): Promise<InboxRow | null> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const row = await this.options.store.getInboxDelivery(deliveryId);
      if (!row) return null;
      if (
        row.status === 'done' ||
        row.status === 'failed' ||
        (row.status === 'ready' && row.lastError !== null && row.availableAtMs > Date.now())
      )
        return row;
      if (Date.now() > end) return row;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits for a wake-up or the poll interval, whichever comes first. */
  private idle(): Promise<void> {
    if (this.missedWakes > 0) {
      this.missedWakes--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, this.settings.pollMs);
      this.waiters.push(done);
    });
  }

  private async work(): Promise<void> {
    const { store, log } = this.options;
    while (this.running) {
      let item: InboxItem | null = null;
      try {
        // Never handle a delivery into a SQLite file that is gone: nothing written would stay.
        const fileProblem = store.fileProblem();
        if (fileProblem) throw new Error(fileProblem);
        const now = Date.now();
        item = await store.claimInboxDelivery(this.owner, now + this.settings.leaseMs, now);
      } catch (error) {
        log.warn({ err: describeError(error) }, 'Could not take a delivery from the inbox; trying again');
      }
      if (!item) {
        await this.idle();
        continue;
      }
      await this.process(item);
    }
  }

  private async process(item: InboxItem): Promise<void> {
    const { store, log } = this.options;
    const renew = setInterval(
      () => {
        void store
          .renewInboxDelivery(item.seq, this.owner, Date.now() + this.settings.leaseMs)
          .catch((error: unknown) => {
            log.warn(
              { deliveryId: item.deliveryId, err: describeError(error) },
              'Could not renew the claim on a delivery',
            );
          });
      },
      Math.max(50, Math.floor(this.settings.leaseMs / 3)),
    );
    this.handling.set(item.seq, { item, renew });
    try {
      await this.options.handle(item);
      clearInterval(renew);
      if (this.abandoned.has(item.seq)) return;
      await store.finishInboxDelivery(item.seq, this.owner, Date.now());
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
      const retryAt = giveUp ? null : Date.now() + Math.round(delay * (0.75 + Math.random() * 0.5));
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
            retryInMs: retryAt! - Date.now(),
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
    }
  }
}
