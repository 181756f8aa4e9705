import type { Prisma } from './generated/sqlite/client.js';
import type { SqlRunner } from './sql-runner.js';

/**
 * Work kept in a table until it is due, shared among replicas by leases (pending gates,
 * `./gates.ts`; held promotions, `./promotions.ts`). A row is due when it is `pending` with nextCheckAt <= now, or
 * `decided` and not finished yet (a crash, a failed callback), and its lease is free or
 * expired; due rows come oldest first.
 */
export interface LeasedQueue<Row> {
  listDue(now: Date): Promise<Row[]>;
  /**
   * Takes the lease on a row until `until`. Succeeds when the lease is free, expired
   * (claimedUntil <= now) or already held by `owner` (renewal); one replica wins a race.
   */
  claim(id: number, owner: string, until: Date, now: Date): Promise<boolean>;
  /** Frees the lease if `owner` holds it. */
  release(id: number, owner: string): Promise<void>;
  /** When the row is looked at again (null: only on an event). */
  setNextCheck(id: number, at: Date | null): Promise<void>;
}

/** A where-clause over the columns both leased tables (pending gates, promotions) have. */
type LeasedWhere = Prisma.PendingGateWhereInput & Prisma.PromotionWhereInput;

/** The calls of a leased table's Prisma delegate that its queue makes. */
interface LeasedTable<Stored> {
  findMany(args: { where: LeasedWhere; orderBy: Array<{ createdAt: 'asc' } | { id: 'asc' }> }): Promise<Stored[]>;
  updateMany(args: {
    where: LeasedWhere;
    data: { claimedBy: string | null; claimedUntil: Date | null } | { nextCheckAt: Date | null };
  }): Promise<{ count: number }>;
}

/**
 * A leased queue over one table: due rows are `pending` ones whose next check has come and
 * `decided` ones not finished yet (`unfinished`), whose lease is free or expired.
 */
export class LeasedRows<Stored, Row> implements LeasedQueue<Row> {
  constructor(
    private readonly table: LeasedTable<Stored>,
    /** The table in the record's own SQL: a lease is taken and freed on every decision. */
    private readonly leases: { sql: SqlRunner; table: 'PendingGate' | 'Promotion' },
    private readonly toRow: (stored: Stored) => Row,
    /** What a `decided` row not finished yet has. */
    private readonly unfinished: LeasedWhere,
    /** The rows whose next check may be set. */
    private readonly reschedulable: LeasedWhere,
  ) {}

  async listDue(now: Date): Promise<Row[]> {
    const rows = await this.table.findMany({
      where: {
        OR: [
          { status: 'pending', nextCheckAt: { lte: now } },
          { status: 'decided', ...this.unfinished },
        ],
        // Leases are free when unheld or expired at `now`.
        AND: [{ OR: [{ claimedUntil: null }, { claimedUntil: { lte: now } }] }],
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(this.toRow);
  }

  async claim(id: number, owner: string, until: Date, now: Date): Promise<boolean> {
    // One conditional UPDATE: under concurrent replicas only one sees the lease free (or expired, or its own).
    const count = await this.leases.sql.run(
      `UPDATE "${this.leases.table}" SET "claimedBy" = $2, "claimedUntil" = $3
       WHERE "id" = $1 AND ("claimedBy" IS NULL OR "claimedUntil" IS NULL OR "claimedUntil" <= $4 OR "claimedBy" = $2)`,
      [id, owner, until, now],
    );
    return count === 1;
  }

  async release(id: number, owner: string): Promise<void> {
    await this.leases.sql.run(
      `UPDATE "${this.leases.table}" SET "claimedBy" = NULL, "claimedUntil" = NULL WHERE "id" = $1 AND "claimedBy" = $2`,
      [id, owner],
    );
  }

  async setNextCheck(id: number, at: Date | null): Promise<void> {
    await this.table.updateMany({ where: { id, ...this.reschedulable }, data: { nextCheckAt: at } });
  }
}
