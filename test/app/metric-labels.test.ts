import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENT_LABEL_LIMIT, createMetrics } from '../../src/app/metrics.js';
import type { Decision } from '../../src/core/types.js';
import { startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { deploymentCreated } from '../support/webhooks.js';

const POLICY = `version: 1
environments:
  - name: DEV
    github: development
  - name: PRE_PROD
    github: staging
  - name: PROD
    github: production
`;

/** The `environment` label values of a metric family in Prometheus text. */
function environments(text: string, metric: string): string[] {
  const values = [...text.matchAll(new RegExp(`^${metric}\\{[^}]*environment="([^"]*)"`, 'gm'))].map((m) => m[1]!);
  return [...new Set(values)].sort();
}

// SECURITY.md C13
describe('metric labels stay bounded whatever environments writers invent', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: POLICY });
  });
  afterAll(async () => h?.close());

  it('counts deployments to environments the policy does not name under one label, and stages by name', async () => {
    let id = 1;
    const deploy = async (environment: string) =>
      h.deliver(
        deploymentCreated(h.ctx, {
          id: id++,
          sha: 'e'.repeat(40),
          ref: 'main',
          environment,
          creator: 'writer',
          createdAt: '2026-03-10T15:00:00Z',
        }),
      );
    for (let i = 0; i < 40; i++) expect(await deploy(`preview-${i}-${'x'.repeat(i % 7)}`)).toBe(200);
    // Names that look like a stage are blocked, not approved; they are not labels either.
    for (const name of ['Production ', 'prоduction', 'PRODUCTlON']) expect(await deploy(name)).toBe(200);
    expect(await deploy('development')).toBe(200);
    const text = await (await fetch(`${h.app.url}/metrics`)).text();
    for (const metric of [
      'release_gate_decisions_total',
      'release_gate_evaluation_seconds_count',
      'release_gate_github_api_calls_per_decision_count',
    ])
      expect(environments(text, metric), metric).toEqual(['DEV', 'ungated', 'unnamed']);
    expect(text).toContain('release_gate_decisions_total{environment="ungated",outcome="allow"} 40');
    expect(text).not.toContain('preview-');
    expect(h.github.violations).toEqual([]);
  });
});

describe('the environment label', () => {
  const decision = (environment: string, over: Partial<Decision> = {}) => ({
    environment,
    ungated: false,
    rules: [{ rule: 'approvals', code: 'OK', ok: true, outcome: 'pass' as const, message: '', values: {} }],
    ...over,
  });

  it(`reports at most ${ENVIRONMENT_LABEL_LIMIT} stage names per process, then "other"`, () => {
    const metrics = createMetrics();
    const labels = new Set<string>();
    for (let i = 0; i < ENVIRONMENT_LABEL_LIMIT + 30; i++) labels.add(metrics.environmentLabel(decision(`STAGE_${i}`)));
    expect(labels.size).toBe(ENVIRONMENT_LABEL_LIMIT + 1);
    expect(labels.has('other')).toBe(true);
    // A name already reported keeps its label.
    expect(metrics.environmentLabel(decision('STAGE_0'))).toBe('STAGE_0');
    expect(
      metrics.environmentLabel(
        decision('anything', {
          rules: [{ rule: 'policy', code: 'POLICY_INVALID', ok: false, outcome: 'block', message: '', values: {} }],
        }),
      ),
    ).toBe('policy_invalid');
  });
});
