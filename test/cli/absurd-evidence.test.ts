import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scoreEvidence } from '../../src/core/score.js';
import { defaultScoring } from '../../src/core/policy-load.js';
import { cli } from './helpers.js';

async function files(entries: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-absurd-'));
  for (const [name, text] of Object.entries(entries)) await writeFile(join(dir, name), text);
  return dir;
}

const SARIF_OK = { version: '2.1.0', runs: [{ tool: { driver: { name: 'scanner' } }, results: [] }] };

// SECURITY.md T6: absurd evidence is invalid evidence, never full marks.
describe('SECURITY.md T6 absurd evidence through `release-gate score`', () => {
  it('refuses an lcov tracefile with more lines hit than found (LH > LF), naming the file and line', async () => {
    const dir = await files({ 'lcov.info': 'TN:\nSF:src/a.ts\nDA:1,1\nLF:1\nLH:100\nend_of_record\n' });
    const r = await cli(['score', '--coverage', 'lcov.info'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'release-gate score: coverage report lcov.info: src/a.ts: LH:100 (lines hit) is more than LF:1 (lines found) (line 5): the counts are inconsistent, so the tracefile cannot be scored\n',
    );
  });

  it('refuses LH=1e26 written out in digits: no program has that many lines', async () => {
    const dir = await files({ 'lcov.info': `SF:src/a.ts\nLF:1\nLH:1${'0'.repeat(26)}\nend_of_record\n` });
    const r = await cli(['score', '--coverage', 'lcov.info'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^release-gate score: coverage report lcov\.info: LH is 1000+, more lines or branches than any program has \(line 3\): the tracefile is corrupt\n$/,
    );
  });

  it('refuses an Istanbul summary whose total covers more lines than it has', async () => {
    const dir = await files({
      'coverage-summary.json': JSON.stringify({ total: { lines: { total: 10, covered: 1000, pct: 10000 } } }),
    });
    const r = await cli(['score', '--coverage', 'coverage-summary.json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'release-gate score: coverage report coverage-summary.json: "total" lines: covered 1000 is more than total 10: the counts are inconsistent, so the summary cannot be scored\n',
    );
  });

  it('gives no security points to a SARIF log with runs: []', async () => {
    const dir = await files({ 'scan.sarif': JSON.stringify({ version: '2.1.0', runs: [] }) });
    const r = await cli(['score', '--sarif', 'scan.sarif', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.breakdown.security.points).toBe(0);
    expect(out.breakdown.security.reasons[0]).toBe(
      '0 SARIF runs: 0 error, 0 warning, 0 note, 0 none; the SARIF log has no run, so no scan is shown to have run: no points',
    );
  });

  it('gives no security points to a run whose results are null (the tool produced none)', async () => {
    const dir = await files({
      'scan.sarif': JSON.stringify({
        version: '2.1.0',
        runs: [{ tool: { driver: { name: 'scanner' } }, results: null }],
      }),
    });
    const r = await cli(['score', '--sarif', 'scan.sarif', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.breakdown.security.points).toBe(0);
    expect(out.breakdown.security.reasons[1]).toMatch(/^1 run with "results" null or absent/);
    // The same scan with "results": [] is a clean scan and earns the points.
    await writeFile(join(dir, 'clean.sarif'), JSON.stringify(SARIF_OK));
    const clean = await cli(['score', '--sarif', 'clean.sarif', '--json'], { cwd: dir });
    expect(clean.json().breakdown.security.points).toBe(20);
  });

  it('refuses a SARIF log with a duplicate "runs" key (JSON.parse would keep the clean one)', async () => {
    const failing = JSON.stringify({
      tool: { driver: { name: 'scanner' } },
      results: [{ level: 'error', message: { text: 'SQL injection' } }],
    });
    const clean = JSON.stringify(SARIF_OK.runs[0]);
    const dir = await files({ 'scan.sarif': `{"version":"2.1.0",\n"runs":[${failing}],\n"runs":[${clean}]}` });
    const r = await cli(['score', '--sarif', 'scan.sarif'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'release-gate score: SARIF log scan.sarif: the key "runs" is given twice in the document: a report with duplicate keys is ambiguous (line 3, column 6)\n',
    );
  });

  it('scores a JUnit suite declaring failures="100" around one passing case by the worse of the two, and says why', async () => {
    const dir = await files({
      'junit.xml': '<testsuite name="api" tests="1" failures="100">\n  <testcase name="ok"/>\n</testsuite>\n',
    });
    const r = await cli(['score', '--junit', 'junit.xml', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.evidence.tests).toMatchObject({ tests: 1, passed: 1, unlistedFailures: 100 });
    // 1 of 101 passed, and failing tests earn at most half: far from the 40 full points.
    expect(out.breakdown.tests.points).toBeCloseTo(0.4, 1);
    expect(out.breakdown.tests.reasons[1]).toBe(
      'the suites declare 100 more failures and errors than their test cases show (suite "api" (line 1) declares 100 failures and errors but its test cases show 0): the worse of declared and counted is scored, so they count as failing',
    );
  });

  it('does not double count nested suites whose totals agree with their cases', async () => {
    const xml =
      '<testsuites failures="1"><testsuite name="a" failures="1"><testcase name="x"><failure/></testcase><testcase name="y"/></testsuite></testsuites>';
    const dir = await files({ 'junit.xml': xml });
    const out = (await cli(['score', '--junit', 'junit.xml', '--json'], { cwd: dir })).json();
    expect(out.evidence.tests).toMatchObject({ tests: 2, passed: 1, failed: 1 });
    expect(out.evidence.tests.unlistedFailures).toBeUndefined();
  });
});

describe('SECURITY.md T6 the score itself refuses counts that cannot be true (from any source)', () => {
  const now = new Date('2026-03-10T15:00:00Z');
  const scoring = defaultScoring();
  it('coverage above 100% earns nothing', () => {
    const r = scoreEvidence(
      {
        coverage: {
          formats: ['lcov'],
          lines: { covered: 1e26, total: 1, pct: 1e28 },
          branches: { covered: 0, total: 0, pct: null },
          fileCoverage: [],
        },
      },
      scoring,
      now,
    );
    expect(r.breakdown.coverage!.points).toBe(0);
    expect(r.breakdown.coverage!.reasons[0]).toBe(
      'the line counts are inconsistent (1e+26 covered of 1): coverage above 100% is no evidence, so no points',
    );
  });
  it('test totals that do not add up earn nothing', () => {
    const tests = {
      files: 1,
      suites: 1,
      tests: 1000,
      passed: 1000,
      failed: 0,
      errors: 0,
      skipped: 5,
      flaky: 0,
      durationMs: 0,
      failures: [],
      failuresOmitted: 0,
    };
    const r = scoreEvidence({ tests }, scoring, now);
    expect(r.breakdown.tests!.points).toBe(0);
  });
  it('a security report without runs earns nothing', () => {
    const r = scoreEvidence(
      { security: { files: 1, runs: 0, results: { error: 0, warning: 0, note: 0, none: 0 }, byRule: {}, perRun: [] } },
      scoring,
      now,
    );
    expect(r.breakdown.security!.points).toBe(0);
  });
});
