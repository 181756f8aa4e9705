import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { OneConnectionLibSql } from './sqlite-adapter.js';
import { StoreError, type DatabaseProvider } from './types.js';

/** The embedded default: a SQLite file under ./data. */
export const DEFAULT_DATABASE_URL = 'file:./data/release-gate.db';

export interface ParsedDatabaseUrl {
  provider: DatabaseProvider;
  /** SQLite: the absolute file path. */
  file?: string;
  /** PostgreSQL: the connection string without the `schema` parameter. */
  connectionString?: string;
  /** PostgreSQL: the schema named by `?schema=`, or `public`. */
  schema?: string;
  /** The URL with any password hidden, for logs and errors. */
  display: string;
}

/** Hides the password of a URL so it can be logged. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}

/**
 * Reads a `DATABASE_URL`: `file:<path>` (SQLite, relative to `cwd`) or
 * `postgres(ql)://...[?schema=name]` (PostgreSQL).
 */
export function parseDatabaseUrl(url: string, cwd: string): ParsedDatabaseUrl {
  const display = redactDatabaseUrl(url);
  if (url.startsWith('file:')) {
    const path =
      url
        .slice('file:'.length)
        .replace(/^\/\/(?=\/)/, '')
        .split('?')[0] ?? '';
    if (path === '') {
      throw new StoreError(
        `DATABASE_URL "${display}" names no file: use file:./data/release-gate.db or a postgresql:// URL.`,
        'BAD_URL',
      );
    }
    return { provider: 'sqlite', file: isAbsolute(path) ? path : resolve(cwd, path), display };
  }
  if (/^postgres(ql)?:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (error) {
      throw new StoreError(
        `DATABASE_URL "${display}" is not a valid URL: ${error instanceof Error ? error.message : String(error)}`,
        'BAD_URL',
      );
    }
    const schema = parsed.searchParams.get('schema') ?? 'public';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) {
      throw new StoreError(
        `DATABASE_URL "${display}": schema "${schema}" must be letters, digits and underscores.`,
        'BAD_URL',
      );
    }
    parsed.searchParams.delete('schema');
    return { provider: 'postgresql', connectionString: parsed.toString(), schema, display };
  }
  throw new StoreError(
    `DATABASE_URL "${display}" is not supported: use file:./data/release-gate.db (SQLite) or postgresql://user@host:5432/db (PostgreSQL).`,
    'BAD_URL',
  );
}

/** Creates the SQLite file's directory when it is missing. */
export async function ensureDatabaseDirectory(parsed: ParsedDatabaseUrl): Promise<void> {
  if (parsed.provider === 'sqlite' && parsed.file !== undefined) {
    await mkdir(dirname(parsed.file), { recursive: true });
  }
}

export interface AdapterHandle {
  factory: SqlMigrationAwareDriverAdapterFactory & (OneConnectionLibSql | PrismaPg);
  /** Ends the connection pool the handle owns (PostgreSQL); the Prisma client does not. */
  dispose(): Promise<void>;
  /** PostgreSQL: the adapter's pool, which the record's own SQL shares (./sql-runner.ts). */
  pool?: pg.Pool;
}

/**
 * The Prisma driver adapter for a parsed URL. SQLite: one connection, its transactions on it,
 * with the busy timeout and the record's per-connection settings (`./sqlite-adapter.ts`).
 */
export function createAdapter(parsed: ParsedDatabaseUrl): AdapterHandle {
  if (parsed.provider === 'sqlite') {
    return { factory: new OneConnectionLibSql({ url: `file:${parsed.file ?? ''}` }), dispose: async () => {} };
  }
  const schema = parsed.schema ?? 'public';
  const pool = new pg.Pool({
    connectionString: parsed.connectionString,
    // Unqualified names (the migrations' and the schema engine's) land in the chosen schema.
    options: `-c search_path="${schema}"`,
    max: 10,
    // An unreachable server fails a query (and /health/ready) instead of hanging it.
    connectionTimeoutMillis: 5_000,
  });
  let ended = false;
  return {
    factory: new PrismaPg(pool, { schema }),
    pool,
    dispose: async () => {
      if (ended) return;
      ended = true;
      await pool.end();
    },
  };
}
