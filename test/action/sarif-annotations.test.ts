import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvidenceBundle, SarifFinding } from '../../src/core/evidence-types.js';
import { buildAnnotations } from '../../action/src/annotations.js';
import type { GitHubServer } from '../support/fake-github.js';
import { runAction, startCheckRunsServer, workspace } from './helpers.js';
import { webhookExample } from '../support/webhooks.js';

const POLICY = `version: 1
environments:
  - name: DEV
    github: development
`;
const SHA = 'a10867b14bb761a232cd80139fbd4c0d33264240';
const push = () => ({ name: 'push', payload: { ...webhookExample('push'), after: SHA } });

const finding = (f: Partial<SarifFinding>): SarifFinding => ({
  level: 'error',
  ruleId: 'js/xss',
  message: 'm',
  file: 'src/a.ts',
  startLine: 1,
  endLine: 1,
  startColumn: null,
  endColumn: null,
  ...f,
});
const security = (
  findings: SarifFinding[],
  error = findings.filter((f) => f.level === 'error').length,
): EvidenceBundle => ({
  security: {
    files: 1,
    runs: 1,
    results: { error, warning: findings.length - error, note: 0, none: 0 },
    byRule: {},
    perRun: [],
    findings,
    findingsOmitted: 0,
  },
});

describe('SARIF annotations from findings', () => {
  it('annotate each error-level result exactly: its file, lines, columns on one line, rule as title and its message', () => {
    const ws = '/home/runner/work/app/app';
    const { annotations, omitted } = buildAnnotations(
      security([
        finding({
          ruleId: 'js/sql-injection',
          message: 'SQL built from user input.',
          file: `${ws}/src/db/query.ts`,
          startLine: 42,
          endLine: 42,
          startColumn: 5,
          endColumn: 19,
        }),
        finding({
          ruleId: 'js/path-injection',
          message: 'Path from user input.',
          file: 'src/fs.ts',
          startLine: 10,
          endLine: 14,
          startColumn: 3,
          endColumn: 8,
        }),
        finding({ ruleId: null, message: '', file: 'src/no-region.ts', startLine: null, endLine: null }),
        finding({ file: '/elsewhere/a.ts' }),
        finding({ file: 'https://example.com/a.ts' }),
        finding({ file: null }),
        finding({ level: 'warning', file: 'src/warn.ts' }),
      ]),
      ws,
    );
    expect(annotations).toEqual([
      {
        path: 'src/db/query.ts',
        start_line: 42,
        end_line: 42,
        start_column: 5,
        end_column: 19,
        annotation_level: 'failure',
        title: 'js/sql-injection',
        message: 'SQL built from user input.',
      },
      {
        path: 'src/fs.ts',
        start_line: 10,
        end_line: 14,
        annotation_level: 'failure',
        title: 'js/path-injection',
        message: 'Path from user input.',
      },
      {
        path: 'src/no-region.ts',
        start_line: 1,
        end_line: 1,
        annotation_level: 'failure',
        title: 'SARIF result',
        message: 'SARIF result: a result at level error.',
      },
    ]);
    expect(omitted).toBe(0);
  });

  it('count error-level results that the findings could not hold as left out', () => {
    const { annotations, omitted } = buildAnnotations(security([finding({})], 4), '/ws');
    expect(annotations).toHaveLength(1);
    expect(omitted).toBe(3);
  });
});

describe('the bundled Action with a SARIF log', () => {
  let gh: GitHubServer;
  let checkRuns: Array<{ id: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

  beforeEach(async () => void ({ gh, checkRuns } = await startCheckRunsServer(5000)));
  afterEach(() => gh.close());

  it('annotates an error result on its exact lines, with the level from the rule default and the path under uriBaseId', async () => {
    const dir = await workspace({ '.github/release-policy.yml': POLICY });
    const sarif = {
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'CodeQL',
              rules: [
                {
                  id: 'js/sql-injection',
                  defaultConfiguration: { level: 'error' },
                  messageStrings: { flow: { text: 'This query depends on {0}.' } },
                },
                { id: 'js/unused-local-variable', defaultConfiguration: { level: 'note' } },
              ],
            },
          },
          originalUriBaseIds: { SRCROOT: { uri: `file://${join(dir, 'ws')}/` } },
          results: [
            {
              ruleId: 'js/unused-local-variable',
              message: { text: 'Unused variable x.' },
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: { uri: 'src/a.ts', uriBaseId: 'SRCROOT' },
                    region: { startLine: 3 },
                  },
                },
              ],
            },
            {
              ruleId: 'js/sql-injection',
              message: { id: 'flow', arguments: ['a user-provided value'] },
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: { uri: 'src/db/query.ts', uriBaseId: 'SRCROOT' },
                    region: { startLine: 42, endLine: 44, startColumn: 9, endColumn: 3 },
                  },
                },
              ],
            },
            {
              ruleId: 'js/sql-injection',
              level: 'error',
              message: { text: 'Query built from a request parameter.' },
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: { uri: 'src/api/user.ts', uriBaseId: 'SRCROOT' },
                    region: { startLine: 7, startColumn: 12, endColumn: 30 },
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    await workspaceFile(dir, 'scans/codeql.sarif', JSON.stringify(sarif));
    const run = await runAction({
      dir,
      apiUrl: gh.url,
      event: push(),
      inputs: { environment: 'DEV', sarif: 'scans/*.sarif' },
    });
    expect(run.code).toBe(0);
    expect(checkRuns[0]!.body.output.annotations).toEqual([
      {
        path: 'src/db/query.ts',
        start_line: 42,
        end_line: 44,
        annotation_level: 'failure',
        title: 'js/sql-injection',
        message: 'This query depends on a user-provided value.',
      },
      {
        path: 'src/api/user.ts',
        start_line: 7,
        end_line: 7,
        start_column: 12,
        end_column: 30,
        annotation_level: 'failure',
        title: 'js/sql-injection',
        message: 'Query built from a request parameter.',
      },
    ]);
    expect(run.summary).toContain('### Security results at level error (2)');
    expect(run.summary).toContain(
      `| \`js/sql-injection\` | 2 | ${join(dir, 'ws')}/src/db/query.ts:42, ${join(dir, 'ws')}/src/api/user.ts:7 |`,
    );
    expect(run.summary).not.toContain('js/unused-local-variable');
    expect(gh.violations).toEqual([]);
  });

  it('sends at most 500 SARIF annotations in batches of 50 and says how many were left out', async () => {
    const results = Array.from({ length: 1200 }, (_, i) => ({
      ruleId: 'js/xss',
      level: 'error',
      message: { text: `Cross-site scripting ${i}.` },
      locations: [
        { physicalLocation: { artifactLocation: { uri: `src/views/v${i}.ts` }, region: { startLine: i + 1 } } },
      ],
    }));
    const dir = await workspace({
      '.github/release-policy.yml': POLICY,
      'scans/x.sarif': JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'scan' } }, results }] }),
    });
    const run = await runAction({
      dir,
      apiUrl: gh.url,
      event: push(),
      inputs: { environment: 'DEV', sarif: 'scans/x.sarif' },
    });
    expect(run.code).toBe(0);
    const output = checkRuns[0]!.body.output;
    const sent = [
      output.annotations,
      ...gh
        .calls('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}')
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        .map((p) => (p.body as any).output.annotations),
    ];
    expect(sent.map((a) => a.length)).toEqual(Array(10).fill(50));
    expect(sent[9].at(-1)).toEqual({
      path: 'src/views/v499.ts',
      start_line: 500,
      end_line: 500,
      annotation_level: 'failure',
      title: 'js/xss',
      message: 'Cross-site scripting 499.',
    });
    expect(output.summary).toContain('_700 further annotations were left out (at most 500 are sent)._');
    expect(run.summary).toContain('### Security results at level error (1200)');
    expect(gh.violations).toEqual([]);
  });
});

async function workspaceFile(dir: string, path: string, content: string): Promise<void> {
  const { mkdir, writeFile } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  await mkdir(dirname(join(dir, 'ws', path)), { recursive: true });
  await writeFile(join(dir, 'ws', path), content);
}
