import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_APP_ID, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { FakeGitHub } from '../support/fake-github.js';
import type { FakeRepo } from '../support/fake-github.js';
import { cli } from '../cli/helpers.js';
import { webhookExample, issueCommentCreated } from '../support/webhooks.js';
import { policy } from '../support/policies.js';
import { ROOT } from '../support/processes.js';
import { parse } from 'yaml';

const POLICY = policy(
  { DEV: [], PROD: ['refs: ["refs/tags/v*", "release-*"]', 'minApprovals: 1'] },
  'sync: environments',
);

const writes = (github: FakeGitHub) => github.requests.filter((r) => r.method !== 'GET');

describe('release-gate setup against GitHub', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rg-setup-'));
  const policyFile = join(dir, 'policy.yml');
  let github: FakeGitHub;
  let repo: FakeRepo;
  let api: string;

  beforeAll(() => {
    writeFileSync(policyFile, POLICY);
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    nock.enableNetConnect();
  });
  beforeEach(async () => {
    github = new FakeGitHub();
    api = await github.start();
    repo = github.addRepo('acme', 'shop');
    github.ruleIntegrations.push({ id: TEST_APP_ID, slug: 'release-gate' }, { id: 99, slug: 'other-checks' });
  });
  afterEach(async () => {
    expect(github.violations).toEqual([]);
    await github.close();
  });

  const run = (...extra: string[]) =>
    cli([
      'setup',
      '--repo',
      'acme/shop',
      '--policy',
      policyFile,
      '--app-id',
      String(TEST_APP_ID),
      '--token',
      'ghp_test',
      '--api-url',
      api,
      ...extra,
    ]);

  it('dry run (the default): says what it would do and writes nothing', async () => {
    const out = await run();
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe(
      [
        'Dry run for acme/shop (nothing written; run again with --apply to make these changes):',
        '  would   development  create environment development for stage DEV',
        '  would   development  enable the Release Gate protection rule',
        '  would   production   create environment production for stage PROD',
        '  would   production   allow deployments from tag v* only',
        '  would   production   enable the Release Gate protection rule',
        '  kept    production   ref pattern release-* has no GitHub equivalent (use refs/tags/... or refs/heads/...); the gate still enforces it',
        'Nothing failed.',
        '',
      ].join('\n'),
    );
    expect(out.code).toBe(0);
    expect(writes(github)).toEqual([]);
  });

  it('--apply creates the environments, their ref policy and the protection rule; a second run finds them there', async () => {
    const first = await run('--apply');
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n').filter((l) => l.startsWith('  changed'))).toEqual([
      '  changed development  created environment development for stage DEV',
      '  changed development  enabled the Release Gate protection rule',
      '  changed production   created environment production for stage PROD',
      '  changed production   allowed deployments from tag v* only',
      '  changed production   enabled the Release Gate protection rule',
    ]);
    const envs = github.environments.get('acme/shop')!;
    expect(
      envs.map((e) => [
        e.name,
        e.rules.map((r) => r.appId),
        e.branchPolicy,
        e.refPolicies.map((p) => `${p.type}:${p.name}`),
      ]),
    ).toEqual([
      ['development', [TEST_APP_ID], null, []],
      ['production', [TEST_APP_ID], { protected_branches: false, custom_branch_policies: true }, ['tag:v*']],
    ]);
    expect(github.find('POST', /deployment_protection_rules$/).map((r) => r.body)).toEqual([
      { integration_id: TEST_APP_ID },
      { integration_id: TEST_APP_ID },
    ]);

    const before = writes(github).length;
    const second = await run('--apply');
    expect(second.stdout).toContain('  ok      production   the Release Gate protection rule is already enabled');
    expect(second.stdout).toContain('  ok      production   deployments from tag v* are already allowed');
    expect(second.stdout.endsWith('GitHub matches the policy.\n')).toBe(true);
    expect(writes(github).length).toBe(before);
  });

  it('keeps what a person configured: another rule, protected branches only; adds only its own rule', async () => {
    github.environments.set('acme/shop', [
      {
        id: 1,
        name: 'Production',
        rules: [{ id: 2, appId: 99, slug: 'other-checks' }],
        branchPolicy: { protected_branches: true, custom_branch_policies: false },
        refPolicies: [],
      },
    ]);
    const out = await run('--apply');
    expect(out.stdout).toContain('  ok      Production   environment Production exists (stage PROD)');
    expect(out.stdout).toContain(
      '  kept    Production   deployment branch policy left as a person set it (protected branches); the gate enforces refs/tags/v*, release-*',
    );
    const prod = github.environments.get('acme/shop')!.find((e) => e.name === 'Production')!;
    expect(prod.rules.map((r) => r.appId)).toEqual([99, TEST_APP_ID]);
    expect(prod.branchPolicy).toEqual({ protected_branches: true, custom_branch_policies: false });
    expect(github.find('PUT', /environments\/Production$/)).toEqual([]);
    expect(github.requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it("with a token that is not a repository admin's: says what token is needed, changes nothing, exits 2", async () => {
    github.environmentWritesDenied.add('acme/shop');
    const out = await run('--apply');
    expect(out.code).toBe(2);
    expect(out.stdout).toContain(
      "  FAILED  development  could not create environment development: the token lacks admin rights on the repository: use a repository admin's token (a classic token with the repo scope, or a fine-grained one with Administration: write)",
    );
    expect(out.stdout.trimEnd().split('\n').at(-1)).toBe('2 thing(s) could not be set up; see FAILED above.');
    expect(github.environments.get('acme/shop')).toEqual([]);
  });

  it('on a plan without custom protection rules: says so and what to use instead', async () => {
    github.noCustomRules.add('acme/shop');
    const out = await run('--apply');
    expect(out.code).toBe(2);
    expect(out.stdout).toContain('  changed production   created environment production for stage PROD');
    expect(out.stdout).toContain(
      '  FAILED  production   cannot enable the Release Gate protection rule: GitHub does not offer custom deployment protection rules here: they need a public repository, or GitHub Enterprise for private and internal ones (the App must also be installed on the repository). Without them, use the Action as a required check',
    );
  });

  it('a token GitHub refuses is "bad credentials", with what to do', async () => {
    github.on('GET /repos/{owner}/{repo}/environments', () => ({
      status: 401,
      body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' },
    }));
    const out = await run();
    expect(out.code).toBe(2);
    expect(out.stdout.split('\n')[1]).toBe(
      '  FAILED  -  cannot list the environments of acme/shop: bad credentials: GitHub refused them (401 Bad credentials); check GITHUB_TOKEN (or --token): it may be mistyped, expired or revoked; nothing was changed',
    );
  });

  it('needs a repository and a token', async () => {
    const out = await cli(['setup', '--policy', policyFile]);
    expect(out.code).toBe(1);
    expect(out.stderr).toBe('release-gate setup: --repo OWNER/REPO is required, e.g. --repo acme/web.\n');
    void repo;
  });
});

describe('/release-gate setup on a pull request', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: POLICY });
    h.github.ruleIntegrations.push({ id: TEST_APP_ID, slug: 'release-gate' });
    h.repo.pulls.push({
      number: 12,
      headSha: 'c'.repeat(40),
      headRef: 'feature',
      user: 'dev',
      commits: ['c'.repeat(40)],
    } as never);
    h.repo.permissions.admin1 = 'admin';
    h.repo.permissions.dev = 'write';
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses someone without admin permission', async () => {
    expect(
      await h.deliver(
        issueCommentCreated(h.ctx, { issue: 12, body: '/release-gate setup', author: 'dev', commentId: 1 }),
      ),
    ).toBe(200);
    expect(h.repo.comments.at(-1)!.body).toBe(
      '@dev refused: setting up environments changes repository settings, which needs admin permission on acme/shop; you have `write`.',
    );
    expect(h.github.environments.get('acme/shop') ?? []).toEqual([]);
  });

  it("an admin gets the environments, the App's rule, and a check run saying what changed", async () => {
    expect(
      await h.deliver(
        issueCommentCreated(h.ctx, { issue: 12, body: '/release-gate setup', author: 'admin1', commentId: 2 }),
      ),
    ).toBe(200);
    const envs = h.github.environments.get('acme/shop')!;
    expect(envs.map((e) => [e.name, e.rules.map((r) => r.appId)])).toEqual([
      ['development', [TEST_APP_ID]],
      ['production', [TEST_APP_ID]],
    ]);
    const run = h.repo.checkRuns.find((c) => c.name === 'Release gate setup')!;
    expect(run).toMatchObject({ head_sha: 'c'.repeat(40), conclusion: 'success' });
    expect(run.output.title).toBe("GitHub's environments now match the policy (5 change(s))");
    expect(run.output.summary).toContain('| changed | production | enabled the Release Gate protection rule |');
    expect(h.repo.comments.at(-1)!.body).toMatch(
      /^@admin1 environment setup: 5 change\(s\)\. Details: https:\/\/github\.example\/checks\/\d+$/,
    );
    expect(h.github.violations).toEqual([]);
  });
});

describe('/release-gate setup when the App has no Administration: write (the default)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: POLICY });
    h.github.ruleIntegrations.push({ id: TEST_APP_ID, slug: 'release-gate' });
    // GitHub's answer to an installation without the permission.
    h.github.environmentWritesDenied.add('acme/shop');
    h.repo.pulls.push({
      number: 14,
      headSha: 'd'.repeat(40),
      headRef: 'feature',
      user: 'dev',
      commits: ['d'.repeat(40)],
    } as never);
    h.repo.permissions.admin1 = 'admin';
  });
  afterAll(async () => {
    await h?.close();
  });

  it("answers with the admin's token command and the opt-in, and the check run says the same", async () => {
    expect(
      await h.deliver(
        issueCommentCreated(h.ctx, { issue: 14, body: '/release-gate setup', author: 'admin1', commentId: 3 }),
      ),
    ).toBe(200);
    expect(h.github.environments.get('acme/shop')).toEqual([]);
    const body = h.repo.comments.at(-1)!.body;
    expect(body.split('\n\n').slice(1)).toEqual([
      [
        'Could not:',
        '- development: could not create environment development: the App has no Administration: write permission on the repository (app.yml does not ask for it; see below)',
        '- production: could not create environment production: the App has no Administration: write permission on the repository (app.yml does not ask for it; see below)',
      ].join('\n'),
      [
        "Release Gate does not ask for Administration: write by default (it would also allow deleting the repository), and creating environments and enabling the App's protection rule need it. Either:",
        `- run the set-up with a repository admin's own token: \`GITHUB_TOKEN=<a repository admin's token> npx release-gate setup --repo acme/shop --app-id ${TEST_APP_ID} --apply\` (a dry run without \`--apply\`), or`,
        "- opt in: give the App Administration: write (the App's settings, Permissions & events, or `administration: write` in the app.yml it is registered from), accept the new permission on the installation, and comment `/release-gate setup` again.",
      ].join('\n'),
    ]);
    expect(body.split('\n')[0]).toMatch(
      /^@admin1 environment setup: 0 change\(s\), 2 failure\(s\)\. Details: https:\/\/github\.example\/checks\/\d+$/,
    );
    const run = h.repo.checkRuns.find((c) => c.name === 'Release gate setup')!;
    expect(run.conclusion).toBe('action_required');
    expect(run.output.summary).toContain(
      `\`GITHUB_TOKEN=<a repository admin's token> npx release-gate setup --repo acme/shop --app-id ${TEST_APP_ID} --apply\``,
    );
    expect(h.github.violations).toEqual([]);
  });

  it('app.yml asks for what the gate needs and not Administration', () => {
    const manifest = parse(readFileSync(join(ROOT, 'app.yml'), 'utf8')) as {
      default_permissions: Record<string, string>;
    };
    expect(manifest.default_permissions).toEqual({
      actions: 'read',
      contents: 'read',
      deployments: 'write',
      checks: 'write',
      statuses: 'read',
      pull_requests: 'read',
      issues: 'write',
      members: 'read',
      metadata: 'read',
    });
  });
});

describe('sync: environments in the policy', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: POLICY });
    h.github.ruleIntegrations.push({ id: TEST_APP_ID, slug: 'release-gate' });
  });
  afterAll(async () => {
    await h?.close();
  });

  function push(ref: string, files: string[], after: string) {
    const base = webhookExample('push');
    return {
      id: `push-${after.slice(0, 6)}`,
      event: 'push',
      payload: {
        ...base,
        ref,
        before: '0'.repeat(40),
        after,
        deleted: false,
        commits: [
          {
            id: after,
            message: 'change',
            timestamp: '2026-03-10T15:00:00Z',
            url: '',
            author: { name: 'a', email: 'a@x' },
            committer: { name: 'a', email: 'a@x' },
            distinct: true,
            tree_id: after,
            added: [],
            removed: [],
            modified: files,
          },
        ],
        repository: {
          ...(base.repository as object),
          name: 'shop',
          full_name: 'acme/shop',
          owner: { ...(base.repository.owner as object), login: 'acme', name: 'acme' },
          default_branch: 'main',
        },
        installation: { id: h.ctx.installationId, node_id: 'I' },
      },
    };
  }

  it('a push to the default branch that changes the policy sets GitHub up and reports on the pushed commit', async () => {
    expect(await h.deliver(push('refs/heads/main', ['README.md'], 'd'.repeat(40)))).toBe(200);
    expect(h.github.requests).toEqual([]);
    expect(await h.deliver(push('refs/heads/feature', ['.github/release-policy.yml'], 'e'.repeat(40)))).toBe(200);
    expect(h.github.requests).toEqual([]);
    expect(await h.deliver(push('refs/heads/main', ['.github/release-policy.yml'], 'f'.repeat(40)))).toBe(200);
    expect(h.github.environments.get('acme/shop')!.map((e) => e.name)).toEqual(['development', 'production']);
    expect(h.repo.checkRuns.find((c) => c.name === 'Release gate setup')).toMatchObject({
      head_sha: 'f'.repeat(40),
      conclusion: 'success',
    });
    expect(h.github.violations).toEqual([]);
  });

  it('does nothing when the policy does not opt in', async () => {
    h.repo.files['.github/release-policy.yml'] = POLICY.replace('sync: environments\n', '');
    h.github.environments.delete('acme/shop');
    expect(await h.deliver(push('refs/heads/main', ['.github/release-policy.yml'], 'a1'.repeat(20)))).toBe(200);
    expect(h.github.environments.get('acme/shop')).toBeUndefined();
  });
});
