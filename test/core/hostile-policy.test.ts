// SECURITY.md T12: bounded work on hostile policies and patterns.
import { describe, expect, it } from 'vitest';
import {
  formatPolicyProblem,
  loadPolicy,
  MAX_POLICY_BYTES,
  MAX_POLICY_ENTRIES,
  MAX_PROBLEMS_REPORTED,
} from '../../src/core/policy-load.js';
import type { PolicyLoadResult } from '../../src/core/policy-load.js';
import { loadPolicyFiles } from '../../src/core/policy-source.js';
import { readFileSync } from 'node:fs';
import {
  earliestDeployStart,
  freezeIntervals,
  freezeStatus,
  FreezeWindowError,
} from '../../src/core/freeze-windows.js';
import { matchAnyGlob, matchGlob } from '../../src/core/glob.js';
import { evaluate } from '../../src/core/evaluate.js';
import type { ReleaseFacts } from '../../src/core/types.js';

function errors(result: PolicyLoadResult): string[] {
  if (result.ok) throw new Error('expected the policy to be rejected');
  return result.errors.map(formatPolicyProblem);
}
const lines = (text: string): string[] =>
  errors(loadPolicy(text, '.github/release-policy.yml')).map((l) => l.replace(/^\.github\/release-policy\.yml:/, ''));

const STAGES = 'version: 1\nenvironments:\n  - name: DEV\n  - name: PROD\n';

describe('SECURITY.md T12 a policy with 100,000 unknown keys', () => {
  let text = STAGES;
  for (let i = 0; i < 100_000; i++) text += `k${i.toString(36)}: 1\n`;

  it('is under the size cap, and validated into a bounded list: the first problems, how many more, and where reading stopped', () => {
    expect(text.length).toBeLessThan(MAX_POLICY_BYTES);
    const list = lines(text);
    expect(list).toHaveLength(MAX_PROBLEMS_REPORTED + 2);
    expect(list[0]).toBe(
      '5:1: unknown key "k0" at the top level; expected one of version, extends, environments, scoring, overrides, evidence, notify, strict, sync',
    );
    // The file is read up to MAX_POLICY_ENTRIES lines: the keys on lines 5 to MAX_POLICY_ENTRIES.
    expect(list[MAX_PROBLEMS_REPORTED]).toBe(
      `55:1: and ${MAX_POLICY_ENTRIES - 4 - MAX_PROBLEMS_REPORTED} more problems, not listed: fix the ones above first`,
    );
    expect(list[MAX_PROBLEMS_REPORTED + 1]).toBe(
      `${MAX_POLICY_ENTRIES + 1}:1: the policy goes on past this line with more than ${MAX_POLICY_ENTRIES} lines and list items; the rest is not read: a policy has at most ${MAX_POLICY_ENTRIES}`,
    );
  });

  it('a long policy in one flow mapping is bounded the same way', () => {
    const flow = `${STAGES}scoring: {${Array.from({ length: 30_000 }, (_, i) => `k${i}: 1`).join(', ')}}
`;
    const list = lines(flow);
    expect(list.at(-1)).toBe(
      `5:1: the policy goes on past this line with more than ${MAX_POLICY_ENTRIES} lines and list items; the rest is not read: a policy has at most ${MAX_POLICY_ENTRIES}`,
    );
  });
});

describe('SECURITY.md T12 every duration and count of a policy has a maximum', () => {
  it('refuses deployDuration: 2500000000h at load, naming the line, the value, the maximum and the fix', () => {
    expect(
      lines(
        `${STAGES}    deployDuration: 2500000000h\n    freezeWindows:\n      - { start: "22:00", end: "23:00", timezone: UTC }\n`,
      ),
    ).toEqual(['5:21: deployDuration is "2500000000h", longer than the maximum of 7d; write 7d or less']);
    expect(loadPolicy(`${STAGES}    deployDuration: 7d\n`, 'p.yml').ok).toBe(true);
  });

  it('refuses a soak of 200000000000 minutes, an override lasting 31 days, an RRULE occurrence of 400 days', () => {
    expect(lines(`${STAGES}    soak: { minutes: 200000000000 }\n`)).toEqual([
      '5:22: minutes must be a whole number from 0 to 43200, got 200000000000; the most is 43200 minutes (30 days): write a shorter soak',
    ]);
    expect(lines(`${STAGES}overrides:\n  expires: 31d\n`)).toEqual([
      '6:12: expires is "31d", longer than the maximum of 30d; write 30d or less',
    ]);
    expect(
      lines(`${STAGES}    freezeWindows:\n      - { rrule: "FREQ=YEARLY", duration: 400d, timezone: UTC }\n`),
    ).toEqual(['6:43: duration is "400d", longer than the maximum of 366d; write 366d or less']);
    expect(lines(`${STAGES}scoring:\n  backupMaxAge: 400d\n`)).toEqual([
      '6:17: backupMaxAge is "400d", longer than the maximum of 366d; write 366d or less',
    ]);
  });

  it('refuses absurd counts, scores and lists', () => {
    expect(lines(`${STAGES}    minApprovals: 1000\n`)).toEqual([
      '5:19: minApprovals must be a whole number from 0 to 50, got 1000; the most is 50 approvals: write a number of people who can really approve',
    ]);
    expect(lines(`${STAGES}    minScore: 1e9\n`)).toEqual([
      '5:15: minScore must be a number from 0 to 100, got 1000000000',
    ]);
    expect(lines(`${STAGES}scoring: { tests: 1000, coverage: -900 }\n`)).toEqual([
      '5:19: tests must be a whole number from 0 to 100, got 1000',
      '5:35: coverage must be a whole number from 0 to 100, got -900',
    ]);
    const refs = Array.from({ length: 101 }, (_, i) => `r${i}`).join(', ');
    expect(lines(`${STAGES}    refs: [${refs}]\n`)).toEqual([
      '5:11: refs lists 101 items; at most 100 ref patterns are allowed: split the policy or remove some',
    ]);
    expect(lines(`${STAGES}    refs: ["${'*'.repeat(300)}"]\n`)).toEqual([
      '5:12: refs[0] is 300 characters long; at most 256 are allowed',
    ]);
  });
});

describe('SECURITY.md T12 glob patterns are matched in linear time', () => {
  it('a 12-star pattern against a 40-character ref answers (a backtracking regex takes minutes)', () => {
    const pattern = `${'*a'.repeat(12)}*b`;
    expect(matchGlob(pattern, 'a'.repeat(40))).toBe(false);
    expect(matchGlob(pattern, `${'a'.repeat(40)}b`)).toBe(true);
    expect(matchGlob('refs/tags/**/*-*-*-*-*-*-*-*-*-*-*-*x', `refs/tags/${'a-'.repeat(60)}`)).toBe(false);
  });

  it.each([
    ['refs/tags/v*', 'refs/tags/v1.2.0', true],
    ['refs/tags/v*', 'refs/tags/v1/evil', false],
    ['prisma/**', 'prisma', true],
    ['prisma/**', 'prisma/migrations/1/a.sql', true],
    ['prisma/**', 'prismatic.ts', false],
    ['**/*.ts', 'a.ts', true],
    ['**/*.ts', 'src/a/b.ts', true],
    ['src/**/x.ts', 'src/x.ts', true],
    ['src/**/x.ts', 'src/a/b/x.ts', true],
    ['src/**/x.ts', 'srcx.ts', false],
    ['{main,release/*}', 'release/1.0', true],
    ['{main,release/*}', 'main', true],
    ['{main,release/*}', 'mainline', false],
    ['v[0-9]*', 'v1', true],
    ['v[!0-9]*', 'v1', false],
    ['v?', 'v/', false],
    ['a**b', 'a/x/b', true],
    ['.github/*', '.github/release-policy.yml', true],
  ])('%s against %s: %s', (pattern, value, want) => {
    expect(matchGlob(pattern, value)).toBe(want);
    expect(matchAnyGlob(['nothing', pattern], value)).toBe(want);
  });
});

describe('SECURITY.md T12 freeze windows are evaluated in bounded work by construction', () => {
  const daily = [
    {
      kind: 'daily' as const,
      name: 'nightly',
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const,
      start: '22:00',
      end: '23:00',
      timezone: 'UTC',
    },
  ];

  it('a deploy of 2500000000 hours in a stored policy that predates the cap is answered, fail closed', () => {
    const windows = daily.map((w) => ({ ...w, days: [...w.days] }));
    expect(earliestDeployStart(windows, new Date('2026-03-10T12:00:00Z'), 2_500_000_000 * 3_600_000)).toBeNull();
    // The gate blocks on it instead of running out of heap.
    const policyText = `${STAGES}    freezeWindows:\n      - { start: "22:00", end: "23:00", timezone: UTC }\n`;
    const loaded = loadPolicyFiles({ text: policyText, source: 'p.yml' }, null);
    if (!loaded.ok) throw new Error('policy should load');
    loaded.policy.environments[1]!.deployDurationMs = 2_500_000_000 * 3_600_000;
    const facts = {
      environment: 'PROD',
      sha: 'a'.repeat(40),
      deployments: [],
      approvals: [],
      evidence: { score: null, breakdown: {}, present: [] },
      checks: [],
      overrides: [],
      teams: {},
    } as unknown as ReleaseFacts;
    const decision = evaluate(loaded.policy, facts, new Date('2026-03-10T12:00:00Z'));
    expect(decision.decision).toBe('block');
    expect(decision.rules.find((r) => r.rule === 'freeze')).toMatchObject({ ok: false, code: 'FREEZE_WINDOW_ACTIVE' });
  });

  const fork = loadPolicy(
    readFileSync(new URL('../fixtures/policies/fork-hourly-freezes.yml', import.meta.url), 'utf8'),
    '.github/release-policy.yml',
  );
  const forkStage = () => {
    if (!fork.ok) throw new Error(`the fork policy should load: ${errors(fork).join('; ')}`);
    return { policy: fork.policy, stage: fork.policy.environments.find((e) => e.name === 'PROD')! };
  };
  const at = new Date('2026-03-10T12:00:00Z');

  it('a valid policy of 100 one-second freezes every minute and a 7-day deploy is answered, fail closed, without overflowing the stack', () => {
    const { policy, stage } = forkStage();
    expect(stage.freezeWindows).toHaveLength(100);
    expect(stage.deployDurationMs).toBe(7 * 86_400_000);
    const facts = {
      environment: 'PROD',
      sha: 'a'.repeat(40),
      deployments: [],
      approvals: [],
      evidence: { score: null, breakdown: {}, present: [] },
      checks: [],
      overrides: [],
      teams: {},
    } as unknown as ReleaseFacts;
    const decision = evaluate(policy, facts, at);
    expect(decision.decision).toBe('block');
    const freeze = decision.rules.find((r) => r.rule === 'freeze')!;
    expect(freeze).toMatchObject({ ok: false, outcome: 'block', code: 'FREEZE_WINDOW_INVALID' });
    expect(freeze.message).toMatch(
      /^Promotion blocked: Freeze window "tick-\d\d \(a one-second freeze, every minute of every hour\)": the freeze windows give more than 250000 occurrences to look at for one answer .*; use fewer or less frequent windows, or a shorter deployDuration; the gate cannot tell whether PROD is frozen\.$/,
    );
  });

  it('a 7-day deploy between sparser one-second freezes is found never to fit, looking only near the end of each week', () => {
    // 100 one-second freezes an hour: 16,800 in every week the deploy would cover.
    const windows = Array.from({ length: 100 }, (_, i) => ({
      kind: 'rrule' as const,
      name: `tick-${i}`,
      rrule: `FREQ=HOURLY;BYMINUTE=${(i * 7) % 60};BYSECOND=${i % 60}`,
      durationMs: 1000,
      timezone: 'UTC',
    }));
    expect(earliestDeployStart(windows, at, 7 * 86_400_000)).toBeNull();
    // A deploy of no duration fits between two ticks, named by the ticks it waited for
    // (tick-0 and tick-60 both fall on second 0 of minute 0).
    const start = earliestDeployStart(windows, new Date('2026-03-10T12:00:00.500Z'), 0);
    expect(start).toEqual({ start: new Date('2026-03-10T12:00:01.000Z'), blockedBy: ['tick-0', 'tick-60'] });
  });

  it('the console calendar of that policy is refused, and its status answered, in bounded work', () => {
    const { stage } = forkStage();
    expect(() => freezeIntervals(stage.freezeWindows, at, new Date(at.getTime() + 30 * 86_400_000))).toThrow(
      FreezeWindowError,
    );
    const status = freezeStatus(stage.freezeWindows, at);
    expect(status).toMatchObject({ frozen: true, until: new Date('2026-03-10T12:00:01.000Z') });
    expect(status.next).toEqual({
      window: 'tick-01 (a one-second freeze, every minute of every hour)',
      start: new Date('2026-03-10T12:00:02.000Z'),
      end: new Date('2026-03-10T12:00:03.000Z'),
    });
  });
});
