import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/core/evaluate.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import type { CheckFact, Policy, ReleaseFacts } from '../../src/core/types.js';

const policyOf = (checks: string): Policy => {
  const loaded = loadPolicy(`version: 1\nenvironments:\n  - name: PROD\n    requiredChecks:\n${checks}`, 'p.yml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  return loaded.policy;
};
const facts = (checks: CheckFact[]): ReleaseFacts => ({
  environment: 'PROD',
  sha: 'a'.repeat(40),
  approvals: [],
  deployments: [],
  evidence: { score: null, breakdown: {}, present: [] },
  checks,
  teams: {},
  overrides: [],
});
const passed = { status: 'completed', conclusion: 'success' } as const;
const checksRule = (p: Policy, f: CheckFact[]) =>
  evaluate(p, facts(f), new Date('2026-03-10T12:00:00Z')).rules.find((r) => r.rule === 'checks')!;

// SECURITY.md T14: required checks come from the source the policy names.
describe('required checks count only from the source the policy names', () => {
  const table: Array<{ name: string; entries: string; checks: CheckFact[]; code: string; message?: string }> = [
    {
      name: 'a plain name takes a check run of any App',
      entries: '      - build\n',
      checks: [{ name: 'build', ...passed, kind: 'check_run', app: 'circleci-checks' }],
      code: 'CHECKS_OK',
    },
    {
      name: 'a plain name never takes a commit status, which anyone with write access can post',
      entries: '      - build\n',
      checks: [{ name: 'build', ...passed, kind: 'status', creator: 'mallory' }],
      code: 'CHECKS_PENDING',
      message: 'Waiting for required checks: build (not reported by it; a commit status by mallory does not count).',
    },
    {
      name: 'an App pin takes only that App’s check run',
      entries: '      - { name: build, app: github-actions }\n',
      checks: [{ name: 'build', ...passed, kind: 'check_run', app: 'evil-app' }],
      code: 'CHECKS_PENDING',
      message:
        'Waiting for required checks: build (check run by github-actions) (not reported by it; a check run by evil-app does not count).',
    },
    {
      name: 'a workflow pin takes only a job traced to that workflow',
      entries: '      - { name: build, workflow: .github/workflows/ci.yml }\n',
      checks: [
        { name: 'build', ...passed, kind: 'check_run', app: 'github-actions', workflow: null },
        { name: 'build', ...passed, kind: 'check_run', app: 'github-actions', workflow: '.github/workflows/other.yml' },
      ],
      code: 'CHECKS_PENDING',
    },
    {
      name: 'a workflow pin takes the job of that workflow, and its failure blocks',
      entries: '      - { name: build, workflow: .github/workflows/ci.yml }\n',
      checks: [
        {
          name: 'build',
          status: 'completed',
          conclusion: 'failure',
          kind: 'check_run',
          app: 'github-actions',
          workflow: '.github/workflows/ci.yml',
        },
      ],
      code: 'CHECKS_FAILED',
      message: 'Required checks failed: build (job of .github/workflows/ci.yml) (failure).',
    },
    {
      name: 'a status entry takes the status of its creator (case ignored), not another’s',
      entries: '      - { name: ci/jenkins, status: true, creator: jenkins-bot }\n',
      checks: [
        { name: 'ci/jenkins', ...passed, kind: 'status', creator: 'Jenkins-Bot' },
        { name: 'ci/jenkins', status: 'completed', conclusion: 'failure', kind: 'status', creator: 'mallory' },
      ],
      code: 'CHECKS_OK',
    },
    {
      name: 'a status entry does not take a check run of the name',
      entries: '      - { name: ci/jenkins, status: true, creator: jenkins-bot }\n',
      checks: [{ name: 'ci/jenkins', ...passed, kind: 'check_run', app: 'github-actions' }],
      code: 'CHECKS_PENDING',
    },
  ];
  for (const row of table)
    it(row.name, () => {
      const r = checksRule(policyOf(row.entries), row.checks);
      expect(r.code).toBe(row.code);
      if (row.message) expect(r.message).toBe(row.message);
    });
});

describe('required checks in the policy file', () => {
  const errors = (entries: string) => {
    const loaded = loadPolicy(`version: 1\nenvironments:\n  - name: PROD\n    requiredChecks:\n${entries}`, 'p.yml');
    return loaded.ok ? [] : loaded.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
  };

  it('reads a plain name, an App, a workflow (GitHub Actions implied) and a status with its creator', () => {
    expect(
      policyOf(
        '      - build\n      - { name: lint, app: github-actions }\n      - { name: test, workflow: .github/workflows/ci.yml }\n      - { name: ci/jenkins, status: true, creator: jenkins-bot }\n',
      ).environments[0]!.requiredChecks,
    ).toEqual([
      { name: 'build' },
      { name: 'lint', app: 'github-actions' },
      { name: 'test', app: 'github-actions', workflow: '.github/workflows/ci.yml' },
      { name: 'ci/jenkins', status: true, creator: 'jenkins-bot' },
    ]);
  });

  it('refuses a status without its creator, a creator without status, and a workflow of another App, at file:line', () => {
    expect(errors('      - { name: ci/jenkins, status: true }\n')).toEqual([
      '5:9: requiredChecks entry "ci/jenkins" is a commit status without a creator: anyone with write access can post a status, so name who posts it (creator: jenkins-bot)',
    ]);
    expect(errors('      - { name: build, creator: jenkins-bot }\n')).toEqual([
      '5:24: requiredChecks entry "build" names a creator, which only a commit status has: add status: true, or pin a check run with app or workflow',
    ]);
    expect(errors('      - { name: build, app: circleci, workflow: .github/workflows/ci.yml }\n')).toEqual([
      '5:29: requiredChecks entry "build" names workflow ".github/workflows/ci.yml" and app "circleci": a workflow\'s jobs are check runs of github-actions; leave app out or write github-actions',
    ]);
    expect(errors('      - { name: build, workflow: ci.yml }\n')[0]).toMatch(
      /^5:\d+: requiredChecks entry "build": workflow "ci.yml" is not a workflow file/,
    );
    expect(errors('      - { name: build, status: true, creator: bot, app: x }\n')[0]).toMatch(
      /^5:\d+: requiredChecks entry "build" is a commit status \(status: true\), which has no app/,
    );
  });
});
