import type { PrismaClient } from './generated/sqlite/client.js';

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
export function poisonedPolicyStore(db: PrismaClient): PoisonedPolicyStore {
  return {
    async getPoisonedPolicy(blobSha) {
      return db.poisonedPolicy.findUnique({ where: { blobSha } });
    },
    async poisonPolicy(input) {
      await db.poisonedPolicy.upsert({ where: { blobSha: input.blobSha }, create: input, update: {} });
    },
    async startEvaluationAttempt(blobSha, subject, at) {
      const row = await db.evaluationAttempt.upsert({
        where: { blobSha_subject: { blobSha, subject } },
        create: { blobSha, subject, started: 1, at },
        update: { started: { increment: 1 }, at },
        select: { started: true },
      });
      return row.started;
    },
    async finishEvaluationAttempt(blobSha, subject) {
      await db.evaluationAttempt.deleteMany({ where: { blobSha, subject } });
    },
  };
}
