import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { collectEvidence, evidenceJson, EvidenceError } from '../../src/evidence/index.js';
import { rejection } from './helpers.js';

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rg-evidence-'));
  mkdirSync(join(dir, 'reports/unit'), { recursive: true });
  writeFileSync(
    join(dir, 'reports/unit/a.xml'),
    '<testsuite name="a"><testcase name="one" time="0.5"/><testcase classname="C" name="two" file="a.py" line="7"><failure message="bad">trace</failure></testcase></testsuite>',
  );
  writeFileSync(
    join(dir, 'reports/unit/b.xml'),
    '<testsuites><testsuite name="b"><testcase name="three"><skipped/></testcase></testsuite></testsuites>',
  );
  writeFileSync(join(dir, 'lcov.info'), 'SF:src/a.ts\nDA:1,1\nDA:2,0\nBRDA:1,0,0,1\nBRDA:1,0,1,-\nend_of_record\n');
  writeFileSync(join(dir, 'broken.xml'), '<testsuite><testcase>');
  writeFileSync(
    join(dir, 'scan.sarif'),
    JSON.stringify({
      version: '2.1.0',
      runs: [{ tool: { driver: { name: 't' } }, results: [{ level: 'error', ruleId: 'X', message: { text: 'm' } }] }],
    }),
  );
  return dir;
}

describe('collectEvidence', () => {
  it('reads globs, directories and files into one bundle and prints the --json evidence shape', async () => {
    const cwd = workspace();
    const bundle = await collectEvidence({
      cwd,
      junit: ['reports'],
      coverage: ['*.info'],
      sarif: ['scan.sarif'],
      checklistText: '- [x] a\n- [ ] b',
      concurrency: 1,
    });
    expect(evidenceJson(bundle)).toEqual({
      tests: {
        files: 2,
        suites: 2,
        tests: 3,
        passed: 1,
        failed: 1,
        errors: 0,
        skipped: 1,
        flaky: 0,
        durationMs: 500,
        failures: [
          {
            kind: 'failure',
            suite: 'a',
            classname: 'C',
            name: 'two',
            file: 'a.py',
            line: 7,
            message: 'bad',
            output: 'trace',
            truncated: false,
          },
        ],
        failuresOmitted: 0,
      },
      coverage: {
        lines: { covered: 1, total: 2, pct: 50 },
        branches: { covered: 1, total: 2, pct: 50 },
        files: 1,
        formats: ['lcov'],
      },
      security: {
        results: { error: 1, warning: 0, note: 0, none: 0 },
        runs: 1,
        files: 1,
        byRule: { X: { results: { error: 1, warning: 0, note: 0, none: 0 }, locations: [] } },
      },
      checklist: { items: 2, checked: 1, unchecked: 1 },
    });
  });

  it('omits kinds that were not given', async () => {
    expect(evidenceJson(await collectEvidence({ cwd: workspace() }))).toEqual({});
  });

  it('reads stdin for -', async () => {
    const bundle = await collectEvidence({
      cwd: workspace(),
      junit: ['-'],
      stdin: Readable.from([Buffer.from('<testsuite><testcase name="x"/></testsuite>')]),
    });
    expect(bundle.tests?.tests).toBe(1);
  });

  it('names the input in the error for a glob with no match, a missing file, and an invalid file', async () => {
    const cwd = workspace();
    const none = await rejection(collectEvidence({ cwd, junit: ['out/**/*.xml'] }));
    expect(none).toBeInstanceOf(EvidenceError);
    expect(none.message).toBe('JUnit report out/**/*.xml: no file matches this path or glob');
    const broken = await rejection(collectEvidence({ cwd, junit: ['broken.xml'] }));
    expect(broken.message).toBe(
      'JUnit report broken.xml: unexpected end of file: <testcase> opened at line 1 is not closed (line 1, column 22)',
    );
    const missing = await rejection(collectEvidence({ cwd, checklist: 'nope.md' }));
    expect(missing.message).toBe('checklist nope.md: no file matches this path or glob');
    const twice = await rejection(collectEvidence({ cwd, junit: ['-'], sarif: ['-'] }));
    expect(twice.message).toBe('evidence input -: stdin can feed only one input; give the other reports as files');
  });
});
