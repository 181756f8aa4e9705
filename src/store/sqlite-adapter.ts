import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PrismaLibSql } from '@prisma/adapter-libsql';
import { LibsqlError } from '@libsql/client';
import type {
  Client,
  Config,
  InArgs,
  InStatement,
  InValue,
  ResultSet,
  Row,
  Transaction,
  TransactionMode,
  Value,
} from '@libsql/client';

/**
 * How long a statement waits for another process's write lock on the SQLite file before it
 * fails (libsql's `timeout`, SQLite's `busy_timeout`), on every connection the client opens.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * Settings made on the connection when it opens. WAL (kept in the file) lets readers run
 * alongside the writer. `synchronous = NORMAL` under WAL: a commit is written to the log
 * without waiting for the disk, and the log is flushed to the disk at each checkpoint. The
 * record stays consistent after any crash and a crash of the process loses nothing
 * committed; a power loss or an operating system crash can lose the last commits before the
 * checkpoint (https://www.sqlite.org/pragma.html#pragma_synchronous,
 * https://www.sqlite.org/wal.html). WAL is set first, so no commit runs without the log.
 */
const CONNECTION_SETTINGS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA synchronous = NORMAL',
  // The checkpointer below copies the log into the file; the connection does it itself only
  // if the log grows past this many pages (40 MiB), when the checkpointer fell behind.
  `PRAGMA wal_autocheckpoint = ${String(10_000)}`,
];

/** How often the checkpointer copies the log into the database file. */
const CHECKPOINT_EVERY_MS = 250;

/**
 * The checkpointer: a thread with a connection of its own that copies the write-ahead log
 * into the database file (a PASSIVE checkpoint: it waits for no reader and no writer). Done
 * by the connection that commits, SQLite's default, a checkpoint took 5-9 ms of the App's
 * one thread every thousand pages (every ninth decision or so), holding up every request
 * in flight (bench/README.md, "Decisions per second").
 */
const CHECKPOINTER = `
const { statSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.libsql);
const same = () => {
  const st = statSync(workerData.path);
  return st.ino === workerData.ino && st.dev === workerData.dev;
};
let db = null;
try {
  // The file the App opened, never another, and never a new one: the file can be deleted or
  // replaced between the look and the open, and an open that may create would leave an empty
  // file at the path of a deleted one (the App's file guard would call it replaced, not
  // deleted). The URI's mode=rw opens an existing file or fails; the second look closes a
  // replacement opened in that instant.
  if (same()) {
    db = new Database(workerData.uri, { timeout: 0 });
    if (!same()) {
      db.close();
      db = null;
    }
  }
} catch {
  try { db?.close(); } catch {}
  db = null;
}
const timer = db
  ? setInterval(() => {
      try {
        db.prepare('PRAGMA wal_checkpoint(PASSIVE)').all();
      } catch {
        // Busy, or the file is gone: the next tick tries again; the App's health check tells.
      }
    }, workerData.everyMs)
  : null;
parentPort.on('message', () => {
  if (timer) clearInterval(timer);
  try { db?.close(); } catch {}
  process.exit(0);
});
`;

/**
 * A SQLite URI that opens the file at `path` only if it exists, read and write (`mode=rw`: no
 * create), the path percent-encoded as SQLite's URIs want it (`?`, `#`, `%`, spaces).
 */
export function existingFileUri(path: string): string {
  return `${pathToFileURL(path).href}?mode=rw`;
}

/** Starts the checkpointer of the SQLite file at `path` (none for a database in memory). */
function startCheckpointer(path: string): Worker | null {
  if (path === '' || path === ':memory:' || path.startsWith('file::memory:')) return null;
  let opened: { ino: number; dev: number };
  try {
    opened = statSync(path);
  } catch {
    return null;
  }
  const worker = new Worker(CHECKPOINTER, {
    eval: true,
    workerData: {
      path,
      uri: existingFileUri(path),
      ino: opened.ino,
      dev: opened.dev,
      libsql: LIBSQL,
      everyMs: CHECKPOINT_EVERY_MS,
    },
  });
  // It never keeps the process alive, and a failure of its own leaves the App's connection to checkpoint.
  worker.unref();
  worker.on('error', () => {});
  return worker;
}

/** How many prepared statements a connection keeps (Prisma writes one text per query shape). */
const STATEMENTS_KEPT = 500;

/** libsql's native statement, as `@libsql/client` uses it. */
interface NativeStatement {
  readonly reader: boolean;
  raw(toggle?: boolean): NativeStatement;
  safeIntegers(toggle?: boolean): NativeStatement;
  columns(): Array<{ name: string; type: string | null }>;
  all(args: unknown[] | Record<string, unknown>): unknown[][];
  run(args: unknown[] | Record<string, unknown>): { changes: number; lastInsertRowid: number | bigint };
}

/** libsql's native connection, as `@libsql/client` uses it. */
interface NativeDatabase {
  readonly inTransaction: boolean;
  prepare(sql: string): NativeStatement;
  exec(sql: string): void;
  close(): void;
}

interface NativeDatabaseClass {
  new (path: string, options: { timeout: number }): NativeDatabase;
  SqliteError: abstract new (...args: never[]) => Error & { code: string; rawCode?: number };
}

/** The native binding `@libsql/client` opens local files with (its dependency, resolved from it). */
const LIBSQL = createRequire(createRequire(import.meta.url).resolve('@libsql/client')).resolve('libsql');
/** Its database class: what the App's connection and the checkpointer (by `LIBSQL`) open files with. */
export const Database = createRequire(import.meta.url)(LIBSQL) as NativeDatabaseClass;

/** SQLite's primary result codes by number, as `@libsql/client` names them in its errors. */
const SQLITE_CODES = [
  'SQLITE_OK',
  'SQLITE_ERROR',
  'SQLITE_INTERNAL',
  'SQLITE_PERM',
  'SQLITE_ABORT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_READONLY',
  'SQLITE_INTERRUPT',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTFOUND',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_EMPTY',
  'SQLITE_SCHEMA',
  'SQLITE_TOOBIG',
  'SQLITE_CONSTRAINT',
  'SQLITE_MISMATCH',
  'SQLITE_MISUSE',
  'SQLITE_NOLFS',
  'SQLITE_AUTH',
  'SQLITE_FORMAT',
  'SQLITE_RANGE',
  'SQLITE_NOTADB',
  'SQLITE_NOTICE',
  'SQLITE_WARNING',
];

/** A native error as `@libsql/client` reports it (what Prisma's adapter reads: the raw code, the message). */
function libsqlError(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  const base = error.rawCode === undefined ? undefined : error.rawCode & 0xff;
  const code = base === undefined ? 'SQLITE_UNKNOWN' : (SQLITE_CODES[base] ?? `SQLITE_UNKNOWN_${base.toString()}`);
  return new LibsqlError(error.message, code, error.code, error.rawCode, error);
}

const MIN_INTEGER = -9223372036854775808n;
const MAX_INTEGER = 9223372036854775807n;

/** An argument as `@libsql/client` binds it (integers as numbers: its default `intMode`). */
function toSql(value: InValue): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new RangeError('Only finite numbers (not Infinity or NaN) can be passed as arguments');
    return value;
  }
  if (typeof value === 'bigint') {
    if (value < MIN_INTEGER || value > MAX_INTEGER)
      throw new RangeError('bigint is too large to be represented as a 64-bit integer and passed as argument');
    return value;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Date) return value.valueOf();
  if (value === undefined) throw new TypeError('undefined cannot be passed as argument to the database');
  return value;
}

function argsOf(args: InArgs | undefined): unknown[] | Record<string, unknown> {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args.map(toSql);
  const named: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args))
    named[name[0] === '@' || name[0] === '$' || name[0] === ':' ? name.slice(1) : name] = toSql(value);
  return named;
}

/** A stored value as `@libsql/client` reads it with its default `intMode` (safe integers as numbers). */
function fromSql(value: unknown): Value {
  if (typeof value === 'bigint') {
    if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER))
      throw new RangeError('Received integer which cannot be safely represented as a JavaScript number');
    return Number(value);
  }
  if (value instanceof Buffer) return value.buffer as ArrayBuffer;
  return value as Value;
}

function resultSet(
  columns: string[],
  columnTypes: string[],
  rows: Row[],
  rowsAffected: number,
  lastInsertRowid: bigint | undefined,
): ResultSet {
  return {
    columns,
    columnTypes,
    rows,
    rowsAffected,
    lastInsertRowid,
    toJSON: () => ({
      columns,
      columnTypes,
      rows: rows.map((row) =>
        Array.from(row as ArrayLike<Value>, (v) =>
          typeof v === 'bigint' ? `${v}` : v instanceof ArrayBuffer ? Buffer.from(v).toString('base64') : v,
        ),
      ),
      rowsAffected,
      lastInsertRowid: lastInsertRowid === undefined ? null : `${lastInsertRowid}`,
    }),
  };
}

/** A statement prepared once and kept, with what executing it needs to know. */
interface Prepared {
  statement: NativeStatement;
  reader: boolean;
  columns: string[];
  columnTypes: string[];
}

const normalized = (stmt: InStatement | [string, InArgs?]): InStatement =>
  Array.isArray(stmt) ? { sql: stmt[0], args: stmt[1] ?? [] } : stmt;

function beginFor(mode: TransactionMode): string {
  if (mode === 'read') return 'BEGIN TRANSACTION READONLY';
  if (mode === 'deferred') return 'BEGIN DEFERRED';
  return 'BEGIN IMMEDIATE';
}

/**
 * The record's SQLite connection, as a libsql client (the interface Prisma's libsql adapter
 * drives): one connection for everything, transactions included, and its statements prepared
 * once. libsql's own client hands its connection to each transaction and opens a new one for
 * the next statement (every transaction opened the file again, and the new connection had none
 * of the settings made on the first, the busy timeout included), and prepares every statement
 * each time it runs. Prisma's adapter holds its lock from a transaction's start to its end, so
 * no other statement of the client runs inside one.
 */
/** The record's SQLite connection as its own SQL uses it (./sql-runner.ts). */
export type RecordConnection = Pick<Client, 'execute' | 'transaction'>;

class OneConnectionClient implements Client {
  private db: NativeDatabase | null;
  private readonly statements = new Map<string, Prepared>();
  readonly protocol = 'file';
  /** A transaction is open on the connection: statements from outside it wait (`free`). */
  private inTransaction = false;
  private readonly waiting: Array<() => void> = [];

  private checkpointer: Worker | null;

  constructor(private readonly path: string) {
    this.db = this.open();
    this.checkpointer = startCheckpointer(path);
  }

  get closed(): boolean {
    return this.db === null;
  }

  private open(): NativeDatabase {
    const db = new Database(this.path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    try {
      for (const sql of CONNECTION_SETTINGS) db.exec(sql);
    } catch (error) {
      db.close();
      throw libsqlError(error);
    }
    return db;
  }

  private connection(): NativeDatabase {
    if (this.db === null) throw new LibsqlError('The client is closed', 'CLIENT_CLOSED');
    return this.db;
  }

  private prepared(sql: string): Prepared {
    const known = this.statements.get(sql);
    if (known) return known;
    const statement = this.connection().prepare(sql);
    statement.safeIntegers(true);
    const reader = statement.reader;
    if (reader) statement.raw(true);
    const columns = reader ? statement.columns() : [];
    const prepared = {
      statement,
      reader,
      columns: columns.map((c) => c.name),
      columnTypes: columns.map((c) => c.type ?? ''),
    };
    if (this.statements.size >= STATEMENTS_KEPT) this.statements.clear();
    this.statements.set(sql, prepared);
    return prepared;
  }

  /** Runs one statement (synchronously: libsql is synchronous), as `@libsql/client` does. */
  private run(stmt: InStatement | string): ResultSet {
    const sql = typeof stmt === 'string' ? stmt : stmt.sql;
    const args = typeof stmt === 'string' ? [] : argsOf(stmt.args);
    try {
      const p = this.prepared(sql);
      if (p.reader) {
        const rows = p.statement.all(args).map((row) => row.map(fromSql) as unknown as Row);
        return resultSet(p.columns, p.columnTypes, rows, 0, undefined);
      }
      const info = p.statement.run(args);
      return resultSet([], [], [], info.changes, BigInt(info.lastInsertRowid));
    } catch (error) {
      throw libsqlError(error);
    }
  }

  /**
   * Resolves when the transaction open on the connection ends. Prisma's adapter and the
   * record's own SQL (./sql-runner.ts) share the connection: a statement of one must not run
   * inside the other's transaction (it would be committed or rolled back with it). Callers
   * check `inTransaction` again when it resolves, with no await before their statement.
   */
  private turn(): Promise<void> {
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private begin(mode: TransactionMode): void {
    this.run(beginFor(mode));
    this.inTransaction = true;
  }

  /** The transaction ended: the statements and transactions waiting for it go on. */
  private ended(): void {
    this.inTransaction = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  /** Rolls back what a failed batch or script left open. */
  private rollbackIfOpen(): void {
    if (this.db?.inTransaction) this.run('ROLLBACK');
  }

  async execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    while (this.inTransaction) await this.turn();
    return this.run(typeof stmtOrSql === 'string' ? { sql: stmtOrSql, args: args ?? [] } : stmtOrSql);
  }

  async batch(stmts: Array<InStatement | [string, InArgs?]>, mode: TransactionMode = 'deferred'): Promise<ResultSet[]> {
    while (this.inTransaction) await this.turn();
    try {
      this.run(beginFor(mode));
      const results = stmts.map((stmt) => this.run(normalized(stmt)));
      this.run('COMMIT');
      return results;
    } finally {
      this.rollbackIfOpen();
    }
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    this.run('PRAGMA foreign_keys=off');
    try {
      return await this.batch(stmts, 'deferred');
    } finally {
      this.run('PRAGMA foreign_keys=on');
    }
  }

  async executeMultiple(sql: string): Promise<void> {
    while (this.inTransaction) await this.turn();
    // A script may change the schema: statements are prepared again after it.
    this.statements.clear();
    try {
      this.connection().exec(sql);
    } catch (error) {
      throw libsqlError(error);
    } finally {
      this.rollbackIfOpen();
    }
  }

  async sync(): ReturnType<Client['sync']> {
    throw new LibsqlError('A local SQLite file has no replica to sync', 'SYNC_NOT_SUPPORTED');
  }

  close(): void {
    this.checkpointer?.postMessage('stop');
    this.checkpointer = null;
    this.statements.clear();
    this.db?.close();
    this.db = null;
  }

  reconnect(): void {
    this.close();
    this.db = this.open();
    this.checkpointer = startCheckpointer(this.path);
  }

  async transaction(mode: TransactionMode = 'write'): Promise<Transaction> {
    while (this.inTransaction) await this.turn();
    this.begin(mode);
    let open = true;
    const checkOpen = () => {
      if (!open) throw new LibsqlError('The transaction is closed', 'TRANSACTION_CLOSED');
    };
    const commit = () => {
      checkOpen();
      open = false;
      try {
        this.run('COMMIT');
      } catch (error) {
        // Nothing of a transaction that failed to commit stays open on the one connection.
        this.rollbackIfOpen();
        throw error;
      } finally {
        this.ended();
      }
    };
    return {
      execute: async (stmt: InStatement) => {
        checkOpen();
        return this.run(stmt);
      },
      batch: async (stmts: InStatement[]) =>
        stmts.map((stmt) => {
          checkOpen();
          return this.run(normalized(stmt));
        }),
      // A script within the transaction would be rolled back with it on an error: not offered.
      executeMultiple: () => Promise.reject(new Error('executeMultiple is not available within a transaction')),
      commit: async () => commit(),
      rollback: async () => {
        if (!open) return;
        open = false;
        try {
          // SQLite may have rolled the transaction back itself after an error: nothing is open then.
          if (this.db?.inTransaction) this.run('ROLLBACK');
        } finally {
          this.ended();
        }
      },
      close: () => {
        if (!open) return;
        open = false;
        try {
          this.rollbackIfOpen();
        } finally {
          this.ended();
        }
      },
      get closed() {
        return !open;
      },
    };
  }
}

/**
 * Prisma's libsql adapter over the record's one connection (`OneConnectionClient`: its
 * transactions on it, its statements prepared once, the busy timeout and the record's
 * settings on it).
 */
export class OneConnectionLibSql extends PrismaLibSql {
  #connection: OneConnectionClient | null = null;

  override createClient(config: Config): Client {
    this.#connection = new OneConnectionClient(
      config.url.startsWith('file:') ? config.url.slice('file:'.length) : config.url,
    );
    return this.#connection;
  }

  /** The connection Prisma opened (none before its first query or `$connect`), for the record's own SQL. */
  get connection(): RecordConnection | null {
    return this.#connection?.closed === false ? this.#connection : null;
  }
}
