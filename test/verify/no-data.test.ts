/**
 * What a measurement of a real Prometheus gives when there is nothing to judge: Prometheus
 * down, an empty result, NaN, a query it refuses (bad_data), a source that times out. Each is
 * a measurement of no data saying why, which `noData` then judges; a source never measured in
 * the whole window is inconclusive, never a silent pass.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeVerification, verifyPlan } from '../../src/core/verification.js';
import type { Round, VerifyCheckSpec } from '../../src/core/verification.js';
import { measureRound } from '../../src/verify/measure.js';
import {
  defineSource,
  parseSourcesFile,
  SourcesConfigError,
  sourceRequestUrl,
  sourcesFromEnv,
} from '../../src/verify/sources.js';
import type { DataSource } from '../../src/verify/sources.js';
import { freePort } from '../support/processes.js';
import { startMetricsShop, startPrometheus } from '../support/prometheus.js';
import type { MetricsShop, RealPrometheus } from '../support/prometheus.js';

const check = (query: string, extra: Partial<VerifyCheckSpec> = {}): VerifyCheckSpec => ({
  name: 'c',
  source: 'prometheus',
  query,
  max: 0.01,
  ...extra,
});

describe('no data from a real Prometheus', () => {
  let shop: MetricsShop;
  let prom: RealPrometheus;
  let sources: Map<string, DataSource>;
  let silent: Server;

  beforeAll(async () => {
    shop = await startMetricsShop();
    prom = await startPrometheus(new URL(shop.url).host);
    await prom.waitForValue('sum(http_requests_total)');
    // A source that accepts the connection and never answers.
    silent = createServer(() => {});
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const down = await freePort();
    sources = new Map([
      ['prometheus', defineSource('prometheus', 'test', { type: 'prometheus', url: prom.url })],
      ['down', defineSource('down', 'test', { type: 'prometheus', url: `http://127.0.0.1:${down}` })],
      [
        'slow',
        defineSource('slow', 'test', {
          type: 'prometheus',
          url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          timeout: '1s',
        }),
      ],
    ]);
  }, 120_000);

  afterAll(async () => {
    silent?.closeAllConnections();
    await new Promise<void>((done) => (silent ? silent.close(() => done()) : done()));
    await prom?.close();
    await shop?.close();
  });

  const one = async (c: VerifyCheckSpec) => (await measureRound([c], new Date(), { sources })).measurements[0]!;

  it('reads a value, and +Inf as a value above max', async () => {
    expect(await one(check('sum(http_requests_total{status="500"})'))).toMatchObject({ outcome: 'pass', value: 0 });
    expect(await one(check('vector(1) / vector(0)'))).toEqual({
      check: 'c',
      value: '+Inf',
      outcome: 'fail',
      note: '+Inf is above max 0.01',
    });
  });

  it('an empty result, NaN, several series, a refused query, a source down or timing out: no data, saying why', async () => {
    expect(await one(check('http_requests_total{status="404"}'))).toEqual({
      check: 'c',
      value: null,
      outcome: 'no-data',
      note: 'the query returned no series (empty result)',
    });
    expect(await one(check('vector(0) / vector(0)'))).toMatchObject({
      outcome: 'no-data',
      note: 'the query answered NaN',
    });
    expect(await one(check('http_requests_total'))).toMatchObject({
      outcome: 'no-data',
      note: 'the query returned 2 series; aggregate it to one (sum(...), max(...)) so it has one value',
    });
    const bad = await one(check('sum(rate(http_requests_total[5m])'));
    expect(bad.outcome).toBe('no-data');
    expect(bad.note).toMatch(/^prometheus refused the query \(HTTP 400, bad_data\): .*parse error/);
    expect(await one(check('up', { source: 'down' }))).toMatchObject({
      outcome: 'no-data',
      note: expect.stringMatching(/^down could not be reached \(fetch failed: .*ECONNREFUSED/),
    });
    const started = Date.now();
    expect(await one(check('up', { source: 'slow' }))).toMatchObject({
      outcome: 'no-data',
      note: 'slow did not answer within 1s',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await one(check('up', { source: 'thanos' }))).toMatchObject({
      outcome: 'no-data',
      note: 'the data source "thanos" is not configured by the App\'s operator (PROMETHEUS_URL, RELEASE_GATE_SOURCES)',
    });
  }, 30_000);

  it.each([
    ['inconclusive', 'inconclusive'],
    ['fail', 'failed'],
    ['pass', 'inconclusive'],
  ] as const)('Prometheus down for the whole window with noData: %s is %s', async (noData, state) => {
    const plan = verifyPlan({ duration: '2s', interval: '1s', noData, checks: [check('up', { source: 'down' })] });
    const rounds: Round[] = [];
    for (let i = 0; i < 3 && judgeVerification(plan, rounds).state === 'running'; i++)
      rounds.push(await measureRound(plan.checks, new Date(), { sources }));
    expect(judgeVerification(plan, rounds).state).toBe(state);
  });

  it('an empty result once among values follows noData', async () => {
    const plan = (noData: 'inconclusive' | 'fail' | 'pass') =>
      verifyPlan({ duration: '2s', interval: '1s', noData, checks: [check('q', { name: 'x' })] });
    const value = await measureRound([check('sum(http_requests_total{status="500"})', { name: 'x' })], new Date(), {
      sources,
    });
    const empty = await measureRound([check('http_requests_total{status="404"}', { name: 'x' })], new Date(), {
      sources,
    });
    const rounds = [value, empty, value];
    expect(judgeVerification(plan('inconclusive'), rounds).state).toBe('inconclusive');
    expect(judgeVerification(plan('fail'), rounds).state).toBe('failed');
    expect(judgeVerification(plan('pass'), rounds).state).toBe('verified');
  });
});

// SECURITY.md T15
describe("the operator's sources", () => {
  it('PROMETHEUS_URL gives the source prometheus; the sources file names others with headers and allowed hosts', () => {
    const file = [
      'sources:',
      '  shop-health:',
      '    type: http',
      '    url: https://shop.internal/health',
      '    headers: { Authorization: Bearer t0ken }',
      '    timeout: 5s',
    ].join('\n');
    const set = sourcesFromEnv({ PROMETHEUS_URL: 'http://prom:9090', RELEASE_GATE_SOURCES: 'sources.yml' }, () => file);
    expect([...set.keys()]).toEqual(['prometheus', 'shop-health']);
    expect(set.get('shop-health')).toMatchObject({
      kind: 'http',
      headers: { Authorization: 'Bearer t0ken' },
      allowedHosts: ['shop.internal'],
      timeoutMs: 5_000,
    });
  });

  it('keeps a check on its source: a path is appended to the URL and never leaves its allowed hosts', () => {
    const source = defineSource('shop', 'test', { type: 'http', url: 'https://shop.internal/base/' });
    expect(sourceRequestUrl(source, '/health')?.href).toBe('https://shop.internal/base/health');
    expect(sourceRequestUrl(source, '//evil.example/x')?.href).toBe('https://shop.internal/base/evil.example/x');
    expect(sourceRequestUrl(source, '/@evil.example/x')?.host).toBe('shop.internal');
  });

  it.each([
    [
      'sources: []',
      'sources.yml: expected a mapping "sources:" of source names to { type, url, headers, allowedHosts, timeout }',
    ],
    [
      'sources:\n  a: { type: graphite, url: "http://x" }',
      'sources.yml: source a: type "graphite" is not prometheus or http',
    ],
    [
      'sources:\n  a: { url: "file:///etc/passwd" }',
      'sources.yml: source a: url "file:///etc/passwd" is not http or https',
    ],
    [
      'sources:\n  a: { url: "http://u:p@x" }',
      'sources.yml: source a: put credentials in headers (Authorization), not in the URL',
    ],
    [
      'sources:\n  a: { url: "http://x", allowedHosts: [y] }',
      "sources.yml: source a: the url's host x is not in allowedHosts (y)",
    ],
    [
      'sources:\n  a: { url: "http://x", timeout: 5m }',
      'sources.yml: source a: timeout "5m" is not a duration from 1s to 60s (5s)',
    ],
  ])('refuses %j with a clear message', (text, message) => {
    expect(() => parseSourcesFile(text, 'sources.yml')).toThrow(new SourcesConfigError(message));
  });
});
