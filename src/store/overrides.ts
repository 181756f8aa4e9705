/** Overrides: a person lifts rules for one release and environment, confirmed by another and used once. */

import { randomUUID } from 'node:crypto';
import { Prisma, type Override, type PrismaClient } from './generated/sqlite/client.js';
import { asModel, equalities, selectList, type ModelColumns, type SqlRunner } from './sql-runner.js';
import { fromJson, toJson } from './columns.js';

export interface CreateOverrideInput {
  /** Leave out to let the store pick a random id. */
  id?: string;
  repo: string;
  sha: string;
  environment: string;
  /** Rule codes or rule names the override lifts. */
  rules: string[];
  grantedBy: string;
  reason: string;
  risk: string;
  grantedAt: Date;
  expiresAt?: Date | null;
}

export interface OverrideRow {
  id: string;
  repo: string;
  sha: string;
  environment: string;
  rules: string[];
  grantedBy: string;
  confirmedBy: string | null;
  confirmedAt: Date | null;
  reason: string;
  risk: string;
  grantedAt: Date;
  expiresAt: Date | null;
  usedAt: Date | null;
}

export interface ListOverridesQuery {
  repo: string;
  sha?: string;
  environment?: string;
}

/** Overrides granted, confirmed, used and given back. */
export interface OverrideStore {
  createOverride(input: CreateOverrideInput): Promise<OverrideRow>;
  /** Sets confirmedBy once; returns false when it was already confirmed or does not exist. */
  confirmOverride(id: string, login: string, at: Date): Promise<boolean>;
  /** Marks it used once; returns false when it was already used or does not exist. */
  markOverrideUsed(id: string, at: Date): Promise<boolean>;
  /** Gives back an override this caller marked used at `at` (its decision did not stand); false when someone else's mark is there. */
  releaseOverride(id: string, at: Date): Promise<boolean>;
  getOverride(id: string): Promise<OverrideRow | null>;
  /** Ordered by grantedAt, then id. */
  listOverrides(query: ListOverridesQuery): Promise<OverrideRow[]>;
}

const overrideRow = (r: Override): OverrideRow => ({ ...r, rules: fromJson(r.rules) as string[] });

const OVERRIDE_COLUMNS: ModelColumns<Override> = {
  names: Object.values(Prisma.OverrideScalarFieldEnum),
  dates: ['confirmedAt', 'grantedAt', 'expiresAt', 'usedAt'],
};

/** The overrides of the record on its Prisma client (either provider: the models are identical). */
export function overrideStore(db: PrismaClient, sql: SqlRunner): OverrideStore {
  return {
    async createOverride(input: CreateOverrideInput): Promise<OverrideRow> {
      const row = await db.override.create({
        data: {
          id: input.id ?? randomUUID(),
          repo: input.repo,
          sha: input.sha,
          environment: input.environment,
          rules: toJson(input.rules),
          grantedBy: input.grantedBy,
          reason: input.reason,
          risk: input.risk,
          grantedAt: input.grantedAt,
          expiresAt: input.expiresAt ?? null,
        },
      });
      return overrideRow(row);
    },

    async confirmOverride(id: string, login: string, at: Date): Promise<boolean> {
      const { count } = await db.override.updateMany({
        where: { id, confirmedBy: null },
        data: { confirmedBy: login, confirmedAt: at },
      });
      return count === 1;
    },

    async markOverrideUsed(id: string, at: Date): Promise<boolean> {
      const { count } = await db.override.updateMany({ where: { id, usedAt: null }, data: { usedAt: at } });
      return count === 1;
    },

    async releaseOverride(id: string, at: Date): Promise<boolean> {
      const { count } = await db.override.updateMany({ where: { id, usedAt: at }, data: { usedAt: null } });
      return count === 1;
    },

    async getOverride(id: string): Promise<OverrideRow | null> {
      const row = await db.override.findUnique({ where: { id } });
      return row === null ? null : overrideRow(row);
    },

    async listOverrides(query: ListOverridesQuery): Promise<OverrideRow[]> {
      // Every decision reads its release's overrides: the record's own SQL.
      const { where, args } = equalities({ repo: query.repo, sha: query.sha, environment: query.environment });
      const rows = await sql.rows<Record<string, unknown>>(
        `SELECT ${selectList(OVERRIDE_COLUMNS)} FROM "Override" WHERE ${where} ORDER BY "grantedAt" ASC, "id" ASC`,
        args,
      );
      return rows.map((r) => overrideRow(asModel(r, OVERRIDE_COLUMNS)));
    },
  };
}
