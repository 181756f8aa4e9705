import { describe, expect, it } from 'vitest';
import { compareRules, loadRecordedPolicy, Replayer } from '../../src/core/replay.js';
import type { StoredEvaluation } from '../../src/core/replay.js';
import { importanceOf } from '../../src/core/simulate.js';
import type { RuleResult } from '../../src/core/types.js';

const rule = (code: string, outcome: RuleResult['outcome']): RuleResult => ({
  code,
  rule: 'approvals',
  ok: outcome === 'pass',
  outcome,
  message: '',
  values: {},
});

describe('compareRules', () => {
  it.each([
    {
      name: 'identical',
      stored: [rule('ORDER_OK', 'pass'), rule('APPROVAL_REQUIRED', 'wait')],
      replayed: [rule('ORDER_OK', 'pass'), rule('APPROVAL_REQUIRED', 'wait')],
      diff: [],
    },
    {
      name: 'an outcome changed',
      stored: [rule('FREEZE_WINDOW_ACTIVE', 'wait')],
      replayed: [rule('FREEZE_WINDOW_ACTIVE', 'block')],
      diff: [{ code: 'FREEZE_WINDOW_ACTIVE', stored: 'wait', replayed: 'block' }],
    },
    {
      name: 'the second of two rules with one code changed',
      stored: [rule('REVIEW_REQUIRED', 'wait'), rule('REVIEW_REQUIRED', 'wait')],
      replayed: [rule('REVIEW_REQUIRED', 'wait'), rule('REVIEW_REQUIRED', 'pass')],
      diff: [{ code: 'REVIEW_REQUIRED', stored: 'wait', replayed: 'pass' }],
    },
    {
      name: 'a rule gone and one new',
      stored: [rule('SCORE_OK', 'pass')],
      replayed: [rule('SCORE_TOO_LOW', 'block')],
      diff: [
        { code: 'SCORE_TOO_LOW', stored: null, replayed: 'block' },
        { code: 'SCORE_OK', stored: 'pass', replayed: null },
      ],
    },
  ])('$name', ({ stored, replayed, diff }) => {
    expect(compareRules(stored, replayed)).toEqual(diff);
  });

  it('treats a stored value that is not a rule list as no rules', () => {
    expect(compareRules('garbage', [rule('ORDER_OK', 'pass')])).toEqual([
      { code: 'ORDER_OK', stored: null, replayed: 'pass' },
    ]);
  });
});

describe('loadRecordedPolicy', () => {
  const org = {
    text: 'version: 1\nenvironments:\n  - name: PROD\n    minApprovals: 2\n',
    source: 'acme/.github/.github/release-policy.yml',
  };
  it('says the decision rested on recorded problems when the file extends an org default that was not read', () => {
    expect(
      loadRecordedPolicy({ text: 'version: 1\nextends: org\n', source: '.github/release-policy.yml' }, null),
    ).toEqual({
      kind: 'recorded problems',
      why: '.github/release-policy.yml extends the org default, which was not read',
    });
    expect(loadRecordedPolicy(null, null)).toEqual({ kind: 'recorded problems', why: 'no policy file was read' });
  });
  it('merges onto the org default, and uses the org default alone without a repository file', () => {
    const merged = loadRecordedPolicy(
      {
        text: 'version: 1\nextends: org\nenvironments:\n  - name: PROD\n    minApprovals: 1\n',
        source: '.github/release-policy.yml',
      },
      org,
    );
    expect(merged.kind === 'policy' && merged.policy.environments.map((e) => [e.name, e.minApprovals])).toEqual([
      ['PROD', 1],
    ]);
    const alone = loadRecordedPolicy(null, org);
    expect(alone.kind === 'policy' && alone.policy.environments.map((e) => [e.name, e.minApprovals])).toEqual([
      ['PROD', 2],
    ]);
  });
  it('gives the problems of an invalid text with file, line and column', () => {
    expect(
      loadRecordedPolicy(
        {
          text: 'version: 1\nenvironments:\n  - name: PROD\n    minAprovals: 1\n',
          source: '.github/release-policy.yml',
        },
        null,
      ),
    ).toMatchObject({
      kind: 'invalid',
      problems: [expect.stringMatching(/^\.github\/release-policy\.yml:4:5: .*did you mean "minApprovals"\?$/)],
    });
  });
});

describe('Replayer', () => {
  const base: StoredEvaluation = {
    id: 1,
    repo: 'acme/web',
    sha: 'a'.repeat(40),
    environment: 'PROD',
    stage: 'PROD',
    decision: 'block',
    rules: [],
    inputs: {},
    at: new Date('2026-11-01T00:00:00Z'),
    policyFiles: [],
    engineVersion: '0.1.0',
    notReplayable: null,
  };
  it.each([
    {
      name: 'marked not replayable',
      record: { ...base, notReplayable: 'recorded before policy texts were kept' },
      reason: 'recorded before policy texts were kept',
    },
    {
      name: 'no file list',
      record: { ...base, policyFiles: null },
      reason: 'the record does not say which policy texts the decision used',
    },
    {
      name: 'no file and no problems',
      record: base,
      reason: 'no policy file was read, and the record keeps no problems to decide on',
    },
    {
      name: 'a text not in the record',
      record: {
        ...base,
        policyFiles: [
          {
            role: 'repository' as const,
            sha256: 'f'.repeat(64),
            source: '.github/release-policy.yml',
            repository: 'acme/web',
            path: '.github/release-policy.yml',
            ref: 'main',
            blobSha: null,
          },
        ],
      },
      reason: `the policy text of .github/release-policy.yml (sha256 ${'f'.repeat(64)}) is missing from the record or no longer matches its sha256`,
    },
    {
      name: 'a valid policy but no facts',
      record: {
        ...base,
        policyFiles: [
          {
            role: 'repository' as const,
            sha256: 'e'.repeat(64),
            source: '.github/release-policy.yml',
            repository: 'acme/web',
            path: '.github/release-policy.yml',
            ref: 'main',
            blobSha: null,
          },
        ],
      },
      reason: 'the record keeps no facts for this decision',
    },
  ])('does not replay a record with $name, and says why', ({ record, reason }) => {
    const replayer = new Replayer((h) =>
      h === 'e'.repeat(64) ? 'version: 1\nenvironments:\n  - name: PROD\n' : undefined,
    );
    expect(replayer.replay(record)).toEqual({ kind: 'not replayable', id: 1, reason });
  });

  it('parses each pair of texts once', () => {
    let reads = 0;
    const replayer = new Replayer(() => {
      reads += 1;
      return 'version: 1\nenvironments:\n  - name: PROD\n';
    });
    const file = {
      role: 'repository' as const,
      sha256: 'e'.repeat(64),
      source: '.github/release-policy.yml',
      repository: 'acme/web',
      path: '.github/release-policy.yml',
      ref: 'main',
      blobSha: null,
    };
    for (let i = 0; i < 50; i++) replayer.policyOf({ ...base, policyFiles: [file] });
    expect(reads).toBe(1);
  });
});

it('orders changes by what matters to releases: a release that went through and would not first', () => {
  const order = [
    'block -> wait',
    'wait -> allow',
    'allow -> wait',
    'block -> block',
    'allow -> block',
    'block -> allow',
    'wait -> block',
  ];
  const sorted = [...order].sort(
    (a, b) =>
      importanceOf({ from: a.split(' -> ')[0]!, to: a.split(' -> ')[1] as 'allow' }) -
      importanceOf({ from: b.split(' -> ')[0]!, to: b.split(' -> ')[1] as 'allow' }),
  );
  expect(sorted).toEqual([
    'allow -> block',
    'allow -> wait',
    'wait -> block',
    'block -> allow',
    'wait -> allow',
    'block -> wait',
    'block -> block',
  ]);
});
