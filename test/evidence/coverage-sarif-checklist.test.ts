import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseChecklistText } from '../../src/evidence/checklist.js';
import { parseCoverage } from '../../src/evidence/coverage.js';
import { parseSarif } from '../../src/evidence/sarif.js';
import { EXTERNAL, fileStream, rejection, streamOf, walk } from './helpers.js';

const COVERALLS = join(EXTERNAL, 'coverallsapp-coverage-reporter');
const SARIF = join(EXTERNAL, 'sarif-sdk');

/** Fixtures that are not well-formed XML (a </methods> with no <methods>): rejected, not guessed at. */
const MALFORMED: Record<string, string> = {
  'spec/fixtures/cobertura/cobertura.xml':
    'mismatched end tag: expected </class>, found </methods> (line 781, column 21)',
  'spec/fixtures/cobertura/cobertura-oneline.xml':
    'mismatched end tag: expected </class>, found </methods> (line 1, column 29870)',
};

describe('coverage parsers on the coverage-reporter corpus (every file)', () => {
  const files = walk(COVERALLS).filter((f) => f !== 'LICENSE');
  it('walks the whole corpus', () => expect(files.length).toBeGreaterThan(30));

  for (const f of files) {
    const path = join(COVERALLS, f);
    const text = readFileSync(path, 'utf8');
    if (MALFORMED[f]) {
      it(`${f}: malformed XML, rejected`, async () => {
        expect((await rejection(parseCoverage(fileStream(path)))).message).toBe(MALFORMED[f]);
      });
    } else if (/\.(lcov)$/.test(f) && text.trim() !== '') {
      it(`${f}: lcov, totals agree with its DA records`, async () => {
        const r = await parseCoverage(fileStream(path));
        expect(r.formats).toEqual(['lcov']);
        const da = [...text.matchAll(/^DA:\d+,(\d+)/gm)].map((m) => Number(m[1]));
        expect([r.lines.covered, r.lines.total]).toEqual([da.filter((h) => h > 0).length, da.length]);
      });
    } else if (
      /^(<\?xml[^>]*>\s*)?(<!DOCTYPE[^>]*>\s*)?<coverage[^>]*lines-valid=/.test(
        text.replace(/<!--[\s\S]*?-->/g, '').trim(),
      )
    ) {
      it(`${f}: Cobertura, totals agree with the root's lines-covered/lines-valid`, async () => {
        const r = await parseCoverage(fileStream(path));
        expect(r.formats).toEqual(['cobertura']);
        const valid = Number(/lines-valid="(\d+)"/.exec(text)![1]);
        const covered = Number(/lines-covered="(\d+)"/.exec(text)![1]);
        expect([r.lines.covered, r.lines.total]).toEqual([covered, valid]);
      });
    } else {
      // JaCoCo, Clover, gcov, Go, luacov, SimpleCov and Coveralls JSON, empty lcov: formats we do not read.
      it(`${f}: not a format we read, rejected with a clear error`, async () => {
        const err = await rejection(parseCoverage(fileStream(path)));
        expect(err.message).toMatch(
          /^(not a Cobertura XML report: the root element is <report>|Clover XML is not supported|not an lcov tracefile: unexpected line \d+|not an Istanbul coverage-summary.json: no "total" entry|the file is empty|not an lcov tracefile: no SF: record found)/,
        );
      });
    }
  }

  it('reads branches from Cobertura condition-coverage', async () => {
    const r = await parseCoverage(fileStream(join(COVERALLS, 'spec/fixtures/cobertura/cobertura-conditions.xml')));
    expect(r.branches).toEqual({ covered: 4, total: 9, pct: 44.44 });
    expect(r.fileCoverage).toEqual([
      {
        file: 'src/branchy.py',
        lines: { covered: 5, total: 6, pct: 83.33 },
        branches: { covered: 4, total: 9, pct: 44.44 },
      },
    ]);
  });

  it('reads an Istanbul coverage-summary.json', async () => {
    const json = JSON.stringify({
      total: {
        lines: { total: 10, covered: 7, skipped: 0, pct: 70 },
        branches: { total: 4, covered: 1, skipped: 0, pct: 25 },
      },
      '/src/a.js': {
        lines: { total: 10, covered: 7, skipped: 0, pct: 70 },
        branches: { total: 4, covered: 1, skipped: 0, pct: 25 },
      },
    });
    const r = await parseCoverage(streamOf([json]));
    expect(r).toEqual({
      formats: ['istanbul-summary'],
      lines: { covered: 7, total: 10, pct: 70 },
      branches: { covered: 1, total: 4, pct: 25 },
      fileCoverage: [
        { file: '/src/a.js', lines: { covered: 7, total: 10, pct: 70 }, branches: { covered: 1, total: 4, pct: 25 } },
      ],
    });
  });

  it('rejects a 0-byte file and an endless lcov line', async () => {
    expect((await rejection(parseCoverage(streamOf([''])))).message).toBe('the file is empty');
    async function* endless(): AsyncGenerator<Buffer> {
      const block = Buffer.alloc(1024 * 1024, 0x61);
      for (let i = 0; i < 3000; i++) yield block;
    }
    expect((await rejection(parseCoverage(endless()))).message).toBe('line 1 is longer than 1048576 bytes');
  });
});

describe('SARIF parser on the sarif-sdk corpus (every file)', () => {
  const files = walk(SARIF).filter((f) => f !== 'LICENSE');
  it('walks the whole corpus', () => expect(files.length).toBe(97));

  const REJECTED: Record<string, string> = {
    'src/Test.FunctionalTests.Sarif/TestData/Multitool/ValidateCommand/Inputs/JSON1001.SyntaxError.sarif':
      '^not valid JSON: ',
    'src/Test.FunctionalTests.Sarif/TestData/Multitool/ValidateCommand/Inputs/JSON1002.DeserializationError.sarif':
      '^invalid SARIF: runs\\[0\\]\\.results\\[0\\]\\.stacks\\[0\\]\\.frames is required$',
    'src/Test.FunctionalTests.Sarif/TestData/Multitool/ValidateCommand/Inputs/SimpleExample.sarif-external-properties.json':
      '^not a SARIF log: "runs" must be an array$',
  };

  for (const f of files) {
    const path = join(SARIF, f);
    // The spec examples are drafts of SARIF 2.0.0: a clear version error, not a guess.
    const reject =
      REJECTED[f] ?? (f.includes('/v2/SpecExamples/') ? '^not a SARIF 2.1.0 log: "version" is "2\\.0\\.0' : undefined);
    if (reject) {
      it(`${f}: rejected with a clear error`, async () => {
        expect((await rejection(parseSarif(fileStream(path)))).message).toMatch(new RegExp(reject));
      });
    } else {
      it(`${f}: loads; one result counted per results[] entry`, async () => {
        const r = await parseSarif(fileStream(path));
        const doc = JSON.parse(readFileSync(path, 'utf8').replace(/^\ufeff/, '')) as {
          runs: Array<{ results?: unknown[] | null }>;
        };
        const n = doc.runs.reduce((a, run) => a + (run.results?.length ?? 0), 0);
        expect(r.runs).toBe(doc.runs.length);
        expect(r.results.error + r.results.warning + r.results.note + r.results.none).toBe(n);
        // Every result is a finding (none of these logs reaches the bound), most severe first.
        expect(r.findings!.length).toBe(n);
        expect(r.findingsOmitted).toBe(0);
        for (const level of ['error', 'warning', 'note', 'none'] as const)
          expect(r.findings!.filter((x) => x.level === level).length).toBe(r.results[level]);
        const rank = r.findings!.map((x) => ['error', 'warning', 'note', 'none'].indexOf(x.level));
        expect(rank).toEqual([...rank].sort((a, b) => a - b));
      });
    }
  }

  it('levels: explicit, rule default, kind other than fail, and warning by default', async () => {
    const log = {
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 'scan', rules: [{ id: 'R1', defaultConfiguration: { level: 'error' } }] } },
          results: [
            {
              ruleId: 'R1',
              message: { text: 'a' },
              locations: [{ physicalLocation: { artifactLocation: { uri: 'src/a.ts' }, region: { startLine: 3 } } }],
            },
            { ruleId: 'R2', message: { text: 'b' } },
            { ruleId: 'R2', level: 'note', message: { text: 'c' } },
            { ruleId: 'R3', kind: 'pass', message: { text: 'd' } },
          ],
        },
      ],
    };
    const r = await parseSarif(streamOf([JSON.stringify(log)]));
    expect(r.results).toEqual({ error: 1, warning: 1, note: 1, none: 1 });
    expect(r.byRule.R1).toEqual({ results: { error: 1, warning: 0, note: 0, none: 0 }, locations: ['src/a.ts:3'] });
    expect(r.perRun).toEqual([{ tool: 'scan', results: { error: 1, warning: 1, note: 1, none: 1 } }]);
  });

  it('rejects another version, an empty file and a rule id of __proto__ does not break the summary', async () => {
    expect((await rejection(parseSarif(streamOf(['{"version":"2.0.0","runs":[]}'])))).message).toBe(
      'not a SARIF 2.1.0 log: "version" is "2.0.0", expected "2.1.0"',
    );
    expect((await rejection(parseSarif(streamOf([''])))).message).toBe('the file is empty');
    const r = await parseSarif(
      streamOf([
        JSON.stringify({
          version: '2.1.0',
          runs: [{ tool: { driver: { name: 't' } }, results: [{ ruleId: '__proto__', message: { text: 'x' } }] }],
        }),
      ]),
    );
    expect(r.byRule['__proto__']!.results.warning).toBe(1);
  });
});

describe('checklist', () => {
  it('counts checked and unchecked task items, not those in code blocks', () => {
    const body = [
      '## Deploy checklist',
      '- [x] migrations reviewed',
      '* [X] rollback plan',
      '  - [ ] backup taken',
      '1. [ ] release owner named',
      '- [] not a task',
      '```',
      '- [ ] an example in a code block',
      '```',
      '> - [x] quoted task',
    ].join('\r\n');
    expect(parseChecklistText(body)).toEqual({
      items: 5,
      checked: 3,
      unchecked: 2,
      list: [
        { text: 'migrations reviewed', checked: true },
        { text: 'rollback plan', checked: true },
        { text: 'backup taken', checked: false },
        { text: 'release owner named', checked: false },
        { text: 'quoted task', checked: true },
      ],
    });
  });
});
