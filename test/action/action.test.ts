import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEvidenceBlock } from '../../src/core/evidence-block.js';
import { startGitHubServer, type GitHubServer } from '../support/fake-github.js';
import { EXTERNAL, failingJunit, runAction, startCheckRunsServer, workspace } from './helpers.js';
import { webhookExample } from '../support/webhooks.js';

const POLICY = `version: 1
environments:
  - name: DEV
    github: development
  - name: PRE_PROD
    github: staging
    minScore: 40
    soak: { minutes: 30 }
  - name: PROD
    github: production
    minApprovals: 1
    approvals:
      excludeAuthor: true
    minScore: 70
`;

const SHA = 'a10867b14bb761a232cd80139fbd4c0d33264240';
const PASSING_JUNIT = `${EXTERNAL}/mikepenz-action-junit-report/test_results/nested/multi-level.xml`;
const LCOV = `${EXTERNAL}/coverallsapp-coverage-reporter/spec/fixtures/lcov/test.lcov`;

let gh: GitHubServer;
let checkRuns: Array<{ id: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeEach(async () => void ({ gh, checkRuns } = await startCheckRunsServer(4000)));
afterEach(() => gh.close());

/** Deployments of SHA to `environment` by `ci` whose latest status is `state`, reached at `at` and set by `by`. */
function deployed(environment: string, state: string, at: Date, by = 'ci'): void {
  gh.on('GET /repos/{owner}/{repo}/deployments', (req) =>
    req.query.environment === environment && req.query.sha === SHA
      ? [
          {
            id: 71,
            sha: SHA,
            ref: 'main',
            environment,
            creator: { login: 'ci' },
            created_at: new Date(at.getTime() - 60_000).toISOString(),
          },
        ]
      : [],
  );
  gh.on('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', () => [
    { id: 9, state, created_at: at.toISOString(), creator: { login: by } },
  ]);
}

function minutesAgo(n: number): Date {
  return new Date(Math.floor((Date.now() - n * 60_000) / 1000) * 1000);
}

const push = () => ({ name: 'push', payload: { ...webhookExample('push'), after: SHA } });

describe('the bundled Action, run as the runner runs it', () => {
  it('allows PRE_PROD when DEV succeeded long enough ago and the evidence scores enough', async () => {
    const dir = await workspace({
      '.github/release-policy.yml': POLICY,
      'reports/junit.xml': await readFile(PASSING_JUNIT),
    });
    deployed('development', 'success', minutesAgo(120));
    const run = await runAction({
      dir,
      apiUrl: gh.url,
      event: push(),
      inputs: { environment: 'PRE_PROD', junit: 'reports/*.xml' },
    });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ decision: 'allow', score: '40', 'blocked-by': '', 'clears-at': '' });
    expect(JSON.parse(run.outputs.breakdown!).tests).toMatchObject({
      kind: 'tests',
      weight: 40,
      points: 40,
      present: true,
    });
    expect(run.summary).toMatch(/^## Release gate: PRE_PROD\n\n✅ \*\*Allowed\*\*: the release may go on\n/);
    expect(run.summary).toContain('| ✅ | `ORDER_OK` |');
    expect(run.summary).toContain('| ✅ | `SOAK_OK` |');
    expect(run.summary).toContain('**Score: 40**');
    expect(run.summary).toContain('- Nothing: the release may go on.');
    expect(run.summary).toContain(
      "- Deployments: GitHub's deployments of a10867b to development (DEV), the latest 3 per environment, each with the latest status its creator set; 1 found. Commits with the same tree are not looked up here. The Action cannot see the App's approvals: it takes such a success as reported, where the App takes only a deployment it let through.",
    );

    expect(checkRuns).toHaveLength(1);
    const body = checkRuns[0]!.body;
    expect(body).toMatchObject({ name: 'Release evidence', head_sha: SHA, status: 'completed', conclusion: 'success' });
    expect(body.output.title).toBe('Allowed for PRE_PROD: score 40');
    expect(body.output.summary).toContain('✅ **Allowed**');
    const block = parseEvidenceBlock(body.output.text);
    expect(block).toMatchObject({
      version: 1,
      environment: 'PRE_PROD',
      score: 40,
      present: ['tests'],
      decision: 'allow',
      // The run that wrote it, for the App to trace the evidence to (SECURITY.md T5).
      run: { id: 1658821493, attempt: 2 },
    });
    expect(Object.keys(block!.digests).sort()).toEqual(['junit', 'policy']);
    expect(block!.digests.junit).toMatch(/^sha256:[0-9a-f]{64}$/);
    // No approvals are needed for PRE_PROD, so no review was read.
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/octo-org/octo-repo/deployments',
      'GET /repos/octo-org/octo-repo/deployments/71/statuses',
      'POST /repos/octo-org/octo-repo/check-runs',
    ]);
    expect(gh.requests[0]!.query).toEqual({ sha: SHA, environment: 'development', per_page: '3' });
    expect(gh.violations).toEqual([]);
  });

  // SECURITY.md T3: a deployment's state comes from statuses its creator set.
  it('does not take a success someone other than its creator set on the deployment of DEV', async () => {
    const dir = await workspace({
      '.github/release-policy.yml': POLICY,
      'reports/junit.xml': await readFile(PASSING_JUNIT),
    });
    deployed('development', 'success', minutesAgo(120), 'mallory');
    const run = await runAction({
      dir,
      apiUrl: gh.url,
      event: push(),
      inputs: { environment: 'PRE_PROD', junit: 'reports/*.xml', mode: 'report' },
    });
    // Its creator set no status: as far as the Action can tell, the deployment is still pending.
    expect(run.outputs.decision).toBe('block');
    expect(run.summary).toContain(
      '| ⏳ | `PROMOTION_ORDER` | PRE_PROD needs a successful deployment of this release to DEV first; the one reported there is pending. | predecessor: DEV; state: pending |',
    );
  });

  it('waits while DEV soaks: enforce fails with the time it clears, report does not fail', async () => {
    const dir = await workspace({
      '.github/release-policy.yml': POLICY,
      'reports/junit.xml': await readFile(PASSING_JUNIT),
    });
    const at = minutesAgo(5);
    const clears = new Date(at.getTime() + 30 * 60_000).toISOString();
    deployed('development', 'success', at);

    const enforce = await runAction({
      dir,
      apiUrl: gh.url,
      event: push(),
      inputs: { environment: 'staging', junit: 'reports/junit.xml' },
    });
    expect(enforce.code).toBe(1);
    expect(enforce.outputs).toMatchObject({
      decision: 'wait',
      score: '40',
      'blocked-by': 'SOAK_INCOMPLETE',
      'clears-at': clears,
    });
    expect(enforce.stdout).toContain(
      `::error::Release gate waits PRE_PROD: SOAK_INCOMPLETE: The release must run in DEV for 30 minute(s);`,
    );
    expect(enforce.stdout).toContain(`It clears at ${clears}.`);
    expect(enforce.summary).toContain(`⏳ **Waiting**`);
    expect(enforce.summary).toContain(`It clears by itself at **${clears}**.`);
    expect(enforce.summary).toContain('Mode `enforce`: this step fails (it passes only on allow).');
    expect(checkRuns[0]!.body.conclusion).toBe('failure');
    expect(checkRuns[0]!.body.output.title).toBe('Waiting for PRE_PROD: score 40 (SOAK_INCOMPLETE)');

    const report = await runAction({
      dir,
      apiUrl: gh.url,
      event: push(),
      inputs: { environment: 'staging', junit: 'reports/junit.xml', mode: 'report' },
    });
    expect(report.code).toBe(0);
    expect(report.outputs).toMatchObject({ decision: 'wait', 'clears-at': clears });
    expect(report.stdout).not.toContain('::error::');
    expect(report.stdout).toContain('::notice::Release gate waits PRE_PROD');
    expect(report.summary).toContain('Mode `report`: this step reports the decision and does not fail on it.');
    expect(checkRuns[1]!.body.conclusion).toBe('neutral');
    expect(gh.violations).toEqual([]);
  });

  it('blocks PROD on a pull request: no PRE_PROD deployment, only the author approved, failing tests annotated in batches of 50', async () => {
    const dir = await workspace({
      '.github/release-policy.yml': POLICY,
      'reports/junit.xml': failingJunit(120),
      'coverage/lcov.info': await readFile(LCOV),
    });
    const payload = webhookExample('pull_request', 'opened');
    payload.pull_request.body = 'Release notes\n\n- [x] migrations reviewed\n- [ ] rollback plan\n';
    const head = payload.pull_request.head.sha as string;
    gh.on('GET /repos/{owner}/{repo}/deployments', () => []);
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', () => [
      {
        id: 1,
        user: { login: 'Codertocat' },
        state: 'APPROVED',
        submitted_at: '2026-03-01T10:00:00Z',
        commit_id: head,
      },
      {
        id: 2,
        user: { login: 'hubot' },
        state: 'CHANGES_REQUESTED',
        submitted_at: '2026-03-01T11:00:00Z',
        commit_id: head,
      },
    ]);
    const run = await runAction({
      dir,
      apiUrl: gh.url,
      event: { name: 'pull_request', payload },
      inputs: { environment: 'PROD', junit: 'reports/junit.xml', coverage: 'coverage/lcov.info\n' },
      env: { GITHUB_REPOSITORY: 'Codertocat/Hello-World', GITHUB_REF: 'refs/pull/2/merge' },
    });

    expect(run.code).toBe(1);
    expect(run.outputs.decision).toBe('block');
    expect(run.outputs['blocked-by']).toBe('PROMOTION_ORDER,APPROVAL_REQUIRED,SCORE_TOO_LOW');
    expect(run.stdout).toContain(
      '::error::Release gate blocks PROD: PROMOTION_ORDER: PROD needs a successful deployment of this release (ec26c3e) to PRE_PROD first: no stage may be skipped.',
    );
    expect(run.summary).toMatch(/^## Release gate: PROD\n\n❌ \*\*Blocked\*\*: the release must not go on\n/);
    expect(run.summary).toContain('### Failing tests (120)');
    expect(run.summary).toContain('| failure | cart › adds item 0 | src/cart/item-0.test.ts:3 | expected 0 to equal 1');
    expect(run.summary).toContain(
      '- Approvals: the reviews of pull request #2 (2 read), counted as the App counts them.',
    );
    expect(run.summary).toContain('(the checklist from the pull request body)');
    expect(run.summary).toContain(
      '- `APPROVAL_REQUIRED`: Ask reviewers who may approve (not the author) to approve the pull request or the deployment.',
    );

    // The PR head, not GITHUB_SHA, is judged; reviews are read like the App reads them.
    expect(gh.calls('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews')[0]!.path).toBe(
      '/repos/Codertocat/Hello-World/pulls/2/reviews',
    );
    expect(gh.calls('GET /repos/{owner}/{repo}/deployments')[0]!.query).toMatchObject({
      sha: head,
      environment: 'staging',
    });
    expect(checkRuns[0]!.body).toMatchObject({ head_sha: head, conclusion: 'failure' });
    const first = checkRuns[0]!.body.output.annotations;
    const patches = gh.calls('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}');
    expect([first.length, ...patches.map((p) => (p.body as any).output.annotations.length)]).toEqual([50, 50, 20]); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(patches.every((p) => p.path === '/repos/Codertocat/Hello-World/check-runs/4000')).toBe(true);
    expect(first[0]).toEqual({
      path: 'src/cart/item-0.test.ts',
      start_line: 3,
      end_line: 3,
      annotation_level: 'failure',
      title: 'Test failed: cart › adds item 0',
      message: `expected 0 to equal 1 ${'x'.repeat(40)}`,
      raw_details: 'AssertionError: expected 0 to equal 1\n    at src/cart/item-0.test.ts:3:5',
    });
    const block = parseEvidenceBlock(checkRuns[0]!.body.output.text);
    expect(block).toMatchObject({
      environment: 'PROD',
      decision: 'block',
      present: ['tests', 'coverage', 'checklist'],
    });
    expect(Object.keys(block!.digests).sort()).toEqual(['checklist', 'coverage', 'junit', 'policy']);
    expect(gh.violations).toEqual([]);
  });

  it('fails closed on an invalid policy, in both modes, naming the input and the problem', async () => {
    const dir = await workspace({ '.github/release-policy.yml': POLICY.replace('minApprovals', 'minAprovals') });
    for (const mode of ['enforce', 'report']) {
      const run = await runAction({ dir, apiUrl: gh.url, event: push(), inputs: { environment: 'PROD', mode } });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        '::error::Input policy: .github/release-policy.yml:11:5: unknown key "minAprovals" in environments[2] (PROD); did you mean "minApprovals"?\n',
      );
      expect(run.outputs).toMatchObject({ decision: 'block', 'blocked-by': 'POLICY_INVALID' });
      expect(run.summary).toContain('`POLICY_INVALID`');
    }
    expect(checkRuns.map((c) => c.body.conclusion)).toEqual(['failure', 'failure']);
    expect(checkRuns[0]!.body.output.title).toBe('Blocked for PROD: no evidence score (POLICY_INVALID)');
    // Nothing else is asked of GitHub without a policy.
    expect(gh.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
    expect(gh.violations).toEqual([]);
  });

  it('fails on a missing policy file and on a glob that matches nothing, in both modes', async () => {
    const dir = await workspace({ '.github/release-policy.yml': POLICY });
    const missing = await runAction({
      dir,
      apiUrl: gh.url,
      event: push(),
      inputs: { environment: 'DEV', policy: 'ops/policy.yml', mode: 'report' },
    });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('::error::Input policy: ops/policy.yml: cannot read the policy: no such file');

    for (const mode of ['enforce', 'report']) {
      const run = await runAction({
        dir,
        apiUrl: gh.url,
        event: push(),
        inputs: { environment: 'DEV', junit: 'reports/**/*.xml', mode },
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        '::error::Input junit: JUnit report reports/**/*.xml: no file matches this path or glob',
      );
      expect(run.outputs.decision).toBe('block');
      expect(run.summary).toContain('❌ **The gate could not decide**, so it does not let the release through.');
    }
    expect(checkRuns.slice(1).map((c) => [c.body.conclusion, c.body.output.title])).toEqual([
      ['failure', 'DEV: the gate could not decide'],
      ['failure', 'DEV: the gate could not decide'],
    ]);
    expect(gh.violations).toEqual([]);
  });

  it('rejects a misspelt mode before doing anything', async () => {
    const dir = await workspace({ '.github/release-policy.yml': POLICY });
    const run = await runAction({
      dir,
      apiUrl: gh.url,
      event: push(),
      inputs: { environment: 'DEV', mode: 'enfroce' },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('::error::Input mode must be enforce or report, got "enfroce"');
    expect(gh.requests).toEqual([]);
  });

  it('keeps the check run summary under 65,535 characters and the job summary under 1 MiB with thousands of long failures', async () => {
    const dir = await workspace({
      '.github/release-policy.yml': POLICY,
      'reports/junit.xml': failingJunit(3000, { messageChars: 5000 }),
    });
    const run = await runAction({
      dir,
      apiUrl: gh.url,
      event: push(),
      inputs: { environment: 'DEV', junit: 'reports/junit.xml' },
    });
    expect(run.code).toBe(0);
    expect(run.outputs.decision).toBe('allow');
    const output = checkRuns[0]!.body.output;
    expect(output.summary.length).toBeLessThan(65_535);
    expect(output.text.length).toBeLessThan(65_535);
    expect(Buffer.byteLength(run.summary, 'utf8')).toBeLessThan(1024 * 1024);
    expect(run.summary).toMatch(/_… and \d+ more failing tests not listed here._/);
    const sent = [
      output.annotations,
      ...gh
        .calls('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}')
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        .map((p) => (p.body as any).output.annotations),
    ];
    expect(sent.map((a) => a.length)).toEqual(Array(10).fill(50));
    expect(output.summary).toMatch(/_2500 further annotations were left out \(at most 500 are sent\)._/);
    expect(gh.violations).toEqual([]);
  });
});

describe('security results', () => {
  it('annotates error-level SARIF results on the files and lines they name', async () => {
    const sarif = {
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 'CodeQL', rules: [{ id: 'js/sql-injection' }, { id: 'js/unused-var' }] } },
          results: [
            {
              ruleId: 'js/sql-injection',
              level: 'error',
              message: { text: 'SQL built from user input' },
              locations: [
                { physicalLocation: { artifactLocation: { uri: 'src/db/query.ts' }, region: { startLine: 42 } } },
              ],
            },
            {
              ruleId: 'js/unused-var',
              level: 'note',
              message: { text: 'unused' },
              locations: [{ physicalLocation: { artifactLocation: { uri: 'src/a.ts' }, region: { startLine: 3 } } }],
            },
          ],
        },
      ],
    };
    const dir = await workspace({ '.github/release-policy.yml': POLICY, 'scans/codeql.sarif': JSON.stringify(sarif) });
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
        end_line: 42,
        annotation_level: 'failure',
        title: 'js/sql-injection',
        message: 'SQL built from user input',
      },
    ]);
    expect(run.summary).toContain('### Security results at level error (1)');
    expect(run.summary).toContain('| `js/sql-injection` | 1 | src/db/query.ts:42 |');
    expect(gh.violations).toEqual([]);
  });
});

describe('Action and CLI', () => {
  it('give the same decision, score and rule codes for the same inputs', async () => {
    const { cli } = await import('../cli/helpers.js');
    const dir = await workspace({
      '.github/release-policy.yml': POLICY,
      'reports/junit.xml': failingJunit(2, { passing: 8 }),
      'coverage/lcov.info': await readFile(LCOV),
    });
    const at = minutesAgo(90);
    deployed('staging', 'success', at);
    gh.on('GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals', () => [
      { environments: [{ id: 1, name: 'production' }], state: 'approved', user: { login: 'mona' }, comment: 'ship it' },
    ]);
    const action = await runAction({
      dir,
      apiUrl: gh.url,
      event: push(),
      inputs: { environment: 'PROD', junit: 'reports/junit.xml', coverage: 'coverage/lcov.info', mode: 'report' },
    });
    const local = await cli(
      [
        'evaluate',
        '--env',
        'PROD',
        '--json',
        '--sha',
        SHA,
        '--approver',
        'mona',
        '--deployed',
        `PRE_PROD@${at.toISOString()}`,
        '--junit',
        'reports/junit.xml',
        '--coverage',
        'coverage/lcov.info',
      ],
      { cwd: join(dir, 'ws'), now: new Date().toISOString() },
    );
    const decision = local.json();
    expect(action.code).toBe(0);
    expect(action.outputs.decision).toBe(decision.decision);
    expect(Number(action.outputs.score)).toBe(decision.score);
    expect(JSON.parse(action.outputs.breakdown!)).toEqual(decision.breakdown);
    const failing = decision.rules.filter((r: { ok: boolean }) => !r.ok).map((r: { code: string }) => r.code);
    expect(action.outputs['blocked-by']).toBe(failing.join(','));
    const codes = decision.rules.map((r: { code: string }) => `\`${r.code}\``);
    for (const c of codes) expect(action.summary).toContain(c);
    expect(action.summary).toContain('- Approvals: the deployment reviews of this workflow run for PROD (1 found)');
    expect(gh.violations).toEqual([]);
  });
});

describe('when GitHub cannot be reached', () => {
  it('fails closed in both modes and says to check the token and the API, not an input', async () => {
    const dir = await workspace({ '.github/release-policy.yml': POLICY });
    for (const mode of ['enforce', 'report']) {
      // Nothing listens on this port: every API call is refused.
      const run = await runAction({
        dir,
        apiUrl: 'http://127.0.0.1:1',
        event: push(),
        inputs: { environment: 'PRE_PROD', mode, 'github-retries': '0' },
      });
      expect(run.code).toBe(1);
      expect(run.outputs.decision).toBe('block');
      expect(run.stdout).toContain(
        '::error::Release gate: the gate could not decide, so it does not let the release through: ',
      );
      expect(run.summary).toContain(
        "- The gate could not read the facts it needs from GitHub (above). Check that the `token` input has the permissions the README lists and that GitHub's API is reachable, then re-run the job.",
      );
      expect(run.summary).not.toContain('Fix the input named above');
    }
  });
});

describe('GitHub answering 5xx', () => {
  it('retries with backoff and then decides as usual', async () => {
    const gh = await startGitHubServer();
    try {
      let failures = 0;
      gh.on('POST /repos/{owner}/{repo}/check-runs', () => {
        if (failures < 1) {
          failures += 1;
          return { status: 502, body: { message: 'Bad gateway' } };
        }
        return { status: 201, body: { id: 7 } };
      });
      const dir = await workspace({ '.github/release-policy.yml': POLICY });
      const run = await runAction({
        dir,
        apiUrl: gh.url,
        event: push(),
        inputs: { environment: 'DEV', mode: 'enforce', 'github-retries': '1' },
      });
      expect(run.code).toBe(0);
      expect(run.outputs.decision).toBe('allow');
      expect(gh.calls('POST /repos/{owner}/{repo}/check-runs')).toHaveLength(2);
      expect(gh.violations).toEqual([]);
    } finally {
      await gh.close();
    }
  });

  it('rejects a github-retries that is not a small whole number', async () => {
    const dir = await workspace({ '.github/release-policy.yml': POLICY });
    const run = await runAction({
      dir,
      apiUrl: 'http://127.0.0.1:1',
      event: push(),
      inputs: { environment: 'DEV', 'github-retries': 'lots' },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('::error::Input github-retries must be a whole number from 0 to 10, got "lots"');
  });
});
