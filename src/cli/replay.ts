import { stat } from 'node:fs/promises';
import { addToSummary, Replayer } from '../core/replay.js';
import type { ReplayOutcome, ReplaySummary } from '../core/replay.js';
import { parseDuration } from '../core/time-values.js';
import { forEachStoredEvaluation, storedEvaluation } from '../store/stored-evaluations.js';
import type { StoredEvaluationReader } from '../store/stored-evaluations.js';
import type { RecordSelection } from '../store/stored-evaluations.js';
import type { EvaluationRow, Store } from '../store/types.js';

export { storedEvaluation };
export type { RecordSelection };
import { StoreError } from '../store/types.js';
import { EXIT, UsageError, parseFlags, writeLine, type CliIo } from './io.js';
import { FORMAT_FLAGS, formatHelp, outputFormat } from './output-format.js';

/** A command of `release-gate`: its help and what it runs. */
export interface RecordCommand {
  help: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/** The options every command that reads the App's record takes. */
export const RECORD_FLAGS = {
  database: { type: 'string' },
  'database-url': { type: 'string' },
} as const;

export const DATABASE_HELP = `  --database URL       the App's database (default: DATABASE_URL, else file:./data/release-gate.db);
                       --database-url is the same option`;

/**
 * Opens the App's record for reading. It never creates an empty one: a SQLite file that
 * does not exist is an error that says where the App keeps it.
 */
export async function openRecord(
  command: string,
  values: { database?: string | undefined; 'database-url'?: string | undefined },
  io: CliIo,
): Promise<Store> {
  const { openStore } = await import('../store/open-store.js');
  const { DEFAULT_DATABASE_URL, parseDatabaseUrl } = await import('../store/database-url.js');
  const { StoreError } = await import('../store/types.js');
  const databaseUrl = values.database ?? values['database-url'] ?? io.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  try {
    const parsed = parseDatabaseUrl(databaseUrl, io.cwd);
    if (parsed.provider === 'sqlite') {
      const exists = await stat(parsed.file!).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!exists) {
        throw new UsageError(
          `release-gate ${command}: no record at ${parsed.file}. Run it where the App keeps ./data, or pass --database (or DATABASE_URL) of the App's database.`,
        );
      }
    }
    return await openStore({ databaseUrl, cwd: io.cwd });
  } catch (error) {
    if (error instanceof StoreError) throw new UsageError(`release-gate ${command}: ${error.message}`);
    throw error;
  }
}

/** The selection flags `--id`, `--repo` and `--since` of a command, checked. */
export function selectionFromFlags(
  command: string,
  values: { id?: string | undefined; repo?: string | undefined; since?: string | undefined },
  now: Date,
): RecordSelection {
  const selection: RecordSelection = {};
  if (values.id !== undefined) {
    if (!/^\d+$/.test(values.id) || Number(values.id) < 1)
      throw new UsageError(
        `release-gate ${command}: --id "${values.id}" must be an evaluation id, a whole number from 1.`,
      );
    selection.id = Number(values.id);
  }
  if (values.repo !== undefined) {
    if (!/^[\w.-]+\/[\w.-]+$/.test(values.repo))
      throw new UsageError(
        `release-gate ${command}: --repo "${values.repo}" must be OWNER/REPO, e.g. --repo acme/web.`,
      );
    selection.repo = values.repo;
  }
  if (values.since !== undefined) {
    const parsed = parseDuration(values.since);
    if (!parsed.ok)
      throw new UsageError(
        `release-gate ${command}: --since "${values.since}" is not a duration; use e.g. 7d, 12h or 90m.`,
      );
    selection.since = new Date(now.getTime() - parsed.ms);
  }
  if (selection.id === undefined && selection.repo === undefined && selection.since === undefined) {
    throw new UsageError(
      `release-gate ${command}: say which decisions: --id N, or --repo OWNER/REPO and/or --since DURATION (e.g. --repo acme/web --since 7d).`,
    );
  }
  return selection;
}

/** Replays the selected evaluations; `each` sees every outcome with its row. */
export async function replayRecord(
  store: StoredEvaluationReader,
  selection: RecordSelection,
  each?: (outcome: ReplayOutcome, row: EvaluationRow) => void,
): Promise<ReplaySummary> {
  const summary: ReplaySummary = { replayed: 0, identical: 0, different: [], notReplayable: [] };
  let texts = new Map<string, string>();
  const replayer = new Replayer((h) => texts.get(h));
  await forEachStoredEvaluation(store, selection, (rows, known) => {
    texts = known;
    for (const row of rows) {
      const outcome = replayer.replay(storedEvaluation(row));
      addToSummary(summary, outcome);
      each?.(outcome, row);
    }
  });
  return summary;
}

function describeRow(row: EvaluationRow): string {
  return `#${row.id} ${row.repo} ${row.sha.slice(0, 7)} ${row.environment} at ${row.at.toISOString()}`;
}

function outcomeLines(outcome: ReplayOutcome, row: EvaluationRow): string[] {
  if (outcome.kind === 'not replayable') return [`${describeRow(row)}: not replayable: ${outcome.reason}`];
  const head = `${describeRow(row)}: stored ${outcome.stored}, replayed ${outcome.replayed.decision}`;
  if (outcome.identical) return [`${head}: identical`];
  const engine = row.engineVersion ? ` (decided by engine ${row.engineVersion})` : '';
  return [
    `${head}: DIFFERENT${engine}`,
    ...outcome.rules.map((r) => `    ${r.code}: stored ${r.stored ?? 'absent'}, replayed ${r.replayed ?? 'absent'}`),
  ];
}

export const REPLAY_COMMAND: RecordCommand = {
  help: `Usage: release-gate replay (--id N | --repo OWNER/REPO [--since DURATION]) [--database URL] [--format text|json]

Decides recorded evaluations again from the record alone (the policy texts, the facts and
the instant the App stored), without GitHub, and compares each with the decision stored.
Prints the stored and the replayed decision of each one. Exit 0 when every replayed
decision is identical, 1 with the differences when any differs.

Options:
  --id N               one evaluation
  --repo OWNER/REPO    the evaluations of a repository
  --since DURATION     only those of the last DURATION, e.g. 7d, 12h
${DATABASE_HELP}
${formatHelp(['text', 'json'], { json: '{ replayed, identical, different: [{ id, stored, replayed, rules }], notReplayable: [{ id, reason }] }' })}

Example:
  release-gate replay --repo acme/web --since 7d --database postgresql://gate@db:5432/gate`,
  async run(argv, io) {
    const { values } = parseFlags('replay', argv, {
      ...RECORD_FLAGS,
      id: { type: 'string' },
      repo: { type: 'string' },
      since: { type: 'string' },
      ...FORMAT_FLAGS,
    });
    const format = outputFormat('replay', values, ['text', 'json']);
    const selection = selectionFromFlags('replay', values, io.now ? io.now() : new Date());
    const store = await openRecord('replay', values, io);
    let summary: ReplaySummary;
    try {
      summary = await replayRecord(
        store,
        selection,
        format === 'json'
          ? undefined
          : (outcome, row) => {
              for (const line of outcomeLines(outcome, row)) writeLine(io.stdout, line);
            },
      );
    } catch (error) {
      if (error instanceof StoreError) throw new UsageError(`release-gate replay: ${error.message}`);
      throw error;
    } finally {
      await store.close();
    }
    if (format === 'json') {
      writeLine(io.stdout, JSON.stringify(summary, null, 2));
    } else {
      const total = summary.replayed + summary.notReplayable.length;
      writeLine(
        io.stdout,
        `Replayed ${summary.replayed} of ${total} evaluation(s): ${summary.identical} identical, ${summary.different.length} different, ${summary.notReplayable.length} not replayable.`,
      );
    }
    // 1, as for a usage error: scripts and CI stop on any difference.
    return summary.different.length > 0 ? 1 : EXIT.ok;
  },
};
