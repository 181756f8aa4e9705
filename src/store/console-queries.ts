import type { PrismaClient } from './generated/sqlite/client.js';

/** A release found by what a person remembers of it. */
export interface ReleaseHit {
  repo: string;
  sha: string;
  ref: string | null;
  version: string | null;
  tag: string | null;
  /** What matched: a SHA prefix, the version, the tag, or a pull request it came from. */
  matched: 'sha' | 'version' | 'tag' | 'pull';
  at: Date;
}

export interface ReleaseSearch {
  repos: string[];
  /** A SHA prefix (7 to 40 hexadecimal digits, lower case). */
  shaPrefix?: string;
  /** A version or tag, compared exactly (with and without a leading `v`). */
  name?: string;
  /** A pull request number. */
  pull?: number;
  limit: number;
}

/** The console's look-ups that no decision makes: finding releases by SHA prefix, version, tag or pull request. */
export interface ConsoleQueryStore {
  searchReleases(query: ReleaseSearch): Promise<ReleaseHit[]>;
  /** The pull requests a release commit is known to come from, newest first. */
  pullsOfRelease(repo: string, sha: string): Promise<number[]>;
}

/** The next string after every string that starts with `prefix` (hexadecimal digits only). */
function prefixEnd(prefix: string): string {
  return `${prefix}g`;
}

/** The console's queries on the record's Prisma client (either provider: the models are the same). */
export function consoleQueryStore(db: PrismaClient): ConsoleQueryStore {
  return {
    async pullsOfRelease(repo, sha) {
      const rows = await db.releasePull.findMany({ where: { repo, sha }, orderBy: { recordedAt: 'desc' }, take: 20 });
      return rows.map((r) => r.pullNumber);
    },
    async searchReleases(query) {
      const repos = [...new Set(query.repos)];
      if (repos.length === 0) return [];
      const take = Math.max(1, Math.min(query.limit, 100));
      const hits = new Map<string, ReleaseHit>();
      const add = (
        r: { repo: string; sha: string; ref: string | null; version: string | null; tag: string | null; at: Date },
        matched: ReleaseHit['matched'],
      ) => {
        const key = `${r.repo}\n${r.sha}`;
        if (!hits.has(key)) hits.set(key, { ...r, matched });
      };
      if (query.shaPrefix) {
        // A range on the (repo, sha) index rather than LIKE, which SQLite cannot seek with.
        const sha = { gte: query.shaPrefix, lt: prefixEnd(query.shaPrefix) };
        const [releases, deployments] = await Promise.all([
          db.release.findMany({ where: { repo: { in: repos }, sha }, orderBy: { updatedAt: 'desc' }, take }),
          db.deployment.findMany({
            where: { repo: { in: repos }, sha },
            orderBy: { createdAt: 'desc' },
            take,
            select: { repo: true, sha: true, ref: true, createdAt: true },
          }),
        ]);
        for (const r of releases) add({ ...r, at: r.updatedAt }, 'sha');
        for (const d of deployments) add({ ...d, version: null, tag: null, at: d.createdAt }, 'sha');
      }
      if (query.name) {
        const bare = query.name.replace(/^v/i, '');
        const names = [...new Set([query.name, bare, `v${bare}`])];
        const releases = await db.release.findMany({
          where: { repo: { in: repos }, OR: [{ version: { in: names } }, { tag: { in: names } }] },
          orderBy: { updatedAt: 'desc' },
          take,
        });
        for (const r of releases)
          add({ ...r, at: r.updatedAt }, r.version && names.includes(r.version) ? 'version' : 'tag');
      }
      if (query.pull !== undefined) {
        const pulls = await db.releasePull.findMany({
          where: { repo: { in: repos }, pullNumber: query.pull },
          orderBy: { recordedAt: 'desc' },
          take,
        });
        const known =
          pulls.length === 0
            ? []
            : await db.release.findMany({ where: { OR: pulls.map((p) => ({ repo: p.repo, sha: p.sha })) } });
        for (const p of pulls) {
          const r = known.find((k) => k.repo === p.repo && k.sha === p.sha);
          add(
            {
              repo: p.repo,
              sha: p.sha,
              ref: r?.ref ?? null,
              version: r?.version ?? null,
              tag: r?.tag ?? null,
              at: p.recordedAt,
            },
            'pull',
          );
        }
      }
      return [...hits.values()].sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, take);
    },
  };
}
