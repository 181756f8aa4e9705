import { EXIT, UsageError, parseFlags, writeLine, type CliIo } from './io.js';
import { FORMAT_FLAGS, formatHelp, outputFormat } from './output-format.js';

const DB_HELP = `Usage: release-gate db copy --from file:PATH --to postgresql://URL [--format text|json]

Copies the App's whole record (every table, in foreign-key order) from its SQLite file to
an empty PostgreSQL database or schema, which it first migrates to the App's schema. It
refuses a target that has rows, compares every table's row count before committing, and
writes nothing when anything fails. Stop the App first so the file does not change.

Options:
  --from URL   the SQLite file, e.g. file:./data/release-gate.db
  --to URL     the PostgreSQL database, e.g. postgresql://release_gate@db:5432/release_gate (?schema=NAME for a schema)
${formatHelp(['text', 'json'], { json: '{ rows, tables: [{ table, rows }] }' })}

Example:
  release-gate db copy --from file:./data/release-gate.db --to postgresql://release_gate@db.internal:5432/release_gate`;

async function runDb(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseFlags('db', rest, { from: { type: 'string' }, to: { type: 'string' }, ...FORMAT_FLAGS });
  const format = outputFormat('db', values, ['text', 'json']);
  if (sub !== 'copy')
    throw new UsageError(
      `db: ${sub === undefined ? 'a subcommand is needed' : `unknown subcommand "${sub}"`}: use "release-gate db copy --from file:... --to postgresql://...".`,
    );
  if (!values.from || !values.to)
    throw new UsageError('copy: --from file:PATH and --to postgresql://URL are both required.');
  const { copyDatabase } = await import('./db-copy.js');
  const result = await copyDatabase(values.from, values.to, io.cwd);
  const total = result.tables.reduce((n, t) => n + t.rows, 0);
  if (format === 'json') {
    writeLine(io.stdout, JSON.stringify({ rows: total, tables: result.tables }, null, 2));
    return EXIT.ok;
  }
  for (const t of result.tables) writeLine(io.stdout, `  ${t.table.padEnd(18)} ${t.rows}`);
  writeLine(
    io.stdout,
    `Copied ${total} rows in ${result.tables.length} tables; every table's row count matches. Point DATABASE_URL at the new database and start the App.`,
  );
  return EXIT.ok;
}

export const DB_COMMAND = { help: DB_HELP, run: runDb };
