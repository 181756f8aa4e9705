/** Approvals seen: pull request reviews and deployment reviews, each kept once. */

import { Prisma, type Approval, type PrismaClient } from './generated/sqlite/client.js';
import { asModel, equalities, selectList, type ModelColumns, type SqlRunner } from './sql-runner.js';
import { isUniqueViolation } from './sql-dialect.js';

export type ApprovalSource = 'pr-review' | 'deployment-review';

export interface ApprovalInput {
  repo: string;
  sha: string;
  /** The environment a deployment review was for; null for PR reviews. */
  environment?: string | null;
  login: string;
  source: ApprovalSource;
  /** `approved`, `changes_requested`, `commented`, `dismissed`, `rejected`. */
  state: string;
  submittedAt: Date;
  /** The commit a PR review was submitted on. */
  commitId?: string | null;
}

export interface ApprovalRow {
  id: number;
  repo: string;
  sha: string;
  environment: string | null;
  login: string;
  source: ApprovalSource;
  state: string;
  submittedAt: Date;
  commitId: string | null;
  recordedAt: Date;
}

export interface ListApprovalsQuery {
  repo: string;
  sha: string;
  environment?: string;
}

/** The approvals the gate counts. */
export interface ApprovalStore {
  /** Dedupes on (repo, sha, environment, login, source, submittedAt); returns how many were new. */
  recordApprovals(list: ApprovalInput[], at: Date): Promise<number>;
  listApprovals(query: ListApprovalsQuery): Promise<ApprovalRow[]>;
}

const APPROVAL_COLUMNS: ModelColumns<Approval> = {
  names: Object.values(Prisma.ApprovalScalarFieldEnum),
  dates: ['submittedAt', 'recordedAt'],
};

const approvalRow = (r: Approval): ApprovalRow => ({
  ...r,
  environment: r.environment === '' ? null : r.environment,
  source: r.source as ApprovalSource,
});

/** The approvals of the record on its Prisma client (either provider: the models are identical). */
export function approvalStore(db: PrismaClient, sql: SqlRunner): ApprovalStore {
  return {
    async recordApprovals(list: ApprovalInput[], at: Date): Promise<number> {
      let created = 0;
      for (const a of list) {
        try {
          await db.approval.create({
            data: {
              repo: a.repo,
              sha: a.sha,
              environment: a.environment ?? '',
              login: a.login,
              source: a.source,
              state: a.state,
              submittedAt: a.submittedAt,
              commitId: a.commitId ?? null,
              recordedAt: at,
            },
          });
          created += 1;
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
      }
      return created;
    },

    async listApprovals(query: ListApprovalsQuery): Promise<ApprovalRow[]> {
      // Every decision reads its release's approvals: the record's own SQL.
      const { where, args } = equalities({ repo: query.repo, sha: query.sha, environment: query.environment });
      const rows = await sql.rows<Record<string, unknown>>(
        `SELECT ${selectList(APPROVAL_COLUMNS)} FROM "Approval" WHERE ${where} ORDER BY "submittedAt" ASC, "id" ASC`,
        args,
      );
      return rows.map((r) => approvalRow(asModel(r, APPROVAL_COLUMNS)));
    },
  };
}
