import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, POLICIES } from './helpers.js';

const EXTERNAL = join(import.meta.dirname, '../fixtures/external');
const PYTEST = `${EXTERNAL}/mikepenz-action-junit-report/test_results/python/*.xml`;
const LCOV = `${EXTERNAL}/coverallsapp-coverage-reporter/spec/fixtures/lcov/for-base-path.lcov`;

describe('release-gate score', () => {
  it('scores real reports and prints the evidence in the documented JSON shape', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rg-score-'));
    await writeFile(
      join(dir, 'body.md'),
      '## Deploy checklist\n- [x] migrations reviewed\n- [x] rollback plan\n- [ ] backup taken\n- [x] release owner\n',
    );
    const r = await cli(
      ['score', '--junit', PYTEST, '--coverage', LCOV, '--checklist', join(dir, 'body.md'), '--json'],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.evidence.tests).toMatchObject({
      files: 2,
      suites: 2,
      tests: 7,
      passed: 3,
      failed: 4,
      errors: 0,
      skipped: 0,
    });
    expect(out.evidence.tests.failures).toHaveLength(4);
    expect(Object.keys(out.evidence.tests.failures[0])).toEqual(
      expect.arrayContaining(['suite', 'classname', 'name', 'file', 'line', 'message', 'output']),
    );
    expect(out.evidence.coverage).toMatchObject({
      lines: { covered: 16, total: 17, pct: 94.12 },
      branches: { covered: 7, total: 8, pct: 87.5 },
    });
    expect(out.evidence.checklist).toMatchObject({ items: 4, checked: 3 });
    expect(out.evidence.security).toBeUndefined();
    // tests 3/7 passing earn at most half of 40; coverage above the 80% target earns 20; 3 of 4 items earn 15.
    expect(out.breakdown.tests.points).toBeCloseTo(17.14, 2);
    expect(out.breakdown.coverage.points).toBe(20);
    expect(out.breakdown.checklist.points).toBe(15);
    expect(out.breakdown.security).toMatchObject({ points: 0, present: false });
    expect(out.score).toBe(52);
  });

  it('prints the reason for every point in words', async () => {
    const r = await cli(['score', '--coverage', LCOV]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['Score: 20', '  tests: 0/40 (not given)']);
    expect(r.stdout).toContain('  coverage: 20/20\n');
  });

  it('exits 1 with one clear line, and no stack trace, on a missing or broken report', async () => {
    const missing = await cli(['score', '--junit', 'no/such/*.xml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('no/such/*.xml');
    const dir = await mkdtemp(join(tmpdir(), 'rg-score-'));
    await writeFile(join(dir, 'broken.xml'), '<testsuite><testcase name="a">');
    const broken = await cli(['score', '--junit', 'broken.xml'], { cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^release-gate score: JUnit report broken\.xml: unexpected end of file/);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
  });

  it('asks for evidence when none is given', async () => {
    const r = await cli(['score']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'release-gate score: no evidence given. Pass --junit, --coverage, --sarif, --checklist or --evidence-url (see --help).\n',
    );
  });
});

describe('release-gate evaluate with evidence files', () => {
  it('computes the whole decision locally from real reports', async () => {
    const r = await cli([
      'evaluate',
      '--env',
      'PROD',
      '--policy',
      `${POLICIES}aurora-seed.yml`,
      '--at',
      '2026-01-31T21:00:00-03:00',
      '--deployed',
      'PRE_PROD@2026-01-31T20:05:00Z',
      '--approver',
      'ana',
      '--junit',
      PYTEST,
      '--json',
    ]);
    // The Aurora policy weighs only the evidence URL: test reports alone give it a score of 0.
    const out = r.json();
    expect(out.decision).toBe('block');
    expect(out.score).toBe(0);
    expect(out.rules.find((x: { code: string }) => x.code === 'SCORE_TOO_LOW').message).toBe(
      'Score 0 < minScore 70 required for PROD.',
    );
  });
});
