import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** A database of its own for one test file: a SQLite file or a PostgreSQL schema. */
export interface Target {
  url: string;
  cleanup(): Promise<void>;
}

export async function sqliteTarget(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-store-'));
  // A nested directory that does not exist yet: openStore creates it.
  return { url: `file:${join(dir, 'data', 'release-gate.db')}`, cleanup: () => rm(dir, { recursive: true, force: true }) };
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
