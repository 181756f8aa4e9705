/**
 * Decisions per second (`npm run bench -- --only=decisions`; against another commit in the same
 * run: `npm run bench -- --compare <ref> --only=decisions`). The real App (Probot over HTTP on
 * 127.0.0.1, the inbox, the record) answers signed `deployment_protection_rule` webhooks while a
 * local server plays GitHub; a decision is done when its callback reaches GitHub. Every release
 * is ready for PROD, so every callback must approve: a run with any other answer fails (the
 * benchmark once measured rejections without noticing, bench/README.md, "Seventh round").
 * Concurrency 8:
 *
 * 1. throttling and retries off, SQLite file (the App's own cost per decision); again with the
 *    played GitHub keeping connections open as GitHub's API does (its own 1 s keep-alive makes
 *    every request of the App open a new connection: see `KEEP_ALIVE_MS` in bench/app.ts); and
 *    again with the played GitHub and the sender in a child process, so the main thread CPU per
 *    decision is the App's alone (bench/decisions-apart.ts); and that again on releases and
 *    answers of GitHub's sizes (bench/decisions-github.ts);
 * 2. throttling and retries on, as `npm start` runs (one installation), SQLite file;
 * 3. throttling and retries off, PostgreSQL (`RELEASE_GATE_BENCH_PG_URL`, default
 *    postgresql://postgres@127.0.0.1:5432/test; a schema of its own, dropped afterwards); again
 *    with the played GitHub and the sender in a child process (the App alone).
 *
 * Baselines measured in the same run: Probot with a no-op handler on the same webhooks (and,
 * with `--compare`, the same section at the other commit).
 */
import pg from 'pg';
import { KEEP_ALIVE_MS, WARM_UP, throughput } from './app.js';
import type { DecisionRun } from './app.js';
import { throughputApart } from './decisions-apart.js';
import { figure } from './figures.js';

const PG_URL = process.env.RELEASE_GATE_BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
/** The targets: 3x the decisions per second of the App before batching (about 40/s here), p99 under 100 ms. */
export const TARGET_P99_MS = 100;

const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

/** `run` on a PostgreSQL schema of its own, dropped afterwards; null when nothing answers at `PG_URL`. */
async function onFreshSchema<T>(run: (url: string) => Promise<T>): Promise<T | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch {
    return null;
  }
  await client.end();
  const schema = `rg_bench_${process.pid}_${Date.now().toString(36)}`;
  try {
    return await run(`${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`);
  } finally {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  }
}

export async function runDecisionsBench(options: { log: (line: string) => void; quick?: boolean }): Promise<boolean> {
  const { log, quick } = options;
  const concurrency = 8;
  // Measured decisions (100 or 400) after the warm-up ones.
  const n = (quick ? 100 : 400) + WARM_UP;
  const rows: string[] = [];
  let ok = true;
  const report = (label: string, key: string, r: DecisionRun, p99Target: boolean) => {
    figure({
      section: 'decisions',
      measure: `${key}: decisions per second`,
      value: r.rate,
      unit: '/s',
      better: 'higher',
    });
    figure({
      section: 'decisions',
      measure: `${key}: decisions approved`,
      value: (100 * r.approved) / r.measured,
      unit: '%',
      better: 'higher',
    });
    figure({ section: 'decisions', measure: `${key}: p99`, value: r.p99, unit: 'ms', better: 'lower' });
    figure({
      section: 'decisions',
      measure: `${key}: main thread CPU per decision`,
      value: r.cpuMs,
      unit: 'ms',
      better: 'lower',
    });
    if (r.heapMb !== undefined)
      figure({
        section: 'decisions',
        measure: `${key}: the App's heap after the run`,
        value: r.heapMb,
        unit: 'MB',
        better: 'lower',
      });
    if (r.otherCpuMs !== undefined)
      figure({
        section: 'decisions',
        measure: `${key}: the played GitHub's and the sender's CPU per decision`,
        value: r.otherCpuMs,
        unit: 'ms',
        better: 'lower',
      });
    // Every release is ready for PROD: a decision that is not an approval took another path than the one measured.
    const all = r.approved === r.measured;
    if (!all || (p99Target && r.p99 >= TARGET_P99_MS)) ok = false;
    rows.push(
      `| ${label} | ${r.measured} | ${r.rate.toFixed(1)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.cpuMs.toFixed(1)} ms | ${r.heapMb === undefined ? '' : `${r.heapMb.toFixed(0)} MB`} | ${p99Target ? `under ${TARGET_P99_MS} ms: ${met(r.p99 < TARGET_P99_MS)}` : ''} | ${all ? 'all approved' : `ONLY ${r.approved} approved (${r.answered} answered)`} |`,
    );
  };

  report('SQLite file, throttling off', 'sqlite', await throughput(n, concurrency), true);
  // Added figure, the one above unchanged: the played GitHub keeps connections open as GitHub's
  // API does, so the App's requests reuse them instead of opening one each (bench/app.ts, `rig`).
  report(
    `SQLite file, throttling off, GitHub keeps connections (${KEEP_ALIVE_MS / 1000} s)`,
    'sqlite keep-alive',
    await throughput(n, concurrency, { keepAlive: true }),
    true,
  );
  // Added figure: the played GitHub and the sender in a child process, the App alone on this thread.
  report(
    'SQLite file, throttling off, GitHub and sender in another process (the App alone)',
    'sqlite app alone',
    await throughputApart(n, concurrency),
    true,
  );
  // Added figure: the App alone on releases and answers of GitHub's sizes (30 reviews, 60
  // commits, every field GitHub's own answers carry: bench/decisions-github.ts).
  report(
    "SQLite file, throttling off, the App alone, GitHub's sizes (30 reviews, 60 commits, GitHub's fields)",
    'sqlite app alone github sizes',
    await throughputApart(n, concurrency, undefined, true),
    true,
  );
  report(
    'SQLite file, throttling and retries on (`npm start`)',
    'sqlite throttled',
    await throughput(quick ? 45 : 105, concurrency, { throttled: true, warmUp: 5 }),
    false,
  );
  const postgres = await onFreshSchema((url) => throughput(n, concurrency, { databaseUrl: url }));
  if (postgres) {
    report('PostgreSQL, throttling off', 'postgresql', postgres, true);
    // Added figure: the same with the played GitHub and the sender in another process.
    const apart = await onFreshSchema((url) => throughputApart(n, concurrency, url));
    if (apart)
      report(
        'PostgreSQL, throttling off, GitHub and sender in another process (the App alone)',
        'postgresql app alone',
        apart,
        true,
      );
  } else rows.push(`| PostgreSQL, throttling off | not measured: nothing answers at ${PG_URL} | | | | | | | |`);

  log(`## Decisions: deployment_protection_rule webhooks at concurrency ${concurrency}, GitHub played on 127.0.0.1`);
  log('');
  log(
    "| configuration | decisions | per second | p50 | p99 | main thread CPU per decision | the App's heap after the run (the App alone) | target | approved (every release is ready) |",
  );
  log('|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) log(row);
  log('');
  log(
    'Decisions per second against another commit: `npm run bench -- --compare <ref> --only=decisions` (target: at least 3x the commit before batching).',
  );
  return ok;
}
