import { describe, expect, it } from 'vitest';
import { judgeReading, judgeVerification, plannedRounds, roundDueAt, verifyPlan } from '../../src/core/verification.js';
import type { Measurement, Round, VerifyCheckSpec, VerifyPlan } from '../../src/core/verification.js';
import { judgeRollback, rollbackOf } from '../../src/core/rollback.js';
import { loadPolicy, formatPolicyProblem } from '../../src/core/policy-load.js';
import { unknownSourceProblems } from '../../src/core/policy/verify-sources.js';
import { evaluate } from '../../src/core/evaluate.js';
import type { DeploymentFact, ReleaseFacts } from '../../src/core/types.js';

const errorRate: VerifyCheckSpec = { name: 'error-rate', source: 'prometheus', query: 'q', max: 0.01 };
const health: VerifyCheckSpec = {
  name: 'health',
  source: 'shop',
  expectStatus: 200,
  jsonPath: '$.status',
  equals: 'ok',
};

describe('judgeReading', () => {
  it.each<
    [string, VerifyCheckSpec, Parameters<typeof judgeReading>[1], Pick<Measurement, 'outcome' | 'note' | 'value'>]
  >([
    [
      'within max',
      errorRate,
      { kind: 'value', value: 0.002 },
      { outcome: 'pass', value: 0.002, note: '0.002 (max 0.01)' },
    ],
    [
      'above max',
      errorRate,
      { kind: 'value', value: 0.5 },
      { outcome: 'fail', value: 0.5, note: '0.5 is above max 0.01' },
    ],
    [
      'NaN is no data',
      errorRate,
      { kind: 'value', value: NaN },
      { outcome: 'no-data', value: null, note: 'the query answered NaN' },
    ],
    [
      '+Inf fails a max',
      errorRate,
      { kind: 'value', value: Infinity },
      { outcome: 'fail', value: '+Inf', note: '+Inf is above max 0.01' },
    ],
    [
      'below min',
      { ...errorRate, max: undefined, min: 10 } as VerifyCheckSpec,
      { kind: 'value', value: 3 },
      { outcome: 'fail', value: 3, note: '3 is below min 10' },
    ],
    [
      'the expected status and value',
      health,
      { kind: 'http', status: 200, found: true, value: 'ok' },
      { outcome: 'pass', value: 'ok', note: '$.status is "ok"' },
    ],
    [
      'another status',
      health,
      { kind: 'http', status: 503 },
      { outcome: 'fail', value: 503, note: 'HTTP 503, expected 200' },
    ],
    [
      'another value',
      health,
      { kind: 'http', status: 200, found: true, value: 'degraded' },
      { outcome: 'fail', value: 'degraded', note: '$.status is "degraded", expected "ok"' },
    ],
    [
      'nothing at the path',
      health,
      { kind: 'http', status: 200, found: false },
      { outcome: 'no-data', value: null, note: 'HTTP 200: nothing at $.status' },
    ],
    [
      'unreachable',
      errorRate,
      { kind: 'no-data', note: 'prometheus could not be reached' },
      { outcome: 'no-data', value: null, note: 'prometheus could not be reached' },
    ],
  ])('%s', (_name, check, reading, expected) => {
    expect(judgeReading(check, reading)).toEqual({ check: check.name, ...expected });
  });
});

function plan(noData: VerifyPlan['noData'], failureLimit = 0): VerifyPlan {
  return verifyPlan({ duration: '4m', interval: '1m', failureLimit, noData, checks: [errorRate] });
}
const pass = (i: number): Round => ({
  at: `t${i}`,
  measurements: [{ check: 'error-rate', value: 0, outcome: 'pass', note: '0' }],
});
const fail = (i: number): Round => ({
  at: `t${i}`,
  measurements: [{ check: 'error-rate', value: 0.5, outcome: 'fail', note: '0.5 is above max 0.01' }],
});
const empty = (i: number): Round => ({
  at: `t${i}`,
  measurements: [{ check: 'error-rate', value: null, outcome: 'no-data', note: 'empty result' }],
});

describe('judgeVerification', () => {
  it('plans one round at the start and one each interval to the end, on a fixed schedule', () => {
    const p = plan('inconclusive');
    expect(plannedRounds(p)).toBe(5);
    expect(roundDueAt(p, new Date('2026-03-10T15:00:00Z'), 3).toISOString()).toBe('2026-03-10T15:03:00.000Z');
  });

  it.each<[string, VerifyPlan, Round[], string, string]>([
    ['still running', plan('inconclusive'), [pass(0), pass(1)], 'running', '2 of 5 measurement rounds taken, 0 failed'],
    [
      'every round passes',
      plan('inconclusive'),
      [0, 1, 2, 3, 4].map(pass),
      'verified',
      '5 measurement rounds over 240s, 0 failed (failureLimit 0)',
    ],
    [
      'one failure past the limit fails at once',
      plan('inconclusive'),
      [pass(0), fail(1)],
      'failed',
      '1 of 2 measurement round(s) failed, more than failureLimit 0 allows (error-rate: 0.5 is above max 0.01)',
    ],
    [
      'failures within the limit',
      plan('inconclusive', 1),
      [pass(0), fail(1), pass(2), pass(3), pass(4)],
      'verified',
      '5 measurement rounds over 240s, 1 failed (failureLimit 1)',
    ],
    [
      'noData: fail counts an empty result as a failure',
      plan('fail'),
      [pass(0), empty(1)],
      'failed',
      '1 of 2 measurement round(s) failed, more than failureLimit 0 allows (error-rate: empty result)',
    ],
    [
      'noData: inconclusive, more empty rounds than the limit',
      plan('inconclusive'),
      [pass(0), empty(1), pass(2), pass(3), pass(4)],
      'inconclusive',
      '1 of 5 rounds had no data for some check, more than failureLimit 0 allows (noData: inconclusive)',
    ],
    [
      'noData: pass lets an empty round pass',
      plan('pass'),
      [pass(0), empty(1), pass(2), pass(3), pass(4)],
      'verified',
      '5 measurement rounds over 240s, 0 failed (failureLimit 0)',
    ],
    [
      'noData: pass, yet no data in the whole window is never a pass',
      plan('pass'),
      [0, 1, 2, 3, 4].map(empty),
      'inconclusive',
      'no data for error-rate in any of the 5 rounds: a check never measured is not a pass',
    ],
  ])('%s', (_name, p, rounds, state, reason) => {
    const j = judgeVerification(p, rounds);
    expect([j.state, j.reason]).toEqual([state, reason]);
  });
});

describe('rollbacks', () => {
  const stage = (extra: Record<string, unknown>) => {
    const loaded = loadPolicy(
      [
        'version: 1',
        'environments:',
        '  - name: PROD',
        '    github: production',
        '    freezeWindows:',
        '      - { name: release-freeze, from: "2026-03-10T16:00", to: "2026-03-10T18:00", timezone: UTC }',
        ...Object.entries(extra).map(([k, v]) => `    ${k}: ${String(v)}`),
        '',
      ].join('\n'),
      'p.yml',
    );
    if (!loaded.ok) throw new Error(loaded.errors.map(formatPolicyProblem).join('\n'));
    return loaded.policy.environments[0]!;
  };
  const inFreeze = new Date('2026-03-10T17:00:00Z');

  it('reads the rollback a payload names, and nothing else', () => {
    expect(rollbackOf({ releaseGate: { rollbackOf: 42, reason: 'x' } })).toBe(42);
    expect(rollbackOf({ releaseGate: { rollbackOf: '42' } })).toBeNull();
    expect(rollbackOf({ releaseGate: { stage: 'PROD' } })).toBeNull();
    expect(rollbackOf(null)).toBeNull();
  });

  it('lets a rollback to a verified release through a freeze, unless rollbackDuringFreeze: false', () => {
    expect(judgeRollback(stage({}), { failedDeployment: 7, verifiedBefore: true }, inFreeze)).toEqual({
      allow: true,
      reason: 'a rollback of deployment 7 to a release verified in PROD before',
    });
    expect(
      judgeRollback(stage({ rollbackDuringFreeze: false }), { failedDeployment: 7, verifiedBefore: true }, inFreeze),
    ).toEqual({
      allow: false,
      reason:
        "PROD is frozen (release-freeze) and the policy says rollbackDuringFreeze: false, so the gate's rules judge it",
    });
    expect(
      judgeRollback(
        stage({ rollbackDuringFreeze: false }),
        { failedDeployment: 7, verifiedBefore: true },
        new Date('2026-03-10T19:00:00Z'),
      ).allow,
    ).toBe(true);
  });

  it('never lets through a "rollback" to a release that was not verified there', () => {
    expect(judgeRollback(stage({}), { failedDeployment: 7, verifiedBefore: false }, inFreeze)).toEqual({
      allow: false,
      reason:
        "this release was never verified in PROD: a rollback restores only a verified release, so the gate's rules judge it",
    });
  });
});

const VERIFYING = [
  'version: 1',
  'environments:',
  '  - name: PRE_PROD',
  '    github: staging',
  '    verify:',
  '      duration: 30m',
  '      interval: 1m',
  '      checks:',
  '        - name: error-rate',
  '          source: prometheus',
  '          query: sum(rate(http_requests_total{status=~"5.."}[5m]))',
  '          max: 0.01',
  '  - name: PROD',
  '    github: production',
  '',
].join('\n');

describe('a later stage needs the stage verified', () => {
  const loaded = loadPolicy(VERIFYING, 'p.yml');
  if (!loaded.ok) throw new Error(loaded.errors.map(formatPolicyProblem).join('\n'));
  const policy = loaded.policy;
  const sha = 'f'.repeat(40);
  const staged = (verification: DeploymentFact['verification']): ReleaseFacts =>
    ({
      sha,
      environment: 'production',
      deployments: [
        {
          id: 11,
          environment: 'staging',
          sha,
          state: 'success',
          at: '2026-03-10T14:00:00Z',
          approval: {
            via: 'deployment-event',
            at: '2026-03-10T13:59:00Z',
            stage: 'PRE_PROD',
            environment: 'staging',
            runId: null,
          },
          provenAt: '2026-03-10T14:00:00Z',
          ...(verification === undefined ? {} : { verification }),
        },
      ],
      evidence: {},
      checks: [],
      teams: {},
      overrides: [],
      approvals: [],
    }) as unknown as ReleaseFacts;
  const order = (facts: ReleaseFacts) =>
    evaluate(policy, facts, new Date('2026-03-10T15:00:00Z')).rules.find((r) => r.rule === 'order')!;

  it('waits while the verification runs, and says so', () => {
    const r = order(staged({ state: 'running', at: '2026-03-10T14:00:05Z' }));
    expect([r.code, r.outcome, r.message]).toEqual([
      'PROMOTION_ORDER',
      'wait',
      'PROD needs this release verified in PRE_PROD, not only deployed: deployment 11 to staging (success) succeeded and its verification is running (since 2026-03-10T14:00:05Z).',
    ]);
  });

  it('passes once verified', () => {
    expect(order(staged({ state: 'verified', at: '2026-03-10T14:30:00Z' })).code).toBe('ORDER_OK');
  });

  it('blocks a release that failed its verification, saying why', () => {
    const r = order(staged({ state: 'failed', at: '2026-03-10T14:03:00Z' }));
    expect([r.code, r.outcome]).toEqual(['PROMOTION_ORDER', 'block']);
    expect(r.message).toContain(
      'deployment 11 to staging (success): it succeeded, then failed its verification in PRE_PROD (at 2026-03-10T14:03:00Z)',
    );
  });
});

describe('verify in the policy', () => {
  const lines = (text: string) => {
    const r = loadPolicy(text, 'p.yml');
    return r.ok ? [] : r.errors.map(formatPolicyProblem);
  };

  it('refuses a duration above the cap, an interval longer than the duration, and a check that measures nothing', () => {
    const text = VERIFYING.replace('duration: 30m', 'duration: 48h').replace(
      '          max: 0.01\n',
      '          max: 0.01\n        - name: health\n          source: shop\n',
    );
    expect(lines(text)).toEqual([
      'p.yml:6:17: verify.duration is "48h", longer than the maximum of 24h; write 24h or less',
      'p.yml:13:11: verify check "health" has neither a query (a Prometheus check) nor expectStatus or jsonPath (an HTTP check): say what to measure',
    ]);
    expect(lines(VERIFYING.replace('interval: 1m', 'interval: 1h'))).toEqual([
      'p.yml:7:17: verify.interval "1h" is longer than verify.duration "30m": no measurement would be taken',
    ]);
  });

  it('names the line of a source the operator did not configure', () => {
    expect(unknownSourceProblems(VERIFYING, 'p.yml', new Set(['prometheus']))).toEqual([]);
    expect(
      unknownSourceProblems(
        VERIFYING.replace('source: prometheus', 'source: thanos'),
        'p.yml',
        new Set(['prometheus']),
      ).map(formatPolicyProblem),
    ).toEqual([
      'p.yml:10:19: verify check "error-rate" names the data source "thanos", which the App\'s operator has not configured (configured: prometheus); use one of those, or ask the operator to add it (PROMETHEUS_URL, RELEASE_GATE_SOURCES)',
    ]);
  });

  it('takes notify channels by variable name, never a URL', () => {
    expect(lines(`${VERIFYING}notify:\n  slack: SLACK_WEBHOOK_URL\n`)).toEqual([]);
    expect(lines(`${VERIFYING}notify:\n  slack: https://hooks.slack.com/services/T/B/X\n`)).toEqual([
      "p.yml:16:10: notify.slack must name one of the App operator's environment variables (SLACK_WEBHOOK_URL), not a URL: a URL in the repository would be readable by everyone who reads it",
    ]);
  });
});
