/**
 * JUnit parsers, same files, same run: our streaming parser, xml-js with the JSON round
 * trip (mikepenz/action-junit-report), xml2js (dorny/test-reporter), bare saxes (a streaming
 * floor) and a plain read of the file. Reports MB/s and peak RSS of each, one process each.
 */
import { figure } from './figures.js';
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TMP = join(HERE, '.tmp');
const PARSERS = ['read', 'ours', 'ours-stream', 'saxes', 'xml-js', 'xml2js'] as const;
type Parser = (typeof PARSERS)[number];

interface Result {
  ok: boolean;
  ms: number;
  maxRssBytes: number;
  tests?: number;
  error?: string;
}

export function parseSize(size: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB)$/i.exec(size.trim());
  if (!m) throw new Error(`size "${size}": expected e.g. 20MB, 100MB, 1GB`);
  const unit = { KB: 1e3, MB: 1e6, GB: 1e9 }[m[2]!.toUpperCase() as 'KB' | 'MB' | 'GB'];
  return Math.round(Number(m[1]) * unit);
}

function stackTrace(i: number): string {
  const frames: string[] = [];
  for (let f = 0; f < 20; f++)
    frames.push(`\tat com.example.module${i % 7}.Service${f}.call(Service${f}.java:${100 + f})`);
  return `java.lang.AssertionError: expected <${i}> but was <${i + 1}>\n${frames.join('\n')}`;
}

/** Write a JUnit report of about `bytes`: suites of 100 cases, 10% failing with a CDATA stack trace. */
export async function generateJunit(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">\n');
  let written = 60;
  let suite = 0;
  let n = 0;
  while (written < bytes) {
    let s = `  <testsuite name="com.example.Suite${suite}" tests="100" time="12.5" timestamp="2026-01-01T00:00:00">\n`;
    for (let c = 0; c < 100; c++, n++) {
      const head = `    <testcase classname="com.example.Suite${suite}" name="test_case_${n}_does_something" time="0.${(n % 997).toString().padStart(3, '0')}" file="src/test/java/com/example/Suite${suite}.java" line="${10 + c}"`;
      if (n % 10 === 0)
        s += `${head}>\n      <failure message="expected &lt;${n}&gt; but was &lt;${n + 1}&gt;" type="java.lang.AssertionError"><![CDATA[${stackTrace(n)}]]></failure>\n      <system-out><![CDATA[log line for case ${n}]]></system-out>\n    </testcase>\n`;
      else s += `${head}/>\n`;
    }
    s += '  </testsuite>\n';
    suite++;
    written += Buffer.byteLength(s);
    await write(s);
  }
  await write('</testsuites>\n');
  out.end();
  await once(out, 'finish');
}

/** Bundle the worker to plain JavaScript so that no TypeScript loader counts in its RSS. */
function buildWorker(): string {
  const out = join(TMP, 'junit-worker.mjs');
  const esbuild = join(HERE, '../node_modules/.bin/esbuild');
  const r = spawnSync(
    esbuild,
    [
      join(HERE, 'junit-worker.ts'),
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

function runWorker(worker: string, parser: Parser, file: string): Result {
  // Our parser (and the streaming floor) run with Node's default flags, as the product does;
  // the whole-document parsers get a 16 GiB heap so that they fail on string length, not heap.
  const flags: string[] = parser === 'xml-js' || parser === 'xml2js' ? ['--max-old-space-size=16384'] : [];
  const r = spawnSync(process.execPath, [...flags, worker, parser, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
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
    return { ok: false, ms: 0, maxRssBytes: 0, error: why };
  }
}

const mb = (b: number): string => (b / 1e6).toFixed(0);

export async function runJunitBench(opts: { sizes: string[]; log: (line: string) => void }): Promise<void> {
  const { log } = opts;
  mkdirSync(TMP, { recursive: true });
  const worker = buildWorker();
  // Compared against another commit (bench/compare.ts), only our parser changes: the
  // third-party parsers, the slowest part, are left out.
  const comparing = process.argv.includes('--figures');
  const parsers = comparing ? PARSERS.filter((p) => p === 'read' || p.startsWith('ours')) : PARSERS;
  log('## JUnit parsers');
  log('');
  log('| file | parser | result | time | MB/s | peak RSS | ours vs this |');
  log('|---|---|---|---|---|---|---|');
  const all: Array<[string, Map<Parser, Result>]> = [];
  for (const size of opts.sizes) {
    const bytes = parseSize(size);
    const file = join(TMP, `junit-${size}.xml`);
    if (!existsSync(file) || Math.abs(statSync(file).size - bytes) > bytes * 0.05) await generateJunit(file, bytes);
    const actual = statSync(file).size;
    const results = new Map<Parser, Result>();
    for (const p of parsers) results.set(p, runWorker(worker, p, file));
    all.push([size, results]);
    const ours = results.get('ours')!;
    for (const p of ['ours', 'ours-stream'] as const) {
      const r = results.get(p)!;
      if (!r.ok) continue;
      const measure = `${size} ${p === 'ours' ? 'file' : 'through a 1 MiB stream'}`;
      figure({ section: 'junit', measure, value: actual / 1e6 / (r.ms / 1000), unit: 'MB/s', better: 'higher' });
      figure({
        section: 'junit',
        measure: `${measure}, peak RSS`,
        value: r.maxRssBytes / 1e6,
        unit: 'MB',
        better: 'lower',
      });
    }
    for (const p of parsers) {
      const r = results.get(p)!;
      const mbps = r.ok ? actual / 1e6 / (r.ms / 1000) : 0;
      const ratio = r.ok && ours.ok && p !== 'ours' ? `${(r.ms / ours.ms).toFixed(1)}x` : '';
      const result = r.ok
        ? p === 'read'
          ? 'read'
          : `${r.tests} ${p === 'ours' || p === 'ours-stream' || p === 'saxes' ? 'tests' : 'suites'}`
        : `failed: ${r.error}`;
      log(
        `| ${size} (${mb(actual)} MB) | ${p} | ${result} | ${r.ok ? `${(r.ms / 1000).toFixed(2)} s` : '-'} | ${r.ok ? mbps.toFixed(0) : '-'} | ${mb(r.maxRssBytes)} MB | ${ratio} |`,
      );
    }
  }
  log('');
  if (comparing) return;
  log('"ours vs this": how many times longer the parser took than ours on the same file (higher is better for ours).');
  log('');
  log('Against the targets, this run:');
  for (const [size, results] of all) {
    const ours = results.get('ours')!;
    if (!ours.ok) {
      log(`- ${size}: our parser failed: ${ours.error}`);
      continue;
    }
    const vs = (p: Parser): string => {
      const r = results.get(p)!;
      return r.ok ? `ours ${(r.ms / ours.ms).toFixed(1)}x as fast as ${p}` : `${p} cannot read the file`;
    };
    const rss = ours.maxRssBytes / 1e6;
    const stream = results.get('ours-stream')!;
    const streamRss = stream.ok ? `; through a 1 MiB stream ${(stream.maxRssBytes / 1e6).toFixed(0)} MB` : '';
    log(
      `- ${size}: ${vs('xml-js')}, ${vs('xml2js')} (target: 10x on the 100 MB file); ${vs('saxes')} (target: 1x); peak RSS ${rss.toFixed(0)} MB (target: under 100 MB, ${rss < 100 ? 'met' : 'not met'})${streamRss}`,
    );
  }
}
