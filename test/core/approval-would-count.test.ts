import { describe, expect, it } from 'vitest';
import { approvalWouldCount } from '../../src/core/approval-would-count.js';
import { releaseFacts, typedStage } from '../support/release-facts.js';

const SHA = 'a'.repeat(40);
const AT = new Date('2026-11-01T09:00:00Z');

/** PROD: one approval from release-owners; changes to prisma/** need a tech-reviewer; authors and deployers excluded. */
const PROD = typedStage({
  name: 'PROD',
  github: ['production'],
  minApprovals: 1,
  approvals: { excludeAuthor: true, fromTeams: ['release-owners'] },
  requiredReviewers: [{ paths: ['prisma/**'], teams: ['tech-reviewers'] }],
});

const facts = {
  ...releaseFacts('production', SHA),
  author: 'alice',
  contributors: ['alice', 'carl'],
  deployer: 'dora',
};

describe('whether an approval would count, judged as the gate judges it', () => {
  it.each([
    ['olivia', ['release-owners'], { counts: true, reason: 'Your approval counts for PROD.' }],
    [
      'tomas',
      ['tech-reviewers'],
      { counts: true, reason: 'Your approval counts for PROD as a review by tech-reviewers (requiredReviewers).' },
    ],
    [
      'bob',
      [],
      {
        counts: false,
        code: 'not_in_team',
        reason:
          'Your approval would not count for PROD: not a member of release-owners, so not counted toward minApprovals (approvals.fromTeams).',
      },
    ],
    [
      'alice',
      ['release-owners'],
      {
        counts: false,
        code: 'own_release',
        reason: 'Your approval would not count for PROD: author of the change (approvals.excludeAuthor).',
      },
    ],
    [
      'carl',
      ['release-owners'],
      {
        counts: false,
        code: 'own_release',
        reason:
          'Your approval would not count for PROD: contributor to the release (authored a pull request or commits in it) (approvals.excludeAuthor).',
      },
    ],
    [
      'Dora',
      ['release-owners', 'tech-reviewers'],
      {
        counts: false,
        code: 'deployer',
        reason: 'Your approval would not count for PROD: deployer of the release (approvals.excludeAuthor).',
      },
    ],
  ] as const)('%s (a member of %j)', (login, teams, verdict) => {
    expect(approvalWouldCount(PROD, facts, login, teams, AT)).toEqual(verdict);
  });

  it("replaces the person's earlier review: an approval after changes requested counts", () => {
    const earlier = {
      ...facts,
      approvals: [
        {
          login: 'olivia',
          source: 'pr-review' as const,
          state: 'CHANGES_REQUESTED' as const,
          submittedAt: '2026-11-01T08:00:00Z',
        },
      ],
    };
    expect(approvalWouldCount(PROD, earlier, 'olivia', ['release-owners'], AT).counts).toBe(true);
  });

  it('counts the deployer when the policy lets authors approve', () => {
    const open = typedStage({ ...PROD, approvals: { excludeAuthor: false, fromTeams: [] } });
    expect(approvalWouldCount(open, facts, 'dora', [], AT)).toEqual({
      counts: true,
      reason: 'Your approval counts for PROD.',
    });
  });
});
