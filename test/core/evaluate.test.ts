import { describe, expect, it } from 'vitest';
import { evaluate, policyInvalidDecision } from '../../src/core/evaluate.js';
import type { EnvironmentPolicy, Policy, ReleaseFacts } from '../../src/core/types.js';
import { proven, typedStage } from '../support/release-facts.js';

function stage(name: string, extra: Partial<EnvironmentPolicy> = {}): EnvironmentPolicy {
  return typedStage({ name, github: [name.toLowerCase()], ...extra });
}

function policy(prod: Partial<EnvironmentPolicy> = {}, extra: Partial<Policy> = {}): Policy {
  return {
    version: 1,
    format: 'v1',
    environments: [
      stage('DEV', { github: ['development'] }),
      stage('PRE_PROD', { github: ['staging'] }),
      stage('PROD', { github: ['production'], ...prod }),
    ],
    scoring: {
      weights: { tests: 40, coverage: 20, security: 20, checklist: 20 },
      warnScore: null,
      coverageTarget: 80,
      allowedSarifLevels: ['note', 'none'],
      backupMaxAgeHours: 24,
    },
    overrides: { teams: ['release-managers'], secondApprover: false, expiresMs: 86_400_000 },
    evidence: { workflows: [] },
    strict: false,
    ...extra,
  };
}

const SHA = 'a'.repeat(40);
const NOW = new Date('2026-03-10T15:00:00Z');

function facts(extra: Partial<ReleaseFacts> = {}): ReleaseFacts {
  return {
    environment: 'PROD',
    sha: SHA,
    approvals: [],
    deployments: [proven('staging', SHA, '2026-03-10T12:00:00Z')],
    evidence: { score: 90, breakdown: {}, present: ['tests', 'coverage', 'security', 'checklist'] },
    checks: [],
    teams: {},
    overrides: [],
    ...extra,
  };
}

const approve = (login: string, extra: Partial<ReleaseFacts['approvals'][number]> = {}) => ({
  login,
  source: 'pr-review' as const,
  state: 'APPROVED' as const,
  submittedAt: '2026-03-10T13:00:00Z',
  ...extra,
});

const codes = (p: Policy, f: ReleaseFacts, now = NOW) =>
  evaluate(p, f, now)
    .rules.filter((r) => !r.ok)
    .map((r) => r.code);

describe('evaluate: one row per rule code', () => {
  const table: Array<{ name: string; policy: Policy; facts: ReleaseFacts; decision: string; failing: string[] }> = [
    { name: 'nothing to check allows', policy: policy(), facts: facts(), decision: 'allow', failing: [] },
    {
      name: 'PROMOTION_ORDER when the predecessor has no deployment of the release',
      policy: policy(),
      facts: facts({
        deployments: [proven('staging', 'b'.repeat(40), '2026-03-10T12:00:00Z')],
      }),
      decision: 'block',
      failing: ['PROMOTION_ORDER'],
    },
    {
      name: 'PROMOTION_ORDER waits while the predecessor deploy is running',
      policy: policy(),
      facts: facts({
        deployments: [
          {
            environment: 'PRE_PROD',
            sha: SHA,
            state: 'in_progress',
            at: '2026-03-10T12:00:00Z',
            approval: { via: 'reported', at: '2026-03-10T11:59:00Z' },
          },
        ],
      }),
      decision: 'wait',
      failing: ['PROMOTION_ORDER'],
    },
    {
      name: 'the same git tree is the same release (a re-tag of identical content)',
      policy: policy(),
      facts: facts({
        tree: 't1',
        deployments: [proven('staging', 'c'.repeat(40), '2026-03-10T12:00:00Z', { tree: 't1' })],
      }),
      decision: 'allow',
      failing: [],
    },
    {
      name: 'REF_NOT_ALLOWED for a branch where only tags go',
      policy: policy({ refs: ['refs/tags/v*'] }),
      facts: facts({ ref: 'refs/heads/main' }),
      decision: 'block',
      failing: ['REF_NOT_ALLOWED'],
    },
    {
      name: 'a full tag ref matches refs/tags/v*',
      policy: policy({ refs: ['refs/tags/v*'] }),
      facts: facts({ ref: 'refs/tags/v1.2.0' }),
      decision: 'allow',
      failing: [],
    },
    // SECURITY.md T4: a short name is not taken for a tag until it is resolved on GitHub.
    {
      name: 'an unresolved short name (a branch named like a tag) does not match refs/tags/v*',
      policy: policy({ refs: ['refs/tags/v*'] }),
      facts: facts({ ref: 'v9.9.9-evil' }),
      decision: 'block',
      failing: ['REF_NOT_ALLOWED'],
    },
    {
      name: 'REF_NOT_ALLOWED when the ref is unknown',
      policy: policy({ refs: ['refs/tags/v*'] }),
      facts: facts(),
      decision: 'block',
      failing: ['REF_NOT_ALLOWED'],
    },
    {
      name: 'APPROVAL_REQUIRED waits for approvals',
      policy: policy({ minApprovals: 2 }),
      facts: facts({ approvals: [approve('alice')] }),
      decision: 'wait',
      failing: ['APPROVAL_REQUIRED'],
    },
    {
      name: 'two distinct approvals pass',
      policy: policy({ minApprovals: 2 }),
      facts: facts({ approvals: [approve('alice'), approve('bob')] }),
      decision: 'allow',
      failing: [],
    },
    {
      name: 'REVIEW_REQUIRED when a critical path changed',
      policy: policy({ requiredReviewers: [{ paths: ['prisma/**'], teams: ['tech-reviewers'] }] }),
      facts: facts({
        changedFiles: ['prisma/schema.prisma'],
        approvals: [approve('alice')],
        teams: { 'tech-reviewers': ['bob'] },
      }),
      decision: 'wait',
      failing: ['REVIEW_REQUIRED'],
    },
    {
      name: 'a required review from the team passes',
      policy: policy({ requiredReviewers: [{ paths: ['prisma/**'], teams: ['tech-reviewers'] }] }),
      facts: facts({
        changedFiles: ['prisma/schema.prisma'],
        approvals: [approve('bob')],
        teams: { 'tech-reviewers': ['bob'] },
      }),
      decision: 'allow',
      failing: [],
    },
    {
      name: 'no critical path changed: no review needed',
      policy: policy({ requiredReviewers: [{ paths: ['prisma/**'], teams: ['tech-reviewers'] }] }),
      facts: facts({ changedFiles: ['README.md'] }),
      decision: 'allow',
      failing: [],
    },
    {
      name: 'SCORE_TOO_LOW blocks',
      policy: policy({ minScore: 70 }),
      facts: facts({ evidence: { score: 65, breakdown: {}, present: ['tests'] } }),
      decision: 'block',
      failing: ['SCORE_TOO_LOW'],
    },
    {
      name: 'EVIDENCE_MISSING when no evidence gives no score',
      policy: policy({ minScore: 70 }),
      facts: facts({ evidence: { score: null, breakdown: {}, present: [] } }),
      decision: 'block',
      failing: ['EVIDENCE_MISSING'],
    },
    {
      name: 'SCORE_NEEDS_APPROVAL in the warning band',
      policy: policy({ minScore: 70 }, { scoring: { ...policy().scoring, warnScore: 50 } }),
      facts: facts({ evidence: { score: 60, breakdown: {}, present: ['tests'] } }),
      decision: 'wait',
      failing: ['SCORE_NEEDS_APPROVAL'],
    },
    {
      name: 'the warning band is accepted by an override team member',
      policy: policy({ minScore: 70 }, { scoring: { ...policy().scoring, warnScore: 50 } }),
      facts: facts({
        evidence: { score: 60, breakdown: {}, present: ['tests'] },
        approvals: [approve('maria')],
        teams: { 'release-managers': ['maria'] },
      }),
      decision: 'allow',
      failing: [],
    },
    {
      name: 'EVIDENCE_MISSING names the missing kinds',
      policy: policy({ requiredEvidence: ['tests', 'rollbackPlan'] }),
      facts: facts(),
      decision: 'block',
      failing: ['EVIDENCE_MISSING'],
    },
    {
      name: 'SOAK_INCOMPLETE waits',
      policy: policy({ soakMinutes: 240 }),
      facts: facts(),
      decision: 'wait',
      failing: ['SOAK_INCOMPLETE'],
    },
    {
      name: 'soak complete passes',
      policy: policy({ soakMinutes: 30 }),
      facts: facts(),
      decision: 'allow',
      failing: [],
    },
    {
      name: 'CHECKS_PENDING waits',
      policy: policy({ requiredChecks: [{ name: 'build' }] }),
      facts: facts({ checks: [{ name: 'build', status: 'in_progress', kind: 'check_run', app: 'ci-app' }] }),
      decision: 'wait',
      failing: ['CHECKS_PENDING'],
    },
    {
      name: 'a check not reported yet is pending',
      policy: policy({ requiredChecks: [{ name: 'build' }] }),
      facts: facts(),
      decision: 'wait',
      failing: ['CHECKS_PENDING'],
    },
    {
      name: 'CHECKS_FAILED blocks',
      policy: policy({ requiredChecks: [{ name: 'build' }, { name: 'audit' }] }),
      facts: facts({
        checks: [
          { name: 'build', status: 'completed', conclusion: 'success', kind: 'check_run', app: 'ci-app' },
          { name: 'audit', status: 'completed', conclusion: 'failure', kind: 'check_run', app: 'ci-app' },
        ],
      }),
      decision: 'block',
      failing: ['CHECKS_FAILED'],
    },
    {
      name: 'FREEZE_WINDOW_ACTIVE waits for the window to end',
      policy: policy({
        freezeWindows: [{ kind: 'daily', name: 'afternoon', days: [], start: '14:00', end: '16:00', timezone: 'UTC' }],
      }),
      facts: facts(),
      decision: 'wait',
      failing: ['FREEZE_WINDOW_ACTIVE'],
    },
    {
      name: 'onBlocked: reject turns a wait into a block',
      policy: policy({
        onBlocked: 'reject',
        freezeWindows: [{ kind: 'daily', name: 'afternoon', days: [], start: '14:00', end: '16:00', timezone: 'UTC' }],
      }),
      facts: facts(),
      decision: 'block',
      failing: ['FREEZE_WINDOW_ACTIVE'],
    },
    {
      name: 'every failing rule is reported, not only the first',
      policy: policy({ minApprovals: 1, minScore: 70, refs: ['refs/tags/v*'] }),
      facts: facts({ ref: 'refs/heads/x', evidence: { score: 10, breakdown: {}, present: ['tests'] } }),
      decision: 'block',
      failing: ['REF_NOT_ALLOWED', 'APPROVAL_REQUIRED', 'SCORE_TOO_LOW'],
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const d = evaluate(row.policy, row.facts, NOW);
      expect(d.decision).toBe(row.decision);
      expect(d.rules.filter((r) => !r.ok).map((r) => r.code)).toEqual(row.failing);
    });
  }
});

describe('approvals counting', () => {
  const p = policy({ minApprovals: 1 });
  it('the latest review per person counts', () => {
    const f = facts({
      approvals: [
        approve('alice'),
        approve('alice', { state: 'CHANGES_REQUESTED', submittedAt: '2026-03-10T14:00:00Z' }),
      ],
    });
    const d = evaluate(p, f, NOW);
    expect(d.decision).toBe('wait');
    const rule = d.rules.find((r) => r.code === 'APPROVAL_REQUIRED')!;
    expect(rule.message).toBe('Release requires 1 approval(s) for PROD. Current: 0.');
    expect(rule.values.notCounted).toEqual([
      { login: 'alice', source: 'pr-review', reason: 'latest review is changes requested' },
    ]);
  });
  it('a comment after an approval does not withdraw it', () => {
    const f = facts({
      approvals: [approve('alice'), approve('alice', { state: 'COMMENTED', submittedAt: '2026-03-10T14:00:00Z' })],
    });
    expect(evaluate(p, f, NOW).decision).toBe('allow');
  });
  it('dismissed reviews, stale heads, the author and the deployer do not count', () => {
    const f = facts({
      author: 'carol',
      deployer: 'dave',
      approvals: [
        approve('alice', { state: 'DISMISSED' }),
        approve('bob', { contentMatches: false, commitId: 'abcdef123' }),
        approve('carol'),
        approve('Dave'),
      ],
    });
    const rule = evaluate(p, f, NOW).rules.find((r) => r.rule === 'approvals')!;
    expect(rule.code).toBe('APPROVAL_REQUIRED');
    expect(rule.values.notCounted).toEqual([
      { login: 'alice', source: 'pr-review', reason: 'review dismissed' },
      { login: 'bob', source: 'pr-review', reason: 'approved an older head (abcdef1) whose content changed since' },
      { login: 'carol', source: 'pr-review', reason: 'author of the change' },
      { login: 'Dave', source: 'pr-review', reason: 'deployer of the release' },
    ]);
  });
  it('excludeAuthor: false lets the author approve', () => {
    const f = facts({ author: 'carol', approvals: [approve('carol')] });
    expect(
      evaluate(policy({ minApprovals: 1, approvals: { excludeAuthor: false, fromTeams: [] } }), f, NOW).decision,
    ).toBe('allow');
  });
  it('fromTeams counts only team members', () => {
    const q = policy({ minApprovals: 1, approvals: { excludeAuthor: true, fromTeams: ['release-owners'] } });
    const f = facts({ approvals: [approve('alice')], teams: { 'release-owners': ['bob'] } });
    const rule = evaluate(q, f, NOW).rules.find((r) => r.rule === 'approvals')!;
    expect(rule.message).toBe('Release requires 1 approval(s) from release-owners for PROD. Current: 0.');
    expect(evaluate(q, { ...f, approvals: [approve('Bob')] }, NOW).decision).toBe('allow');
  });
  it('deployment reviews count like PR reviews', () => {
    const f = facts({ approvals: [approve('alice', { source: 'deployment-review' })] });
    expect(evaluate(p, f, NOW).decision).toBe('allow');
  });
});

describe('wait and its clearing time', () => {
  it('a soak wait clears when the soak completes', () => {
    const d = evaluate(policy({ soakMinutes: 240 }), facts(), NOW);
    expect(d.decision).toBe('wait');
    expect(d.clearsAt).toBe('2026-03-10T16:00:00.000Z');
    expect(d.recheckAt).toBe('2026-03-10T16:00:00.000Z');
  });
  it('waiting on an approval as well leaves clearsAt unknown but a recheck time', () => {
    const d = evaluate(policy({ soakMinutes: 240, minApprovals: 1 }), facts(), NOW);
    expect(d.clearsAt).toBeNull();
    expect(d.recheckAt).toBe('2026-03-10T16:00:00.000Z');
  });
  it('a freeze wait clears when the window ends', () => {
    const p = policy({
      freezeWindows: [{ kind: 'daily', name: 'afternoon', days: [], start: '14:00', end: '16:00', timezone: 'UTC' }],
    });
    const d = evaluate(p, facts(), NOW);
    expect(d.clearsAt).toBe('2026-03-10T16:00:00.000Z');
    const rule = d.rules.find((r) => r.code === 'FREEZE_WINDOW_ACTIVE')!;
    expect(rule.message).toBe(
      'Promotion held: freeze window active for PROD (afternoon) until 2026-03-10T16:00:00.000Z.',
    );
  });
  it('a deploy that would still run when a window opens waits until after it', () => {
    const p = policy({
      deployDurationMs: 20 * 60_000,
      freezeWindows: [{ kind: 'daily', name: 'late', days: [], start: '15:10', end: '16:00', timezone: 'UTC' }],
    });
    const d = evaluate(p, facts(), NOW);
    expect(d.decision).toBe('wait');
    expect(d.clearsAt).toBe('2026-03-10T16:00:00.000Z');
    expect(
      evaluate(
        { ...p, environments: p.environments.map((e) => ({ ...e, deployDurationMs: 5 * 60_000 })) },
        facts(),
        NOW,
      ).decision,
    ).toBe('allow');
  });
});

describe('environments the policy does not name', () => {
  it('are approved as ungated', () => {
    const d = evaluate(policy(), facts({ environment: 'pr-123-preview' }), NOW);
    expect(d).toMatchObject({ decision: 'allow', ungated: true });
    expect(d.rules[0]!.code).toBe('UNGATED_ENVIRONMENT');
  });
  it('are rejected when the policy is strict', () => {
    const d = evaluate(policy({}, { strict: true }), facts({ environment: 'pr-123-preview' }), NOW);
    expect(d.decision).toBe('block');
    expect(d.rules[0]!.code).toBe('ENVIRONMENT_NOT_IN_POLICY');
  });
  it('GitHub environment names map to their stage, case-insensitively', () => {
    expect(evaluate(policy({ minApprovals: 1 }), facts({ environment: 'Production' }), NOW).environment).toBe('PROD');
  });
});

describe('overrides', () => {
  const p = policy({ minScore: 70 });
  const low = { score: 40, breakdown: {}, present: ['tests' as const] };
  const override = {
    id: 'ov1',
    environment: 'PROD',
    sha: SHA,
    rules: ['SCORE_TOO_LOW'],
    grantedBy: 'maria',
    reason: 'hotfix for incident 42',
    risk: 'coverage gap in billing',
    grantedAt: '2026-03-10T14:00:00Z',
    expiresAt: '2026-03-11T14:00:00Z',
  };
  it('a member of an override team lets the named rule pass once, and it is shown', () => {
    const d = evaluate(
      p,
      facts({ evidence: low, overrides: [override], teams: { 'release-managers': ['maria'] } }),
      NOW,
    );
    expect(d.decision).toBe('allow');
    expect(d.overridesUsed).toEqual(['ov1']);
    const rule = d.rules.find((r) => r.code === 'SCORE_TOO_LOW')!;
    expect(rule.overriddenBy).toEqual({
      id: 'ov1',
      grantedBy: 'maria',
      reason: 'hotfix for incident 42',
      risk: 'coverage gap in billing',
    });
    expect(rule.message).toContain('Overridden by maria: "hotfix for incident 42" (risk: coverage gap in billing).');
  });
  it('does nothing when granted by a non-member, used, expired, or for another SHA', () => {
    for (const o of [
      { ...override, grantedBy: 'mallory' },
      { ...override, usedAt: '2026-03-10T14:30:00Z' },
      { ...override, expiresAt: '2026-03-10T14:59:59Z' },
      { ...override, sha: 'b'.repeat(40) },
    ]) {
      expect(
        evaluate(p, facts({ evidence: low, overrides: [o], teams: { 'release-managers': ['maria'] } }), NOW).decision,
      ).toBe('block');
    }
  });
  it('needs a second member when the policy says so', () => {
    const q = { ...p, overrides: { ...p.overrides, secondApprover: true } };
    const teams = { 'release-managers': ['maria', 'joao'] };
    expect(evaluate(q, facts({ evidence: low, overrides: [override], teams }), NOW).decision).toBe('block');
    expect(
      evaluate(q, facts({ evidence: low, overrides: [{ ...override, confirmedBy: 'maria' }], teams }), NOW).decision,
    ).toBe('block');
    expect(
      evaluate(q, facts({ evidence: low, overrides: [{ ...override, confirmedBy: 'joao' }], teams }), NOW).decision,
    ).toBe('allow');
  });
  it('only waives the rules it names', () => {
    const d = evaluate(
      policy({ minScore: 70, minApprovals: 1 }),
      facts({ evidence: low, overrides: [override], teams: { 'release-managers': ['maria'] } }),
      NOW,
    );
    expect(d.decision).toBe('wait');
    expect(d.overridesUsed).toEqual([]);
  });
});

describe('fail closed', () => {
  it('an invalid policy blocks with POLICY_INVALID', () => {
    const d = policyInvalidDecision('PROD', ['policy.yml:3:5: unknown key "minAprovals"']);
    expect(d.decision).toBe('block');
    expect(d.rules.map((r) => r.code)).toEqual(['POLICY_INVALID']);
  });
  it('the same inputs give the same decision', () => {
    const p = policy({ minApprovals: 1, minScore: 70, soakMinutes: 30, requiredChecks: [{ name: 'build' }] });
    const f = facts({
      approvals: [approve('alice')],
      checks: [{ name: 'build', status: 'completed', conclusion: 'success', kind: 'check_run', app: 'ci-app' }],
    });
    expect(evaluate(p, f, NOW)).toEqual(evaluate(p, f, NOW));
    expect(codes(p, f)).toEqual([]);
  });
});

describe('a freeze window the engine cannot follow', () => {
  it('blocks with FREEZE_WINDOW_INVALID instead of throwing', () => {
    const p = policy({
      freezeWindows: [
        { kind: 'rrule', name: 'counted', rrule: 'FREQ=DAILY;COUNT=3', durationMs: 3_600_000, timezone: 'UTC' },
      ],
    });
    const d = evaluate(p, facts(), NOW);
    expect(d.decision).toBe('block');
    expect(d.rules.filter((r) => !r.ok).map((r) => r.code)).toEqual(['FREEZE_WINDOW_INVALID']);
  });
});
