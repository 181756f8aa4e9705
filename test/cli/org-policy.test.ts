import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { EXTENDS_IN_CI, PolicyFileError, readPolicyFile } from '../../src/local/policy-file.js';
import { extendingOrg, policy } from '../support/policies.js';

const ORG = policy(
  {
    PRE_PROD: [],
    PROD: [
      'minApprovals: 2',
      'freezeWindows:',
      '  - name: nightly',
      '    start: "22:00"',
      '    end: "23:59"',
      '    timezone: UTC',
    ],
  },
  'scoring:',
  '  tests: 50',
  '  coverage: 50',
);

const EXTENDS = extendingOrg('minApprovals: 1');

/** A checkout with `.github/release-policy.yml` (unless null) and the org default at `org/release-policy.yml`. */
async function checkout(repo: string | null, org: string | null = ORG): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-org-'));
  await mkdir(join(dir, '.github'));
  await mkdir(join(dir, 'org'));
  if (repo !== null) await writeFile(join(dir, '.github', 'release-policy.yml'), repo);
  if (org !== null) await writeFile(join(dir, 'org', 'release-policy.yml'), org);
  return dir;
}

describe('--org-policy', () => {
  it('validate merges a policy that says extends: org and says so', async () => {
    const dir = await checkout(EXTENDS);
    const r = await cli(['validate', '--org-policy', 'org/release-policy.yml'], { cwd: dir });
    expect(r).toMatchObject({
      code: 0,
      stdout:
        'OK: .github/release-policy.yml is a valid release policy (version 1, extending the org default org/release-policy.yml; PRE_PROD -> PROD)\n',
      stderr: '',
    });
  });

  it('without --org-policy, a policy that says extends: org is an error that says to pass it', async () => {
    const dir = await checkout(EXTENDS);
    const r = await cli(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      [
        `.github/release-policy.yml:2:1: "extends: org" builds on the org default, which was not given: pass it with --org-policy FILE (the .github/release-policy.yml of the owner's .github repository)`,
        '.github/release-policy.yml: 1 problem; the policy is invalid and the gate would not approve anything with it.',
        '',
      ].join('\n'),
    );
  });

  it('evaluate decides with the merged policy: the repository lowers PROD to one approval, the org freeze window stays', async () => {
    const dir = await checkout(EXTENDS);
    const args = [
      'evaluate',
      '--env',
      'production',
      '--org-policy',
      'org/release-policy.yml',
      '--approver',
      'ana',
      '--score',
      '90',
      '--deployed',
      'staging@2026-03-10T10:00:00Z',
      '--json',
    ];
    const day = await cli([...args, '--at', '2026-03-10T15:00:00Z'], { cwd: dir });
    expect(day.code).toBe(0);
    expect(day.json()).toMatchObject({ decision: 'allow', environment: 'PROD' });
    const night = await cli([...args, '--at', '2026-03-10T22:30:00Z'], { cwd: dir });
    expect(night.code).toBe(2);
    expect(
      night
        .json()
        .rules.filter((x: { ok: boolean }) => !x.ok)
        .map((x: { code: string }) => x.code),
    ).toEqual(['FREEZE_WINDOW_ACTIVE']);
    // Without --org-policy the file cannot be judged at all: exit 1, never allow.
    const without = await cli(
      ['evaluate', '--env', 'production', '--approver', 'ana', '--json', '--at', '2026-03-10T15:00:00Z'],
      { cwd: dir },
    );
    expect(without.code).toBe(1);
  });

  it('freeze reads the org windows through the merged policy', async () => {
    const dir = await checkout(EXTENDS);
    const r = await cli(
      ['freeze', '--env', 'PROD', '--org-policy', 'org/release-policy.yml', '--at', '2026-03-10T22:30:00Z'],
      { cwd: dir },
    );
    // Frozen: exit 2, as evaluate's wait.
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(
      'PROD is FROZEN at 2026-03-10T22:30:00.000Z by "nightly" until 2026-03-10T23:59:00.000Z.\nNext window: "nightly" from 2026-03-11T22:00:00.000Z to 2026-03-11T23:59:00.000Z.\n',
    );
  });

  it('without a file at the default path, the org default is used alone, as the App does', async () => {
    const dir = await checkout(null);
    const r = await cli(['validate', '--org-policy', 'org/release-policy.yml'], { cwd: dir });
    expect(r.stdout).toBe(
      'OK: org/release-policy.yml is a valid release policy (version 1, the org default, used as .github/release-policy.yml does not exist; PRE_PROD -> PROD)\n',
    );
    // An explicit --policy that does not exist is still an error.
    const missing = await cli(['validate', '--policy', 'nope.yml', '--org-policy', 'org/release-policy.yml'], {
      cwd: dir,
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.yml: cannot read the policy: no such file\n');
  });

  it('errors point at the file they are in; a merge error names both', async () => {
    const dir = await checkout(`${EXTENDS}scoring:\n  tests: 60\n`, ORG.replace('minApprovals: 2', 'minAprovals: 2'));
    const bad = await cli(['validate', '--org-policy', 'org/release-policy.yml'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      [
        'org/release-policy.yml:7:5: unknown key "minAprovals" in environments[1] (PROD); did you mean "minApprovals"?',
        'org/release-policy.yml: 1 problem; the policy is invalid and the gate would not approve anything with it.',
        '',
      ].join('\n'),
    );
    const dir2 = await checkout(`${EXTENDS}scoring:\n  tests: 60\n`);
    const sum = await cli(['validate', '--org-policy', 'org/release-policy.yml'], { cwd: dir2 });
    expect(sum.stderr.split('\n')[0]).toBe(
      '.github/release-policy.yml:6:1: scoring weights sum to 110 once merged with the org default org/release-policy.yml: tests 60 (.github/release-policy.yml:7:10), coverage 50 (org/release-policy.yml:15:13); they must sum to 100 (a weight of 0 drops a kind)',
    );
  });

  it('validate prints warnings of the merge on stderr', async () => {
    const dir = await checkout('version: 1\nextends: org\nenvironments:\n  - name: PORD\n');
    const r = await cli(['validate', '--org-policy', 'org/release-policy.yml'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'warning: .github/release-policy.yml:4:11: stage "PORD" is not in the org default, so it is added as a new stage (stage names match exactly); did you mean "PROD"?\n',
    );
  });

  it('a missing --org-policy file is an error', async () => {
    const dir = await checkout(EXTENDS, null);
    const r = await cli(['validate', '--org-policy', 'org/release-policy.yml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('org/release-policy.yml: cannot read the policy: no such file\n');
  });

  it('the Action (no org default in CI) gets a message that says the org default is not read there', async () => {
    const dir = await checkout(EXTENDS);
    const error = await readPolicyFile(undefined, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyFileError);
    expect((error as PolicyFileError).problems).toEqual([`.github/release-policy.yml:2:1: ${EXTENDS_IN_CI}`]);
    expect(EXTENDS_IN_CI).toBe(
      '"extends: org" builds on the org default (.github/release-policy.yml in the owner\'s .github repository), which is not read in CI: the Action reads only this file. Write the rules into this file without "extends", or let the Release Gate App judge this repository (it reads the org default)',
    );
  });
});
