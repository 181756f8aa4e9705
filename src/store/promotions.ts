/** Promotions: auto-promotions and those a person asks for, held while the next stage's gate waits. */

import type { SqlRunner } from './sql-runner.js';
import type { PrismaClient, Promotion } from './generated/sqlite/client.js';
import { given, num } from './columns.js';
import type { GateStatus } from './gates.js';
import { LeasedRows, type LeasedQueue } from './leased-queue.js';
import { isUniqueViolation } from './sql-dialect.js';

/**
 * A promotion (its own table, `Promotion`): an auto-promotion (the previous stage succeeded
 * with `autoPromote`) or one a person asked for (console, `/release-gate promote`). While the
 * next stage's gate waits (on the clock, people or checks) it is held, and the deployment is
 * created once it allows: looked at again on the events it may wait for and by the scheduler.
 * `pending`: held, next looked at by the scheduler at nextCheckAt; `decided`: a replica is
 * creating the deployment (a crash here is retried, and the retry looks for the deployment
 * first); `answered`: the deployment exists; `expired`: dropped (the gate blocked, the
 * policy changed, or it waited too long), with the reason in `note`.
 */
export interface PromotionRow {
  id: number;
  repo: string;
  installationId: number;
  sha: string;
  /**
   * The deployment whose success asked for an auto-promotion (one promotion per deployment
   * and target); null for a promotion a person asked for.
   */
  sourceDeploymentId: number | null;
  fromStage: string;
  toStage: string;
  /** The GitHub environment the promotion deploys to. */
  environment: string;
  createdAt: Date;
  status: GateStatus;
  nextCheckAt: Date | null;
  /** When it became `decided` (a replica started creating the deployment). */
  startedAt: Date | null;
  /** When it became `answered` or `expired`. */
  finishedAt: Date | null;
  /** The deployment it created or found, when `finishPromotion` was told. */
  deploymentId: number | null;
  note: string | null;
  claimedBy: string | null;
  claimedUntil: Date | null;
  /**
   * Who deploys: the person who asked (their own approvals never count for it), or, for an
   * auto-promotion, whoever deployed the stage before. Null when unknown.
   */
  deployer: string | null;
  /** How a person asked for it; null for an auto-promotion. */
  requestedVia: PromotionRequestedVia | null;
  /** Set while a person's promotion is open (see {@link promotionOpenKey}); null otherwise. */
  openKey: string | null;
}

export type PromotionRequestedVia = 'console' | 'command';

export type HoldPromotionInput = Pick<
  PromotionRow,
  'repo' | 'installationId' | 'sha' | 'fromStage' | 'toStage' | 'environment' | 'createdAt'
> & {
  sourceDeploymentId: number;
  nextCheckAt: Date;
  deployer?: string | null;
};

/** A promotion a person asks for: open once per release and target environment. */
export type RequestPromotionInput = Pick<
  PromotionRow,
  'repo' | 'installationId' | 'sha' | 'fromStage' | 'toStage' | 'environment' | 'createdAt'
> & {
  deployer: string;
  requestedVia: PromotionRequestedVia;
  /** When the scheduler looks at it if the process asking dies before it does (it is leased while looked at). */
  nextCheckAt: Date;
};

/** The key that keeps one promotion a person asked for open per release and GitHub environment. */
export function promotionOpenKey(sha: string, environment: string): string {
  return `${sha} ${environment.toLowerCase()}`;
}

/** Auto-promotions held while the next gate waits (see PromotionRow). */
export interface PromotionStore {
  /**
   * Holds a promotion, or returns the one already held for (repo, sourceDeploymentId,
   * environment); a `pending` one takes the new nextCheckAt.
   */
  holdPromotion(input: HoldPromotionInput): Promise<{ promotion: PromotionRow; created: boolean }>;
  /**
   * Opens a promotion a person asked for (`pending`), or
   * returns the one open for the same release and environment (`created: false`): of two
   * requests at once, on any replica, one opens it and the other finds it.
   */
  requestPromotion(input: RequestPromotionInput): Promise<{ promotion: PromotionRow; created: boolean }>;
  /** Closes a promotion's open key (its deployment failed or was rejected), so it may be asked for again. */
  closePromotionKey(id: number, openKey: string): Promise<boolean>;
  getPromotion(id: number): Promise<PromotionRow | null>;
  listPromotions(query: { repo: string; sha?: string }): Promise<PromotionRow[]>;
  /**
   * The promotions the scheduler works on: `pending` ones whose next check has come, and
   * `decided` ones not finished (a crash while creating the deployment: the retry looks for
   * it first). A next check is set on a `pending` promotion only.
   */
  readonly promotionQueue: LeasedQueue<PromotionRow>;
  /** `pending` -> `decided`, once: true for the one caller that should create the deployment. */
  startPromotion(id: number, at: Date): Promise<boolean>;
  /** `pending` or `decided` -> `answered` (the deployment exists), with a note and, when known, the deployment's id. */
  finishPromotion(id: number, at: Date, note: string, deploymentId?: number | null): Promise<boolean>;
  /** `pending` or `decided` -> `expired` (not promoted), with the reason; its open key is closed. */
  dropPromotion(id: number, at: Date, note: string): Promise<boolean>;
}

const promotionRow = (r: Promotion): PromotionRow => ({
  ...r,
  installationId: num(r.installationId),
  sourceDeploymentId: num(r.sourceDeploymentId),
  deploymentId: num(r.deploymentId),
  status: r.status as GateStatus,
  requestedVia: r.requestedVia as PromotionRequestedVia | null,
});

/** The promotions of the record on its Prisma client (either provider: the models are identical). */
export function promotionStore(db: PrismaClient, sql: SqlRunner): PromotionStore {
  return {
    // A promotion's next check moves only while it is held; a started one is finished by its retry.
    promotionQueue: new LeasedRows(
      { findMany: (a) => db.promotion.findMany(a), updateMany: (a) => db.promotion.updateMany(a) },
      { sql, table: 'Promotion' },
      promotionRow,
      { finishedAt: null },
      { status: 'pending' },
    ),

    async holdPromotion(input: HoldPromotionInput): Promise<{ promotion: PromotionRow; created: boolean }> {
      const key = {
        repo: input.repo,
        sourceDeploymentId: BigInt(input.sourceDeploymentId),
        environment: input.environment,
      };
      try {
        const row = await db.promotion.create({
          data: {
            ...key,
            installationId: BigInt(input.installationId),
            sha: input.sha,
            fromStage: input.fromStage,
            toStage: input.toStage,
            createdAt: input.createdAt,
            status: 'pending',
            nextCheckAt: input.nextCheckAt,
            deployer: input.deployer ?? null,
          },
        });
        return { promotion: promotionRow(row), created: true };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      // Conditional on `pending`, so a started or finished promotion is never moved back.
      await db.promotion.updateMany({
        where: { ...key, status: 'pending' },
        data: { nextCheckAt: input.nextCheckAt },
      });
      const row = await db.promotion.findUniqueOrThrow({ where: { repo_sourceDeploymentId_environment: key } });
      return { promotion: promotionRow(row), created: false };
    },

    async requestPromotion(input: RequestPromotionInput): Promise<{ promotion: PromotionRow; created: boolean }> {
      const openKey = promotionOpenKey(input.sha, input.environment);
      // The open one may be closed between the insert that collides and the read: try again.
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const row = await db.promotion.create({
            data: {
              repo: input.repo,
              installationId: BigInt(input.installationId),
              sha: input.sha,
              sourceDeploymentId: null,
              fromStage: input.fromStage,
              toStage: input.toStage,
              environment: input.environment,
              createdAt: input.createdAt,
              status: 'pending',
              nextCheckAt: input.nextCheckAt,
              deployer: input.deployer,
              requestedVia: input.requestedVia,
              openKey,
            },
          });
          return { promotion: promotionRow(row), created: true };
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
        const open = await db.promotion.findUnique({ where: { repo_openKey: { repo: input.repo, openKey } } });
        if (open) return { promotion: promotionRow(open), created: false };
      }
      throw new Error(
        `The promotion of ${input.sha} to ${input.environment} in ${input.repo} was opened and closed three times while being asked for again; ask again.`,
      );
    },

    async closePromotionKey(id: number, openKey: string): Promise<boolean> {
      const { count } = await db.promotion.updateMany({ where: { id, openKey }, data: { openKey: null } });
      return count === 1;
    },

    async getPromotion(id: number): Promise<PromotionRow | null> {
      const row = await db.promotion.findUnique({ where: { id } });
      return row === null ? null : promotionRow(row);
    },

    async listPromotions(query: { repo: string; sha?: string }): Promise<PromotionRow[]> {
      const rows = await db.promotion.findMany({
        where: { repo: query.repo, ...given({ sha: query.sha }) },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      return rows.map(promotionRow);
    },

    async startPromotion(id: number, at: Date): Promise<boolean> {
      const { count } = await db.promotion.updateMany({
        where: { id, status: 'pending' },
        data: { status: 'decided', startedAt: at },
      });
      return count === 1;
    },

    async finishPromotion(id: number, at: Date, note: string, deploymentId?: number | null): Promise<boolean> {
      const { count } = await db.promotion.updateMany({
        where: { id, status: { in: ['pending', 'decided'] } },
        data: {
          status: 'answered',
          finishedAt: at,
          note,
          deploymentId: deploymentId == null ? null : BigInt(deploymentId),
        },
      });
      return count === 1;
    },

    async dropPromotion(id: number, at: Date, note: string): Promise<boolean> {
      const { count } = await db.promotion.updateMany({
        where: { id, status: { in: ['pending', 'decided'] } },
        data: { status: 'expired', finishedAt: at, note, openKey: null },
      });
      return count === 1;
    },
  };
}
