import { describe, expect, it } from 'vitest';
import type { SarifFinding } from '../../src/core/evidence-types.js';
import { MAX_FINDINGS, mergeSecurityReports, parseSarif } from '../../src/evidence/sarif.js';
import { streamOf } from './helpers.js';

const parse = (log: unknown) => parseSarif(streamOf([JSON.stringify(log)]));
const at = (uri: string, region?: object, extra: object = {}) => [
  { physicalLocation: { artifactLocation: { uri, ...extra }, ...(region ? { region } : {}) } },
];
const finding = (f: Partial<SarifFinding>): SarifFinding => ({
  level: 'warning',
  ruleId: null,
  message: '',
  file: null,
  startLine: null,
  endLine: null,
  startColumn: null,
  endColumn: null,
  ...f,
});

describe('SARIF findings', () => {
  it('take their level from result.level, else the rule default (by index, id or extension), else warning; kind other than fail is none; a rule given by index names the finding', async () => {
    const r = await parse({
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'scan',
              rules: [
                { id: 'sec/inject', defaultConfiguration: { level: 'error' }, shortDescription: { text: 'Injection' } },
                { id: 'style/naming', defaultConfiguration: { level: 'note' } },
                { id: 'plain' },
              ],
            },
            extensions: [{ name: 'pack', rules: [{ id: 'pack/leak', defaultConfiguration: { level: 'error' } }] }],
          },
          results: [
            {
              ruleId: 'style/naming',
              level: 'warning',
              message: { text: 'explicit level wins over the note default' },
              locations: at('src/a.ts', { startLine: 1 }),
            },
            {
              ruleIndex: 0,
              message: { text: 'default by index' },
              locations: at('src/b.ts', { startLine: 7, endLine: 9 }),
            },
            { ruleId: 'style/naming', message: { text: 'default by id' } },
            { ruleId: 'plain', message: { text: 'a rule without a default' } },
            { ruleId: 'unknown/rule', message: { text: 'no rule at all' } },
            {
              rule: { index: 0, toolComponent: { index: 0 } },
              ruleId: 'pack/leak',
              message: { text: 'default from the extension' },
            },
            { ruleId: 'sec/inject/sub', message: { text: 'hierarchical id falls back to its parent' } },
            { ruleId: 'sec/inject', kind: 'pass', message: { text: 'passed' } },
          ],
        },
      ],
    });
    expect(r.results).toEqual({ error: 3, warning: 3, note: 1, none: 1 });
    expect(r.findings!.map((f) => [f.level, f.ruleId, f.message])).toEqual([
      ['error', 'sec/inject', 'default by index'],
      ['error', 'pack/leak', 'default from the extension'],
      ['error', 'sec/inject/sub', 'hierarchical id falls back to its parent'],
      ['warning', 'style/naming', 'explicit level wins over the note default'],
      ['warning', 'plain', 'a rule without a default'],
      ['warning', 'unknown/rule', 'no rule at all'],
      ['note', 'style/naming', 'default by id'],
      ['none', 'sec/inject', 'passed'],
    ]);
    expect(r.findings![0]).toEqual({
      level: 'error',
      ruleId: 'sec/inject',
      message: 'default by index',
      file: 'src/b.ts',
      startLine: 7,
      endLine: 9,
      startColumn: null,
      endColumn: null,
    });
    expect(r.findingsOmitted).toBe(0);
  });

  it('resolve uriBaseId against originalUriBaseIds, strip file:// to a path, and read artifacts by index', async () => {
    const r = await parse({
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 'scan' } },
          originalUriBaseIds: {
            REPO: { uri: 'file:///home/runner/work/app/app/' },
            SRC: { uri: 'src/', uriBaseId: 'REPO' },
            WIN: { uri: 'file:///C:/build/' },
          },
          artifacts: [{ location: { uri: 'lib/util.ts', uriBaseId: 'SRC' } }],
          results: [
            {
              level: 'error',
              message: { text: 'a' },
              locations: at(
                'src/db/query%20builder.ts',
                { startLine: 42, startColumn: 5, endColumn: 19 },
                { uriBaseId: 'REPO' },
              ),
            },
            {
              level: 'error',
              message: { text: 'b' },
              locations: at('api/user.ts', { startLine: 3 }, { uriBaseId: 'SRC' }),
            },
            { level: 'error', message: { text: 'c' }, locations: at('../outside.ts', undefined, { uriBaseId: 'SRC' }) },
            { level: 'error', message: { text: 'd' }, locations: at('main.c', undefined, { uriBaseId: 'WIN' }) },
            {
              level: 'error',
              message: { text: 'e' },
              locations: at('app/x.ts', undefined, { uriBaseId: '%SRCROOT%' }),
            },
            {
              level: 'error',
              message: { text: 'f' },
              locations: [{ physicalLocation: { artifactLocation: { index: 0 }, region: { startLine: 2 } } }],
            },
            { level: 'error', message: { text: 'g' }, locations: at('https://example.com/code/file.cs') },
            {
              level: 'error',
              message: { text: 'h' },
              locations: at('file:///home/buildAgent/src/list.h', { startLine: 10 }),
            },
          ],
        },
      ],
    });
    expect(r.findings!.map((f) => f.file)).toEqual([
      '/home/runner/work/app/app/src/db/query builder.ts',
      '/home/runner/work/app/app/src/api/user.ts',
      '/home/runner/work/app/app/outside.ts',
      'C:/build/main.c',
      'app/x.ts',
      '/home/runner/work/app/app/src/lib/util.ts',
      'https://example.com/code/file.cs',
      '/home/buildAgent/src/list.h',
    ]);
    expect(r.findings![0]).toMatchObject({ startLine: 42, endLine: 42, startColumn: 5, endColumn: 19 });
    expect(r.byRule['(no rule)']!.locations[0]).toBe('/home/runner/work/app/app/src/db/query builder.ts:42');
  });

  it('fill message.id from the rule, then the driver, with its arguments; else use the rule short description; bound the message', async () => {
    const r = await parse({
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'scan',
              globalMessageStrings: { generic: { text: 'Generic problem in {0}.' } },
              rules: [
                {
                  id: 'R1',
                  shortDescription: { text: 'Tainted data reaches a sink.' },
                  messageStrings: { sink: { text: "'{0}' flows to {{sink}} {1} ({2})." } },
                },
              ],
            },
          },
          results: [
            { ruleId: 'R1', level: 'error', message: { id: 'sink', arguments: ['req.query.id', 'db.query'] } },
            { ruleId: 'R1', level: 'error', message: { id: 'generic', arguments: ['main.ts'] } },
            { ruleId: 'R1', level: 'error', message: { id: 'missing' } },
            { ruleId: 'R1', level: 'error', message: { text: 'y'.repeat(5000) } },
          ],
        },
      ],
    });
    expect(r.findings!.map((f) => f.message.slice(0, 60))).toEqual([
      "'req.query.id' flows to {sink} db.query ({2}).",
      'Generic problem in main.ts.',
      'Tainted data reaches a sink.',
      'y'.repeat(60),
    ]);
    expect(r.findings![3]!.message).toBe(`${'y'.repeat(999)}…`);
  });

  it('keep every error before any warning when the results pass the bound, and count the rest', async () => {
    const results = [
      ...Array.from({ length: 1200 }, (_, i) => ({ ruleId: 'W', level: 'warning', message: { text: `w${i}` } })),
      ...Array.from({ length: 5 }, (_, i) => ({ ruleId: 'E', level: 'error', message: { text: `e${i}` } })),
    ];
    const a = await parse({ version: '2.1.0', runs: [{ tool: { driver: { name: 'scan' } }, results }] });
    expect(a.findings).toHaveLength(MAX_FINDINGS);
    expect(a.findings!.slice(0, 6).map((f) => f.message)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'w0']);
    expect(a.findings!.at(-1)!.message).toBe('w994');
    expect(a.findingsOmitted).toBe(205);

    const b = await parse({
      version: '2.1.0',
      runs: [
        { tool: { driver: { name: 'other' } }, results: [{ ruleId: 'X', level: 'error', message: { text: 'x0' } }] },
      ],
    });
    const m = mergeSecurityReports([a, b]);
    expect(m.results).toEqual({ error: 6, warning: 1200, note: 0, none: 0 });
    expect(m.findings!.slice(0, 7).map((f) => f.message)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'x0', 'w0']);
    expect(m.findings).toHaveLength(MAX_FINDINGS);
    expect(m.findingsOmitted).toBe(206);
  });

  it('merge counts a report without findings as omitted', () => {
    const withFindings = {
      files: 1,
      runs: 1,
      results: { error: 1, warning: 0, note: 0, none: 0 },
      byRule: {},
      perRun: [],
      findings: [finding({ level: 'error', message: 'kept' })],
      findingsOmitted: 0,
    };
    const without = { files: 1, runs: 1, results: { error: 2, warning: 0, note: 0, none: 0 }, byRule: {}, perRun: [] };
    const m = mergeSecurityReports([withFindings, without]);
    expect(m.findings!.map((f) => f.message)).toEqual(['kept']);
    expect(m.findingsOmitted).toBe(2);
  });
});
