import type { PrismaClient } from './generated/sqlite/client.js';
import type { SqlRunner } from './sql-runner.js';

/** A proven deployment as delivery metrics read it. */
export interface ProvenDeploymentRow {
  id: number;
  repo: string;
  sha: string;
  environment: string;
  /** The stage the gate judged it as. */
  stage: string | null;
  createdAt: Date;
  provenAt: Date;
  /** Its latest state from the statuses allowed to move it, and when. */
  latestState: string | null;
  latestStateAt: Date | null;
}

/** A deployment this App created to roll another back (`releaseGate.rollbackOf` in its payload). */
export interface RollbackRow {
  id: number;
  repo: string;
  environment: string;
  of: number;
  createdAt: Date;
}

/** The policy texts the latest recorded decision of a repository used, by role. */
export interface RecordedPolicy {
  repository: string | null;
  org: string | null;
}

/** The queries delivery metrics and notifications make; each is bounded by its window or limit. */
export interface DeliveryRecordStore {
  /** Deployments proven in [since, until), of one repository or all; at most `limit`, oldest first. */
  provenDeployments(query: { repo?: string; since: Date; until: Date; limit: number }): Promise<ProvenDeploymentRow[]>;
  /**
   * Rollbacks this App created in [since, until), of one repository or all: only deployments
   * GitHub says this App's installation created (`byApp`) are read, since a payload key is
   * written by whoever creates the deployment (SECURITY.md T13).
   */
  appRollbacks(query: { repo?: string; since: Date; until: Date; limit: number }): Promise<RollbackRow[]>;
  /** The earliest first commit of the pull requests linked to each release (repo, sha). */
  firstCommits(repo: string, shas: readonly string[]): Promise<Map<string, Date>>;
  /** The policy texts the latest recorded decision of the repository used, or null. */
  policyInForce(repo: string): Promise<RecordedPolicy | null>;
}

/** How many policy texts `policyInForce` keeps in memory (a policy changes rarely). */
const POLICY_TEXTS_KEPT = 200;

/** The most rows one metrics query reads (a window of 90 days at 100 deployments a day across repositories is 9,000). */
export const PROVEN_DEPLOYMENTS_LIMIT = 50_000;

function rollbackOf(payload: string | null): number | null {
  if (!payload) return null;
  try {
    const parsed = JSON.parse(payload) as { releaseGate?: { rollbackOf?: unknown } } | null;
    const of = parsed?.releaseGate?.rollbackOf;
    return typeof of === 'number' && Number.isSafeInteger(of) ? of : null;
  } catch {
    // A payload that is not JSON carries no App record: not a rollback.
    return null;
  }
}

/** The delivery record on the record's Prisma client (either provider). */
export function deliveryRecordStore(db: PrismaClient, sql: SqlRunner): DeliveryRecordStore {
  /** Policy texts by sha256, as read for `policyInForce` (every decision publishes an event that reads it). */
  const policyTexts = new Map<string, string>();
  return {
    async provenDeployments(query) {
      const rows = await db.deployment.findMany({
        where: { ...(query.repo ? { repo: query.repo } : {}), provenAt: { gte: query.since, lt: query.until } },
        orderBy: [{ provenAt: 'asc' }, { id: 'asc' }],
        take: Math.min(query.limit, PROVEN_DEPLOYMENTS_LIMIT),
        select: {
          id: true,
          repo: true,
          sha: true,
          environment: true,
          approvedStage: true,
          createdAt: true,
          provenAt: true,
          latestState: true,
          latestStateAt: true,
        },
      });
      return rows.map((r) => ({
        id: Number(r.id),
        repo: r.repo,
        sha: r.sha,
        environment: r.environment,
        stage: r.approvedStage,
        createdAt: r.createdAt,
        provenAt: r.provenAt!,
        latestState: r.latestState,
        latestStateAt: r.latestStateAt,
      }));
    },

    async appRollbacks(query) {
      const rows = await db.deployment.findMany({
        where: {
          byApp: true,
          createdAt: { gte: query.since, lt: query.until },
          ...(query.repo ? { repo: query.repo } : {}),
          payload: { contains: 'rollbackOf' },
        },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: Math.min(query.limit, PROVEN_DEPLOYMENTS_LIMIT),
        select: { id: true, repo: true, environment: true, createdAt: true, payload: true },
      });
      const out: RollbackRow[] = [];
      for (const r of rows) {
        const of = rollbackOf(r.payload);
        if (of !== null)
          out.push({ id: Number(r.id), repo: r.repo, environment: r.environment, of, createdAt: r.createdAt });
      }
      return out;
    },

    async firstCommits(repo, shas) {
      const out = new Map<string, Date>();
      const wanted = [...new Set(shas)];
      for (let i = 0; i < wanted.length; i += 500) {
        const rows = await db.releasePull.findMany({
          where: { repo, sha: { in: wanted.slice(i, i + 500) }, firstCommitAt: { not: null } },
          select: { sha: true, firstCommitAt: true },
        });
        for (const r of rows) {
          const at = r.firstCommitAt!;
          const known = out.get(r.sha);
          if (!known || at < known) out.set(r.sha, at);
        }
      }
      return out;
    },

    async policyInForce(repo) {
      // Every decision's event reads it: the record's own SQL.
      const [latest] = await sql.rows<{ policyFiles: string | null }>(
        `SELECT "policyFiles" FROM "Evaluation" WHERE "repo" = $1 AND "policyFiles" IS NOT NULL ORDER BY "at" DESC, "id" DESC LIMIT 1`,
        [repo],
      );
      if (!latest?.policyFiles) return null;
      const files = JSON.parse(latest.policyFiles) as Array<{ role?: string; sha256?: string }>;
      const hashes = files.map((f) => f.sha256).filter((h): h is string => typeof h === 'string');
      if (hashes.length === 0) return null;
      // A text is stored under its sha256 and never changes: the ones read before are kept.
      const missing = hashes.filter((h) => !policyTexts.has(h));
      if (missing.length > 0) {
        const blobs = await db.policyBlob.findMany({ where: { sha256: { in: missing } } });
        if (policyTexts.size + blobs.length > POLICY_TEXTS_KEPT) policyTexts.clear();
        for (const b of blobs) policyTexts.set(b.sha256, b.text);
      }
      const bySha = policyTexts;
      const textOf = (role: string) => {
        const file = files.find((f) => f.role === role);
        return (file?.sha256 && bySha.get(file.sha256)) ?? null;
      };
      return { repository: textOf('repository'), org: textOf('org default') };
    },
  };
}
