import { describe, expect, it } from 'vitest';
import { readPolicyDocument } from '../../src/core/policy-load.js';
import { loadPolicyFiles, orgPolicySource, POLICY_PATH } from '../../src/core/policy-source.js';
import { extendingOrg, policy } from '../support/policies.js';

const ORG = { text: policy({ DEV: [], PROD: ['minApprovals: 2'] }), source: orgPolicySource('acme') };
const REPO = { text: extendingOrg('minApprovals: 1'), source: POLICY_PATH };

describe('the one policy source', () => {
  it("names the org default at the policy path of the owner's .github repository", () => {
    expect(POLICY_PATH).toBe('.github/release-policy.yml');
    expect(orgPolicySource('acme')).toBe('acme/.github/.github/release-policy.yml');
  });

  it('without a repository file, the org default judges alone; with neither, the caller is wrong', () => {
    const alone = loadPolicyFiles(null, ORG);
    expect(alone.ok && alone.policy.environments.map((e) => [e.name, e.minApprovals])).toEqual([
      ['DEV', 0],
      ['PROD', 2],
    ]);
    expect(() => loadPolicyFiles(null, null)).toThrow(TypeError);
  });

  it('a file that extends the org default is merged onto it; without one given, the shell\'s own words say so at "extends"', () => {
    const merged = loadPolicyFiles(REPO, ORG);
    expect(merged.ok && merged.extendsOrg && merged.policy.environments.map((e) => [e.name, e.minApprovals])).toEqual([
      ['DEV', 0],
      ['PROD', 1],
    ]);
    const without = loadPolicyFiles(REPO, null, 'no org default in this shell');
    expect(!without.ok && without.errors).toEqual([
      expect.objectContaining({ source: POLICY_PATH, line: 2, message: 'no org default in this shell' }),
    ]);
  });

  it('reads each file through the reader the shell gives (the App remembers the files it read)', () => {
    const read: string[] = [];
    const result = loadPolicyFiles(
      REPO,
      ORG,
      undefined,
      (text, source) => (read.push(source), readPolicyDocument(text, source)),
    );
    expect(result.ok).toBe(true);
    expect(read.sort()).toEqual([POLICY_PATH, orgPolicySource('acme')].sort());
  });
});
