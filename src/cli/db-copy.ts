import { stat } from 'node:fs/promises';
import { createClient } from '@libsql/client';
import pg from 'pg';
import { openStore } from '../store/open-store.js';
import { parseDatabaseUrl } from '../store/database-url.js';
import { StoreError } from '../store/types.js';
import { UsageError } from './io.js';

/**
 * `release-gate db copy --from file:... --to postgresql://...`: moves the App's record from
 * its SQLite file to PostgreSQL. The target is migrated to the same schema first, must be
 * empty, and is written in one transaction: tables in foreign-key order, values converted
 * to the PostgreSQL column types, identity sequences moved past the copied ids, and every
 * table's row count compared before the commit. A failure leaves the target as it was.
 */

export interface CopyResult {
  tables: Array<{ table: string; rows: number }>;
}

const ROWS_PER_INSERT = 500;

export async function copyDatabase(from: string, to: string, cwd: string): Promise<CopyResult> {
  const source = parseDatabaseUrl(from, cwd);
  const target = parseDatabaseUrl(to, cwd);
  if (source.provider !== 'sqlite' || target.provider !== 'postgresql') {
    throw new UsageError(
      'copy: copies from a SQLite file to PostgreSQL: --from file:./data/release-gate.db --to postgresql://user@host:5432/db',
    );
  }
  if (
    !(await stat(source.file!).then(
      (s) => s.isFile(),
      () => false,
    ))
  )
    throw new UsageError(`copy: no SQLite file at ${source.file}.`);

  // The target gets the App's schema (the migrations the App runs at start).
  try {
    const store = await openStore({ databaseUrl: to, cwd });
    await store.close();
  } catch (error) {
    if (error instanceof StoreError) throw new UsageError(`copy: ${error.message}`);
    throw error;
  }

  const sqlite = createClient({ url: `file:${source.file}`, intMode: 'bigint' });
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  const schema = target.schema!;
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  try {
    const sourceMigrations = (
      await sqlite.execute(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name',
      )
    ).rows.map((r) => String(r.migration_name));
    const targetMigrations = (
      await client.query(
        `SELECT migration_name FROM ${q(schema)}._prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name`,
      )
    ).rows.map((r: { migration_name: string }) => r.migration_name);
    if (sourceMigrations.join() !== targetMigrations.join()) {
      throw new UsageError(
        `db copy: ${source.display} has migrations ${sourceMigrations.join(', ') || 'none'} but this version has ${targetMigrations.join(', ')}. Start this version of the App once on the SQLite file (it migrates at start), stop it, then copy.`,
      );
    }
    const tables = (
      await client.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations' ORDER BY table_name`,
        [schema],
      )
    ).rows.map((r: { table_name: string }) => r.table_name);
    const order = await dependencyOrder(client, schema, tables);

    for (const table of order) {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${q(schema)}.${q(table)}`);
      if ((rows[0] as { n: number }).n > 0)
        throw new UsageError(
          `copy: the target is not empty (${schema}.${table} has rows); copy into a new, empty database or schema.`,
        );
    }

    const copied: CopyResult['tables'] = [];
    await client.query('BEGIN');
    try {
      for (const table of order) {
        const columns = (
          await client.query(
            `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
            [schema, table],
          )
        ).rows as Array<{ column_name: string; data_type: string }>;
        const result = await sqlite.execute(
          `SELECT ${columns.map((c) => q(c.column_name)).join(', ')} FROM ${q(table)}`,
        );
        for (let start = 0; start < result.rows.length; start += ROWS_PER_INSERT) {
          const batch = result.rows.slice(start, start + ROWS_PER_INSERT);
          const params: unknown[] = [];
          const tuples = batch.map(
            (row) =>
              `(${columns
                .map((c) => {
                  params.push(convert(row[c.column_name], c.data_type));
                  return `$${params.length}`;
                })
                .join(', ')})`,
          );
          await client.query(
            `INSERT INTO ${q(schema)}.${q(table)} (${columns.map((c) => q(c.column_name)).join(', ')}) VALUES ${tuples.join(', ')}`,
            params,
          );
        }
        // Ids made by a sequence go on after the copied ones.
        const serial = columns.find(
          (c) => c.column_name === 'id' && (c.data_type === 'integer' || c.data_type === 'bigint'),
        );
        if (serial) {
          await client.query(
            `SELECT setval(seq, COALESCE((SELECT max(id) FROM ${q(schema)}.${q(table)}), 1), (SELECT max(id) IS NOT NULL FROM ${q(schema)}.${q(table)})) FROM pg_get_serial_sequence($1, 'id') AS seq WHERE seq IS NOT NULL`,
            [`${q(schema)}.${q(table)}`],
          );
        }
        const counted = (await client.query(`SELECT count(*)::int AS n FROM ${q(schema)}.${q(table)}`)).rows[0] as {
          n: number;
        };
        if (counted.n !== result.rows.length)
          throw new Error(`${table}: ${result.rows.length} rows read but ${counted.n} in the target`);
        copied.push({ table, rows: counted.n });
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    return { tables: copied };
  } finally {
    sqlite.close();
    await client.end();
  }
}

/** Tables ordered so that a table comes after every table its foreign keys point at. */
async function dependencyOrder(client: pg.Client, schema: string, tables: string[]): Promise<string[]> {
  const { rows } = await client.query(
    `SELECT child.relname AS child, parent.relname AS parent FROM pg_constraint c
       JOIN pg_class child ON child.oid = c.conrelid JOIN pg_class parent ON parent.oid = c.confrelid
       JOIN pg_namespace n ON n.oid = child.relnamespace
     WHERE c.contype = 'f' AND n.nspname = $1`,
    [schema],
  );
  const needs = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const r of rows as Array<{ child: string; parent: string }>)
    if (r.child !== r.parent) needs.get(r.child)?.add(r.parent);
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < tables.length) {
    const next = tables.find((t) => !placed.has(t) && [...needs.get(t)!].every((p) => placed.has(p)));
    if (next === undefined)
      throw new Error(`the foreign keys of ${tables.filter((t) => !placed.has(t)).join(', ')} form a cycle`);
    order.push(next);
    placed.add(next);
  }
  return order;
}

/** A SQLite value as the PostgreSQL column type expects it. */
function convert(value: unknown, pgType: string): unknown {
  if (value === null || value === undefined) return null;
  if (pgType.startsWith('timestamp')) {
    const date =
      typeof value === 'bigint' || typeof value === 'number' ? new Date(Number(value)) : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new Error(`"${String(value)}" is not a date and time`);
    return date.toISOString();
  }
  if (pgType === 'boolean') return value === true || value === 1 || value === 1n || value === '1' || value === 'true';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return value;
}
