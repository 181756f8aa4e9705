import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cli, POLICIES, ROOT } from './helpers.js';

const run = promisify(execFile);

async function repoWithPolicy(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-cli-'));
  await mkdir(join(dir, '.github'));
  await writeFile(join(dir, '.github', 'release-policy.yml'), text);
  return dir;
}

describe('release-gate validate', () => {
  it('prints one OK line for a valid policy', async () => {
    const r = await cli(['validate', '--policy', `${POLICIES}spec-v1.yml`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: .*spec-v1\.yml is a valid release policy \(version 1; DEV -> PRE_PROD -> PROD\)\n$/);
  });

  it('reads .github/release-policy.yml by default', async () => {
    const dir = await repoWithPolicy('version: 1\nenvironments:\n  - name: DEV\n');
    const r = await cli(['validate'], { cwd: dir });
    expect(r.stdout).toBe('OK: .github/release-policy.yml is a valid release policy (version 1; DEV)\n');
  });

  it('reports every error with file, line and column and exits 1', async () => {
    const dir = await repoWithPolicy(
      [
        'version: 1',
        'environments:',
        '  - name: PROD',
        '    minAprovals: 1',
        '    freezeWindows:',
        '      - start: "25:00"',
        '        end: "23:00"',
        '        timezone: Mars/Base',
        '',
      ].join('\n'),
    );
    const r = await cli(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^\.github\/release-policy\.yml:4:5: .*"minAprovals".*did you mean "minApprovals"\?/);
    expect(lines.some((l) => /^\.github\/release-policy\.yml:6:\d+: .*"25:00"/.test(l))).toBe(true);
    expect(lines.some((l) => /^\.github\/release-policy\.yml:8:\d+: .*"Mars\/Base"/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe(
      '.github/release-policy.yml: 3 problems; the policy is invalid and the gate would not approve anything with it.',
    );
  });

  describe("verify checks name the operator's data sources", () => {
    const VERIFY = [
      'version: 1',
      'environments:',
      '  - name: PROD',
      '    verify:',
      '      duration: 10m',
      '      interval: 1m',
      '      checks:',
      '        - name: error-rate',
      '          source: prometheus',
      '          query: sum(rate(errors[5m]))',
      '          max: 0.01',
      '        - name: health',
      '          source: shop-health',
      '          expectStatus: 200',
      '',
    ].join('\n');
    const unknown = (name: string, configured: string) =>
      `.github/release-policy.yml:13:19: verify check "health" names the data source "${name}", which the App's operator has not configured (configured: ${configured}); use one of those, or ask the operator to add it (PROMETHEUS_URL, RELEASE_GATE_SOURCES)`;

    it('refuses a name not in --sources, at its line, and accepts the names given', async () => {
      const dir = await repoWithPolicy(VERIFY);
      const r = await cli(['validate', '--sources', 'prometheus'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(unknown('shop-health', 'prometheus'));
      const json = await cli(['validate', '--sources', 'prometheus', '--format', 'json'], { cwd: dir });
      expect(json.json().problems).toEqual([expect.objectContaining({ line: 13, column: 19 })]);
      const ok = await cli(['validate', '--sources', 'prometheus, shop-health'], { cwd: dir });
      expect([ok.code, ok.stderr]).toEqual([0, '']);
    });

    it('reads the names of --sources-file and of the environment as the App does', async () => {
      const dir = await repoWithPolicy(VERIFY);
      await writeFile(
        join(dir, 'sources.yml'),
        'sources:\n  shop-health:\n    type: http\n    url: https://shop.internal.example\n',
      );
      const file = await cli(['validate', '--sources-file', 'sources.yml'], { cwd: dir });
      expect(file.code).toBe(1);
      expect(file.stderr).toContain('names the data source "prometheus"');
      const both = await cli(['validate', '--sources-file', 'sources.yml'], {
        cwd: dir,
        env: { PROMETHEUS_URL: 'http://prometheus:9090' },
      });
      expect(both.code).toBe(0);
      const env = await cli(['validate'], { cwd: dir, env: { PROMETHEUS_URL: 'http://prometheus:9090' } });
      expect(env.code).toBe(1);
      expect(env.stderr).toContain(unknown('shop-health', 'prometheus'));
      const bad = await cli(['validate', '--sources-file', 'missing.yml'], { cwd: dir });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('--sources-file missing.yml: cannot be read');
    });

    it('says the names were not checked when nothing says what the operator configured', async () => {
      const dir = await repoWithPolicy(VERIFY);
      const r = await cli(['validate'], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(
        "warning: .github/release-policy.yml: verify checks name the data sources prometheus, shop-health, not checked against the App's configuration (give --sources or --sources-file)\n",
      );
    });
  });

  it('says so when the policy file is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rg-cli-'));
    const r = await cli(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '.github/release-policy.yml: cannot read the policy: no such file (the default policy path; pass --policy FILE to use another)',
    );
  });
});

describe('release-gate evaluate', () => {
  it('fails closed on an invalid policy: exit 1, never allow', async () => {
    const dir = await repoWithPolicy('version: 1\nenvironments: []\n');
    const r = await cli(['evaluate', '--env', 'PROD'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('the policy is invalid');
  });

  it('rejects a missing --env and a bad --at with a message, exit 1', async () => {
    const a = await cli(['evaluate', '--policy', `${POLICIES}aurora-seed.yml`]);
    expect(a).toMatchObject({ code: 1 });
    expect(a.stderr).toBe(
      'release-gate evaluate: --env NAME is required (the environment asked for, e.g. --env PROD).\n',
    );
    const b = await cli([
      'evaluate',
      '--env',
      'PROD',
      '--policy',
      `${POLICIES}aurora-seed.yml`,
      '--at',
      '2026-01-31 22:30',
    ]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('--at "2026-01-31 22:30" is not an ISO-8601 instant');
    const c = await cli(['evaluate', '--env', 'PROD', '--policy', `${POLICIES}aurora-seed.yml`, '--frobnicate']);
    expect(c.stderr).toBe(
      'release-gate evaluate: unknown option --frobnicate. Run "release-gate evaluate --help" for the options.\n',
    );
    const d = await cli(['evaluate', '--env', 'PROD', '--policy', `${POLICIES}aurora-seed.yml`, '--score', 'high']);
    expect(d.stderr).toBe('release-gate evaluate: --score "high" must be a whole number from 0 to 100.\n');
  });

  it('an environment the policy does not name is ungated', async () => {
    const r = await cli(['evaluate', '--env', 'preview-42', '--policy', `${POLICIES}spec-v1.yml`, '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({
      decision: 'allow',
      ungated: true,
      rules: [{ code: 'UNGATED_ENVIRONMENT', ok: true }],
    });
  });

  it('the example PROD policy: a PROD release needs a tag, approvals from the team, checks and soak', async () => {
    const r = await cli([
      'evaluate',
      '--env',
      'production',
      '--policy',
      `${POLICIES}spec-v1.yml`,
      '--at',
      '2026-03-10T15:00:00Z',
      '--sha',
      'abc123',
      '--ref',
      'refs/heads/main',
      '--deployed',
      'staging@2026-03-10T14:50:00Z',
      '--json',
    ]);
    const out = r.json();
    expect(out.environment).toBe('PROD');
    expect(out.decision).toBe('block');
    const failing = out.rules.filter((x: { ok: boolean }) => !x.ok).map((x: { code: string }) => x.code);
    expect(failing).toEqual(
      expect.arrayContaining([
        'REF_NOT_ALLOWED',
        'APPROVAL_REQUIRED',
        'SOAK_INCOMPLETE',
        'CHECKS_PENDING',
        'EVIDENCE_MISSING',
      ]),
    );
    expect(r.code).toBe(3);
  });
});

describe('help', () => {
  it('every command has --help with an example', async () => {
    for (const c of ['validate', 'evaluate', 'score', 'freeze', 'audit']) {
      const r = await cli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: release-gate ${c}`);
      expect(r.stdout).toContain('Example:');
    }
  });
  it('an unknown command says which exist', async () => {
    const r = await cli(['launch']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'release-gate: unknown command "launch". Commands: validate, evaluate, score, freeze, audit, replay, simulate, explain, setup, db. Run "release-gate --help".\n',
    );
    expect((await cli(['evalute'])).stderr).toBe(
      'release-gate: unknown command "evalute". Did you mean "evaluate"? Commands: validate, evaluate, score, freeze, audit, replay, simulate, explain, setup, db. Run "release-gate --help".\n',
    );
  });
});

// npx starts npm, then Node, then the CLI: on a busy machine that alone can take tens of seconds.
describe('the installed command', { timeout: 120_000 }, () => {
  it('npx release-gate runs the built CLI from the repository root', async () => {
    const { stdout } = await run(
      'npx',
      [
        '--no-install',
        'release-gate',
        'evaluate',
        '--env',
        'PROD',
        '--policy',
        'test/fixtures/policies/aurora-seed.yml',
        '--deployed',
        'PRE_PROD@2026-01-31T20:05:00Z',
        '--at',
        '2026-01-31T21:00:00-03:00',
        '--approver',
        'ana',
        '--score',
        '80',
        '--json',
      ],
      { cwd: ROOT },
    );
    expect(JSON.parse(stdout).decision).toBe('allow');
  });
  it('exit codes reach the shell: 3 for block', async () => {
    const err = await run(
      'npx',
      [
        '--no-install',
        'release-gate',
        'evaluate',
        '--env',
        'PROD',
        '--policy',
        'test/fixtures/policies/aurora-seed.yml',
        '--deployed',
        'PRE_PROD@2026-01-31T20:05:00Z',
        '--at',
        '2026-01-31T21:00:00-03:00',
        '--approver',
        'ana',
        '--score',
        '65',
      ],
      { cwd: ROOT },
    ).catch((e: { code: number; stdout: string }) => e);
    expect((err as { code: number }).code).toBe(3);
  });
});

describe('--version', () => {
  it("prints the package's version", async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await cli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });
});
