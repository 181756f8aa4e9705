import process from 'node:process';
import pg from 'pg';
import { PrismaClient as PostgresClient } from './generated/postgresql/client.js';
import { PrismaClient as SqliteClient } from './generated/sqlite/client.js';
import {
  DEFAULT_DATABASE_URL,
  createAdapter,
  ensureDatabaseDirectory,
  parseDatabaseUrl,
  type ParsedDatabaseUrl,
} from './database-url.js';
import { describeEngineError, loadMigrationSet, migrate } from './migrate.js';
import { sqliteFileGuard } from './file-guard.js';
import { OneConnectionLibSql } from './sqlite-adapter.js';
import { prismaStore } from './store.js';
import { StoreError, type OpenStoreOptions, type Store } from './types.js';

/** Creates the PostgreSQL schema named in the URL, and says clearly when the server cannot be reached. */
async function preparePostgres(parsed: ParsedDatabaseUrl): Promise<void> {
  const client = new pg.Client({ connectionString: parsed.connectionString, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new StoreError(
      `Cannot reach PostgreSQL at ${parsed.display}: ${describeEngineError(error)}. ` +
        'Check that the server runs and DATABASE_URL is right, or leave DATABASE_URL unset for the embedded SQLite file.',
      'UNREACHABLE',
    );
  }
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${parsed.schema ?? 'public'}"`);
  } finally {
    await client.end();
  }
}

/**
 * Opens the record: `file:` URLs (default `file:./data/release-gate.db`, its directory
 * created when missing) use SQLite through libsql, `postgresql://` URLs PostgreSQL through
 * node-postgres. Applies pending migrations in-process before returning.
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const parsed = parseDatabaseUrl(options.databaseUrl ?? DEFAULT_DATABASE_URL, options.cwd ?? process.cwd());
  await ensureDatabaseDirectory(parsed);
  if (parsed.provider === 'postgresql') await preparePostgres(parsed);

  const set = await loadMigrationSet(parsed.provider);
  const migrator = createAdapter(parsed);
  let applied: string[];
  try {
    applied = await migrate(migrator.factory, set);
  } finally {
    await migrator.dispose();
  }
  if (applied.length > 0) {
    options.log?.info(`Database ${parsed.display}: applied migrations ${applied.join(', ')}`);
  }

  const { factory: adapter, dispose, pool } = createAdapter(parsed);
  if (parsed.provider === 'sqlite') {
    // WAL, the busy timeout and the commit's flush are set on the connection (./sqlite-adapter.ts).
    const db = new SqliteClient({ adapter });
    return prismaStore(db, {
      provider: 'sqlite',
      ...(adapter instanceof OneConnectionLibSql ? { adapter } : {}),
      expectedMigrations: set.names.length,
      onClose: dispose,
      ...(parsed.file && parsed.file !== ':memory:' ? { file: sqliteFileGuard(parsed.file) } : {}),
    });
  }
  // The two generated clients have the same models; the store is written against one type.
  const db = new PostgresClient({ adapter }) as unknown as SqliteClient;
  return prismaStore(db, {
    provider: 'postgresql',
    expectedMigrations: set.names.length,
    onClose: dispose,
    ...(pool ? { pool } : {}),
  });
}
