import { describe, expect, expectTypeOf, it } from 'vitest';
import { evaluate } from '../../src/core/evaluate.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import { environmentResults } from '../../src/core/evaluation-results.js';
import {
  approvalsRule,
  freezeRule,
  isResultOf,
  orderRule,
  reviewersRule,
  RULES,
  scoreRule,
  soakRule,
  type GateRule,
  type ResultOfRule,
} from '../../src/core/rules/index.js';
import type { EnvironmentPolicy, Policy, ReleaseFacts, RuleResult } from '../../src/core/types.js';

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

describe("a reader of a rule's values gets the rule's fields, by code", () => {
  const at = new Date('2026-03-10T15:00:00Z');
  const frozen = (): Policy => {
    const p = policy();
    p.environments = p.environments.map((e): EnvironmentPolicy => ({
      ...e,
      minApprovals: 0,
      requiredReviewers: [],
      freezeWindows: [{ kind: 'daily', name: 'afternoon', days: [], start: '14:00', end: '16:00', timezone: 'UTC' }],
    }));
    return p;
  };

  it('reads a held freeze: the windows it waits on and until when, typed, from the decision and from the record', () => {
    const fresh = evaluate(frozen(), facts, at).rules;
    const stored = JSON.parse(JSON.stringify(fresh)) as RuleResult[];
    for (const rules of [fresh, stored]) {
      const held = rules.filter((r) => isResultOf(freezeRule, r)).find((r) => r.code === 'FREEZE_WINDOW_ACTIVE');
      expect(held?.values.blockedBy).toEqual(['afternoon']);
      expect(held?.values.until).toBe('2026-03-10T16:00:00.000Z');
      expect(held?.values.deployDurationMinutes).toBe(0);
    }
  });

  it('types each code its own values (a discriminated union by code)', () => {
    const r = evaluate(frozen(), facts, at).rules.find((x) => x.rule === 'freeze')!;
    if (isResultOf(freezeRule, r)) {
      expectTypeOf(r.code).toEqualTypeOf<'FREEZE_CLEAR' | 'FREEZE_WINDOW_ACTIVE' | 'FREEZE_WINDOW_INVALID'>();
      expectTypeOf(r.values.windows).toEqualTypeOf<string[]>();
      // @ts-expect-error: only an invalid window's result names the window.
      expect(r.values.window).toBeUndefined();
      if (r.code === 'FREEZE_WINDOW_INVALID') expectTypeOf(r.values.window).toEqualTypeOf<string>();
      if (r.code === 'FREEZE_WINDOW_ACTIVE') expectTypeOf(r.values.until).toEqualTypeOf<string | undefined>();
      // @ts-expect-error: a freeze result has no approvers.
      expect(r.values.approvers).toBeUndefined();
    }
    if (isResultOf(scoreRule, r)) {
      if (r.code === 'SCORE_WARNING_APPROVED') expectTypeOf(r.values.approvedBy).toEqualTypeOf<string>();
      if (r.code === 'EVIDENCE_MISSING') expectTypeOf(r.values.score).toEqualTypeOf<null>();
      if (r.code === 'SCORE_OK') expectTypeOf(r.values.score).toEqualTypeOf<number>();
    }
    if (isResultOf(soakRule, r) && r.code === 'SOAK_OK') expectTypeOf(r.values.ends).toEqualTypeOf<string>();
    if (isResultOf(orderRule, r) && r.code === 'FIRST_STAGE') expectTypeOf(r.values.predecessor).toEqualTypeOf<null>();
    if (isResultOf(approvalsRule, r)) {
      expectTypeOf(r.values.approvers).toEqualTypeOf<string[]>();
      // Set on any result an override names without applying, and when onBlocked turns a wait into a block.
      expectTypeOf(r.values.onBlocked).toEqualTypeOf<'reject' | undefined>();
    }
    expectTypeOf<ResultOfRule<typeof reviewersRule>['values']['role']['kind']>().toEqualTypeOf<'release' | 'review'>();
    expect(isResultOf(freezeRule, r)).toBe(true);
  });

  it('tells the release approval and a required review apart where they share a code', () => {
    const p = policy();
    p.environments[0]!.approvals.fromTeams = ['release-owners'];
    p.environments[0]!.requiredReviewers = [{ paths: ['src/**'], teams: ['release-owners'] }];
    const rules = evaluate(p, { ...facts, teamErrors: { 'release-owners': 'the App cannot read the team' } }, at).rules;
    const unreadable = rules.filter((r) => r.code === 'TEAMS_UNREADABLE');
    expect(unreadable).toHaveLength(2);
    const release = unreadable.filter((r) => isResultOf(approvalsRule, r));
    const review = unreadable.filter((r) => isResultOf(reviewersRule, r));
    expect(release.map((r) => r.values.required)).toEqual([2]);
    expect(review.map((r) => r.values.paths)).toEqual([['src/**']]);
  });

  it("reads an unnamed environment's result (the evaluation's own) typed", () => {
    const [r] = evaluate(policy(), { ...facts, environment: 'PRDO' }, at).rules;
    expect(
      r && isResultOf(environmentResults, r) && r.code === 'ENVIRONMENT_LOOKALIKE' ? r.values.resembles : null,
    ).toBe('PROD');
  });

  it('a rule cannot give values its code does not carry (checked by the compiler)', () => {
    const rule: GateRule<'B_OK' | 'B_LATE', { B_OK: { n: number }; B_LATE: { n: number; until: string } }> = {
      name: 'b',
      codes: ['B_OK', 'B_LATE'],
      keys: [],
      applies: () => true,
      facts: () => [],
      evaluate: () => [
        { code: 'B_OK', rule: 'b', ok: true, outcome: 'pass', message: '', values: { n: 1 } },
        // @ts-expect-error: B_LATE carries `until`.
        { code: 'B_LATE', rule: 'b', ok: false, outcome: 'wait', message: '', values: { n: 1 } },
        // @ts-expect-error: `n` is a number.
        { code: 'B_OK', rule: 'b', ok: true, outcome: 'pass', message: '', values: { n: 'one' } },
      ],
    };
    expect(rule.codes).toEqual(['B_OK', 'B_LATE']);
  });
});
