/**
 * GitHub's JSON, read at GitHub's sizes: the main thread's time for the reads of one decision
 * on a release of realistic size, served over HTTP on 127.0.0.1 and read through the App's
 * transport, by the same Octokit with and without `jsonResponses` (src/github/json-responses.ts:
 * `JSON.parse` instead of Octokit's `json-with-bigint`). The bodies are GitHub's own examples
 * from its REST description (`@octokit/openapi`), repeated to the page sizes a busy repository
 * gets: the release commit's pull request, 100 reviews, 100 commits of the pull request, 30
 * check runs (the evidence's among them).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/core';
import { jsonResponses } from '../src/github/json-responses.js';
import { undiciFetch } from '../src/github/transport.js';
import { figure } from './figures.js';
import { githubExamples } from './github-examples.js';

/** The main thread's time per decision's reads, at least this many times less with the plugin. */
const TARGET_RATIO = 3;

/** One decision's reads: route, body. */
function pages(): Array<[string, string]> {
  const example = githubExamples();
  const first = <T>(name: string): T => (example(name) as T[])[0]!;
  const pull = first<object>('pull-request-simple-items');
  const review = first<object>('pull-request-review-items');
  const commit = first<object>('commit-items');
  const checks = example('check-run-paginated') as { check_runs: object[] };
  const times = <T>(n: number, o: T) => Array.from({ length: n }, (_, i) => ({ ...o, id: i + 1 }));
  return [
    ['/repos/acme/shop/commits/abc/pulls', JSON.stringify([pull])],
    ['/repos/acme/shop/pulls/1/reviews', JSON.stringify(times(100, review))],
    ['/repos/acme/shop/pulls/1/commits', JSON.stringify(times(100, commit))],
    [
      '/repos/acme/shop/commits/abc/check-runs',
      JSON.stringify({ total_count: 30, check_runs: times(30, checks.check_runs[0]!) }),
    ],
  ];
}

export async function runJsonBench(options: { log: (line: string) => void; quick?: boolean }): Promise<boolean> {
  const { log } = options;
  const reads = pages();
  const bodies = new Map(reads);
  const server = createServer((req, res) => {
    const body = bodies.get(new URL(req.url ?? '/', 'http://x').pathname);
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json; charset=utf-8' });
    res.end(body ?? '{"message":"Not Found"}');
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kinds = [
    ['Octokit (json-with-bigint)', Octokit],
    ['with jsonResponses (JSON.parse)', Octokit.plugin(jsonResponses)],
  ] as const;
  const rounds = options.quick ? 40 : 200;
  const bytes = reads.reduce((n, [, body]) => n + body.length, 0);
  log(
    `GitHub's JSON: one decision's reads, ${reads.length} pages, ${(bytes / 1024).toFixed(0)} KiB (GitHub's examples)`,
  );
  const perDecision: number[] = [];
  try {
    for (const [name, Class] of kinds) {
      const octokit = new Class({ baseUrl, request: { fetch: undiciFetch() } });
      const decision = async () => {
        for (const [route] of reads) await octokit.request(`GET ${route}`);
      };
      for (let i = 0; i < 10; i++) await decision();
      let best = Infinity;
      // Best of three: the thread's CPU, not the clock, so other processes change it little.
      for (let round = 0; round < 3; round++) {
        const cpu = process.threadCpuUsage();
        for (let i = 0; i < rounds; i++) await decision();
        const used = process.threadCpuUsage(cpu);
        best = Math.min(best, (used.user + used.system) / 1000 / rounds);
      }
      perDecision.push(best);
      log(`  ${name.padEnd(34)} ${best.toFixed(2)} ms of the main thread per decision's reads`);
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const [octokits, ours] = perDecision as [number, number];
  const ratio = octokits / ours;
  const met = ratio >= TARGET_RATIO;
  log(`  ratio: ${ratio.toFixed(2)}x less (target ${TARGET_RATIO}x): ${met ? 'met' : 'NOT met'}`);
  figure({ section: 'json', measure: "a decision's reads, main thread", value: ours, unit: 'ms', better: 'lower' });
  return met;
}
