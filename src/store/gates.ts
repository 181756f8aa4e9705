/** Pending protection-rule requests (gates): decided once, answered to GitHub, looked at again on their leased queue. */

import { Prisma, type PendingGate, type PrismaClient } from './generated/sqlite/client.js';
import { bounded, given, num } from './columns.js';
import { LeasedRows, type LeasedQueue } from './leased-queue.js';
import { asModel, selectList, type ModelColumns, type SqlRunner } from './sql-runner.js';

export type GateStatus = 'pending' | 'decided' | 'answered' | 'expired';
export type GateDecision = 'approved' | 'rejected';

export interface UpsertPendingGateInput {
  repo: string;
  installationId: number;
  /** Workflow run id of the `deployment_protection_rule` request. */
  runId: number;
  environment: string;
  sha: string;
  deploymentId?: number | null;
  callbackUrl: string;
  createdAt: Date;
  /** When the scheduler should look again (earliest clearing time), or null to wait for an event. */
  nextCheckAt?: Date | null;
  /**
   * The lease a new gate is created with (one write instead of two): `owner` holds it until
   * `until`. An existing gate's lease is not touched (take it with the gate queue's `claim`).
   */
  lease?: { owner: string; until: Date };
}

export interface PendingGateRow {
  id: number;
  repo: string;
  installationId: number;
  runId: number;
  environment: string;
  sha: string;
  deploymentId: number | null;
  callbackUrl: string;
  createdAt: Date;
  status: GateStatus;
  nextCheckAt: Date | null;
  decision: GateDecision | null;
  decisionComment: string | null;
  decidedAt: Date | null;
  answeredAt: Date | null;
  /** The last error calling GitHub back; the gate stays `decided` and is retried. */
  answerError: string | null;
  /** Status reports posted on the run (GitHub allows 10 per deployment). */
  reportsPosted: number;
  claimedBy: string | null;
  claimedUntil: Date | null;
}

export interface ListPendingGatesQuery {
  repo?: string;
  sha?: string;
  /** Any of these commits. */
  shas?: string[];
  environment?: string;
  status?: GateStatus | GateStatus[];
}

export interface DecideGateInput {
  decision: GateDecision;
  comment: string;
  at: Date;
}

export interface DecideGateResult {
  /** True when this call decided the gate; false when it was already decided. */
  decided: boolean;
  /** The decision that stands: this call's, or the one stored first. Null only for a gate that expired undecided. */
  decision: GateDecision | null;
  comment: string | null;
  status: GateStatus;
}

/** Pending protection-rule requests. */
export interface GateStore {
  /**
   * Inserts the gate for (repo, runId, environment), or returns the existing one. An existing
   * `pending` gate takes the new sha, deploymentId, callbackUrl, installationId and
   * nextCheckAt (when given); a decided, answered or expired gate is returned unchanged,
   * unless the request is for another deployment (a re-run of the run's jobs): then it is
   * `pending` again, for that deployment. A gate created holds `lease` when given.
   */
  upsertPendingGate(input: UpsertPendingGateInput): Promise<{ gate: PendingGateRow; created: boolean }>;
  getGate(id: number): Promise<PendingGateRow | null>;
  listPendingGates(query: ListPendingGatesQuery): Promise<PendingGateRow[]>;
  /** How many protection rule requests are `pending` (every repository): the metric, without reading them. */
  countPendingGates(): Promise<number>;
  /** How many protection rule requests are `pending`, per GitHub environment. */
  countWaitingGates(repo: string): Promise<Record<string, number>>;
  /**
   * The gates the scheduler works on: `pending` ones whose next check has come, and
   * `decided` ones not answered yet (crash recovery, failed callbacks).
   */
  readonly gateQueue: LeasedQueue<PendingGateRow>;
  /** The first decision wins; later calls return the stored one with `decided: false`. */
  decideGate(id: number, input: DecideGateInput): Promise<DecideGateResult>;
  /**
   * Records the callback's outcome. Without `error` the gate becomes `answered`; with one it
   * stays `decided` (the gate queue lists it again) and keeps the error text.
   */
  markGateAnswered(id: number, at: Date, error?: string): Promise<void>;
  /** Marks a pending or decided-but-unanswered gate `expired` (GitHub no longer waits on it). */
  expireGate(id: number, at: Date, note: string): Promise<boolean>;
  /** Atomically adds one to reportsPosted and returns the new count. */
  incrementGateReports(id: number): Promise<number>;
}

/** A gate's columns in the record's own SQL (./sql-runner.ts). */
const GATE_COLUMNS: ModelColumns<PendingGate> = {
  names: Object.values(Prisma.PendingGateScalarFieldEnum),
  dates: ['createdAt', 'nextCheckAt', 'decidedAt', 'answeredAt', 'claimedUntil'],
  bigints: ['installationId', 'runId', 'deploymentId'],
};

const INSERT_GATE = `INSERT INTO "PendingGate" ("repo", "runId", "environment", "installationId", "sha", "deploymentId",
    "callbackUrl", "createdAt", "status", "nextCheckAt", "claimedBy", "claimedUntil")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11)
  ON CONFLICT ("repo", "runId", "environment") DO NOTHING
  RETURNING ${selectList(GATE_COLUMNS)}`;

const gateRow = (r: PendingGate): PendingGateRow => ({
  ...r,
  installationId: num(r.installationId),
  runId: num(r.runId),
  deploymentId: num(r.deploymentId),
  status: r.status as GateStatus,
  decision: r.decision as GateDecision | null,
});

/** The gates of the record on its Prisma client (either provider: the models are identical). */
export function gateStore(db: PrismaClient, sql: SqlRunner): GateStore {
  return {
    gateQueue: new LeasedRows(
      { findMany: (a) => db.pendingGate.findMany(a), updateMany: (a) => db.pendingGate.updateMany(a) },
      { sql, table: 'PendingGate' },
      gateRow,
      { answeredAt: null },
      {},
    ),

    async upsertPendingGate(input: UpsertPendingGateInput): Promise<{ gate: PendingGateRow; created: boolean }> {
      const key = { repo: input.repo, runId: BigInt(input.runId), environment: input.environment };
      const [created] = await sql.rows<Record<string, unknown>>(INSERT_GATE, [
        key.repo,
        key.runId,
        key.environment,
        BigInt(input.installationId),
        input.sha,
        input.deploymentId == null ? null : BigInt(input.deploymentId),
        input.callbackUrl,
        input.createdAt,
        input.nextCheckAt ?? null,
        input.lease?.owner ?? null,
        input.lease?.until ?? null,
      ]);
      if (created) return { gate: gateRow(asModel(created, GATE_COLUMNS)), created: true };
      // Another deployment of the same run and environment (a re-run of its jobs) asks anew: a
      // decision is the gate's word on one deployment, never on the next (SECURITY.md).
      if (input.deploymentId != null)
        await db.pendingGate.updateMany({
          where: { ...key, status: { not: 'pending' }, deploymentId: { not: BigInt(input.deploymentId) } },
          data: {
            status: 'pending',
            deploymentId: BigInt(input.deploymentId),
            sha: input.sha,
            callbackUrl: input.callbackUrl,
            createdAt: input.createdAt,
            nextCheckAt: input.nextCheckAt ?? null,
            decision: null,
            decisionComment: null,
            decidedAt: null,
            answeredAt: null,
            answerError: null,
            reportsPosted: 0,
          },
        });
      // Conditional on `pending`, so a decided gate is never reset by a redelivered request.
      await db.pendingGate.updateMany({
        where: { ...key, status: 'pending' },
        data: {
          installationId: BigInt(input.installationId),
          sha: input.sha,
          callbackUrl: input.callbackUrl,
          ...(input.deploymentId == null ? {} : { deploymentId: BigInt(input.deploymentId) }),
          ...(input.nextCheckAt === undefined ? {} : { nextCheckAt: input.nextCheckAt }),
        },
      });
      const row = await db.pendingGate.findUniqueOrThrow({ where: { repo_runId_environment: key } });
      return { gate: gateRow(row), created: false };
    },

    async getGate(id: number): Promise<PendingGateRow | null> {
      const row = await db.pendingGate.findUnique({ where: { id } });
      return row === null ? null : gateRow(row);
    },

    async listPendingGates(query: ListPendingGatesQuery): Promise<PendingGateRow[]> {
      const status =
        query.status === undefined ? undefined : Array.isArray(query.status) ? { in: query.status } : query.status;
      const rows = await db.pendingGate.findMany({
        where: {
          ...given({ repo: query.repo, sha: query.sha, environment: query.environment, status }),
          ...(query.shas ? { sha: { in: bounded(query.shas) } } : {}),
        },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      return rows.map(gateRow);
    },

    async countPendingGates(): Promise<number> {
      return db.pendingGate.count({ where: { status: 'pending' } });
    },

    async countWaitingGates(repo: string): Promise<Record<string, number>> {
      const groups = await db.pendingGate.groupBy({
        by: ['environment'],
        where: { repo, status: 'pending' },
        _count: { _all: true },
      });
      return Object.fromEntries(groups.map((g) => [g.environment, g._count._all]));
    },

    async decideGate(id: number, input: DecideGateInput): Promise<DecideGateResult> {
      const { count } = await db.pendingGate.updateMany({
        where: { id, status: 'pending' },
        data: { status: 'decided', decision: input.decision, decisionComment: input.comment, decidedAt: input.at },
      });
      if (count === 1) return { decided: true, decision: input.decision, comment: input.comment, status: 'decided' };
      const row = await db.pendingGate.findUniqueOrThrow({ where: { id } });
      return {
        decided: false,
        decision: row.decision as GateDecision | null,
        comment: row.decisionComment,
        status: row.status as GateStatus,
      };
    },

    async markGateAnswered(id: number, at: Date, error?: string): Promise<void> {
      if (error === undefined)
        await sql.run(
          `UPDATE "PendingGate" SET "status" = 'answered', "answeredAt" = $2, "answerError" = NULL
           WHERE "id" = $1 AND "status" = 'decided'`,
          [id, at],
        );
      else
        await sql.run(`UPDATE "PendingGate" SET "answerError" = $2 WHERE "id" = $1 AND "status" = 'decided'`, [
          id,
          error,
        ]);
    },

    async expireGate(id: number, at: Date, note: string): Promise<boolean> {
      const { count } = await db.pendingGate.updateMany({
        where: { id, status: { in: ['pending', 'decided'] } },
        data: { status: 'expired', answeredAt: at, answerError: note },
      });
      return count === 1;
    },

    async incrementGateReports(id: number): Promise<number> {
      const row = await db.pendingGate.update({ where: { id }, data: { reportsPosted: { increment: 1 } } });
      return row.reportsPosted;
    },
  };
}
