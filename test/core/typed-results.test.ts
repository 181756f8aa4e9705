import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/core/evaluate.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import { approvalsRule, isResultOf, RULES, type GateRule } from '../../src/core/rules/index.js';
import type { Policy, ReleaseFacts, RuleResult } from '../../src/core/types.js';

/** Rule results typed end to end: a rule's codes and values, narrowed from a decision or the record. */

const POLICY = `version: 1
environments:
  - name: PROD
    minApprovals: 2
    requiredReviewers:
      - paths: ["db/**"]
        teams: [dba]
`;

function policy(): Policy {
  const loaded = loadPolicy(POLICY, 'release-policy.yml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
  return loaded.policy;
}

const facts: ReleaseFacts = {
  environment: 'PROD',
  sha: 'a'.repeat(40),
  approvals: [{ login: 'bob', source: 'pr-review', state: 'APPROVED', submittedAt: '2026-03-10T12:00:00Z' }],
  deployments: [],
  evidence: { score: null, breakdown: {}, present: [] },
  checks: [],
  changedFiles: ['src/app.ts'],
  teams: {},
  overrides: [],
};

describe('typed rule results', () => {
  it("narrows a decision's approvals result to its codes and values", () => {
    const decision = evaluate(policy(), facts, new Date('2026-03-11T00:00:00Z'));
    const approvals = decision.rules.filter((r) => isResultOf(approvalsRule, r));
    // The release approval and the required review both report as `approvals`; only one carries approvers.
    const release = approvals.find((r) => Array.isArray(r.values.approvers));
    expect(release?.code).toBe('APPROVAL_REQUIRED');
    expect(release?.values.required).toBe(2);
    expect(release?.values.approvers).toEqual(['bob']);
    expect(release?.values.role.kind).toBe('release');
  });

  it('refuses a result of another rule or with a code the rule does not give', () => {
    const read = (r: Partial<RuleResult>): RuleResult => ({
      code: 'APPROVALS_OK',
      rule: 'approvals',
      ok: true,
      outcome: 'pass',
      message: '',
      values: {},
      ...r,
    });
    expect(isResultOf(approvalsRule, read({}))).toBe(true);
    expect(isResultOf(approvalsRule, read({ rule: 'freeze' }))).toBe(false);
    expect(isResultOf(approvalsRule, read({ code: 'FREEZE_CLEAR' }))).toBe(false);
  });

  it('every result of every rule has a code its rule declares', () => {
    const decision = evaluate(policy(), facts, new Date('2026-03-11T00:00:00Z'));
    for (const r of decision.rules) {
      const rule = RULES.find((g) => isResultOf(g, r));
      expect(rule, `${r.rule} ${r.code}`).toBeDefined();
    }
  });

  it('a rule cannot give a code it does not declare (checked by the compiler)', () => {
    const rule: GateRule<'A_OK' | 'A_BAD'> = {
      name: 'a',
      codes: ['A_OK', 'A_BAD'],
      keys: [],
      applies: () => true,
      facts: () => [],
      // @ts-expect-error: 'A_MAYBE' is not one of the rule's codes.
      evaluate: () => ({ code: 'A_MAYBE', rule: 'a', ok: true, outcome: 'pass', message: '', values: {} }),
    };
    expect(rule.codes).toEqual(['A_OK', 'A_BAD']);
  });
});
