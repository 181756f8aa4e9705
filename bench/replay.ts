/**
 * Replay and simulation throughput over a large record: 100,000 stored evaluations (10,000
 * with --quick) in a SQLite file, made by the real engine from varied facts (test/support/
 * record-seed.ts). Measures, in the same run, the bare `evaluate()` rate on the same
 * policy and facts held in memory (the baseline), `release-gate replay` over the whole
 * record (read, parse, evaluate, compare) and `release-gate simulate` under a stricter
 * policy. Target: 100,000 decisions simulated in under 30 s.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaLibSql } from '@prisma/adapter-libsql';
import { replayRecord } from '../src/cli/replay.js';
import { simulateRecord } from '../src/cli/simulate.js';
import { evaluate } from '../src/core/evaluate.js';
import { ENGINE_VERSION } from '../src/core/engine-version.js';
import { loadPolicy } from '../src/core/policy-load.js';
import type { ReleaseFacts } from '../src/core/types.js';
import { PrismaClient } from '../src/store/generated/sqlite/client.js';
import { openStore } from '../src/store/open-store.js';
import { SEED_LIMITS, seedEvaluation, seedFacts, seedParams, seedPolicy } from '../test/support/record-seed.js';

const TMP = fileURLToPath(new URL('./.tmp/', import.meta.url));
export const SIMULATE_TARGET_SECONDS = 30;
const STRICTER = seedPolicy({ preProdApprovals: 1, prodApprovals: 2, prodScore: 80 });

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Writes `count` seeded evaluations to a fresh SQLite record; returns its URL. */
async function seedRecord(count: number, log: (line: string) => void): Promise<string> {
  mkdirSync(TMP, { recursive: true });
  const file = join(TMP, `replay-${process.pid}.db`);
  rmSync(file, { force: true });
  const url = `file:${file}`;
  await (await openStore({ databaseUrl: url })).close();
  const db = new PrismaClient({ adapter: new PrismaLibSql({ url }) });
  const text = seedPolicy(SEED_LIMITS);
  const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
  const started = performance.now();
  try {
    await db.policyBlob.create({ data: { sha256, text, createdAt: new Date() } });
    for (let from = 0; from < count; from += 1000) {
      const data = [];
      for (let i = from; i < Math.min(count, from + 1000); i++) {
        const e = seedEvaluation(i, text);
        data.push({
          repo: e.repo,
          sha: e.sha,
          environment: e.environment,
          stage: e.stage ?? null,
          decision: e.decision,
          rules: JSON.stringify(e.rules),
          inputs: JSON.stringify(e.inputs),
          score: e.score ?? null,
          policyPath: '.github/release-policy.yml',
          at: e.at,
          policyFiles: JSON.stringify([
            {
              role: 'repository',
              sha256,
              source: '.github/release-policy.yml',
              repository: e.repo,
              path: '.github/release-policy.yml',
              ref: 'main',
              blobSha: null,
              commitSha: null,
            },
          ]),
          engineVersion: ENGINE_VERSION,
        });
      }
      await db.evaluation.createMany({ data });
    }
  } finally {
    await db.$disconnect();
  }
  log(
    `  record: ${fmt(count)} evaluations written in ${((performance.now() - started) / 1000).toFixed(1)} s (SQLite file, one policy blob)`,
  );
  return url;
}

export async function runReplayBench({
  log,
  quick = false,
  count,
}: {
  log: (line: string) => void;
  quick?: boolean;
  count?: number;
}): Promise<void> {
  const n = count ?? (quick ? 10_000 : 100_000);
  log(`Replay and simulate over ${fmt(n)} stored evaluations, one core, Node ${process.version}`);
  const url = await seedRecord(n, log);
  try {
    // Baseline: the bare engine on the same policy and facts, already in memory.
    const loaded = loadPolicy(seedPolicy(SEED_LIMITS), '.github/release-policy.yml');
    if (!loaded.ok) throw new Error('the seed policy does not load');
    const inputs: Array<{ facts: ReleaseFacts; at: Date }> = [];
    for (let i = 0; i < n; i++) {
      const p = seedParams(i);
      inputs.push({ facts: seedFacts(p), at: p.at });
    }
    let sink = 0;
    for (const x of inputs.slice(0, 2000)) sink += evaluate(loaded.policy, x.facts, x.at).rules.length; // warm up
    let t = performance.now();
    for (const x of inputs) sink += evaluate(loaded.policy, x.facts, x.at).rules.length;
    const bareSeconds = (performance.now() - t) / 1000;
    const bareRate = n / bareSeconds;
    log(
      `  baseline: bare evaluate(), facts in memory  ${fmt(bareRate).padStart(10)} decisions/s   (${bareSeconds.toFixed(2)} s for ${fmt(n)})`,
    );

    const store = await openStore({ databaseUrl: url });
    try {
      t = performance.now();
      const replayed = await replayRecord(store, { since: new Date(0) });
      const replaySeconds = (performance.now() - t) / 1000;
      if (replayed.replayed !== n || replayed.identical !== n)
        throw new Error(
          `replay: ${replayed.identical} of ${n} identical, ${replayed.different.length} different, ${replayed.notReplayable.length} not replayable`,
        );
      log(
        `  replay (read, parse, evaluate, compare)    ${fmt(n / replaySeconds).padStart(10)} decisions/s   (${replaySeconds.toFixed(2)} s; ${(bareRate / (n / replaySeconds)).toFixed(1)}x the bare engine's cost; all ${fmt(n)} identical)`,
      );

      t = performance.now();
      const report = await simulateRecord(
        store,
        { since: new Date(0) },
        { repository: { text: STRICTER, source: 'stricter.yml' }, org: null },
      );
      const simulateSeconds = (performance.now() - t) / 1000;
      if (report.simulated !== n) throw new Error(`simulate: ${report.simulated} of ${n} simulated`);
      log(
        `  simulate, stricter policy                  ${fmt(n / simulateSeconds).padStart(10)} decisions/s   (${simulateSeconds.toFixed(2)} s; ${(bareRate / (n / simulateSeconds)).toFixed(1)}x the bare engine's cost; ${fmt(report.changed.length)} would change)`,
      );
      const projected = (simulateSeconds * 100_000) / n;
      const met = projected < SIMULATE_TARGET_SECONDS;
      log(
        `  target: 100,000 decisions simulated in under ${SIMULATE_TARGET_SECONDS} s: ${n === 100_000 ? `${simulateSeconds.toFixed(1)} s` : `${projected.toFixed(1)} s projected from ${fmt(n)}`}, ${met ? 'met' : 'NOT met'}`,
      );
    } finally {
      await store.close();
    }
    if (sink === -1) log('');
  } finally {
    rmSync(url.slice('file:'.length), { force: true });
  }
}
