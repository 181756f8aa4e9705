import { describe, expect, it } from 'vitest';
import type { EvidenceBundle, TestReport } from '../../src/core/evidence-types.js';
import { scoreEvidence } from '../../src/core/score.js';
import type { ScoringPolicy } from '../../src/core/types.js';

const NOW = new Date('2026-03-10T12:00:00Z');

function policy(weights: ScoringPolicy['weights'], extra: Partial<ScoringPolicy> = {}): ScoringPolicy {
  return {
    weights,
    warnScore: 50,
    coverageTarget: 80,
    allowedSarifLevels: ['note', 'none'],
    backupMaxAgeHours: 24,
    ...extra,
  };
}

function tests(p: Partial<TestReport>): TestReport {
  return {
    files: 1,
    suites: 1,
    tests: 0,
    passed: 0,
    failed: 0,
    errors: 0,
    skipped: 0,
    flaky: 0,
    durationMs: 0,
    failures: [],
    failuresOmitted: 0,
    ...p,
  };
}

const DEFAULT = policy({ tests: 40, coverage: 20, security: 20, checklist: 20 });

const FULL: EvidenceBundle = {
  tests: tests({ tests: 10, passed: 9, skipped: 1 }),
  coverage: {
    formats: ['lcov'],
    lines: { covered: 85, total: 100, pct: 85 },
    branches: { covered: 0, total: 0, pct: null },
    fileCoverage: [],
  },
  security: { files: 1, runs: 1, results: { error: 0, warning: 0, note: 3, none: 0 }, byRule: {}, perRun: [] },
  checklist: { items: 4, checked: 4, unchecked: 0, list: [] },
};

describe('scoreEvidence', () => {
  it('gives full marks to complete, clean evidence, with a reason per kind', () => {
    const r = scoreEvidence(FULL, DEFAULT, NOW);
    expect(r.score).toBe(100);
    expect(Object.keys(r.breakdown)).toEqual(['tests', 'coverage', 'security', 'checklist']);
    expect(r.breakdown.tests).toEqual({
      kind: 'tests',
      weight: 40,
      points: 40,
      present: true,
      reasons: [
        '10 tests in 1 file: 9 passed, 0 failed, 0 errors, 1 skipped; every test that ran passed',
        '40 of 40 points',
      ],
    });
    expect(r.breakdown.coverage!.reasons[0]).toBe('line coverage 85% (85/100 lines) meets the target of 80%');
    expect(r.breakdown.security!.reasons[0]).toBe(
      '1 SARIF run: 0 error, 0 warning, 3 note, 0 none; no result at a level that costs points (allowed levels: note, none)',
    );
  });

  it('gives 0 points with "no ... given" for absent kinds', () => {
    const r = scoreEvidence({}, DEFAULT, NOW);
    expect(r.score).toBe(0);
    expect(r.breakdown.tests).toEqual({
      kind: 'tests',
      weight: 40,
      points: 0,
      present: false,
      reasons: ['no JUnit test report given', '0 of 40 points'],
    });
    expect(r.breakdown.checklist!.reasons[0]).toBe('no checklist given');
  });

  it('caps failing tests at half their weight and says why', () => {
    const r = scoreEvidence({ tests: tests({ tests: 100, passed: 99, failed: 1 }) }, DEFAULT, NOW);
    expect(r.breakdown.tests!.points).toBe(20);
    expect(r.breakdown.tests!.reasons).toEqual([
      '100 tests in 1 file: 99 passed, 1 failed, 0 errors, 0 skipped',
      '99 of 100 tests that ran passed (99%); while any test fails or errors the tests earn at most half their weight',
      '20 of 40 points',
    ]);
    const low = scoreEvidence({ tests: tests({ tests: 10, passed: 2, errors: 8 }) }, DEFAULT, NOW);
    expect(low.breakdown.tests!.points).toBe(8);
  });

  it('gives nothing for no test case or all skipped', () => {
    expect(scoreEvidence({ tests: tests({}) }, DEFAULT, NOW).breakdown.tests!.reasons[0]).toBe(
      '0 tests in 1 file: 0 passed, 0 failed, 0 errors, 0 skipped; full marks need at least one test case',
    );
    expect(scoreEvidence({ tests: tests({ tests: 3, skipped: 3 }) }, DEFAULT, NOW).breakdown.tests!.points).toBe(0);
  });

  it('scales coverage below the target', () => {
    const r = scoreEvidence(
      { coverage: { ...FULL.coverage!, lines: { covered: 60, total: 100, pct: 60 } } },
      DEFAULT,
      NOW,
    );
    expect(r.breakdown.coverage!.points).toBe(15);
    expect(r.breakdown.coverage!.reasons[0]).toBe(
      'line coverage 60% (60/100 lines) is below the target of 80%: coverage / target of the weight',
    );
  });

  it('takes no security points with an error result, half with warnings only, following allowedSarifLevels', () => {
    const sec = (error: number, warning: number): EvidenceBundle => ({
      security: { ...FULL.security!, results: { error, warning, note: 0, none: 0 } },
    });
    expect(scoreEvidence(sec(1, 0), DEFAULT, NOW).breakdown.security!.points).toBe(0);
    expect(scoreEvidence(sec(0, 2), DEFAULT, NOW).breakdown.security!.points).toBe(10);
    expect(
      scoreEvidence(sec(0, 2), policy({ security: 20 }, { allowedSarifLevels: ['warning', 'note', 'none'] }), NOW)
        .breakdown.security!.points,
    ).toBe(20);
  });

  it('scores the checklist as checked of items and names unchecked items', () => {
    const r = scoreEvidence(
      { checklist: { items: 4, checked: 3, unchecked: 1, list: [{ text: 'backup taken', checked: false }] } },
      DEFAULT,
      NOW,
    );
    expect(r.breakdown.checklist!.points).toBe(15);
    expect(r.breakdown.checklist!.reasons.slice(0, 2)).toEqual([
      '3 of 4 checklist items checked',
      'unchecked: "backup taken"',
    ]);
  });

  it('bounds the backup age with now as an argument', () => {
    const p = policy({ backup: 50, rollbackPlan: 50 });
    const fresh = scoreEvidence(
      { declared: { backup: { takenAt: '2026-03-10T02:00:00Z' }, rollbackPlan: 'docs/rollback.md' } },
      p,
      NOW,
    );
    expect(fresh.score).toBe(100);
    expect(fresh.breakdown.backup!.reasons[0]).toBe('backup taken 2026-03-10T02:00:00Z, 10 h ago (bound 24 h)');
    const old = scoreEvidence(
      { declared: { backup: { takenAt: '2026-03-08T12:00:00Z', location: 's3://b/x' } } },
      p,
      NOW,
    );
    expect(old.breakdown.backup!.reasons[0]).toBe(
      'backup (s3://b/x) taken 2026-03-08T12:00:00Z is 48 h old, older than the bound of 24 h',
    );
    expect(old.score).toBe(0);
    expect(scoreEvidence({ declared: { backup: { takenAt: 'yesterday' } } }, p, NOW).breakdown.backup!.points).toBe(0);
  });

  it('scales the evidence URL as weight x urlScore / 100 and says the maximum is 80', () => {
    const r = scoreEvidence(
      { evidenceUrl: 'https://ci.aurora.local/tests/v1.0.1-PASS-results.json' },
      policy({ evidenceUrl: 100 }),
      NOW,
    );
    expect(r.score).toBe(80);
    expect(r.breakdown.evidenceUrl!.reasons).toEqual([
      'URL heuristic 80 of 80: https +20, contains "test" +20, contains "PASS" +30, report extension (.xml/.json/.html) +10',
      "points are weight x 80 / 100: the Aurora heuristic's criteria add up to 80, so this kind never earns its full weight",
      '80 of 100 points',
    ]);
  });

  it('scores only weighted kinds, rounds half up, and rescales weights that do not sum to 100', () => {
    const half = scoreEvidence(
      { checklist: { items: 8, checked: 5, unchecked: 3, list: [] } },
      policy({ checklist: 100, tests: 0 }),
      NOW,
    );
    expect(Object.keys(half.breakdown)).toEqual(['checklist']);
    expect(half.score).toBe(63); // 62.5 rounds up
    const rescaled = scoreEvidence(FULL, policy({ tests: 40, coverage: 40 }), NOW);
    expect(rescaled.score).toBe(100);
    expect(rescaled.breakdown.tests!.reasons.at(-1)).toBe(
      'the weights sum to 80, not 100: the score is rescaled to 0-100',
    );
  });

  it('is deterministic', () => {
    expect(scoreEvidence(FULL, DEFAULT, NOW)).toEqual(scoreEvidence(structuredClone(FULL), DEFAULT, NOW));
  });
});
