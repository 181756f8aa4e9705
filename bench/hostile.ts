/**
 * Hostile inputs, each in its own process: what happens, how long it takes and the peak
 * RSS, against the targets (SECURITY.md T12). The SARIF case compares with a plain read of
 * the same file (the floor) and with reading it whole and JSON.parse (as before streaming)
 * at a tenth of the size, measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TMP = join(HERE, '.tmp');

interface Result {
  ok: boolean;
  ms: number;
  maxRssBytes: number;
  outcome: string;
}

/**
 * A SARIF log of one run with `count` results, each `body` (`{}` is the hostile one: 3 bytes
 * a result); or, `where` = `properties`, the same objects in a part of the run that is kept.
 */
async function generateSarif(
  file: string,
  count: number,
  body: string,
  where: 'results' | 'properties' = 'results',
): Promise<void> {
  const out = createWriteStream(file);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(
    `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"bench"}},${where === 'results' ? '"results"' : '"results":[],"properties"'}:[`,
  );
  const batch = 100_000;
  const piece = `${body},`.repeat(batch);
  let i = 0;
  for (; i + batch < count; i += batch) await write(piece);
  for (; i < count - 1; i++) await write(`${body},`);
  await write(`${body}]}]}`);
  out.end();
  await once(out, 'finish');
}

/** An Istanbul coverage-summary.json of `count` files (about 120 bytes each). */
async function generateIstanbul(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  const c = '{"total":10,"covered":5,"skipped":0,"pct":50}';
  await write(`{"total":{"lines":${c},"branches":${c}}`);
  for (let i = 0; i < count; i += 10_000) {
    let s = '';
    for (let j = i; j < Math.min(count, i + 10_000); j++) s += `,\n"/src/f${j}.ts":{"lines":${c}}`;
    await write(s);
  }
  await write('}\n');
  out.end();
  await once(out, 'finish');
}

/** Bundle the worker to plain JavaScript so that no TypeScript loader counts in its RSS. */
function buildWorker(): string {
  const out = join(TMP, 'hostile-worker.mjs');
  const esbuild = join(HERE, '../node_modules/.bin/esbuild');
  const r = spawnSync(
    esbuild,
    [
      join(HERE, 'hostile-worker.ts'),
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--packages=external',
      `--outfile=${out}`,
      '--log-level=error',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`cannot build the benchmark worker: ${r.stderr}`);
  return out;
}

function runWorker(worker: string, name: string, file?: string, flags: string[] = []): Result {
  const r = spawnSync(process.execPath, [...flags, worker, name, ...(file ? [file] : [])], {
    encoding: 'utf8',
    maxBuffer: 1 << 22,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Result;
  } catch {
    const why = (
      r.stderr
        .trim()
        .split('\n')
        .find((l) => /Error|heap|memory/i.test(l)) ?? `exit ${r.status ?? r.signal}`
    ).slice(0, 160);
    return { ok: false, ms: 0, maxRssBytes: 0, outcome: `crashed: ${why}` };
  }
}

const mb = (b: number): string => `${(b / 1e6).toFixed(0)} MB`;
const time = (ms: number): string =>
  ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;

export async function runHostileBench(opts: { log: (line: string) => void; quick?: boolean }): Promise<void> {
  const { log } = opts;
  mkdirSync(TMP, { recursive: true });
  const worker = buildWorker();
  // 83 million empty results is 249 MB, under the 256 MiB cap; --quick uses a tenth.
  const scale = opts.quick ? 10 : 1;
  const empty = join(TMP, `sarif-empty-${scale}.sarif`);
  const emptyCount = Math.round(83_000_000 / scale);
  if (!existsSync(empty) || statSync(empty).size < emptyCount * 3) await generateSarif(empty, emptyCount, '{}');
  const valid = join(TMP, `sarif-valid-${scale}.sarif`);
  const validCount = Math.round(10_000_000 / scale);
  if (!existsSync(valid) || statSync(valid).size < validCount * 24)
    await generateSarif(valid, validCount, '{"message":{"text":""}}');
  const kept = join(TMP, `sarif-kept-${scale}.sarif`);
  if (!existsSync(kept) || statSync(kept).size < emptyCount * 3)
    await generateSarif(kept, emptyCount, '{}', 'properties');
  const istanbul = join(TMP, `istanbul-${scale}.json`);
  const istanbulCount = Math.round(3_400_000 / scale);
  if (!existsSync(istanbul) || statSync(istanbul).size < istanbulCount * 60)
    await generateIstanbul(istanbul, istanbulCount);
  const tenth = join(TMP, 'sarif-empty-tenth.sarif');
  if (!existsSync(tenth) || statSync(tenth).size < 8_300_000 * 3) await generateSarif(tenth, 8_300_000, '{}');

  const rows: Array<{ input: string; r: Result; target: string; met: boolean | null }> = [];
  const add = (input: string, r: Result, target: string, met: boolean | null): void => {
    rows.push({ input, r, target, met });
  };

  const policy = runWorker(worker, 'policy-100k-keys');
  add('1 MB policy, 100,000 unknown keys', policy, 'validated under 2 s', policy.ok && policy.ms < 2000);
  const glob = runWorker(worker, 'glob-12-star');
  add('12-star glob, 40-character ref', glob, 'under 10 ms', glob.ok && glob.ms < 10);
  const deploy = runWorker(worker, 'deploy-duration');
  add(
    '`deployDuration: 2500000000h`, daily window',
    deploy,
    'refused at load; engine bounded',
    deploy.ok && deploy.maxRssBytes < 300e6,
  );
  for (const [file, label] of [
    [empty, `SARIF, ${emptyCount.toLocaleString('en')} empty results (${mb(statSync(empty).size)})`],
    [valid, `SARIF, ${validCount.toLocaleString('en')} valid results (${mb(statSync(valid).size)})`],
    [kept, `SARIF, ${emptyCount.toLocaleString('en')} empty objects in run.properties (${mb(statSync(kept).size)})`],
  ] as const) {
    const r = runWorker(worker, 'sarif', file);
    add(label, r, 'peak RSS under 300 MB', r.ok && r.maxRssBytes < 300e6);
  }
  const cov = runWorker(worker, 'istanbul', istanbul);
  add(
    `Istanbul coverage-summary.json, ${istanbulCount.toLocaleString('en')} files (${mb(statSync(istanbul).size)})`,
    cov,
    'peak RSS under 300 MB',
    cov.ok && cov.maxRssBytes < 300e6,
  );
  const read = runWorker(worker, 'read', valid);
  add(`baseline: plain read of the same file (${mb(statSync(valid).size)})`, read, 'the floor', null);
  const whole = runWorker(worker, 'json-parse', tenth, ['--max-old-space-size=16384']);
  add(
    `baseline: read whole + JSON.parse, 8,300,000 empty results (${mb(statSync(tenth).size)}, a tenth)`,
    whole,
    'as before streaming',
    null,
  );
  for (const [name, input, target] of [
    ['lcov-lh-gt-lf', 'lcov with `LH:1e26` (in digits) and `LF:1`', 'invalid evidence'],
    ['sarif-runs-empty', 'SARIF with `runs: []`', '0 security points'],
    ['sarif-results-null', 'SARIF with `results: null`', '0 security points'],
    ['sarif-duplicate-runs', 'SARIF with two `"runs"` keys', 'invalid evidence'],
    ['junit-failures-100', 'JUnit `failures="100"` around 1 passing case', 'not full marks'],
    ['comment-1MB-mentions', '1 MB comment of mentions and links', 'no live mention'],
  ] as const) {
    const r = runWorker(worker, name);
    const met =
      r.ok &&
      (target === 'invalid evidence'
        ? r.outcome.startsWith('refused')
        : target === '0 security points'
          ? r.outcome.startsWith('security 0 of')
          : target === 'not full marks'
            ? !/^tests 40 of/.test(r.outcome)
            : / 0 live mentions$/.test(r.outcome));
    add(input, r, target, met);
  }

  log('## Hostile inputs');
  log('');
  log('| input | what happens | time | peak RSS | target | met |');
  log('|---|---|---|---|---|---|');
  for (const { input, r, target, met } of rows) {
    const outcome = r.outcome.replace(/\|/g, '\\|').slice(0, 180);
    log(
      `| ${input} | ${r.ok ? outcome : `failed: ${outcome}`} | ${time(r.ms)} | ${mb(r.maxRssBytes)} | ${target} | ${met === null ? '' : met ? 'met' : 'NOT met'} |`,
    );
  }
  log('');
  const sarif = rows.filter((x) => x.input.startsWith('SARIF,'));
  const floor = read.maxRssBytes;
  for (const s of sarif)
    log(
      `- ${s.input}: peak RSS ${mb(s.r.maxRssBytes)}, ${(s.r.maxRssBytes / floor).toFixed(1)}x a plain read of the file (${mb(floor)}); target under 300 MB: ${s.met ? 'met' : 'NOT met'}`,
    );
  if (whole.ok)
    log(
      `- Reading whole and JSON.parse took ${mb(whole.maxRssBytes)} for a tenth of the hostile file: ${(whole.maxRssBytes / sarif[0]!.r.maxRssBytes).toFixed(1)}x the streaming reader on the whole file.`,
    );
  else log(`- Reading whole and JSON.parse a tenth of the hostile file: ${whole.outcome}`);
  const missed = rows.filter((x) => x.met === false).length;
  log(`- ${rows.filter((x) => x.met === true).length} targets met, ${missed} not met.`);
}
