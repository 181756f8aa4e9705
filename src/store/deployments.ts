/**
 * Deployments (GitHub's, by their id) and their status history, the gate's approval of a
 * deployment and the proof that binds a success to it (SECURITY.md, I1).
 */

import { dateOf, type SqlRunner } from './sql-runner.js';
import type { Deployment, DeploymentStatus, PrismaClient } from './generated/sqlite/client.js';
import { DEPLOYMENT_QUERY_LIMIT, bounded, fromJson, given, num, toJson } from './columns.js';
import { isUniqueViolation } from './sql-dialect.js';

export { DEPLOYMENT_QUERY_LIMIT } from './columns.js';

export interface RecordDeploymentInput {
  /** GitHub's deployment id. */
  id: number;
  repo: string;
  sha: string;
  ref?: string | null;
  /** GitHub environment name. */
  environment: string;
  /** Policy stage name, or null when the environment is not gated. */
  stage?: string | null;
  creator?: string | null;
  createdAt: Date;
  /** The deployment's `payload` (any JSON value). */
  payload?: unknown;
  /** Created by this App's own installation (GitHub's `performed_via_github_app`). */
  byApp?: boolean;
}

export interface RecordDeploymentStatusInput {
  /** GitHub's deployment status id (the idempotency key). */
  id: number;
  deploymentId: number;
  /** `success`, `failure`, `error`, `inactive`, `in_progress`, `queued`, `pending`, `waiting`. */
  state: string;
  description?: string | null;
  at: Date;
  deliveryId?: string | null;
  /** Who set the status (GitHub login). */
  creator?: string | null;
  /**
   * Whether its author may set it (the deployment's creator or this App). An untrusted
   * status is kept for the record but never moves the deployment's state. Default true.
   */
  trusted?: boolean;
}

export interface DeploymentStatusRow {
  id: number;
  deploymentId: number;
  state: string;
  description: string | null;
  at: Date;
  deliveryId: string | null;
  creator: string | null;
  trusted: boolean;
}

export interface DeploymentRow {
  id: number;
  repo: string;
  sha: string;
  ref: string | null;
  environment: string;
  stage: string | null;
  creator: string | null;
  createdAt: Date;
  payload: unknown;
  /** Created by this App's own installation. */
  byApp: boolean;
  /** State of the latest status allowed to move it (by time, then status id), or null before any. */
  latestState: string | null;
  latestStateAt: Date | null;
  /** How the gate let it through; null when it did not (held, blocked, never seen). */
  approvedVia: DeploymentApprovalVia | null;
  approvedAt: Date | null;
  /** The stage the gate judged it as (null: not gated by the policy, or not approved). */
  approvedStage: string | null;
  /** The GitHub environment the gate let it through for. */
  approvedEnvironment: string | null;
  /** The workflow run the gate approved (a GitHub Actions deployment). */
  approvedRunId: number | null;
  /** Time of its first success bound to the approval: from here it proves its stage (the soak starts). */
  provenAt: Date | null;
  /** Recorded before approvals were kept: the success the earlier rule took (proves nothing). */
  legacySuccessAt: Date | null;
  /** With `verify` on its stage: running, verified, failed or inconclusive, and since when. */
  verificationState?: string | null;
  verificationAt?: Date | null;
}

/** How the gate let a deployment through: its protection-rule answer, or its judgement of the `deployment` event. */
export type DeploymentApprovalVia = 'protection-rule' | 'deployment-event';

/** The gate's approval of a deployment, as the App records it. */
export interface DeploymentApprovalInput {
  via: DeploymentApprovalVia;
  at: Date;
  /** The stage it was judged as; null when the policy does not gate its environment. */
  stage: string | null;
  /** The GitHub environment it was let through for. */
  environment: string;
  /** The workflow run approved (the protection rule's), or the run that created it; null for none. */
  runId: number | null;
}

export interface ListDeploymentsQuery {
  repo: string;
  sha?: string;
  /** Any of these commits (at most `DEPLOYMENT_QUERY_LIMIT`). */
  shas?: string[];
  environment?: string;
  /** Any of these GitHub environments (or stage names recorded as environments). */
  environments?: string[];
}

export interface RecentSuccessQuery {
  repo: string;
  environments: string[];
  /** Leave out deployments of this commit. */
  exceptSha?: string;
  limit: number;
}

/** Deployments, their statuses, approvals and proofs. */
export interface DeploymentStore {
  /** Idempotent on the GitHub deployment id; returns whether it was new. */
  recordDeployment(input: RecordDeploymentInput): Promise<boolean>;
  /** Idempotent on the GitHub status id; returns whether it was new. */
  recordDeploymentStatus(input: RecordDeploymentStatusInput): Promise<boolean>;
  /** Ordered by createdAt, then id. */
  listDeployments(query: ListDeploymentsQuery): Promise<DeploymentRow[]>;
  listDeploymentStatuses(deploymentId: number): Promise<DeploymentStatusRow[]>;
  getDeployment(id: number): Promise<DeploymentRow | null>;
  /**
   * Records the gate's approval of a recorded deployment (its word that it let it through);
   * false when the deployment is not recorded. The one place a deployment becomes approved.
   */
  approveDeployment(id: number, approval: DeploymentApprovalInput): Promise<boolean>;
  /** The gate held, rejected or blocked it (or its protection rule decides it now): no approval, no proof. */
  revokeDeploymentApproval(id: number): Promise<void>;
  /**
   * A success bound to the gate's approval: the deployment proves its stage from `at` (the
   * earliest such success). Only an approved deployment can be proven; returns whether it is.
   */
  proveDeployment(id: number, at: Date): Promise<boolean>;
  /** Proven deployments in these environments, newest proof first, at most `limit`. */
  recentProvenDeployments(query: RecentSuccessQuery): Promise<DeploymentRow[]>;
  /** The newest deployment to any of the GitHub environments (a stage's), with its latest state. */
  latestDeployment(repo: string, environments: string[]): Promise<DeploymentRow | null>;
}

const statusRow = (r: DeploymentStatus): DeploymentStatusRow => ({
  ...r,
  id: num(r.id),
  deploymentId: num(r.deploymentId),
});
const deploymentRow = (d: Deployment): DeploymentRow => ({
  ...d,
  id: num(d.id),
  payload: fromJson(d.payload),
  approvedVia: d.approvedVia as DeploymentRow['approvedVia'],
  approvedRunId: num(d.approvedRunId),
});

/** Moves a deployment's kept state by one status allowed to (conditional update: concurrent statuses settle on the latest). */
async function applyStatus(db: PrismaClient, deploymentId: bigint, state: string, at: Date): Promise<void> {
  await db.deployment.updateMany({
    where: { id: deploymentId, OR: [{ latestStateAt: null }, { latestStateAt: { lte: at } }] },
    data: { latestState: state, latestStateAt: at },
  });
}

/** The deployments of the record on its Prisma client (either provider: the models are identical). */
export function deploymentStore(db: PrismaClient, sql: SqlRunner): DeploymentStore {
  return {
    async recordDeployment(input: RecordDeploymentInput): Promise<boolean> {
      // Every decision records its deployment: the record's own SQL. Known before: false.
      const id = BigInt(input.id);
      const added = await sql.run(
        `INSERT INTO "Deployment" ("id", "repo", "sha", "ref", "environment", "stage", "creator", "createdAt", "payload", "byApp")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT ("id") DO NOTHING`,
        [
          id,
          input.repo,
          input.sha,
          input.ref ?? null,
          input.environment,
          input.stage ?? null,
          input.creator ?? null,
          input.createdAt,
          input.payload === undefined ? null : toJson(input.payload),
          input.byApp ?? false,
        ],
      );
      if (added === 0) return false;
      // Statuses may arrive before their deployment: take their state now.
      const earlier = await sql.rows<{ state: string; at: unknown }>(
        `SELECT "state", "at" FROM "DeploymentStatus" WHERE "deploymentId" = $1 AND "trusted" = $2
         ORDER BY "at" ASC, "id" ASC LIMIT ${DEPLOYMENT_QUERY_LIMIT}`,
        [id, true],
      );
      for (const st of earlier) await applyStatus(db, id, st.state, dateOf(st.at));
      return true;
    },

    async recordDeploymentStatus(input: RecordDeploymentStatusInput): Promise<boolean> {
      try {
        await db.deploymentStatus.create({
          data: {
            id: BigInt(input.id),
            deploymentId: BigInt(input.deploymentId),
            state: input.state,
            description: input.description ?? null,
            at: input.at,
            deliveryId: input.deliveryId ?? null,
            creator: input.creator ?? null,
            trusted: input.trusted ?? true,
          },
        });
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
      if (input.trusted ?? true) await applyStatus(db, BigInt(input.deploymentId), input.state, input.at);
      return true;
    },

    async getDeployment(id: number): Promise<DeploymentRow | null> {
      const row = await db.deployment.findUnique({ where: { id: BigInt(id) } });
      return row === null ? null : deploymentRow(row);
    },

    async approveDeployment(id: number, approval: DeploymentApprovalInput): Promise<boolean> {
      const { count } = await db.deployment.updateMany({
        where: { id: BigInt(id) },
        data: {
          approvedVia: approval.via,
          approvedAt: approval.at,
          approvedStage: approval.stage,
          approvedEnvironment: approval.environment,
          approvedRunId: approval.runId === null ? null : BigInt(approval.runId),
        },
      });
      return count > 0;
    },

    async revokeDeploymentApproval(id: number): Promise<void> {
      await db.deployment.updateMany({
        where: { id: BigInt(id) },
        data: {
          approvedVia: null,
          approvedAt: null,
          approvedStage: null,
          approvedEnvironment: null,
          approvedRunId: null,
          provenAt: null,
        },
      });
    },

    async proveDeployment(id: number, at: Date): Promise<boolean> {
      const key = BigInt(id);
      await db.deployment.updateMany({
        where: { id: key, approvedAt: { not: null }, OR: [{ provenAt: null }, { provenAt: { gt: at } }] },
        data: { provenAt: at },
      });
      const row = await db.deployment.findUnique({ where: { id: key }, select: { provenAt: true } });
      return row?.provenAt != null;
    },

    async recentProvenDeployments(query: RecentSuccessQuery): Promise<DeploymentRow[]> {
      const rows = await db.deployment.findMany({
        where: {
          repo: query.repo,
          environment: { in: bounded(query.environments) },
          provenAt: { not: null },
          approvedAt: { not: null },
          ...(query.exceptSha ? { sha: { not: query.exceptSha } } : {}),
        },
        orderBy: [{ provenAt: 'desc' }, { id: 'desc' }],
        take: Math.min(query.limit, DEPLOYMENT_QUERY_LIMIT),
      });
      return rows.map(deploymentRow);
    },

    async listDeployments(query: ListDeploymentsQuery): Promise<DeploymentRow[]> {
      // The newest DEPLOYMENT_QUERY_LIMIT rows, returned oldest first: a decision never reads history.
      const deployments = await db.deployment.findMany({
        where: {
          repo: query.repo,
          ...given({ sha: query.sha, environment: query.environment }),
          ...(query.shas ? { sha: { in: bounded(query.shas) } } : {}),
          ...(query.environments ? { environment: { in: bounded(query.environments) } } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: DEPLOYMENT_QUERY_LIMIT,
      });
      return deployments.reverse().map(deploymentRow);
    },

    async listDeploymentStatuses(deploymentId: number): Promise<DeploymentStatusRow[]> {
      const rows = await db.deploymentStatus.findMany({
        where: { deploymentId: BigInt(deploymentId) },
        orderBy: [{ at: 'asc' }, { id: 'asc' }],
      });
      return rows.map(statusRow);
    },

    async latestDeployment(repo: string, environments: string[]): Promise<DeploymentRow | null> {
      if (environments.length === 0) return null;
      const found = await Promise.all(
        environments.map((environment) =>
          db.deployment.findFirst({
            where: { repo, environment },
            orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          }),
        ),
      );
      const d = found
        .filter((x): x is Deployment => x !== null)
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || Number(b.id - a.id))[0];
      // Its state is the one kept from trusted statuses (see recordDeploymentStatus).
      return d ? deploymentRow(d) : null;
    },
  };
}
