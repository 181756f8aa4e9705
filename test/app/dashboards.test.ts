import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { ROOT } from '../support/processes.js';

const dashboard = JSON.parse(readFileSync(join(ROOT, 'examples/grafana/release-gate-dashboard.json'), 'utf8')) as {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
};
const alerts = parse(readFileSync(join(ROOT, 'examples/prometheus/release-gate-alerts.yml'), 'utf8')) as {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
};

const namesIn = (expr: string) => expr.match(/\brelease_gate_[a-z_]+/g) ?? [];

describe('the example Grafana dashboard and Prometheus alerts', () => {
  let h: Harness;
  let metrics = '';

  beforeAll(async () => {
    h = await startHarness({ policy: 'version: 1\nenvironments:\n  - name: DEV\n    github: development\n' });
    expect(
      await h.askGate({
        id: 1,
        runId: 5,
        sha: 'e'.repeat(40),
        ref: 'main',
        environment: 'development',
        creator: 'dev',
        createdAt: '2026-03-10T15:00:00Z',
      }),
    ).toBe(200);
    metrics = await (await fetch(`${h.app.url}/metrics`)).text();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('read only series the App exports on /metrics', () => {
    const series = new Set(
      metrics
        .split('\n')
        .filter((l) => l.startsWith('release_gate_'))
        .map((l) => l.split(/[{ ]/)[0]!),
    );
    const used = [
      ...dashboard.panels.flatMap((p) => p.targets.flatMap((t) => namesIn(t.expr))),
      ...alerts.groups.flatMap((g) => g.rules.flatMap((r) => namesIn(r.expr))),
    ];
    expect(used.length).toBeGreaterThan(8);
    expect([...new Set(used)].filter((n) => !series.has(n))).toEqual([]);
  });

  it('cover decisions by outcome, waiting gates, latency and the GitHub budget', () => {
    const all = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const name of [
      'release_gate_decisions_total',
      'release_gate_pending_gates',
      'release_gate_evaluation_seconds_bucket',
      'release_gate_github_rate_limit_remaining',
    ])
      expect(all).toContain(name);
    expect(alerts.groups[0]!.rules.map((r) => r.alert)).toEqual([
      'ReleaseGateGatesWaitingLong',
      'ReleaseGateGitHubBudgetLow',
      'ReleaseGateDown',
    ]);
  });
});
