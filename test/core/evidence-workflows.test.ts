// SECURITY.md T5: evidence is accepted only from the workflows the policy names.
import { describe, expect, it } from 'vitest';
import { formatPolicyProblem, loadPolicy } from '../../src/core/policy-load.js';
import { loadPolicyFiles } from '../../src/core/policy-source.js';

const STAGES = 'version: 1\nenvironments:\n  - name: DEV\n  - name: PROD\n';

describe('SECURITY.md T5 evidence.workflows in the policy', () => {
  it('defaults to an empty list: any workflow may publish evidence', () => {
    const r = loadPolicy(STAGES, 'p.yml');
    expect(r.ok && r.policy.evidence).toEqual({ workflows: [] });
  });

  it('loads the workflow files the policy names', () => {
    const r = loadPolicy(
      `${STAGES}evidence:\n  workflows: [.github/workflows/ci.yml, .github/workflows/release.yaml]\n`,
      'p.yml',
    );
    expect(r.ok && r.policy.evidence).toEqual({
      workflows: ['.github/workflows/ci.yml', '.github/workflows/release.yaml'],
    });
  });

  it('refuses paths that cannot name a workflow file, each at its line', () => {
    const r = loadPolicy(
      `${STAGES}evidence:\n  workflows:\n    - ci.yml\n    - .github/workflows/ci.json\n    - .github/workflows/sub/ci.yml\n    - .github/workflows/ci.yml\n    - .github/workflows/ci.yml\n  publishers: [x]\n`,
      'p.yml',
    );
    if (r.ok) throw new Error('expected errors');
    expect(r.errors.map(formatPolicyProblem)).toEqual([
      'p.yml:7:7: evidence.workflows[0] "ci.yml" is not a workflow file: write the path from the repository root, starting with .github/workflows/ (e.g. .github/workflows/ci.yml)',
      'p.yml:8:7: evidence.workflows[1] ".github/workflows/ci.json" is not a workflow file: workflow files end in .yml or .yaml',
      'p.yml:9:7: evidence.workflows[2] ".github/workflows/sub/ci.yml" is not a workflow file: GitHub reads workflows only directly in .github/workflows/',
      'p.yml:11:7: workflows lists ".github/workflows/ci.yml" twice (items 3 and 4)',
      'p.yml:12:3: unknown key "publishers" in evidence; expected one of workflows',
    ]);
  });

  it('is merged from the org default, and a repository list replaces the org list whole', () => {
    const org = {
      text: `${STAGES}evidence:\n  workflows: [.github/workflows/ci.yml]\n`,
      source: 'acme/.github:release-policy.yml',
    };
    const inherits = loadPolicyFiles({ text: 'version: 1\nextends: org\n', source: 'repo.yml' }, org);
    expect(inherits.ok && inherits.policy.evidence.workflows).toEqual(['.github/workflows/ci.yml']);
    const replaces = loadPolicyFiles(
      { text: 'version: 1\nextends: org\nevidence:\n  workflows: [.github/workflows/build.yml]\n', source: 'repo.yml' },
      org,
    );
    expect(replaces.ok && replaces.policy.evidence.workflows).toEqual(['.github/workflows/build.yml']);
    const bad = loadPolicyFiles(
      { text: 'version: 1\nextends: org\nevidence:\n  workflows: [build.yml]\n', source: 'repo.yml' },
      org,
    );
    expect(bad.ok).toBe(false);
  });
});
