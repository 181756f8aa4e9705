import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createAdapter, parseDatabaseUrl } from '../../src/store/database-url.js';
import { PrismaClient as PostgresClient } from '../../src/store/generated/postgresql/client.js';
import { PrismaClient as SqliteClient } from '../../src/store/generated/sqlite/client.js';
import { loadMigrationSet, migrate, PRISMA_DIR } from '../../src/store/migrate.js';
import type { DatabaseProvider } from '../../src/store/types.js';

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** A database of its own for one test file: a SQLite file or a PostgreSQL schema. */
export interface Target {
  url: string;
  cleanup(): Promise<void>;
}

export async function sqliteTarget(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-store-'));
  // A nested directory that does not exist yet: openStore creates it.
  return {
    url: `file:${join(dir, 'data', 'release-gate.db')}`,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function postgresTarget(): Promise<Target> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_URL} (${error instanceof Error ? error.message : String(error)}). ` +
        'Start it, or point the tests at one: TEST_DATABASE_URL=postgresql://user@host:5432/db npx vitest run test/store',
      { cause: error },
    );
  }
  await client.end();
  const schema = `rg_test_${Math.random().toString(36).slice(2, 10)}`;
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
  return {
    url,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

/** A prisma/ folder holding only the first migrations (`names`, in order), as an older release had it. */
async function migrationsUpTo(provider: DatabaseProvider, names: readonly string[]): Promise<string> {
  const last = names[names.length - 1]!;
  const dir = await mkdtemp(join(tmpdir(), `rg-prisma-${last.slice(0, 4)}-`));
  const from = join(PRISMA_DIR, provider, 'migrations');
  const to = join(dir, provider, 'migrations');
  await mkdir(to, { recursive: true });
  for (const name of names) await cp(join(from, name), join(to, name), { recursive: true });
  await cp(join(from, 'migration_lock.toml'), join(to, 'migration_lock.toml'));
  await cp(join(from, last, 'schema.prisma'), join(dir, provider, 'schema.prisma'));
  return dir;
}

/**
 * A database as an older release left it: the target migrated with only the first
 * migrations (`names`), then `seed` writes rows through a client of that time. Returns the
 * prisma/ folder made for it (the caller removes it) and the migrations applied.
 */
export async function olderDatabase(
  target: Target,
  provider: DatabaseProvider,
  names: readonly string[],
  seed: (db: SqliteClient) => Promise<void>,
): Promise<{ prismaDir: string; applied: string[] }> {
  const prismaDir = await migrationsUpTo(provider, names);
  try {
    return { prismaDir, applied: await migrateAndSeed(target, provider, prismaDir, seed) };
  } catch (error) {
    await rm(prismaDir, { recursive: true, force: true });
    throw error;
  }
}

async function migrateAndSeed(
  target: Target,
  provider: DatabaseProvider,
  prismaDir: string,
  seed: (db: SqliteClient) => Promise<void>,
): Promise<string[]> {
  const parsed = parseDatabaseUrl(target.url, process.cwd());
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
  const { factory, dispose } = createAdapter(parsed);
  const db =
    parsed.provider === 'sqlite'
      ? new SqliteClient({ adapter: factory })
      : (new PostgresClient({ adapter: factory }) as unknown as SqliteClient);
  try {
    await seed(db);
  } finally {
    await db.$disconnect();
    await dispose();
  }
  return applied;
}
