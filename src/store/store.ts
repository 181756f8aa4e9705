import type pg from 'pg';
import type { PrismaClient } from './generated/sqlite/client.js';
import { approvalStore } from './approvals.js';
import { auditStore } from './audit.js';
import { consoleQueryStore } from './console-queries.js';
import { decisionWriteStore } from './decision-write.js';
import { deploymentStore } from './deployments.js';
import { evaluationReplayColumns, evaluationStore } from './evaluations.js';
import { NO_FILE, type FileGuard } from './file-guard.js';
import { gateStore } from './gates.js';
import { PrismaInboxStore } from './inbox-store.js';
import { overrideStore } from './overrides.js';
import { poisonedPolicyStore } from './poisoned-policies.js';
import { promotionStore } from './promotions.js';
import { releaseStore } from './releases.js';
import { sessionStore } from './sessions.js';
import type { DatabaseProvider } from './sql-dialect.js';
import { sqlRunner } from './sql-runner.js';
import type { OneConnectionLibSql } from './sqlite-adapter.js';
import type { Store, StoreHealth } from './types.js';
import { verificationStore } from './verifications.js';
import { writeSlotStore } from './write-slots.js';
import { notificationStore } from './notifications.js';
import { deliveryRecordStore } from './delivery-record.js';

export interface PrismaStoreOptions {
  provider: DatabaseProvider;
  /** How many migrations the code expects applied (the health check's figure). */
  expectedMigrations: number;
  /** Watches the SQLite file opened (none for PostgreSQL or SQLite in memory). */
  file?: FileGuard;
  /** Called after the client disconnects (the adapter's pool). */
  onClose?: () => Promise<void>;
  /** SQLite: the adapter whose one connection the record's own SQL shares (./sql-runner.ts). */
  adapter?: OneConnectionLibSql;
  /** PostgreSQL: the adapter's pool, which the record's own SQL shares (./sql-runner.ts). */
  pool?: pg.Pool;
}

/**
 * The Store over a generated Prisma client (either provider: the models are identical): the
 * union of every aggregate's role, each built over the same client.
 */
export function prismaStore(db: PrismaClient, options: PrismaStoreOptions): Store {
  const { provider, expectedMigrations } = options;
  const guard = options.file ?? NO_FILE;
  // The statements every decision runs, without Prisma's query pipeline (./sql-runner.ts).
  const sql = sqlRunner(db, provider, options.adapter ?? null, options.pool ?? null);
  const inbox = new PrismaInboxStore(db, sql);
  // Evaluations and the decision's one write store policy texts through the same cache.
  const replay = evaluationReplayColumns(db);
  return {
    provider,
    // The inbox of webhook deliveries (src/store/inbox-store.ts).
    enqueueDelivery: (input) => inbox.enqueueDelivery(input),
    claimInboxDelivery: (owner, until, now, maxPriority) => inbox.claimInboxDelivery(owner, until, now, maxPriority),
    renewInboxDelivery: (seq, owner, until) => inbox.renewInboxDelivery(seq, owner, until),
    finishInboxDelivery: (seq, owner, now) => inbox.finishInboxDelivery(seq, owner, now),
    failInboxDelivery: (seq, owner, error, retryAt) => inbox.failInboxDelivery(seq, owner, error, retryAt),
    releaseInboxClaims: (prefix, except) => inbox.releaseInboxClaims(prefix, except),
    getInboxDelivery: (id) => inbox.getInboxDelivery(id),
    countInbox: () => inbox.countInbox(),
    beginHandling: (item, now) => inbox.beginHandling(item, now),
    finishDelivery: (id, outcome, at) => inbox.finishDelivery(id, outcome, at),
    getDelivery: (id) => inbox.getDelivery(id),
    ...writeSlotStore(db, provider),
    ...poisonedPolicyStore(db, sql),
    fileProblem: () => guard.fileProblem(),
    ...releaseStore(db),
    ...deploymentStore(db, sql),
    ...evaluationStore(db, sql, replay),
    ...approvalStore(db, sql),
    ...overrideStore(db, sql),
    ...gateStore(db, sql),
    ...promotionStore(db, sql),
    ...auditStore(db, sql),
    ...sessionStore(db),
    ...consoleQueryStore(db),
    ...decisionWriteStore(sql, replay),
    notifications: notificationStore(db),
    deliveryRecord: deliveryRecordStore(db, sql),
    verifications: verificationStore(db),

    async health(): Promise<StoreHealth> {
      const expected = expectedMigrations;
      const fileProblem = guard.fileProblem();
      if (fileProblem) return { ok: false, database: 'down', migrations: { applied: 0, expected }, error: fileProblem };
      try {
        const rows = await db.$queryRawUnsafe<{ n: bigint | number }[]>(
          'SELECT COUNT(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
        );
        const applied = Number(rows[0]?.n ?? 0);
        const ok = applied >= expected;
        return {
          ok,
          database: 'up',
          migrations: { applied, expected },
          ...(ok ? {} : { error: `${expected - applied} of ${expected} migrations are not applied` }),
        };
      } catch (error) {
        return {
          ok: false,
          database: 'down',
          migrations: { applied: 0, expected },
          error: error instanceof Error ? error.message : String(error),
        };
      }
    },

    async close(): Promise<void> {
      await db.$disconnect();
      await options.onClose?.();
    },
  };
}
