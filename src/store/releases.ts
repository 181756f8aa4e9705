/**
 * Releases (one per repository and commit, with its tree, version and tag), the pull requests
 * of release commits, and the check runs and statuses learned from webhooks.
 */

import type { CommitCheck, PrismaClient, Release } from './generated/sqlite/client.js';
import { DEPLOYMENT_QUERY_LIMIT, bounded, given, num } from './columns.js';
import { isUniqueViolation } from './sql-dialect.js';

export interface UpsertReleaseInput {
  repo: string;
  sha: string;
  tree?: string | null;
  ref?: string | null;
  version?: string | null;
  tag?: string | null;
  at: Date;
}

export interface ReleaseRow {
  id: number;
  repo: string;
  sha: string;
  tree: string | null;
  ref: string | null;
  version: string | null;
  tag: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ReleasePullInput {
  repo: string;
  sha: string;
  pullNumber: number;
  headSha: string;
  /** The earliest author date of the PR's commits (lead time for changes starts there). */
  firstCommitAt?: Date | null;
}

export interface CommitCheckInput {
  repo: string;
  sha: string;
  kind: 'check_run' | 'status';
  name: string;
  /** The check run's or the status's id. */
  externalId: number;
  status: string;
  conclusion?: string | null;
  appSlug?: string | null;
  at: Date;
}

export interface CommitCheckRow extends Required<Omit<CommitCheckInput, 'conclusion' | 'appSlug'>> {
  conclusion: string | null;
  appSlug: string | null;
}

/** Releases, their pull requests and their commits' checks. */
export interface ReleaseStore {
  /** Inserts or updates (repo, sha); fields left out or null keep their stored value. */
  upsertRelease(input: UpsertReleaseInput): Promise<ReleaseRow>;
  getRelease(repo: string, sha: string): Promise<ReleaseRow | null>;
  /** The recorded trees of these commits (commits whose tree is unknown are left out). */
  releaseTrees(repo: string, shas: string[]): Promise<Map<string, string>>;
  /** Commits recorded with this tree (newest first, at most `limit`). */
  releasesWithTree(repo: string, tree: string, limit: number): Promise<string[]>;
  linkReleasePulls(list: ReleasePullInput[], at: Date): Promise<void>;
  /** Release commits recorded for a PR (newest first, at most `limit`). */
  releasesOfPull(repo: string, pullNumber: number, limit: number): Promise<string[]>;
  /** Inserts or updates (repo, kind, externalId) when `at` is not older than what is kept. */
  recordCommitCheck(input: CommitCheckInput): Promise<void>;
  listCommitChecks(repo: string, sha: string): Promise<CommitCheckRow[]>;
}

const releaseRow = (r: Release): ReleaseRow => ({ ...r });
const commitCheckRow = (r: CommitCheck): CommitCheckRow => ({
  ...r,
  kind: r.kind as CommitCheckRow['kind'],
  externalId: num(r.externalId),
});

/** The releases of the record on its Prisma client (either provider: the models are identical). */
export function releaseStore(db: PrismaClient): ReleaseStore {
  return {
    async upsertRelease(input: UpsertReleaseInput): Promise<ReleaseRow> {
      const fields = { tree: input.tree, ref: input.ref, version: input.version, tag: input.tag };
      const where = { repo_sha: { repo: input.repo, sha: input.sha } };
      try {
        return releaseRow(
          await db.release.upsert({
            where,
            create: { repo: input.repo, sha: input.sha, ...given(fields), createdAt: input.at, updatedAt: input.at },
            update: { ...given(fields), updatedAt: input.at },
          }),
        );
      } catch (error) {
        // Two writers inserting the same release at once: the loser updates.
        if (!isUniqueViolation(error)) throw error;
        return releaseRow(await db.release.update({ where, data: { ...given(fields), updatedAt: input.at } }));
      }
    },

    async getRelease(repo: string, sha: string): Promise<ReleaseRow | null> {
      const row = await db.release.findUnique({ where: { repo_sha: { repo, sha } } });
      return row === null ? null : releaseRow(row);
    },

    async releaseTrees(repo: string, shas: string[]): Promise<Map<string, string>> {
      if (shas.length === 0) return new Map();
      const rows = await db.release.findMany({
        where: { repo, sha: { in: bounded(shas) }, tree: { not: null } },
        select: { sha: true, tree: true },
      });
      return new Map(rows.map((r) => [r.sha, r.tree!]));
    },

    async releasesWithTree(repo: string, tree: string, limit: number): Promise<string[]> {
      const rows = await db.release.findMany({
        where: { repo, tree },
        orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
        take: Math.min(limit, DEPLOYMENT_QUERY_LIMIT),
        select: { sha: true },
      });
      return rows.map((r) => r.sha);
    },

    async linkReleasePulls(list: ReleasePullInput[], at: Date): Promise<void> {
      for (const l of list) {
        try {
          await db.releasePull.upsert({
            where: { repo_sha_pullNumber: { repo: l.repo, sha: l.sha, pullNumber: l.pullNumber } },
            create: { ...l, firstCommitAt: l.firstCommitAt ?? null, recordedAt: at },
            update: { headSha: l.headSha, ...given({ firstCommitAt: l.firstCommitAt }) },
          });
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
      }
    },

    async releasesOfPull(repo: string, pullNumber: number, limit: number): Promise<string[]> {
      const rows = await db.releasePull.findMany({
        where: { repo, pullNumber },
        orderBy: [{ recordedAt: 'desc' }, { id: 'desc' }],
        take: Math.min(limit, DEPLOYMENT_QUERY_LIMIT),
        select: { sha: true },
      });
      return rows.map((r) => r.sha);
    },

    async recordCommitCheck(input: CommitCheckInput): Promise<void> {
      const key = { repo: input.repo, kind: input.kind, externalId: BigInt(input.externalId) };
      const fields = {
        status: input.status,
        conclusion: input.conclusion ?? null,
        appSlug: input.appSlug ?? null,
        at: input.at,
        name: input.name,
        sha: input.sha,
      };
      try {
        await db.commitCheck.create({ data: { ...key, ...fields } });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // A newer report of the same check run replaces an older one, never the other way.
        await db.commitCheck.updateMany({ where: { ...key, at: { lte: input.at } }, data: fields });
      }
    },

    async listCommitChecks(repo: string, sha: string): Promise<CommitCheckRow[]> {
      const rows = await db.commitCheck.findMany({
        where: { repo, sha },
        orderBy: [{ at: 'asc' }, { id: 'asc' }],
        take: DEPLOYMENT_QUERY_LIMIT,
      });
      return rows.map(commitCheckRow);
    },
  };
}
