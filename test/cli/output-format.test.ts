import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { cli, POLICIES } from './helpers.js';

const git = promisify(execFile);

describe('one output option for every command: --format, with --json as its alias', () => {
  it('every command takes --format and --json (and says so in its help)', async () => {
    for (const name of Object.keys(COMMANDS)) {
      const help = (await cli([name, '--help'])).stdout;
      expect(help, name).toMatch(/--format [a-z|]+/);
      expect(help, name).toMatch(/--json +the same as --format json/);
    }
  });

  it('--json and --format json print the same object', async () => {
    const args = ['evaluate', '--env', 'PROD', '--policy', `${POLICIES}aurora-seed.yml`, '--score', '80'];
    const a = await cli([...args, '--json']);
    const b = await cli([...args, '--format', 'json']);
    expect(a.code).toBe(b.code);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout)).toMatchObject({ environment: 'PROD', score: 80 });
    const freeze = await cli(['freeze', '--env', 'PROD', '--policy', `${POLICIES}aurora-seed.yml`, '--format', 'json']);
    expect(JSON.parse(freeze.stdout)).toMatchObject({ environment: 'PROD', frozen: false });
  });

  it('validate --format json: the stages, or the problems with their lines', async () => {
    const ok = await cli(['validate', '--policy', `${POLICIES}spec-v1.yml`, '--format', 'json']);
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ valid: true, format: 'version 1', stages: ['DEV', 'PRE_PROD', 'PROD'] });
    const dir = await mkdtemp(join(tmpdir(), 'rg-format-'));
    try {
      await writeFile(join(dir, 'p.yml'), 'version: 1\nenvironments:\n  - name: PROD\n    minAprovals: 1\n');
      const bad = await cli(['validate', '--policy', 'p.yml', '--json'], { cwd: dir });
      expect(bad.code).toBe(1);
      expect(bad.json()).toEqual({
        valid: false,
        path: 'p.yml',
        problems: [
          {
            file: 'p.yml',
            line: 4,
            column: 5,
            path: 'environments[0].minAprovals',
            message: 'unknown key "minAprovals" in environments[0] (PROD)',
            suggestion: 'minApprovals',
          },
        ],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("evaluate --format markdown is the check run's summary of the decision", async () => {
    const r = await cli([
      'evaluate',
      '--env',
      'PROD',
      '--policy',
      `${POLICIES}aurora-seed.yml`,
      '--at',
      '2026-01-31T22:30:00-03:00',
      '--deployed',
      'PRE_PROD@2026-01-31T20:05:00Z',
      '--approver',
      'ana',
      '--score',
      '80',
      '--format',
      'markdown',
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toBe('# Waiting for PROD: FREEZE_WINDOW_ACTIVE');
    expect(r.stdout).toContain('| ⏳ | `FREEZE_WINDOW_ACTIVE` |');
  });

  it('a format a command cannot print, or --json with another --format, is a usage error naming the choices', async () => {
    const freeze = await cli(['freeze', '--env', 'PROD', '--policy', `${POLICIES}aurora-seed.yml`, '--format', 'csv']);
    expect(freeze.code).toBe(1);
    expect(freeze.stderr).toBe('release-gate freeze: --format "csv" is not supported; use text or json.\n');
    const both = await cli(['score', '--evidence-url', 'https://x/test', '--json', '--format', 'text']);
    expect(both.code).toBe(1);
    expect(both.stderr).toBe(
      'release-gate score: --json means --format json, but --format text was given too; keep one of them.\n',
    );
    const audit = await cli(['audit', '--repo', 'acme/web', '--json', '--format', 'csv']);
    expect(audit.stderr).toBe(
      'release-gate audit: --json means --format json, but --format csv was given too; keep one of them.\n',
    );
  });
});

describe('evaluate --ref with a short name, resolved in the git repository of the working directory', () => {
  let repo: string;
  let tagged: string;
  let other: string;
  const policy = 'version: 1\nenvironments:\n  - name: DEV\n  - name: PROD\n    refs: ["refs/tags/v*"]\n';

  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'rg-ref-'));
    const g = (...args: string[]) => git('git', args, { cwd: repo });
    await g('init', '-q', '-b', 'main');
    await g('config', 'user.email', 'dev@example.com');
    await g('config', 'user.name', 'dev');
    await writeFile(join(repo, 'policy.yml'), policy);
    await g('add', '.');
    await g('commit', '-q', '-m', 'one');
    tagged = (await g('rev-parse', 'HEAD')).stdout.trim();
    await g('tag', '-a', 'v1.2.0', '-m', 'v1.2.0');
    await g('branch', 'v9');
    await g('tag', 'v9');
    await g('commit', '-q', '--allow-empty', '-m', 'two');
    other = (await g('rev-parse', 'HEAD')).stdout.trim();
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  const evaluate = (...extra: string[]) =>
    cli(
      [
        'evaluate',
        '--env',
        'PROD',
        '--policy',
        'policy.yml',
        '--deployed',
        'DEV@2026-03-10T14:00:00Z',
        '--json',
        ...extra,
      ],
      {
        cwd: repo,
      },
    );

  it('a tag of the release is taken for refs/tags/NAME, as the App takes it on GitHub', async () => {
    for (const args of [
      ['--ref', 'v1.2.0'],
      ['--ref', 'v1.2.0', '--sha', tagged],
    ]) {
      const r = await evaluate(...args);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.json().rules).toContainEqual(
        expect.objectContaining({ code: 'REF_OK', values: { ref: 'refs/tags/v1.2.0', patterns: ['refs/tags/v*'] } }),
      );
    }
  });

  it('a tag of another commit, a name that is both a branch and a tag, or nothing at all stays short, with a note', async () => {
    const cases: Array<[string[], string]> = [
      [
        ['--ref', 'v1.2.0', '--sha', other],
        `release-gate evaluate: note: --ref v1.2.0: tag v1.2.0 points at ${tagged.slice(0, 7)}, not at --sha ${other}: it is not taken for a tag of this release.\n`,
      ],
      [
        ['--ref', 'v9'],
        'release-gate evaluate: note: --ref v9 names both a branch and a tag in this repository: it is ambiguous and is not taken for either; give the full ref.\n',
      ],
      [
        ['--ref', 'v3.0.0'],
        'release-gate evaluate: note: --ref v3.0.0 is neither a tag nor a branch in this repository: give the full ref, refs/tags/v3.0.0 or refs/heads/v3.0.0.\n',
      ],
    ];
    for (const [args, note] of cases) {
      const r = await evaluate(...args);
      expect(r.stderr).toBe(note);
      expect(r.code).toBe(3);
      expect(r.json().rules).toContainEqual(
        expect.objectContaining({ code: 'REF_NOT_ALLOWED', values: { ref: args[1], patterns: ['refs/tags/v*'] } }),
      );
    }
  });

  it('outside a git repository a short ref stays short and the note says to give the full ref', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rg-noref-'));
    try {
      await writeFile(join(dir, 'policy.yml'), policy);
      const r = await cli(['evaluate', '--env', 'PROD', '--policy', 'policy.yml', '--ref', 'v1.2.0'], { cwd: dir });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(
        /^release-gate evaluate: note: --ref v1\.2\.0 is a short name and .* is not in a git repository to resolve it in \(.*\): give the full ref, refs\/tags\/v1\.2\.0 or refs\/heads\/v1\.2\.0\.\n$/,
      );
      const full = await cli(
        [
          'evaluate',
          '--env',
          'PROD',
          '--policy',
          'policy.yml',
          '--ref',
          'refs/tags/v1.2.0',
          '--deployed',
          'DEV@2026-03-10T14:00:00Z',
        ],
        { cwd: dir },
      );
      expect(full.code).toBe(0);
      expect(full.stderr).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
