import { PrismaLibSql } from '@prisma/adapter-libsql';
import type { Client, Config, InArgs, InStatement, ResultSet, Transaction, TransactionMode } from '@libsql/client';

/**
 * How long a statement waits for another process's write lock on the SQLite file before it
 * fails (libsql's `timeout`, SQLite's `busy_timeout`), on every connection the client opens.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

/**
 * Settings made on the client's connection when it opens (and again after a reconnect). WAL
 * (kept in the file) lets readers run alongside the writer. `synchronous = NORMAL` under WAL:
 * a commit is written to the log without waiting for the disk, and the log is flushed to the
 * disk at each checkpoint. The record stays consistent after any crash and a crash of the
 * process loses nothing committed; a power loss or an operating system crash can lose the
 * last commits before the checkpoint (https://www.sqlite.org/pragma.html#pragma_synchronous,
 * https://www.sqlite.org/wal.html). WAL is set first, so no commit runs without the log.
 */
const CONNECTION_SETTINGS = ['PRAGMA journal_mode = WAL', 'PRAGMA synchronous = NORMAL'];

/** Applies the settings; a failure is the next statement's error (never an unhandled rejection meanwhile). */
function applySettings(client: Client): Promise<void> {
  const applied = (async () => {
    for (const sql of CONNECTION_SETTINGS) await client.execute(sql);
  })();
  applied.catch(() => undefined);
  return applied;
}

/** libsql's BEGIN for a transaction mode (`@libsql/core/util`, `transactionModeToBegin`). */
function beginFor(mode: TransactionMode): string {
  if (mode === 'read') return 'BEGIN TRANSACTION READONLY';
  if (mode === 'deferred') return 'BEGIN DEFERRED';
  return 'BEGIN IMMEDIATE';
}

const normalized = (stmt: InStatement | [string, InArgs?]): InStatement =>
  Array.isArray(stmt) ? { sql: stmt[0], args: stmt[1] ?? [] } : stmt;

/**
 * A libsql client that runs its transactions on its one connection. libsql's own `transaction()`
 * hands its connection to the transaction and opens a new one for the next statement: every
 * transaction then paid for opening the file and preparing its statements again, and the new
 * connection had none of the settings made on the first. Prisma's libsql adapter already holds
 * its lock from the transaction's start to its end (no other statement of the client runs in
 * between), so the transaction can use the client's connection itself.
 */
class OneConnectionClient implements Client {
  private ready: Promise<void>;

  constructor(private readonly inner: Client) {
    this.ready = applySettings(inner);
  }

  get closed(): boolean {
    return this.inner.closed;
  }

  get protocol(): string {
    return this.inner.protocol;
  }

  async execute(stmtOrSql: InStatement | string, args?: InArgs): Promise<ResultSet> {
    await this.ready;
    return typeof stmtOrSql === 'string' ? this.inner.execute(stmtOrSql, args) : this.inner.execute(stmtOrSql);
  }

  async batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode): Promise<ResultSet[]> {
    await this.ready;
    return this.inner.batch(stmts, mode);
  }

  async migrate(stmts: InStatement[]): Promise<ResultSet[]> {
    await this.ready;
    return this.inner.migrate(stmts);
  }

  async executeMultiple(sql: string): Promise<void> {
    await this.ready;
    return this.inner.executeMultiple(sql);
  }

  async sync(): ReturnType<Client['sync']> {
    return this.inner.sync();
  }

  close(): void {
    this.inner.close();
  }

  reconnect(): void {
    this.inner.reconnect();
    this.ready = applySettings(this.inner);
  }

  async transaction(mode: TransactionMode = 'write'): Promise<Transaction> {
    await this.ready;
    const inner = this.inner;
    await inner.execute(beginFor(mode));
    let open = true;
    const end = async (sql: 'COMMIT' | 'ROLLBACK') => {
      if (!open) throw new Error('The transaction is closed');
      open = false;
      await inner.execute(sql);
    };
    return {
      execute: (stmt: InStatement) => {
        if (!open) return Promise.reject(new Error('The transaction is closed'));
        return inner.execute(stmt);
      },
      batch: async (stmts: InStatement[]) => {
        const results: ResultSet[] = [];
        for (const stmt of stmts) {
          if (!open) throw new Error('The transaction is closed');
          results.push(await inner.execute(normalized(stmt)));
        }
        return results;
      },
      // libsql's executeMultiple rolls back an open transaction when it ends: not within one.
      executeMultiple: () => Promise.reject(new Error('executeMultiple is not available within a transaction')),
      commit: () => end('COMMIT'),
      rollback: async () => {
        // SQLite may have rolled the transaction back itself after an error; nothing is left open then.
        if (open) await end('ROLLBACK').catch(() => undefined);
      },
      close: () => {
        if (open) void end('ROLLBACK').catch(() => undefined);
      },
      get closed() {
        return !open;
      },
    };
  }
}

/**
 * Prisma's libsql adapter over a client that keeps one connection (its transactions on it,
 * every connection with the busy timeout and the record's settings).
 */
export class OneConnectionLibSql extends PrismaLibSql {
  constructor(config: Config) {
    super({ timeout: SQLITE_BUSY_TIMEOUT_MS, ...config });
  }

  override createClient(config: Config): Client {
    return new OneConnectionClient(super.createClient(config));
  }
}
