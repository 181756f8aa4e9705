/**
 * The console's list pages on a large record: the audit page (first page, filtered, deep in
 * the history through a cursor) and a repository's recent decisions, on 100,000 recorded
 * evaluations and 100,000 events, against the same queries on a small record (10,000 of
 * each: the smallest on which the most selective filter below still fills its page of 50)
 * measured in the same run. Flat means the large record's page costs about what the
 * small one's does: the queries read an index range, never the table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from '@libsql/client';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/types.js';

export interface ConsoleBenchOptions {
  log: (line: string) => void;
  quick?: boolean;
  /** Rows of the large record (default 100,000; 20,000 with quick). */
  large?: number;
}

const REPOS = ['acme/shop', 'acme/api', 'acme/web', 'acme/billing', 'acme/auth'];
const TYPES = ['CREATE', 'PROMOTE', 'DEPLOYED', 'APPROVED', 'REJECTED', 'BLOCKED', 'WAITING', 'OVERRIDE'];
const ENVS = ['DEV', 'PRE_PROD', 'PROD'];
const DECISIONS = ['allow', 'wait', 'block'];
/** The large record's page may cost this many times the small one's. */
const TARGET_RATIO = 3;
/** And no page may take longer than this on the large record (median). */
const TARGET_MS = 50;
const START = Date.parse('2025-01-01T00:00:00Z');

/** Fills a migrated SQLite file with `n` evaluations and `n` events (most of them in acme/shop), in batches. */
async function seed(url: string, n: number): Promise<void> {
  const db = createClient({ url });
  const rules = JSON.stringify([
    {
      code: 'APPROVAL_REQUIRED',
      rule: 'approvals',
      ok: false,
      outcome: 'wait',
      message: 'Release requires 1 approval(s) for PROD. Current: 0.',
      values: { required: 1, counted: 0 },
    },
  ]);
  const inputs = JSON.stringify({ facts: { evidence: { score: 80, breakdown: {} } }, pulls: [1], notes: [] });
  const batch = 1000;
  for (let from = 0; from < n; from += batch) {
    const evals: string[] = [];
    const events: string[] = [];
    const args: Array<string | number> = [];
    const eargs: Array<string | number> = [];
    for (let i = from; i < Math.min(n, from + batch); i++) {
      // 60% of the rows in one repository: the busy one a person looks at.
      const repo = i % 10 < 6 ? REPOS[0]! : REPOS[1 + (i % 4)]!;
      const at = new Date(START + i * 37_000).toISOString().replace('Z', '+00:00');
      const sha = (i % 5000).toString(16).padStart(40, '0');
      evals.push('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      args.push(repo, sha, ENVS[i % 3]!, ENVS[i % 3]!, DECISIONS[i % 3]!, rules, inputs, 80, `user${i % 50}`, at);
      events.push('(?, ?, ?, ?, ?, ?, ?, ?)');
      eargs.push(
        repo,
        sha,
        ENVS[i % 3]!,
        TYPES[i % TYPES.length]!,
        DECISIONS[i % 3]!,
        `user${i % 50}`,
        at,
        `note ${i}`,
      );
    }
    await db.batch(
      [
        {
          sql: `INSERT INTO "Evaluation" (repo, sha, environment, stage, decision, rules, inputs, score, actor, at) VALUES ${evals.join(',')}`,
          args,
        },
        {
          sql: `INSERT INTO "ReleaseEvent" (repo, sha, environment, type, status, actor, at, notes) VALUES ${events.join(',')}`,
          args: eargs,
        },
      ],
      'write',
    );
  }
  db.close();
}

async function median(fn: () => Promise<unknown>, runs: number): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

type Query = [name: string, run: (store: Store, n: number) => Promise<unknown>];

const QUERIES: Query[] = [
  ['audit, first page of one repository (50 events)', (s) => s.pageEvents({ repos: ['acme/shop'], limit: 50 })],
  ['audit, all five repositories merged (50 events)', (s) => s.pageEvents({ repos: REPOS, limit: 50 })],
  [
    'audit, filtered by actor and type (50 events)',
    (s) => s.pageEvents({ repos: ['acme/shop'], actor: 'user10', type: 'WAITING', limit: 50 }),
  ],
  [
    'audit, filtered by stage and decision (50 events)',
    (s) => s.pageEvents({ repos: ['acme/shop'], environment: 'PROD', status: 'block', limit: 50 }),
  ],
  // A cursor in the middle of the history: the page after it costs what the first does.
  [
    'audit, a page in the middle of the history',
    (s, n) =>
      s.pageEvents({
        repos: ['acme/shop'],
        after: { at: new Date(START + Math.floor(n / 2) * 37_000), id: Math.floor(n / 2) },
        limit: 50,
      }),
  ],
  ['repository, recent decisions (20)', (s) => s.pageEvaluationSummaries({ repo: 'acme/shop', limit: 20 })],
  [
    'repository, decisions of one stage (20)',
    (s) => s.pageEvaluationSummaries({ repo: 'acme/shop', environment: 'PROD', limit: 20 }),
  ],
];

async function measure(n: number, runs: number): Promise<Map<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-console-bench-'));
  const url = `file:${join(dir, 'gate.db')}`;
  try {
    await (await openStore({ databaseUrl: url })).close();
    await seed(url, n);
    const store = await openStore({ databaseUrl: url });
    const out = new Map<string, number>();
    try {
      // One pass first, so the first query measured does not pay for the process's warm-up.
      for (const [, run] of QUERIES) await run(store, n);
      for (const [name, run] of QUERIES) {
        const rows = (await run(store, n)) as { rows: unknown[] };
        if (rows.rows.length === 0) throw new Error(`${name}: no rows on a record of ${n}`);
        out.set(name, await median(() => run(store, n), runs));
      }
    } finally {
      await store.close();
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints each list query's median latency on a small and a large record, the ratio, and the targets met or not. */
export async function runConsoleBench(options: ConsoleBenchOptions): Promise<boolean> {
  const { log } = options;
  const small = options.quick ? 2000 : 10_000;
  const large = options.large ?? (options.quick ? 20_000 : 100_000);
  const runs = options.quick ? 20 : 60;
  log(
    `Console list pages: median of ${runs} runs, SQLite file, ${small.toLocaleString('en')} vs ${large.toLocaleString('en')} evaluations and events`,
  );
  const t = performance.now();
  const base = await measure(small, runs);
  const big = await measure(large, runs);
  log(`  (seeding and measuring took ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  let met = true;
  for (const [name] of QUERIES) {
    const a = base.get(name)!;
    const b = big.get(name)!;
    const ratio = b / a;
    const ok = ratio <= TARGET_RATIO && b <= TARGET_MS;
    met &&= ok;
    log(
      `  ${name}: ${a.toFixed(2)} ms -> ${b.toFixed(2)} ms, ratio ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x and <= ${TARGET_MS} ms): ${ok ? 'met' : 'NOT met'}`,
    );
  }
  log(`  Console list pages stay flat: ${met ? 'met' : 'NOT met'}`);
  const { runConsolePagesBench } = await import('./console-pages.js');
  const pages = await runConsolePagesBench({ log, ...(options.quick ? { quick: true } : {}) });
  return met && pages;
}
