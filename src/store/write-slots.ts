import type { PrismaClient } from './generated/sqlite/client.js';
import { sqlFor, type DatabaseProvider } from './sql-dialect.js';

/** The write slots every replica takes from: GitHub's spacing of content-creating requests per installation. */
export interface WriteSlotStore {
  /**
   * Reserves the installation's next write slot, `spacingMs` after the previous one (or `now`),
   * with one conditional UPDATE shared by every replica; returns the slot's time.
   */
  takeWriteSlot(installationId: number, now: Date, spacingMs: number): Promise<Date>;
}

/** The write slots of the record on its Prisma client (the table keeps each installation's next slot in milliseconds). */
export function writeSlotStore(db: PrismaClient, provider: DatabaseProvider): WriteSlotStore {
  const sql = sqlFor(provider);
  return {
    async takeWriteSlot(installationId, now, spacingMs) {
      const rows = await db.$queryRawUnsafe<Array<{ slot: bigint | number }>>(
        sql(`INSERT INTO "WriteSlot" ("installationId", "nextAtMs") VALUES ($1::bigint, $2::bigint + $3::bigint)
          ON CONFLICT ("installationId") DO UPDATE SET "nextAtMs" = GREATEST("WriteSlot"."nextAtMs", $2::bigint) + $3::bigint
          RETURNING "nextAtMs" - $3::bigint AS slot`),
        installationId,
        now.getTime(),
        spacingMs,
      );
      return new Date(Number(rows[0]!.slot));
    },
  };
}
