import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createAdapter, parseDatabaseUrl } from '../../src/store/database-url.js';
import { PrismaClient as PostgresClient } from '../../src/store/generated/postgresql/client.js';
import { PrismaClient as SqliteClient } from '../../src/store/generated/sqlite/client.js';
import { loadMigrationSet, migrate, PRISMA_DIR } from '../../src/store/migrate.js';
import type { DatabaseProvider } from '../../src/store/types.js';

/** The migrations the repository ships, in order (both providers have the same names). */
export const MIGRATIONS: string[] = (await loadMigrationSet('sqlite')).names;

/** A database as an earlier release left it, for the tests that upgrade it. */
export interface EarlierDatabase {
  /** The migrations that made it (what `migrate` applied). */
  applied: string[];
  /** Writes rows as the earlier release did, with a Prisma client on the database (the SQLite client's type for both providers). */
  write(rows: (db: SqliteClient) => Promise<void>): Promise<void>;
  /** Removes the earlier release's prisma/ folder (the database is the target's to remove). */
  cleanup(): Promise<void>;
}

/**
 * Makes the database of `url` with the migrations up to `last` only (from a prisma/ folder
 * holding those, with the schema of `last`), as the release that shipped `last` would have.
 */
export async function earlierDatabase(provider: DatabaseProvider, url: string, last: string): Promise<EarlierDatabase> {
  const names = MIGRATIONS.slice(0, MIGRATIONS.indexOf(last) + 1);
  const prismaDir = await mkdtemp(join(tmpdir(), `rg-prisma-${last.slice(0, 4)}-`));
  const from = join(PRISMA_DIR, provider, 'migrations');
  const to = join(prismaDir, provider, 'migrations');
  await mkdir(to, { recursive: true });
  for (const name of names) await cp(join(from, name), join(to, name), { recursive: true });
  await cp(join(from, 'migration_lock.toml'), join(to, 'migration_lock.toml'));
  await cp(join(from, last, 'schema.prisma'), join(prismaDir, provider, 'schema.prisma'));

  const parsed = parseDatabaseUrl(url, process.cwd());
  if (parsed.provider === 'sqlite') {
    await mkdir(join(parsed.file!, '..'), { recursive: true });
  } else {
    const c = new pg.Client({ connectionString: parsed.connectionString });
    await c.connect();
    await c.query(`CREATE SCHEMA IF NOT EXISTS "${parsed.schema}"`);
    await c.end();
  }
  const migrator = createAdapter(parsed);
  let applied: string[];
  try {
    applied = await migrate(migrator.factory, await loadMigrationSet(provider, prismaDir));
  } finally {
    await migrator.dispose();
  }
  return {
    applied,
    async write(rows) {
      const { factory, dispose } = createAdapter(parsed);
      const db = parsed.provider === 'sqlite' ? new SqliteClient({ adapter: factory }) : (new PostgresClient({ adapter: factory }) as unknown as SqliteClient);
      try {
        await rows(db);
      } finally {
        await db.$disconnect();
        await dispose();
      }
    },
    cleanup: () => rm(prismaDir, { recursive: true, force: true }),
  };
}
