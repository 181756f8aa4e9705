import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/core/evaluate.js';
import { roleOf } from '../../src/core/rules/roles.js';
import type { RoleStatus } from '../../src/core/rules/roles.js';
import type { ApprovalFact, EnvironmentPolicy, Policy, ReleaseFacts } from '../../src/core/types.js';
import { typedStage } from '../support/release-facts.js';

/**
 * Roles as the policy defines them: `minApprovals` counts approvals from `approvals.fromTeams`
 * (the release owners), and each `requiredReviewers` entry needs an approval from its own
 * teams (the technical reviewers), whether or not they are release owners.
 */

const SHA = 'a'.repeat(40);
const NOW = new Date('2026-03-10T15:00:00Z');

/** The README's PROD stage: one release owner's approval; billing changes also need a technical reviewer. */
function policy(prod: Partial<EnvironmentPolicy> = {}, extra: Partial<Policy> = {}): Policy {
  return {
    version: 1,
    format: 'v1',
    environments: [
      typedStage({
        name: 'PROD',
        github: ['production'],
        minApprovals: 1,
        approvals: { excludeAuthor: true, fromTeams: ['release-owners'] },
        requiredReviewers: [{ paths: ['src/billing/**'], teams: ['tech-reviewers'] }],
        ...prod,
      }),
    ],
    scoring: {
      weights: { tests: 100 },
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

const TEAMS = { 'release-owners': ['olivia', 'bea'], 'tech-reviewers': ['tomas', 'bea', 'dev'] };

function facts(extra: Partial<ReleaseFacts> = {}): ReleaseFacts {
  return {
    environment: 'production',
    sha: SHA,
    author: 'dev',
    contributors: ['dev'],
    deployer: 'ci-bot',
    approvals: [],
    deployments: [],
    evidence: { score: null, breakdown: {}, present: [] },
    checks: [],
    teams: TEAMS,
    overrides: [],
    changedFiles: ['src/billing/invoice.ts', 'README.md'],
    ...extra,
  };
}

const approve = (login: string, extra: Partial<ApprovalFact> = {}): ApprovalFact => ({
  login,
  source: 'pr-review',
  state: 'APPROVED',
  submittedAt: '2026-03-10T13:00:00Z',
  ...extra,
});

function decide(f: ReleaseFacts, p = policy()) {
  const d = evaluate(p, f, NOW);
  return {
    decision: d.decision,
    // The approvals' results (the release approval, then each path rule's); the order rule's FIRST_STAGE aside.
    results: d.rules.filter((r) => r.rule === 'approvals').map((r) => `${r.code}: ${r.message}`),
    roles: d.rules.map((r) => roleOf(r)).filter((r): r is RoleStatus => r !== null),
  };
}

describe('release owners and technical reviewers are separate roles', () => {
  it('a release owner and a technical reviewer (not a release owner) approve a billing change: allowed', () => {
    const d = decide(facts({ approvals: [approve('olivia'), approve('tomas')] }));
    expect(d.decision).toBe('allow');
    expect(d.results).toEqual([
      'APPROVALS_OK: 1 of 1 required approval(s): olivia.',
      'REVIEW_OK: Reviewed by tomas (tech-reviewers): src/billing/invoice.ts changed.',
    ]);
  });

  it('a release owner alone on a billing change: held, naming the missing role', () => {
    const d = decide(facts({ approvals: [approve('olivia')] }));
    expect(d.decision).toBe('wait');
    expect(d.results).toEqual([
      'APPROVALS_OK: 1 of 1 required approval(s): olivia.',
      'REVIEW_REQUIRED: Needs 1 of tech-reviewers: src/billing/invoice.ts changed.',
    ]);
  });

  it('a technical reviewer alone: the review is done, the release owner is still needed', () => {
    const d = decide(facts({ approvals: [approve('tomas')] }));
    expect(d.decision).toBe('wait');
    expect(d.results).toEqual([
      'APPROVAL_REQUIRED: Release requires 1 approval(s) from release-owners for PROD. Current: 0.',
      'REVIEW_OK: Reviewed by tomas (tech-reviewers): src/billing/invoice.ts changed.',
    ]);
  });

  it('a change outside the paths needs no technical review', () => {
    const d = decide(facts({ changedFiles: ['src/shop/cart.ts'], approvals: [approve('olivia')] }));
    expect(d.decision).toBe('allow');
    expect(d.results[1]).toBe(
      'REVIEW_NOT_TRIGGERED: No changed file matches src/billing/**: no review from tech-reviewers is needed.',
    );
  });

  it('a technical review follows the same rules as an approval: latest review, not stale, not the author or deployer', () => {
    const cases: Array<[string, ApprovalFact[], Partial<ReleaseFacts>]> = [
      [
        'withdrawn',
        [approve('tomas'), approve('tomas', { state: 'CHANGES_REQUESTED', submittedAt: '2026-03-10T14:00:00Z' })],
        {},
      ],
      ['stale', [approve('tomas', { commitId: 'b'.repeat(40), contentMatches: false })], {}],
      ['dismissed', [approve('tomas', { state: 'DISMISSED' })], {}],
      ['the author', [approve('dev')], {}],
      ['the deployer', [approve('tomas')], { deployer: 'tomas' }],
      ['a contributor', [approve('tomas')], { contributors: ['dev', 'tomas'] }],
    ];
    for (const [why, approvals, more] of cases) {
      const d = decide(facts({ approvals: [approve('olivia'), ...approvals], ...more }));
      expect(d.decision, why).toBe('wait');
      expect(d.results[1], why).toMatch(/^REVIEW_REQUIRED: Needs 1 of tech-reviewers/);
    }
    // A deployment review counts as the pull request's review does.
    expect(
      decide(facts({ approvals: [approve('olivia'), approve('tomas', { source: 'deployment-review' })] })).decision,
    ).toBe('allow');
    // excludeAuthor: false lets the author's own technical review count.
    const lenient = policy({ approvals: { excludeAuthor: false, fromTeams: ['release-owners'] } });
    expect(decide(facts({ approvals: [approve('olivia'), approve('dev')] }), lenient).decision).toBe('allow');
  });

  // One approval is one person's judgment in each role they hold: a member of both teams
  // is a release owner and a technical reviewer, as GitHub counts a code owner's approval
  // toward the required approvals. Only the author, contributors and deployer are set apart.
  it('a member of both teams counts for both roles', () => {
    const d = decide(facts({ approvals: [approve('bea')] }));
    expect(d.decision).toBe('allow');
    expect(d.roles.map((r) => [r.kind, r.counted])).toEqual([
      ['release', ['bea']],
      ['review', ['bea']],
    ]);
  });
});

describe('the first release to the last stage', () => {
  it('applies every path rule and says why and who can clear it', () => {
    const d = decide(facts({ changedFiles: undefined, approvals: [approve('olivia')] }));
    expect(d.decision).toBe('wait');
    expect(d.results[1]).toBe(
      'REVIEW_REQUIRED: Needs 1 of tech-reviewers: no earlier deployment to PROD is known, so the files changed since are unknown and every path rule applies (src/billing/**). An approval of the pull request or the deployment by a member of tech-reviewers clears it (not by ci-bot or dev: the author, contributors and deployer do not count).',
    );
    const cleared = decide(facts({ changedFiles: undefined, approvals: [approve('olivia'), approve('tomas')] }));
    expect(cleared.decision).toBe('allow');
    expect(cleared.results[1]).toBe(
      'REVIEW_OK: Reviewed by tomas (tech-reviewers): no earlier deployment to PROD is known, so every path rule applies.',
    );
  });
});

describe('each role in the results: who counted and who is still needed', () => {
  it('carries the role of minApprovals and of each path rule as typed values', () => {
    const p = policy({
      minApprovals: 2,
      requiredReviewers: [
        { paths: ['src/billing/**'], teams: ['tech-reviewers'] },
        { paths: ['prisma/**'], teams: ['dba'] },
      ],
    });
    const d = decide(
      facts({
        approvals: [approve('olivia'), approve('dev'), approve('mallory')],
        changedFiles: ['src/billing/invoice.ts', 'src/billing/tax.ts'],
      }),
      p,
    );
    expect(d.roles).toEqual([
      {
        kind: 'release',
        teams: ['release-owners'],
        paths: [],
        needed: true,
        touched: null,
        touchedCount: 0,
        required: 2,
        counted: ['olivia'],
        missing: 1,
        excluded: ['ci-bot', 'dev'],
        unreadable: [],
      },
      {
        kind: 'review',
        teams: ['tech-reviewers'],
        paths: ['src/billing/**'],
        needed: true,
        touched: ['src/billing/invoice.ts', 'src/billing/tax.ts'],
        touchedCount: 2,
        required: 1,
        counted: [],
        missing: 1,
        excluded: ['ci-bot', 'dev'],
        unreadable: [],
      },
      {
        kind: 'review',
        teams: ['dba'],
        paths: ['prisma/**'],
        needed: false,
        touched: [],
        touchedCount: 0,
        required: 0,
        counted: [],
        missing: 0,
        excluded: ['ci-bot', 'dev'],
        unreadable: [],
      },
    ]);
    // Results read back from the record (JSON) give the same roles; anything else gives none.
    const stored = JSON.parse(JSON.stringify(evaluate(p, facts(), NOW).rules)) as Array<{ values: unknown }>;
    expect(stored.map((r) => roleOf(r as never)?.kind ?? null)).toEqual([null, 'release', 'review', 'review']);
    expect(roleOf({ values: { role: { kind: 'release', teams: 'x' } } })).toBeNull();
    expect(roleOf({ values: {} })).toBeNull();
  });

  it('the override team accepts a warning-band score whether or not it is a release owner', () => {
    const p = policy(
      { minScore: 70 },
      {
        scoring: {
          weights: { tests: 100 },
          warnScore: 50,
          coverageTarget: 80,
          allowedSarifLevels: ['note', 'none'],
          backupMaxAgeHours: 24,
        },
      },
    );
    const f = facts({
      changedFiles: [],
      evidence: { score: 60, breakdown: {}, present: ['tests'] },
      approvals: [approve('olivia'), approve('rita')],
      teams: { ...TEAMS, 'release-managers': ['rita'] },
    });
    const score = evaluate(p, f, NOW).rules.find((r) => r.rule === 'score')!;
    expect(`${score.code}: ${score.message}`).toBe(
      'SCORE_WARNING_APPROVED: Score 60 is in the warning band (50 to 69); accepted by rita (release-managers).',
    );
  });
});

describe('a team whose membership cannot be read', () => {
  const why = 'GitHub answered 404 for the team acme/tech-reviewers: the token cannot read team membership.';

  it('holds the role it fills with the reason, never a silent pass', () => {
    const d = decide(
      facts({
        approvals: [approve('olivia'), approve('tomas')],
        teams: { 'release-owners': ['olivia'], 'tech-reviewers': [] },
        teamErrors: { 'tech-reviewers': why },
      }),
    );
    expect(d.decision).toBe('block');
    expect(d.results[1]).toBe(
      `TEAMS_UNREADABLE: Cannot tell who is in tech-reviewers, so no approval counts as its review of src/billing/invoice.ts: ${why}`,
    );
    expect(d.roles[1]!.unreadable).toEqual([{ team: 'tech-reviewers', reason: why }]);
  });

  it('does not hold a role already filled by a team it could read, nor one no changed file triggers', () => {
    const both = { 'release-owners': ['olivia'], 'tech-reviewers': ['tomas'] };
    const p = policy({
      requiredReviewers: [{ paths: ['src/billing/**'], teams: ['tech-reviewers', 'billing-leads'] }],
    });
    const f = facts({
      approvals: [approve('olivia'), approve('tomas')],
      teams: both,
      teamErrors: { 'billing-leads': why },
    });
    expect(decide(f, p).decision).toBe('allow');
    expect(decide({ ...f, approvals: [approve('olivia')], changedFiles: ['README.md'] }, p).decision).toBe('allow');
  });

  it('holds minApprovals when its team cannot be read', () => {
    const d = decide(
      facts({
        changedFiles: [],
        approvals: [approve('olivia')],
        teams: { 'release-owners': [] },
        teamErrors: { 'release-owners': why },
      }),
    );
    expect(d.decision).toBe('block');
    expect(d.results[0]).toBe(
      `TEAMS_UNREADABLE: Cannot tell who is in release-owners, so no approval counts toward the 1 required for PROD: ${why}`,
    );
  });
});
