/**
 * A real Prometheus (Debian's `prometheus`) scraping a tiny shop the test controls: the shop
 * serves `/metrics` (counters of requests by status, growing with real time at the error
 * ratio the test sets) and `/health`. Prometheus starts on a free port with its own config
 * and data directory, scraping every second.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, waitForStatus } from './processes.js';
import type { Started } from './processes.js';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/** The shop: requests served per second, the share answered 5xx, and what /health says. */
export interface MetricsShop {
  url: string;
  /** Requests per second (default 100). */
  rate: number;
  /** Share of requests answered 5xx from now on (0 to 1). */
  setErrorRatio(ratio: number): void;
  health: { status: number; body: unknown };
  close(): Promise<void>;
}

/** Starts the shop: its counters grow with real time at `rate`, the 5xx share at the ratio set. */
export async function startMetricsShop(): Promise<MetricsShop> {
  let ok = 0;
  let errors = 0;
  let ratio = 0;
  let last = Date.now();
  const shop: Omit<MetricsShop, 'url' | 'close'> = {
    rate: 100,
    setErrorRatio(r) {
      advance();
      ratio = r;
    },
    health: { status: 200, body: { status: 'ok', db: { ok: true } } },
  };
  const advance = () => {
    const now = Date.now();
    const n = ((now - last) / 1000) * shop.rate;
    last = now;
    errors += n * ratio;
    ok += n * (1 - ratio);
  };
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      advance();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        [
          '# HELP http_requests_total Requests served.',
          '# TYPE http_requests_total counter',
          `http_requests_total{status="200"} ${ok.toFixed(3)}`,
          `http_requests_total{status="500"} ${errors.toFixed(3)}`,
          '',
        ].join('\n'),
      );
      return;
    }
    if (req.url?.startsWith('/health')) {
      res.writeHead(shop.health.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(shop.health.body));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return Object.assign(shop, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  });
}

export interface RealPrometheus {
  url: string;
  started: Started;
  /** Waits (real time) until the instant query answers a value (a scrape or two after the start). */
  waitForValue(query: string, ms?: number): Promise<number>;
  close(): Promise<void>;
}

/** Starts Prometheus scraping `target` (host:port) every second; resolves once it is ready. */
export async function startPrometheus(target: string): Promise<RealPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-prometheus-'));
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: shop',
      '    static_configs:',
      `      - targets: ["${target}"]`,
      '',
    ].join('\n'),
  );
  const started = startProcess(
    PROMETHEUS_BIN,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: dir, env: { PATH: process.env.PATH ?? '' } },
  );
  const url = `http://127.0.0.1:${port}`;
  if (!(await waitForStatus(`${url}/-/ready`, 200, started, 60_000))) {
    await started.stop();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Prometheus did not become ready:\n${started.output()}`);
  }
  return {
    url,
    started,
    async waitForValue(query, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
        const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
        const v = body.data?.result?.[0]?.value[1];
        if (v !== undefined && !Number.isNaN(Number(v))) return Number(v);
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`Prometheus gave no value for ${query} within ${ms} ms`);
    },
    async close() {
      await started.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
