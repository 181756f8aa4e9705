import type { InboxDelivery, PrismaClient } from './generated/sqlite/client.js';
import type { SqlRunner } from './sql-runner.js';

/**
 * How soon a delivery is handled, lowest first: `0` someone waits on it (a deployment
 * protection rule request, a comment command), `1` it can wake a waiting gate (a review, a
 * finished check, a successful deployment), `2` it only adds to the record.
 */
export type DeliveryPriority = 0 | 1 | 2;

export type InboxStatus = 'ready' | 'working' | 'done' | 'failed';

/** The outcome of a delivery whose handling failed starts with this; a redelivery retries it. */
export const DELIVERY_ERROR_PREFIX = 'error:';

export interface EnqueueDeliveryInput {
  /** The `X-GitHub-Delivery` header. */
  deliveryId: string;
  /** The `X-GitHub-Event` header. */
  event: string;
  action: string | null;
  /** `owner/name`, when the payload has a repository. */
  repo: string | null;
  /** Deliveries with the same key (one gate) are handled one after the other. */
  orderKey: string;
  priority: DeliveryPriority;
  /** The raw JSON body as GitHub signed it. */
  payload: string;
  now: Date;
}

export type EnqueueResult = 'queued' | 'pending' | 'requeued' | 'duplicate';

export interface InboxItem {
  seq: number;
  deliveryId: string;
  event: string;
  action: string | null;
  orderKey: string;
  priority: DeliveryPriority;
  payload: string;
  /** Tries so far, this one included. */
  attempts: number;
}

export interface InboxRow extends InboxItem {
  status: InboxStatus;
  receivedAt: Date;
  availableAt: Date;
  claimedBy: string | null;
  lastError: string | null;
  finishedAt: Date | null;
}

/** What the record keeps of a delivery: when it came, how often again, and what its handling did. */
export interface DeliveryRow {
  id: string;
  event: string;
  action: string | null;
  repo: string | null;
  receivedAt: Date;
  /** How many times the delivery came again after the first: GitHub sending its id again, or a retry. */
  redeliveries: number;
  lastRedeliveryAt: Date | null;
  /** Free text set by `finishDelivery`, e.g. `approved`, `ignored: not gated`, `error: ...`. */
  outcome: string | null;
  finishedAt: Date | null;
}

/**
 * The durable inbox of webhook deliveries, the one place a delivery is de-duplicated: a
 * delivery id is stored once, handed to one worker at a time, and handled again only after
 * its handling failed or its worker died.
 */
export interface InboxStore {
  /**
   * Stores a verified delivery for the workers. A new id is `queued`; a redelivery (counted)
   * of one handled to the end is a `duplicate`; of one waiting for a retry, it is made due
   * now (`pending`); of one given up on (`failed`), it is queued again (`requeued`). A
   * priority-0 delivery lends its priority to the unfinished deliveries it must wait for.
   */
  enqueueDelivery(input: EnqueueDeliveryInput): Promise<EnqueueResult>;
  /**
   * Takes the most urgent due delivery (lowest priority, then oldest) whose gate has no earlier
   * delivery unfinished, with one conditional claim (`FOR UPDATE SKIP LOCKED` on PostgreSQL):
   * free, or held by a claim that expired (a dead worker). `maxPriority` leaves less urgent
   * deliveries to other workers. Returns null when nothing is due.
   */
  claimInboxDelivery(owner: string, until: Date, now: Date, maxPriority?: DeliveryPriority): Promise<InboxItem | null>;
  /** Extends the claim while `owner` holds it; false when it lost it. */
  renewInboxDelivery(seq: number, owner: string, until: Date): Promise<boolean>;
  /** Handled to the end. */
  finishInboxDelivery(seq: number, owner: string, now: Date): Promise<void>;
  /** Handling failed: due again at `retryAt`, or given up on (`failed`) when it is null. */
  failInboxDelivery(seq: number, owner: string, error: string, retryAt: Date | null): Promise<void>;
  /** Frees the claims of owners whose name starts with `prefix` (this replica's earlier lives). */
  releaseInboxClaims(prefix: string, exceptOwner: string): Promise<number>;
  getInboxDelivery(deliveryId: string): Promise<InboxRow | null>;
  /** How many deliveries are in each state. */
  countInbox(): Promise<Record<InboxStatus, number>>;
  /**
   * Before a delivery goes to the handlers: `handled` when an earlier try was handled to the end
   * (its worker died before marking it done: it is not handled twice); else `handle`, and a
   * try after the first (a retry, a redelivery of a failure, a dead worker's delivery) is
   * counted among its redeliveries.
   */
  beginHandling(item: Pick<InboxItem, 'deliveryId' | 'attempts'>, now: Date): Promise<'handle' | 'handled'>;
  /** Records what handling the delivery did (`error: ...` when it failed). */
  finishDelivery(id: string, outcome: string, at?: Date): Promise<void>;
  getDelivery(id: string): Promise<DeliveryRow | null>;
}

interface RawInbox {
  seq: number | bigint;
  deliveryId: string;
  event: string;
  action: string | null;
  orderKey: string;
  priority: number | bigint;
  payload: string;
  attempts: number | bigint;
}

const ms = (at: Date): bigint => BigInt(at.getTime());
const date = (value: bigint): Date => new Date(Number(value));

function inboxRow(r: InboxDelivery): InboxRow {
  return {
    seq: r.seq,
    deliveryId: r.deliveryId,
    event: r.event,
    action: r.action,
    orderKey: r.orderKey,
    priority: r.priority as DeliveryPriority,
    payload: r.payload,
    attempts: r.attempts,
    status: r.status as InboxStatus,
    receivedAt: date(r.receivedAtMs),
    availableAt: date(r.availableAtMs),
    claimedBy: r.claimedBy,
    lastError: r.lastError,
    finishedAt: r.finishedAtMs === null ? null : date(r.finishedAtMs),
  };
}

/** The inbox over a generated Prisma client (either provider). */
export class PrismaInboxStore implements InboxStore {
  constructor(
    private readonly db: PrismaClient,
    private readonly run: SqlRunner,
  ) {}

  async enqueueDelivery(input: EnqueueDeliveryInput): Promise<EnqueueResult> {
    const now = ms(input.now);
    // The delivery and its record together; an id stored before inserts nothing (then: below).
    const stored = await this.run.transaction(async (tx) => {
      const added = await tx.run(
        `INSERT INTO "InboxDelivery" ("deliveryId", "event", "action", "orderKey", "priority", "payload", "receivedAtMs", "availableAtMs")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT ("deliveryId") DO NOTHING`,
        [input.deliveryId, input.event, input.action, input.orderKey, input.priority, input.payload, now],
      );
      if (added === 0) return false;
      await tx.run(
        `INSERT INTO "Delivery" ("id", "event", "action", "repo", "receivedAt") VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ("id") DO NOTHING`,
        [input.deliveryId, input.event, input.action, input.repo, input.now],
      );
      // The unfinished deliveries an urgent one waits behind (same gate, earlier) become urgent too.
      if (input.priority === 0)
        await tx.run(
          `UPDATE "InboxDelivery" SET "priority" = 0
           WHERE "orderKey" = $1 AND "status" IN ('ready', 'working') AND "priority" > 0`,
          [input.orderKey],
        );
      return true;
    });
    if (stored) return 'queued';
    // Given up on: GitHub's redelivery (a person asked for it) queues it again.
    const requeued = await this.db.inboxDelivery.updateMany({
      where: { deliveryId: input.deliveryId, status: 'failed' },
      data: { status: 'ready', attempts: 0, availableAtMs: now, claimedBy: null, claimedUntilMs: null },
    });
    if (requeued.count === 1) return 'requeued';
    // Waiting for a retry: the redelivery makes it due now.
    const pending = await this.db.inboxDelivery.updateMany({
      where: { deliveryId: input.deliveryId, status: { in: ['ready', 'working'] } },
      data: { availableAtMs: now },
    });
    if (pending.count === 1) return 'pending';
    await this.db.delivery.updateMany({
      where: { id: input.deliveryId },
      data: { redeliveries: { increment: 1 }, lastRedeliveryAt: input.now },
    });
    return 'duplicate';
  }

  async beginHandling(item: Pick<InboxItem, 'deliveryId' | 'attempts'>, now: Date): Promise<'handle' | 'handled'> {
    const [row] = await this.run.rows<{ outcome: string | null }>(`SELECT "outcome" FROM "Delivery" WHERE "id" = $1`, [
      item.deliveryId,
    ]);
    const outcome = row?.outcome ?? null;
    if (outcome !== null && !outcome.startsWith(DELIVERY_ERROR_PREFIX)) return 'handled';
    if (outcome !== null || item.attempts > 1)
      await this.run.run(
        `UPDATE "Delivery" SET "outcome" = NULL, "finishedAt" = NULL, "redeliveries" = "redeliveries" + 1, "lastRedeliveryAt" = $2
         WHERE "id" = $1`,
        [item.deliveryId, now],
      );
    return 'handle';
  }

  async claimInboxDelivery(
    owner: string,
    until: Date,
    now: Date,
    maxPriority: DeliveryPriority = 2,
  ): Promise<InboxItem | null> {
    // One statement: the most urgent, then oldest, due delivery whose gate has no earlier one
    // unfinished, free or left by a dead worker. SKIP LOCKED lets concurrent workers pass over
    // each other's pick.
    const rows = await this.run.rows<RawInbox>(
      `UPDATE "InboxDelivery" SET "status" = 'working', "claimedBy" = $1, "claimedUntilMs" = $2::bigint, "attempts" = "attempts" + 1
        WHERE "seq" = (
          SELECT i."seq" FROM "InboxDelivery" i
          WHERE i."status" IN ('ready', 'working') AND i."priority" <= $4 AND i."availableAtMs" <= $3::bigint
            AND (i."claimedUntilMs" IS NULL OR i."claimedUntilMs" <= $3::bigint)
            AND NOT EXISTS (SELECT 1 FROM "InboxDelivery" e WHERE e."orderKey" = i."orderKey" AND e."seq" < i."seq" AND e."status" IN ('ready', 'working'))
          ORDER BY i."priority", i."seq" LIMIT 1 FOR UPDATE SKIP LOCKED)
        AND "status" IN ('ready', 'working') AND ("claimedUntilMs" IS NULL OR "claimedUntilMs" <= $3::bigint)
        RETURNING "seq", "deliveryId", "event", "action", "orderKey", "priority", "payload", "attempts"`,
      [owner, until.getTime(), now.getTime(), maxPriority],
      // Its best plan depends on how many wait and how urgent they are: planned at each claim.
      { planEachRun: true },
    );
    const row = rows[0];
    return row
      ? {
          seq: Number(row.seq),
          deliveryId: row.deliveryId,
          event: row.event,
          action: row.action,
          orderKey: row.orderKey,
          priority: Number(row.priority) as DeliveryPriority,
          payload: row.payload,
          attempts: Number(row.attempts),
        }
      : null;
  }

  async renewInboxDelivery(seq: number, owner: string, until: Date): Promise<boolean> {
    const { count } = await this.db.inboxDelivery.updateMany({
      where: { seq, claimedBy: owner, status: 'working' },
      data: { claimedUntilMs: ms(until) },
    });
    return count === 1;
  }

  async finishInboxDelivery(seq: number, owner: string, now: Date): Promise<void> {
    await this.run.run(
      `UPDATE "InboxDelivery" SET "status" = 'done', "claimedBy" = NULL, "claimedUntilMs" = NULL, "finishedAtMs" = $3, "lastError" = NULL
       WHERE "seq" = $1 AND "claimedBy" = $2`,
      [seq, owner, ms(now)],
    );
  }

  async failInboxDelivery(seq: number, owner: string, error: string, retryAt: Date | null): Promise<void> {
    await this.db.inboxDelivery.updateMany({
      where: { seq, claimedBy: owner },
      data:
        retryAt === null
          ? { status: 'failed', claimedBy: null, claimedUntilMs: null, lastError: error.slice(0, 1000) }
          : {
              status: 'ready',
              claimedBy: null,
              claimedUntilMs: null,
              lastError: error.slice(0, 1000),
              availableAtMs: ms(retryAt),
            },
    });
  }

  async releaseInboxClaims(prefix: string, exceptOwner: string): Promise<number> {
    const { count } = await this.db.inboxDelivery.updateMany({
      where: { status: 'working', claimedBy: { startsWith: prefix, not: exceptOwner } },
      data: { claimedBy: null, claimedUntilMs: null },
    });
    return count;
  }

  async getInboxDelivery(deliveryId: string): Promise<InboxRow | null> {
    const r = await this.db.inboxDelivery.findUnique({ where: { deliveryId } });
    return r ? inboxRow(r) : null;
  }

  async countInbox(): Promise<Record<InboxStatus, number>> {
    const groups = await this.db.inboxDelivery.groupBy({ by: ['status'], _count: { _all: true } });
    const counts: Record<InboxStatus, number> = { ready: 0, working: 0, done: 0, failed: 0 };
    for (const g of groups) counts[g.status as InboxStatus] = g._count._all;
    return counts;
  }

  async finishDelivery(id: string, outcome: string, at?: Date): Promise<void> {
    await this.run.run(`UPDATE "Delivery" SET "outcome" = $2, "finishedAt" = $3 WHERE "id" = $1`, [
      id,
      outcome,
      at ?? null,
    ]);
  }

  async getDelivery(id: string): Promise<DeliveryRow | null> {
    const row = await this.db.delivery.findUnique({ where: { id } });
    return row === null ? null : { ...row };
  }
}
