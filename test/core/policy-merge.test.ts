import { describe, expect, it } from 'vitest';
import { formatPolicyProblem, loadPolicy } from '../../src/core/policy-load.js';
import { mergePolicyData } from '../../src/core/policy-merge.js';
import { loadPolicyFiles } from '../../src/core/policy-source.js';
import type { MergedPolicyResult } from '../../src/core/policy-merge.js';

const ORG_SOURCE = 'acme/.github/.github/release-policy.yml';
const REPO_SOURCE = '.github/release-policy.yml';

const ORG = `version: 1
environments:
  - name: DEV
    github: development
  - name: PRE_PROD
    github: staging
    minScore: 50
  - name: PROD
    github: production
    minApprovals: 2
    approvals:
      fromTeams: [release-owners]
    minScore: 70
scoring:
  tests: 40
  coverage: 20
  security: 20
  checklist: 20
overrides:
  teams: [release-managers]
  secondApprover: true
`;

const load = (repo: string, org: string | null = ORG): MergedPolicyResult =>
  loadPolicyFiles({ text: repo, source: REPO_SOURCE }, org === null ? null : { text: org, source: ORG_SOURCE });

function policyOf(result: MergedPolicyResult) {
  if (!result.ok) throw new Error(result.errors.map(formatPolicyProblem).join('\n'));
  return result.policy;
}

const errorsOf = (result: MergedPolicyResult): string[] => (result.ok ? [] : result.errors.map(formatPolicyProblem));

describe('mergePolicyData', () => {
  const S = (name: string, extra: Record<string, unknown> = {}) => ({ name, ...extra });
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>]> = [
    [
      'a repository stage replaces the org stage keys it gives, one by one',
      { environments: [S('DEV'), S('PROD', { minApprovals: 2, minScore: 70 })] },
      { extends: 'org', environments: [S('PROD', { minApprovals: 3 })] },
      { version: 1, environments: [S('DEV'), S('PROD', { minApprovals: 3, minScore: 70 })] },
    ],
    [
      'a mapping inside a stage is replaced whole, not merged',
      { environments: [S('PROD', { approvals: { excludeAuthor: true, fromTeams: ['owners'] } })] },
      { environments: [S('PROD', { approvals: { excludeAuthor: false } })] },
      { version: 1, environments: [S('PROD', { approvals: { excludeAuthor: false } })] },
    ],
    [
      'a stage only the repository names goes after the stage listed before it',
      { environments: [S('DEV'), S('PRE_PROD'), S('PROD')] },
      { environments: [S('PRE_PROD'), S('QA'), S('PROD')] },
      { version: 1, environments: [S('DEV'), S('PRE_PROD'), S('QA'), S('PROD')] },
    ],
    [
      'a new stage listed first goes first; the org stages keep their order',
      { environments: [S('DEV'), S('PROD')] },
      { environments: [S('PREVIEW'), S('PROD', { minApprovals: 1 })] },
      { version: 1, environments: [S('PREVIEW'), S('DEV'), S('PROD', { minApprovals: 1 })] },
    ],
    [
      'two new stages after the last stage keep the repository order',
      { environments: [S('DEV'), S('PROD')] },
      { environments: [S('PROD'), S('DR'), S('ARCHIVE')] },
      { version: 1, environments: [S('DEV'), S('PROD'), S('DR'), S('ARCHIVE')] },
    ],
    [
      'no environments in the repository file: the org stages as they are',
      { environments: [S('DEV'), S('PROD')] },
      { extends: 'org', strict: true },
      { version: 1, environments: [S('DEV'), S('PROD')], strict: true },
    ],
    [
      'scoring and overrides key by key; a list is replaced whole',
      {
        environments: [S('PROD')],
        scoring: { tests: 40, coverage: 60, warnScore: 50 },
        overrides: { teams: ['a', 'b'], secondApprover: true },
      },
      { scoring: { tests: 60, coverage: 40 }, overrides: { teams: ['c'] } },
      {
        version: 1,
        environments: [S('PROD')],
        scoring: { tests: 60, coverage: 40, warnScore: 50 },
        overrides: { teams: ['c'], secondApprover: true },
      },
    ],
    [
      'scoring only in the repository file',
      { environments: [S('PROD')] },
      { scoring: { coverageTarget: 90 } },
      { version: 1, environments: [S('PROD')], scoring: { coverageTarget: 90 } },
    ],
    [
      'strict from the org when the repository does not give it',
      { environments: [S('PROD')], strict: true },
      { environments: [S('PROD', { minScore: 10 })] },
      { version: 1, environments: [S('PROD', { minScore: 10 })], strict: true },
    ],
    [
      'strict false in the repository wins over the org true',
      { environments: [S('PROD')], strict: true },
      { strict: false },
      { version: 1, environments: [S('PROD')], strict: false },
    ],
  ];
  it.each(cases)('%s', (_name, org, repo, expected) => {
    const orgCopy = structuredClone(org);
    const repoCopy = structuredClone(repo);
    expect(mergePolicyData(org, repo)).toEqual(expected);
    expect(org).toEqual(orgCopy);
    expect(repo).toEqual(repoCopy);
  });
});

describe('loadPolicyFiles', () => {
  it('a repository file without extends stands alone, exactly as loadPolicy reads it', () => {
    const text = 'version: 1\nenvironments:\n  - name: PROD\n    minApprovals: 1\n';
    const result = load(text);
    expect(result.ok && result.extendsOrg).toBe(false);
    const alone = loadPolicy(text, REPO_SOURCE);
    expect(alone.ok && policyOf(result)).toEqual(alone.ok ? alone.policy : null);
  });

  it('merges a repository file that extends the org default into one typed policy', () => {
    const policy = policyOf(
      load(`version: 1
extends: org
environments:
  - name: PRE_PROD
  - name: QA
    github: qa
    minScore: 60
  - name: PROD
    minApprovals: 3
    soak: { minutes: 30 }
scoring:
  tests: 50
  checklist: 10
overrides:
  expires: 4h
strict: true
`),
    );
    expect(
      policy.environments.map((e) => [
        e.name,
        e.github,
        e.minApprovals,
        e.minScore,
        e.soakMinutes,
        e.approvals.fromTeams,
      ]),
    ).toEqual([
      ['DEV', ['development'], 0, null, 0, []],
      ['PRE_PROD', ['staging'], 0, 50, 0, []],
      ['QA', ['qa'], 0, 60, 0, []],
      ['PROD', ['production'], 3, 70, 30, ['release-owners']],
    ]);
    expect(policy.scoring.weights).toEqual({ tests: 50, coverage: 20, security: 20, checklist: 10 });
    expect(policy.overrides).toEqual({ teams: ['release-managers'], secondApprover: true, expiresMs: 4 * 3_600_000 });
    expect(policy.strict).toBe(true);
    expect(policy.format).toBe('v1');
  });

  it('a repository file of just "extends: org" is the org default', () => {
    const merged = policyOf(load('version: 1\nextends: org\n'));
    const org = loadPolicy(ORG, ORG_SOURCE);
    expect(org.ok && merged).toEqual(org.ok ? org.policy : null);
  });

  it('says to give the org default when the file extends it and none was given', () => {
    expect(errorsOf(load('version: 1\nextends: org\n', null))).toEqual([
      '.github/release-policy.yml:2:1: extends: org builds on the org default, which was not given here',
    ]);
    expect(
      errorsOf(
        loadPolicyFiles(
          { text: '# mine\nversion: 1\nextends: org\n', source: 'p.yml' },
          null,
          'pass --org-policy FILE',
        ),
      ),
    ).toEqual(['p.yml:3:1: pass --org-policy FILE']);
  });

  it('loadPolicy alone refuses a file that extends the org default', () => {
    const result = loadPolicy('version: 1\nextends: org\nenvironments:\n  - name: PROD\n', 'p.yml');
    expect(result.ok ? [] : result.errors.map(formatPolicyProblem)).toEqual([
      'p.yml:2:1: extends: org builds on the org default, which was not given here',
    ]);
  });

  it('merged weights that no longer sum to 100 are an error naming both files', () => {
    expect(errorsOf(load('version: 1\nextends: org\nscoring:\n  tests: 50\n'))).toEqual([
      '.github/release-policy.yml:3:1: scoring weights sum to 110 once merged with the org default acme/.github/.github/release-policy.yml: ' +
        'tests 50 (.github/release-policy.yml:4:10), coverage 20 (acme/.github/.github/release-policy.yml:16:13), ' +
        'security 20 (acme/.github/.github/release-policy.yml:17:13), checklist 20 (acme/.github/.github/release-policy.yml:18:14); ' +
        'they must sum to 100 (a weight of 0 drops a kind)',
    ]);
  });

  it('a weight of 0 drops a kind and the merged weights may then sum to 100', () => {
    const policy = policyOf(load('version: 1\nextends: org\nscoring:\n  tests: 80\n  security: 0\n  checklist: 0\n'));
    expect(policy.scoring.weights).toEqual({ tests: 80, coverage: 20, security: 0, checklist: 0 });
  });

  it('errors of each file point at that file and line, both at once', () => {
    const badOrg = ORG.replace('    minApprovals: 2\n', '    minAprovals: 2\n');
    expect(
      errorsOf(load('version: 1\nextends: org\nenvironments:\n  - name: PROD\n    minScore: 170\n', badOrg)),
    ).toEqual([
      '.github/release-policy.yml:5:15: minScore must be a number from 0 to 100, got 170',
      'acme/.github/.github/release-policy.yml:10:5: unknown key "minAprovals" in environments[2] (PROD); did you mean "minApprovals"?',
    ]);
  });

  it('an extending file needs no stages, but a file that does not extend still does', () => {
    expect(load('version: 1\nextends: org\nstrict: true\n').ok).toBe(true);
    expect(errorsOf(load('version: 1\nstrict: true\n'))).toEqual([
      '.github/release-policy.yml:1:1: the policy is missing "environments"',
    ]);
    expect(errorsOf(load('version: 1\nextends: company\n'))).toEqual([
      '.github/release-policy.yml:2:10: extends must be org, got "company"',
    ]);
  });

  it('refuses shared stages out of the org order', () => {
    expect(
      errorsOf(load('version: 1\nextends: org\nenvironments:\n  - name: PROD\n    minApprovals: 1\n  - name: DEV\n')),
    ).toEqual([
      '.github/release-policy.yml:6:11: stage DEV is listed after PROD, but the org default acme/.github/.github/release-policy.yml puts it before (DEV -> PRE_PROD -> PROD); the org default sets the order of the promotion path',
    ]);
  });

  it('refuses a GitHub environment covered by an org stage and a repository stage', () => {
    expect(
      errorsOf(
        load('version: 1\nextends: org\nenvironments:\n  - name: PRE_PROD\n  - name: QA\n    github: [qa, Staging]\n'),
      ),
    ).toEqual([
      '.github/release-policy.yml:6:18: GitHub environment "Staging" is also covered by stage PRE_PROD (acme/.github/.github/release-policy.yml:6:13) once merged with the org default; each GitHub environment belongs to one stage (names ignore case)',
    ]);
    // An org stage later in the path claiming what the repository's stage now covers: still shown in the repository file.
    expect(errorsOf(load('version: 1\nextends: org\nenvironments:\n  - name: DEV\n    github: production\n'))).toEqual([
      '.github/release-policy.yml:5:13: GitHub environment "production" is also covered by stage PROD (acme/.github/.github/release-policy.yml:9:13) once merged with the org default; each GitHub environment belongs to one stage (names ignore case)',
    ]);
  });

  it('warns when a new stage looks like a misspelt org stage', () => {
    const result = load('version: 1\nextends: org\nenvironments:\n  - name: PORD\n    minApprovals: 5\n');
    expect(result.ok && result.warnings.map(formatPolicyProblem)).toEqual([
      '.github/release-policy.yml:4:11: stage "PORD" is not in the org default, so it is added as a new stage (stage names match exactly); did you mean "PROD"?',
    ]);
    expect(policyOf(result).environments.map((e) => e.name)).toEqual(['PORD', 'DEV', 'PRE_PROD', 'PROD']);
  });

  it('checks warnScore against the merged stages, in the file that gives it', () => {
    const result = load('version: 1\nextends: org\nscoring:\n  warnScore: 60\n');
    expect(result.ok && result.warnings.map(formatPolicyProblem)).toEqual([
      '.github/release-policy.yml:4:14: warnScore 60 is above the minScore 50 of PRE_PROD, so PRE_PROD has no warning band: scores below 50 block there',
    ]);
  });

  it('refuses an org default that extends, or is in the Aurora format', () => {
    expect(errorsOf(load('version: 1\nextends: org\n', 'version: 1\nextends: org\n'))).toEqual([
      'acme/.github/.github/release-policy.yml:2:1: the org default cannot extend anything: remove "extends" from it (.github/release-policy.yml extends it)',
    ]);
    expect(errorsOf(load('version: 1\nextends: org\n', 'policy:\n  minApprovals: 1\n'))).toEqual([
      '.github/release-policy.yml:2:1: the org default acme/.github/.github/release-policy.yml is in the Aurora format ("policy:"); a repository file can extend only a version 1 org default',
    ]);
    expect(errorsOf(load('policy:\n  minApprovals: 1\nextends: org\n'))).toEqual([
      '.github/release-policy.yml:3:1: "extends" is not part of the Aurora format ("policy:"); to extend the org default, write this file in the version 1 format ("version: 1")',
    ]);
  });

  it('validates the org default given even when the repository file does not extend it', () => {
    expect(
      errorsOf(load('version: 1\nenvironments:\n  - name: PROD\n', 'version: 2\nenvironments:\n  - name: PROD\n')),
    ).toEqual(['acme/.github/.github/release-policy.yml:1:10: version must be 1, got 2']);
  });
});
