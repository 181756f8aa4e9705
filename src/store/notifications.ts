import type { Notification, PrismaClient } from './generated/sqlite/client.js';
import { isUniqueViolation } from './sql-dialect.js';

/** One delivery of one release event to one channel (a row of the outbox). */
export interface NotificationRow {
  id: number;
  eventId: string;
  /** `slack:<VAR>` or `webhook:<VAR>`. */
  channel: string;
  repo: string;
  kind: string;
  /** The ReleaseEvent as JSON text. */
  event: string;
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export type NotificationStatus = 'pending' | 'delivered' | 'failed';

export interface EnqueueNotificationInput {
  eventId: string;
  channel: string;
  repo: string;
  kind: string;
  event: string;
  at: Date;
}

/** The outbox of notifications: what the App publishes and the notification worker delivers. */
export interface NotificationStore {
  /** Adds a row unless the same event was already queued for the channel (true when added). */
  enqueueNotification(input: EnqueueNotificationInput): Promise<boolean>;
  /**
   * Claims up to `limit` due rows for `owner` until `until`: pending rows whose next attempt
   * has come and whose lease is free or expired. Each row is claimed by one conditional
   * update, so under several replicas one row goes to one of them.
   */
  claimNotifications(owner: string, until: Date, now: Date, limit: number): Promise<NotificationRow[]>;
  /** Marks a claimed row delivered (false when the claim was lost). */
  deliverNotification(id: number, owner: string, at: Date): Promise<boolean>;
  /** Records a failed attempt: retried at `retryAt`, or given up (`failed`) when it is null. */
  failNotification(id: number, owner: string, error: string, retryAt: Date | null): Promise<boolean>;
  /** The rows of one event (tests, the console). */
  listNotifications(query: { eventId?: string; repo?: string; limit?: number }): Promise<NotificationRow[]>;
  /** How many rows are in each status (the `/metrics` gauge). */
  countNotifications(): Promise<Record<NotificationStatus, number>>;
}

const toRow = (r: Notification): NotificationRow => ({
  id: r.id,
  eventId: r.eventId,
  channel: r.channel,
  repo: r.repo,
  kind: r.kind,
  event: r.event,
  status: r.status as NotificationStatus,
  attempts: r.attempts,
  nextAttemptAt: r.nextAttemptAt,
  lastError: r.lastError,
  createdAt: r.createdAt,
  deliveredAt: r.deliveredAt,
});

/** The outbox on the record's Prisma client (either provider: the model is the same). */
export function notificationStore(db: PrismaClient): NotificationStore {
  return {
    async enqueueNotification(input) {
      try {
        await db.notification.create({
          data: {
            eventId: input.eventId,
            channel: input.channel,
            repo: input.repo,
            kind: input.kind,
            event: input.event,
            status: 'pending',
            nextAttemptAt: input.at,
            createdAt: input.at,
          },
        });
        return true;
      } catch (error) {
        // The same event published twice (a redelivered webhook): it is queued once.
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },

    async claimNotifications(owner, until, now, limit) {
      const due = await db.notification.findMany({
        where: {
          status: 'pending',
          nextAttemptAt: { lte: now },
          OR: [{ claimedUntil: null }, { claimedUntil: { lte: now } }],
        },
        orderBy: [{ nextAttemptAt: 'asc' }, { id: 'asc' }],
        take: limit,
      });
      const claimed: NotificationRow[] = [];
      for (const row of due) {
        const { count } = await db.notification.updateMany({
          where: {
            id: row.id,
            status: 'pending',
            OR: [{ claimedUntil: null }, { claimedUntil: { lte: now } }],
          },
          data: { claimedBy: owner, claimedUntil: until },
        });
        if (count === 1) claimed.push(toRow(row));
      }
      return claimed;
    },

    async deliverNotification(id, owner, at) {
      const { count } = await db.notification.updateMany({
        where: { id, claimedBy: owner, status: 'pending' },
        data: {
          status: 'delivered',
          deliveredAt: at,
          attempts: { increment: 1 },
          claimedBy: null,
          claimedUntil: null,
          lastError: null,
        },
      });
      return count === 1;
    },

    async failNotification(id, owner, error, retryAt) {
      const { count } = await db.notification.updateMany({
        where: { id, claimedBy: owner, status: 'pending' },
        data: {
          status: retryAt === null ? 'failed' : 'pending',
          ...(retryAt === null ? {} : { nextAttemptAt: retryAt }),
          attempts: { increment: 1 },
          lastError: error.slice(0, 1000),
          claimedBy: null,
          claimedUntil: null,
        },
      });
      return count === 1;
    },

    async listNotifications(query) {
      const rows = await db.notification.findMany({
        where: { ...(query.eventId ? { eventId: query.eventId } : {}), ...(query.repo ? { repo: query.repo } : {}) },
        orderBy: [{ id: 'asc' }],
        take: Math.min(query.limit ?? 100, 1000),
      });
      return rows.map(toRow);
    },

    async countNotifications() {
      const groups = await db.notification.groupBy({ by: ['status'], _count: { _all: true } });
      const counts: Record<NotificationStatus, number> = { pending: 0, delivered: 0, failed: 0 };
      for (const g of groups) counts[g.status as NotificationStatus] = g._count._all;
      return counts;
    },
  };
}
