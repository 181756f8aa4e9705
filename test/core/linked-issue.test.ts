import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/core/evaluate.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import { factsNeeded } from '../../src/core/rule-facts.js';
import type { Policy, PullRequestFact, ReleaseFacts } from '../../src/core/types.js';
import { cli } from '../cli/helpers.js';
import { proven } from '../support/release-facts.js';

const POLICY = `version: 1
environments:
  - name: DEV
  - name: PROD
    requireLinkedIssue: true
overrides:
  teams: [release-owners]
`;

function policy(text = POLICY): Policy {
  const loaded = loadPolicy(text, 'release-policy.yml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
  return loaded.policy;
}

function facts(environment: string, pulls?: PullRequestFact[], extra: Partial<ReleaseFacts> = {}): ReleaseFacts {
  return {
    environment,
    sha: 'a'.repeat(40),
    approvals: [],
    deployments: [proven('DEV', 'a'.repeat(40), '2026-03-10T12:00:00Z')],
    evidence: { score: null, breakdown: {}, present: [] },
    checks: [],
    teams: {},
    overrides: [],
    ...(pulls ? { pulls } : {}),
    ...extra,
  };
}

const NOW = new Date('2026-03-10T15:00:00Z');
const linked = (f: ReleaseFacts, p = policy()) => evaluate(p, f, NOW).rules.find((r) => r.rule === 'linkedIssue');

describe('requireLinkedIssue', () => {
  it('passes when every pull request of the release names an issue, in any of the accepted forms', () => {
    const result = linked(
      facts('PROD', [
        { number: 41, title: 'Fix the login (#17)', body: '' },
        { number: 42, title: 'Rate limits', body: 'Closes acme/platform#9' },
        { number: 43, title: 'Docs', body: 'See https://github.com/acme/shop/issues/120 for the plan.' },
      ]),
    );
    expect(result).toMatchObject({
      code: 'LINKED_ISSUE_OK',
      ok: true,
      outcome: 'pass',
      values: { pulls: [41, 42, 43], withoutIssue: [] },
    });
  });

  it('blocks the release and names the pull requests without an issue', () => {
    const decision = evaluate(
      policy(),
      facts('PROD', [
        { number: 41, title: 'Fix #17', body: '' },
        { number: 44, title: 'Tidy up', body: 'No ticket; see &#35;12 and issue-12' },
      ]),
      NOW,
    );
    expect(decision.decision).toBe('block');
    const result = decision.rules.find((r) => r.rule === 'linkedIssue')!;
    expect(result).toMatchObject({
      code: 'LINKED_ISSUE_MISSING',
      ok: false,
      outcome: 'block',
      values: { withoutIssue: ['#44'] },
    });
    expect(result.message).toContain('#44 names none');
    expect(result.message).toContain('#123, owner/repo#123');
  });

  it('fails closed when no pull request is known for the release (a direct push)', () => {
    for (const pulls of [undefined, []]) {
      const result = linked(facts('PROD', pulls));
      expect(result).toMatchObject({ code: 'LINKED_ISSUE_MISSING', outcome: 'block' });
      expect(result!.message).toContain('no pull request is known for this release');
    }
  });

  it('an override lets a release without an issue through, once', () => {
    const override = {
      id: 'o1',
      environment: 'PROD',
      sha: 'a'.repeat(40),
      rules: ['LINKED_ISSUE_MISSING'],
      grantedBy: 'lead',
      reason: 'hotfix',
      risk: 'low',
      grantedAt: '2026-03-10T14:00:00Z',
      expiresAt: '2026-03-11T14:00:00Z',
    };
    const decision = evaluate(
      policy(),
      facts('PROD', [{ number: 45, title: 'Hotfix', body: '' }], {
        overrides: [override],
        teams: { 'release-owners': ['lead'] },
      }),
      NOW,
    );
    expect(decision.decision).toBe('allow');
    expect(decision.overridesUsed).toEqual(['o1']);
  });

  it('does not apply, and reads no pull requests, where the stage does not ask for it', () => {
    const p = policy();
    expect(linked(facts('DEV'), p)).toBeUndefined();
    expect(factsNeeded(p, 0).has('pulls')).toBe(false);
    expect(factsNeeded(p, 1).has('pulls')).toBe(true);
    expect(p.environments[0]!.requireLinkedIssue).toBe(false);
  });

  it('is a boolean in the policy, with the loader saying where it is not', () => {
    const loaded = loadPolicy(
      POLICY.replace('requireLinkedIssue: true', 'requireLinkedIssue: yes please'),
      'release-policy.yml',
    );
    expect(loaded.ok).toBe(false);
    expect(!loaded.ok && loaded.errors[0]).toMatchObject({ line: 5, path: 'environments[1].requireLinkedIssue' });
  });

  it('release-gate evaluate takes the pull requests with --pull', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-linked-'));
    writeFileSync(join(dir, 'policy.yml'), POLICY);
    const base = [
      'evaluate',
      '--env',
      'PROD',
      '--policy',
      'policy.yml',
      '--deployed',
      'DEV@2026-03-10T12:00:00Z',
      '--json',
    ];
    const ok = await cli([...base, '--pull', '41:Fix the login (#17)'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.json().rules.find((r: { rule: string }) => r.rule === 'linkedIssue').code).toBe('LINKED_ISSUE_OK');
    const missing = await cli([...base, '--pull', '41:Fix the login'], { cwd: dir });
    expect(missing.code).toBe(3);
    expect(missing.json().rules.find((r: { rule: string }) => r.rule === 'linkedIssue').values.withoutIssue).toEqual([
      '#41',
    ]);
    const bad = await cli([...base, '--pull', 'forty-one'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--pull "forty-one" must be NUMBER or NUMBER:TEXT');
  });
});
