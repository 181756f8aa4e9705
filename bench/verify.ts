/**
 * Verifications at once on one replica: 200 verifications of deployments started together,
 * each measuring an HTTP health source every interval for the whole window, through the
 * verifier the App runs (its leased queue on the record, a SQLite file as `npm start` uses by
 * default). Reports how far the time between two rounds of one verification strays from the
 * interval (median, p99, worst), against one verification alone measured in the same run.
 * Target: every interval held within 10%.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Logger } from 'probot';
import type { EnvironmentPolicy } from '../src/core/types.js';
import type { GitHubClient } from '../src/github/types.js';
import { openStore } from '../src/store/open-store.js';
import { defineSource } from '../src/verify/sources.js';
import { Verifier } from '../src/verify/verifier.js';
import { figure } from './figures.js';

const TARGET = 0.1;

export interface VerifyBenchOptions {
  log: (line: string) => void;
  quick?: boolean;
  /** Verifications at once (default 200). */
  count?: number;
}

/** A GitHub that answers every write at once: the figure is the verifier's, not GitHub's. */
function quickGitHub(): GitHubClient {
  let id = 1;
  return { request: async () => ({ status: 201, data: { id: id++, number: id } }) } as unknown as GitHubClient;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Runs `count` verifications at once; returns every relative deviation of a gap between rounds from the interval. */
async function run(count: number, intervalMs: number, rounds: number): Promise<number[]> {
  const health = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((done) => health.listen(0, '127.0.0.1', done));
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-verify-bench-'));
  const store = await openStore({ databaseUrl: `file:${join(dir, 'gate.db')}` });
  const octokit = quickGitHub();
  const url = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
  const verifier = new Verifier(
    {
      store,
      clock: () => new Date(),
      log: pino({ level: 'error' }) as unknown as Logger,
      replicaId: 'bench',
      sources: new Map([['health', defineSource('health', 'bench', { type: 'http', url })]]),
      octokitFor: async () => octokit,
    },
    1_000,
  );
  const stage = {
    name: 'PROD',
    github: ['production'],
    verify: {
      duration: `${((rounds - 1) * intervalMs) / 1000}s`,
      interval: `${intervalMs / 1000}s`,
      checks: [
        { name: 'health', source: 'health', path: '/health', expectStatus: 200, jsonPath: '$.status', equals: 'ok' },
      ],
    },
  } as unknown as EnvironmentPolicy;
  try {
    verifier.start();
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        verifier.begin(octokit, {
          owner: 'acme',
          repo: `shop-${i % 20}`,
          installationId: 1,
          deploymentId: 10_000 + i,
          sha: i.toString(16).padStart(40, '0'),
          ref: 'main',
          environment: 'production',
          stage,
        }),
      ),
    );
    const deadline = Date.now() + rounds * intervalMs + 60_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const left = (await store.verifications.queue.listDue(new Date(Date.now() + 3_600_000))).length;
      if (left === 0 || Date.now() > deadline) break;
    }
    await verifier.stop();
    await verifier.idle();
    const deviations: number[] = [];
    for (let i = 0; i < count; i++) {
      const row = await store.verifications.byDeployment(10_000 + i);
      const times = ((row?.rounds ?? []) as Array<{ at: string }>).map((r) => Date.parse(r.at));
      if (times.length !== rounds) throw new Error(`verification ${i} took ${times.length} of ${rounds} rounds`);
      for (let k = 1; k < times.length; k++)
        deviations.push(Math.abs(times[k]! - times[k - 1]! - intervalMs) / intervalMs);
    }
    return deviations.sort((a, b) => a - b);
  } finally {
    await verifier.stop();
    await store.close();
    await new Promise<void>((done) => health.close(() => done()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark and prints its figures; returns whether the target was met. */
export async function runVerifyBench(options: VerifyBenchOptions): Promise<boolean> {
  const { log } = options;
  const count = options.count ?? (options.quick ? 50 : 200);
  // Ten seconds, the order of a real interval (a minute in the example): 10% is 1 s.
  const intervalMs = 10_000;
  const rounds = options.quick ? 3 : 5;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const alone = await run(1, intervalMs, rounds);
  const many = await run(count, intervalMs, rounds);
  const worst = many.at(-1)!;
  log(
    `verify: ${count} verifications at once, a round every ${intervalMs / 1000}s, ${rounds} rounds each (SQLite record)`,
  );
  log(
    `  deviation of the time between rounds from the interval: median ${pct(quantile(many, 0.5))}, p99 ${pct(quantile(many, 0.99))}, worst ${pct(worst)}`,
  );
  log(`  baseline, one verification alone: median ${pct(quantile(alone, 0.5))}, worst ${pct(alone.at(-1)!)}`);
  log(`  target: every interval within ${pct(TARGET)}: ${worst <= TARGET ? 'met' : 'NOT met'}`);
  figure({ section: 'verify', measure: 'worst interval deviation', value: worst * 100, unit: '%', better: 'lower' });
  return worst <= TARGET;
}
