import { createHash } from 'node:crypto';
import pg from 'pg';
import type { PrismaClient } from './generated/sqlite/client.js';
import { sqlFor, type DatabaseProvider } from './sql-dialect.js';
import type { OneConnectionLibSql, RecordConnection } from './sqlite-adapter.js';

/** A value bound to a statement's placeholder. */
export type SqlValue = string | number | bigint | boolean | Date | null;

/**
 * Raw SQL on the record's connection, for the statements every decision runs: written once in
 * PostgreSQL's dialect (`$1` placeholders, `sqlFor`), without Prisma's query pipeline, which
 * cost more than SQLite itself (bench/README.md, "Decisions per second"). Rows come back as
 * the database gives them: read them with `dateOf`, `numOf` and `boolOf`.
 */
export interface SqlRunner {
  /** The rows of a statement that gives rows (a SELECT, or a write with RETURNING). */
  rows<T>(sql: string, args?: readonly SqlValue[], options?: StatementOptions): Promise<T[]>;
  /** How many rows a write changed. */
  run(sql: string, args?: readonly SqlValue[], options?: StatementOptions): Promise<number>;
  /**
   * `fn`'s statements in one transaction, whole or not at all. No other statement of the
   * record runs on SQLite's one connection meanwhile; `fn` uses `tx` only, never Prisma.
   */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

export interface StatementOptions {
  /**
   * PostgreSQL plans the statement at every run, for the values given (it is not prepared once
   * per connection): for a statement whose best plan depends on them. The inbox's claim is one:
   * after five runs PostgreSQL's generic plan for it read every waiting delivery, and a burst of
   * 1,500 took 80 s to drain instead of 10 (bench/README.md, "The gate answers first").
   */
  planEachRun?: boolean;
}

/** A stored date: a `Date` on PostgreSQL, SQLite's ISO 8601 text (as Prisma writes it) or epoch ms. */
export function dateOrNull(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value === 'string' || typeof value === 'number') return new Date(value);
  if (typeof value === 'bigint') return new Date(Number(value));
  throw new TypeError(`not a stored date: ${typeof value}`);
}

/** A date of a column that always has one. */
export function dateOf(value: unknown): Date {
  const date = dateOrNull(value);
  if (date === null) throw new TypeError('a stored date is missing');
  return date;
}

/** A stored whole number: a `bigint` for PostgreSQL's BIGINT, a number otherwise. */
function numOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  throw new TypeError(`not a stored number: ${typeof value}`);
}

/** A number of a column that always has one. */
export function numOf(value: unknown): number {
  const n = numOrNull(value);
  if (n === null) throw new TypeError('a stored number is missing');
  return n;
}

/** A stored boolean: PostgreSQL's boolean, SQLite's 0 or 1. */
export function boolOf(value: unknown): boolean {
  return value === true || value === 1 || value === 1n;
}

/** An argument as Prisma binds it on SQLite: dates as ISO 8601 text with `+00:00`, booleans as 0 or 1. */
function sqliteArg(value: SqlValue): string | number | bigint | null {
  if (value instanceof Date) return value.toISOString().replace('Z', '+00:00');
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

type Statements = Pick<RecordConnection, 'execute'>;

/** A transaction's runner opens none of its own. */
const nested = (): Promise<never> => Promise.reject(new Error('A transaction cannot be opened within another.'));

function sqliteStatements(on: () => Promise<Statements>, sql: (text: string) => string): SqlRunner {
  const execute = async (text: string, args: readonly SqlValue[] = []) =>
    (await on()).execute({ sql: sql(text), args: args.map(sqliteArg) });
  return {
    async rows<T>(text: string, args?: readonly SqlValue[]): Promise<T[]> {
      const result = await execute(text, args);
      const { columns } = result;
      return result.rows.map((row) => {
        const out: Record<string, unknown> = {};
        for (let i = 0; i < columns.length; i++) out[columns[i]!] = row[i];
        return out as T;
      });
    },
    async run(text: string, args?: readonly SqlValue[]): Promise<number> {
      return (await execute(text, args)).rowsAffected;
    },
    transaction: nested,
  };
}

/**
 * SQLite: statements on the connection Prisma's adapter opened (./sqlite-adapter.ts), which
 * keeps them prepared and lets no statement into another's transaction.
 */
export function sqliteRunner(db: PrismaClient, adapter: OneConnectionLibSql): SqlRunner {
  const sql = sqlFor('sqlite');
  const connection = async (): Promise<RecordConnection> => {
    if (!adapter.connection) await db.$connect();
    const c = adapter.connection;
    if (!c) throw new Error('The record has no SQLite connection.');
    return c;
  };
  return {
    ...sqliteStatements(connection, sql),
    async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      const tx = await (await connection()).transaction('write');
      try {
        const result = await fn(sqliteStatements(async () => tx, sql));
        await tx.commit();
        return result;
      } finally {
        tx.close();
      }
    },
  };
}

/** The column types whose default `pg` parser is not what Prisma reads (`pg.types.builtins`). */
const TIMESTAMP = 1114;
const INT8 = 20;

/**
 * How the record's own SQL reads PostgreSQL's text, as Prisma's adapter does: a `timestamp`
 * (Prisma's `DateTime`, stored as UTC without a zone) as a UTC date, whatever the process's time
 * zone (`pg`'s default reads it in local time); a BIGINT as a `bigint`. Set per query: the pool
 * is Prisma's too, and its adapter sets its own.
 */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary') {
      if (oid === TIMESTAMP) return (text: string) => new Date(`${text.replace(' ', 'T')}Z`);
      if (oid === INT8) return (text: string) => BigInt(text);
    }
    return pg.types.getTypeParser(oid, format ?? 'text');
  }) as typeof pg.types.getTypeParser,
};

/** An argument for PostgreSQL: a date as ISO 8601 in UTC (a `timestamp` column ignores the zone; `pg` would write local time). */
function postgresArg(value: SqlValue): string | number | bigint | boolean | null {
  return value instanceof Date ? value.toISOString() : value;
}

const statementNames = new Map<string, string>();
/** At most this many texts are prepared on a connection (the record has about a hundred). */
const STATEMENTS_NAMED = 1_000;

/**
 * A statement's name, the same for the same text: each of the pool's connections prepares it
 * once (`pg` keeps what it prepared), so PostgreSQL parses and plans it once per connection
 * instead of at every run.
 */
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined) {
    // The record's statements are a fixed set; a text past it runs unprepared rather than
    // growing what every connection keeps.
    if (statementNames.size >= STATEMENTS_NAMED) return undefined;
    name = `rg_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

function postgresStatements(on: Pick<pg.Pool | pg.PoolClient, 'query'>): Omit<SqlRunner, 'transaction'> {
  const query = (text: string, args: readonly SqlValue[], options?: StatementOptions) => {
    const name = options?.planEachRun ? undefined : statementName(text);
    return on.query({ ...(name ? { name } : {}), text, values: args.map(postgresArg), types: pgTypes });
  };
  return {
    rows: async <T>(text: string, args: readonly SqlValue[] = [], options?: StatementOptions) =>
      (await query(text, args, options)).rows as T[],
    run: async (text: string, args: readonly SqlValue[] = [], options?: StatementOptions) =>
      (await query(text, args, options)).rowCount ?? 0,
  };
}

/**
 * How long one statement of the record's own transaction may run, waiting for a lock included,
 * before PostgreSQL cancels it and the transaction rolls back (Prisma's interactive transaction,
 * which these replaced, gave up after 30 s): a decision never hangs on a lock another holds.
 */
export const TRANSACTION_STATEMENT_TIMEOUT_MS = 30_000;

/**
 * PostgreSQL: statements straight on the pool Prisma's adapter was given (./database-url.ts);
 * a transaction holds one of its connections from BEGIN to COMMIT, and rolls back on any error.
 */
export function postgresRunner(pool: pg.Pool, statementTimeoutMs = TRANSACTION_STATEMENT_TIMEOUT_MS): SqlRunner {
  const begin = `BEGIN; SET LOCAL statement_timeout = ${Math.max(1, Math.round(statementTimeoutMs))}`;
  return {
    ...postgresStatements(pool),
    async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        // One round trip: the transaction and its time limit.
        await client.query(begin);
        try {
          const result = await fn({ ...postgresStatements(client), transaction: nested });
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch((rollback: unknown) => {
            // A connection that cannot roll back is not given back to the pool.
            broken = rollback instanceof Error ? rollback : new Error(String(rollback));
          });
          throw error;
        }
      } finally {
        client.release(broken);
      }
    },
  };
}

/** The runner of the record's provider. */
export function sqlRunner(
  db: PrismaClient,
  provider: DatabaseProvider,
  adapter: OneConnectionLibSql | null,
  pool: pg.Pool | null,
): SqlRunner {
  if (provider === 'sqlite') {
    if (!adapter) throw new Error('A SQLite record needs its adapter to run SQL on its connection.');
    return sqliteRunner(db, adapter);
  }
  if (!pool) throw new Error("A PostgreSQL record needs its adapter's pool to run SQL on it.");
  return postgresRunner(pool);
}

/** How raw SQL reads back a model's row in the shape Prisma gives it: which columns are not text or numbers. */
export interface ModelColumns<T> {
  /** Every column of the model (Prisma's `<Model>ScalarFieldEnum`): the SELECT list. */
  readonly names: ReadonlyArray<keyof T & string>;
  readonly dates?: ReadonlyArray<keyof T & string>;
  readonly bigints?: ReadonlyArray<keyof T & string>;
  readonly booleans?: ReadonlyArray<keyof T & string>;
}

/** The columns of a model as a SELECT list. */
export function selectList<T>(model: ModelColumns<T>): string {
  return model.names.map((n) => `"${n}"`).join(', ');
}

/** A raw row as Prisma reads the model's row: dates as `Date`, BIGINT columns as `bigint`, booleans as booleans. */
export function asModel<T>(row: Record<string, unknown>, model: ModelColumns<T>): T {
  const out: Record<string, unknown> = { ...row };
  for (const c of model.dates ?? []) out[c] = dateOrNull(row[c]);
  for (const c of model.bigints ?? [])
    out[c] = row[c] === null || row[c] === undefined ? null : BigInt(row[c] as number);
  for (const c of model.booleans ?? []) out[c] = boolOf(row[c]);
  return out as T;
}

/**
 * `"a" = $1 AND "b" = $2` for the fields given (undefined and null left out, as `given` does
 * for Prisma's filters), numbered from `$1`; `TRUE` when none is given.
 */
export function equalities(fields: Record<string, SqlValue | undefined>): { where: string; args: SqlValue[] } {
  const args: SqlValue[] = [];
  const terms: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    args.push(value);
    terms.push(`"${name}" = $${args.length}`);
  }
  return { where: terms.length > 0 ? terms.join(' AND ') : 'TRUE', args };
}
