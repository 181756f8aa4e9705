import { describe, expect, it } from 'vitest';
import { formatPolicyProblem, loadPolicy } from '../../src/core/policy-load.js';
import { loadPolicyFiles } from '../../src/core/policy-source.js';

const BASE = 'version: 1\nenvironments:\n  - name: PROD\n    github: production\n';

describe('sync: environments', () => {
  it('is off unless the policy opts in', () => {
    const off = loadPolicy(BASE, 'p.yml');
    expect(off.ok && off.policy.sync).toBeFalsy();
    const on = loadPolicy(`${BASE}sync: environments\n`, 'p.yml');
    expect(on.ok && on.policy.sync).toBe('environments');
  });

  it('refuses another value with the file and line', () => {
    const bad = loadPolicy(`${BASE}sync: everything\n`, 'p.yml');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.map(formatPolicyProblem)[0]).toMatch(/^p\.yml:5:7: .*sync/);
  });

  it("is the repository's when it extends the org default, else the org's", () => {
    const org = { source: 'org.yml', text: `${BASE}sync: environments\n` };
    const inherits = loadPolicyFiles({ source: 'repo.yml', text: 'version: 1\nextends: org\n' }, org);
    expect(inherits.ok && inherits.policy.sync).toBe('environments');
    const optsOut = loadPolicyFiles({ source: 'repo.yml', text: 'version: 1\nextends: org\nsync: off\n' }, org);
    expect(optsOut.ok && optsOut.policy.sync).toBeFalsy();
  });
});
