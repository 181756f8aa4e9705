/**
 * The record of the Release Gate App, by aggregate: each file holds its rows, its queries and
 * its role interface, and this one composes them. `Store` is every role; each consumer takes
 * the roles it uses:
 *
 * | role | file | what it keeps |
 * | --- | --- | --- |
 * | `InboxStore` | `inbox-store.ts` | webhook deliveries, each handled once |
 * | `WriteSlotStore` | `write-slots.ts` | GitHub's write slots per installation, shared by replicas |
 * | `PoisonedPolicyStore` | `poisoned-policies.ts` | policies refused by their blob, evaluations unfinished |
 * | `FileGuard` | `file-guard.ts` | the SQLite file opened, still there and writable |
 * | `ReleaseStore` | `releases.ts` | releases, their pull requests, their commits' checks |
 * | `DeploymentStore` | `deployments.ts` | deployments, statuses, the gate's approvals and proofs |
 * | `EvaluationStore` | `evaluations.ts` | the gate's evaluations, their policy texts and check runs |
 * | `ApprovalStore` | `approvals.ts` | reviews seen |
 * | `OverrideStore` | `overrides.ts` | overrides |
 * | `GateStore` | `gates.ts` | pending protection-rule requests, on a leased queue (`leased-queue.ts`) |
 * | `PromotionStore` | `promotions.ts` | promotions held while the next gate waits, on a leased queue |
 * | `AuditStore` | `audit.ts` | the release timeline and the console's pages |
 * | `SessionStore` | `sessions.ts` | console sessions |
 *
 * Plain rows and plain inputs only; the database and its client stay behind it. Every time
 * is a `Date`; JSON columns arrive parsed (`unknown`).
 *
 * Numbers that GitHub issues (deployment, status, check run, workflow run, installation
 * ids) are JavaScript numbers here: GitHub ids are below 2^53.
 *
 * Nothing is ever deleted through this interface.
 */

import type { ApprovalStore } from './approvals.js';
import type { AuditStore } from './audit.js';
import type { DeploymentStore } from './deployments.js';
import type { EvaluationStore } from './evaluations.js';
import type { FileGuard } from './file-guard.js';
import type { GateStore } from './gates.js';
import type { InboxStore } from './inbox-store.js';
import type { OverrideStore } from './overrides.js';
import type { PoisonedPolicyStore } from './poisoned-policies.js';
import type { PromotionStore } from './promotions.js';
import type { ReleaseStore } from './releases.js';
import type { SessionStore } from './sessions.js';
import type { VerificationStore } from './verifications.js';
import type { DatabaseProvider } from './sql-dialect.js';
import type { WriteSlotStore } from './write-slots.js';
import type { NotificationStore } from './notifications.js';
import type { DeliveryRecordStore } from './delivery-record.js';
import type { DecisionWriter } from './decision-write.js';

export type * from './approvals.js';
export type * from './audit.js';
export { RELEASE_EVENT_TYPES } from './audit.js';
export type * from './deployments.js';
export { DEPLOYMENT_QUERY_LIMIT } from './deployments.js';
export type * from './evaluations.js';
export type * from './file-guard.js';
export type * from './gates.js';
export type * from './inbox-store.js';
export { DELIVERY_ERROR_PREFIX } from './inbox-store.js';
export type * from './leased-queue.js';
export type * from './overrides.js';
export type * from './poisoned-policies.js';
export type * from './promotions.js';
export { promotionOpenKey } from './promotions.js';
export type * from './releases.js';
export type * from './sessions.js';
export type { DatabaseProvider } from './sql-dialect.js';
export type * from './write-slots.js';
import type { ConsoleQueryStore } from './console-queries.js';
export type { ConsoleQueryStore, ReleaseHit, ReleaseSearch } from './console-queries.js';

/** Webhook deliveries (each handled once), their inbox, the shared write slots, poisoned policies, the file guard. */
export interface DeliveryStore extends InboxStore, WriteSlotStore, PoisonedPolicyStore, FileGuard {}

/**
 * The record of releases: their deployments and statuses, the gate's evaluations and the
 * policy texts they used, approvals, overrides, checks and pull requests.
 */
export interface RecordStore extends ReleaseStore, DeploymentStore, EvaluationStore, ApprovalStore, OverrideStore {}

/** The whole record: every role, and the database behind it. */
export interface Store
  extends
    DeliveryStore,
    GateStore,
    PromotionStore,
    RecordStore,
    AuditStore,
    SessionStore,
    ConsoleQueryStore,
    DecisionWriter {
  readonly provider: DatabaseProvider;
  /** The outbox of release notifications (src/store/notifications.ts). */
  readonly notifications: NotificationStore;
  /** What delivery metrics read (src/store/delivery-record.ts). */
  readonly deliveryRecord: DeliveryRecordStore;
  /** Verifications after a deploy (`src/store/verifications.ts`). */
  readonly verifications: VerificationStore;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

export interface StoreHealth {
  ok: boolean;
  database: 'up' | 'down';
  migrations: { applied: number; expected: number };
  error?: string;
}

/** The part of a pino/Probot logger the store uses. */
export interface StoreLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface OpenStoreOptions {
  /**
   * `file:./data/release-gate.db` (the default) for SQLite, `postgresql://...` for PostgreSQL
   * (`?schema=name` selects a schema). Read `DATABASE_URL` at the edge and pass it here.
   */
  databaseUrl?: string;
  /** The directory a relative `file:` path is resolved against (default: the process's). */
  cwd?: string;
  log?: StoreLogger;
}

/** A store call that failed for a reason a person can act on. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    message: string,
    readonly code: 'NOT_FOUND' | 'BAD_URL' | 'MIGRATION_FAILED' | 'UNREACHABLE',
  ) {
    super(message);
  }
}
