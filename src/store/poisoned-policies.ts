import type { PrismaClient } from './generated/sqlite/client.js';
import { dateOf, numOf, type SqlRunner } from './sql-runner.js';

/** A policy whose evaluation threw or ran past its budget: refused by its blob from then on. */
export interface PoisonedPolicyRow {
  blobSha: string;
  repo: string;
  reason: string;
  at: Date;
}

/** Poisoned policies, and the evaluations of each policy started and not finished (a crash counts). */
export interface PoisonedPolicyStore {
  getPoisonedPolicy(blobSha: string): Promise<PoisonedPolicyRow | null>;
  poisonPolicy(input: PoisonedPolicyRow): Promise<void>;
  /** Counts one evaluation of `blobSha` for `subject` started; returns how many are unfinished, this one included. */
  startEvaluationAttempt(blobSha: string, subject: string, at: Date): Promise<number>;
  finishEvaluationAttempt(blobSha: string, subject: string): Promise<void>;
}

/** The poisoned policies of the record on its Prisma client (either provider: the models are identical). */
export function poisonedPolicyStore(db: PrismaClient, sql: SqlRunner): PoisonedPolicyStore {
  return {
    async getPoisonedPolicy(blobSha) {
      // Every decision asks: the record's own SQL.
      const [row] = await sql.rows<Record<keyof PoisonedPolicyRow, unknown>>(
        `SELECT "blobSha", "repo", "reason", "at" FROM "PoisonedPolicy" WHERE "blobSha" = $1`,
        [blobSha],
      );
      return row
        ? { blobSha: row.blobSha as string, repo: row.repo as string, reason: row.reason as string, at: dateOf(row.at) }
        : null;
    },
    async poisonPolicy(input) {
      await db.poisonedPolicy.upsert({ where: { blobSha: input.blobSha }, create: input, update: {} });
    },
    async startEvaluationAttempt(blobSha, subject, at) {
      const [row] = await sql.rows<{ started: unknown }>(
        `INSERT INTO "EvaluationAttempt" ("blobSha", "subject", "started", "at") VALUES ($1, $2, 1, $3)
         ON CONFLICT ("blobSha", "subject") DO UPDATE SET "started" = "EvaluationAttempt"."started" + 1, "at" = excluded."at"
         RETURNING "started"`,
        [blobSha, subject, at],
      );
      return numOf(row?.started);
    },
    async finishEvaluationAttempt(blobSha, subject) {
      await db.evaluationAttempt.deleteMany({ where: { blobSha, subject } });
    },
  };
}
