/**
 * The console's pages as a release manager opens them, on the realistic record of the
 * Chromium tests (4 repositories, 217 releases, about 1,300 evaluations), then on the same
 * record grown to 20,000 evaluations (and as many events) in the same run: the median time
 * of each page from request to last byte over local HTTP (an upper bound of server time),
 * against the target of 100 ms.
 */
import { performance } from 'node:perf_hooks';
import { createClient } from '@libsql/client';
import { REPOS, startRealisticConsole } from '../test/console/realistic-record.js';
import type { RealisticRecord } from '../test/console/realistic-record.js';

const TARGET_MS = 100;

async function grow(r: RealisticRecord, evaluations: number): Promise<void> {
  const db = createClient({ url: r.h.databaseUrl });
  const have = Number((await db.execute('SELECT COUNT(*) AS n FROM "Evaluation"')).rows[0]!.n);
  const rules = JSON.stringify([
    {
      rule: 'approvals',
      code: 'APPROVAL_REQUIRED',
      ok: false,
      outcome: 'wait',
      message: 'Release requires 1 approval(s) for PROD. Current: 0.',
      values: {},
    },
  ]);
  const start = Date.parse('2026-06-01T00:00:00Z');
  const stages = [
    ['DEV', 'development'],
    ['PRE_PROD', 'staging'],
    ['PROD', 'production'],
  ] as const;
  for (let from = have; from < evaluations; from += 500) {
    const evals: string[] = [];
    const events: string[] = [];
    const a: Array<string | number> = [];
    const b: Array<string | number> = [];
    for (let i = from; i < Math.min(evaluations, from + 500); i++) {
      const repo = REPOS[i % REPOS.length]!;
      const [stage, env] = stages[i % 3]!;
      const sha = (i % 4000).toString(16).padStart(8, '0').padEnd(40, 'a');
      const at = new Date(start + i * 9 * 60_000).toISOString().replace('Z', '+00:00');
      evals.push('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      a.push(repo, sha, env, stage, 'wait', rules, '{}', 80, 'deploy-bot', at);
      events.push('(?, ?, ?, ?, ?, ?, ?, ?)');
      b.push(repo, sha, stage, 'WAITING', 'wait', 'deploy-bot', at, 'Release gate: waiting.');
    }
    await db.batch(
      [
        {
          sql: `INSERT INTO "Evaluation" (repo, sha, environment, stage, decision, rules, inputs, score, actor, at) VALUES ${evals.join(',')}`,
          args: a,
        },
        {
          sql: `INSERT INTO "ReleaseEvent" (repo, sha, environment, type, status, actor, at, notes) VALUES ${events.join(',')}`,
          args: b,
        },
      ],
      'write',
    );
  }
  db.close();
}

async function measure(
  r: RealisticRecord,
  cookie: string,
  paths: string[],
  runs: number,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const path of paths) {
    const once = async () => {
      const res = await r.h.call(path, { cookie });
      await res.arrayBuffer();
      if (res.status >= 400) throw new Error(`${path} answered ${res.status}`);
    };
    for (let i = 0; i < 3; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await once();
      times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    out.set(path, times[Math.floor(times.length / 2)]!);
  }
  return out;
}

/** Prints each page's median on the realistic record and at 20,000 evaluations, and whether it is under 100 ms. */
export async function runConsolePagesBench(options: {
  log: (line: string) => void;
  quick?: boolean;
}): Promise<boolean> {
  const { log } = options;
  const runs = options.quick ? 10 : 30;
  const t = performance.now();
  const r = await startRealisticConsole();
  try {
    const cookie = await r.h.signIn('maria');
    const paths = [
      '/',
      '/queue',
      '/repos/acme/shop',
      `/repos/acme/shop/releases/${r.live.waitingLong}`,
      `/repos/acme/web/releases/${r.live.rejected}`,
      '/audit?stage=PROD',
      '/audit?stage=PROD&type=DEPLOYED&since=7d',
      '/search?q=1.30.0',
      '/api/v1/board',
    ];
    const base = await measure(r, cookie, paths, runs);
    const n = 20_000;
    await grow(r, n);
    const big = await measure(r, cookie, paths, runs);
    log(
      `Console pages: median of ${runs} requests over local HTTP, realistic record (${r.evaluations.toLocaleString('en')} evaluations) vs ${n.toLocaleString('en')} evaluations and events (${((performance.now() - t) / 1000).toFixed(1)} s with seeding)`,
    );
    let met = true;
    for (const path of paths) {
      const a = base.get(path)!;
      const b = big.get(path)!;
      const ok = b <= TARGET_MS;
      met &&= ok;
      log(
        `  ${path.length > 60 ? `${path.slice(0, 57)}...` : path}: ${a.toFixed(1)} ms -> ${b.toFixed(1)} ms (target <= ${TARGET_MS} ms): ${ok ? 'met' : 'NOT met'}`,
      );
    }
    log(`  Console pages under ${TARGET_MS} ms at ${n.toLocaleString('en')} evaluations: ${met ? 'met' : 'NOT met'}`);
    return met;
  } finally {
    await r.h.close();
  }
}
