// SECURITY.md T11: names compared as GitHub compares them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, findLookalikeStage } from '../../src/core/evaluate.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import { nameSkeleton, resemblesName } from '../../src/core/suggest.js';
import type { ReleaseFacts } from '../../src/core/types.js';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';

const POLICY = `version: 1
environments:
  - name: DEV
    github: development
  - name: STAGING
    github: staging
  - name: PROD
    github: production
    minApprovals: 2
`;

describe('SECURITY.md T11 look-alike names', () => {
  it.each([
    ['production ', 'production'],
    [' production', 'production'],
    ['pr\u043eduction', 'production'], // Cyrillic о
    ['ｐｒｏｄｕｃｔｉｏｎ', 'production'], // full-width: NFKC
    ['produc\u200btion', 'production'], // zero-width space
    ['PRDO', 'PROD'],
    ['prod ', 'PROD'],
    ['productoin', 'production'],
    ['stagign', 'staging'],
    ['developmnt', 'development'],
    ['DEV1', 'DEV'],
  ])('%j resembles %j', (name, target) => {
    expect(resemblesName(name, target)).toBe(true);
  });

  it.each([
    ['Production', 'production'], // GitHub ignores case: this IS production
    ['preview-42', 'PROD'],
    ['pr-123-preview', 'production'],
    ['qa', 'DEV'],
    ['sandbox', 'staging'],
  ])('%j does not resemble %j', (name, target) => {
    expect(resemblesName(name, target)).toBe(false);
  });

  it('skeletons drop case, separators, invisible characters and look-alike letters', () => {
    expect(nameSkeleton(' Pr\u043ed-\u200bUction ')).toBe('production');
  });

  it('the core blocks a look-alike with ENVIRONMENT_LOOKALIKE naming the stage, even when the policy is not strict', () => {
    const loaded = loadPolicy(POLICY, 'p.yml');
    if (!loaded.ok) throw new Error('policy should load');
    expect(findLookalikeStage(loaded.policy, 'PRDO')?.stage.name).toBe('PROD');
    const facts = {
      environment: 'production ',
      sha: 'a'.repeat(40),
      deployments: [],
      approvals: [],
      evidence: { score: null, breakdown: {}, present: [] },
      checks: [],
      overrides: [],
      teams: {},
    } as unknown as ReleaseFacts;
    const d = evaluate(loaded.policy, facts, new Date('2026-03-10T12:00:00Z'));
    expect(d).toMatchObject({ decision: 'block', ungated: false });
    expect(d.rules).toEqual([
      expect.objectContaining({
        code: 'ENVIRONMENT_LOOKALIKE',
        ok: false,
        message:
          'Environment "production " is not named by the policy but looks like "production" of stage PROD; it is not approved as ungated. Deploy to "production", or name this environment in the policy (a stage of its own, or in the github list of PROD).',
      }),
    ]);
    // A name far from every stage stays ungated, as before.
    expect(
      evaluate(loaded.policy, { ...facts, environment: 'preview-42' }, new Date('2026-03-10T12:00:00Z')).decision,
    ).toBe('allow');
  });
});

describe('SECURITY.md T11 through the App: a look-alike environment is rejected with a warning on the check run', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: POLICY });
  });
  afterAll(() => closeChecked(h));

  it.each([
    [70, 'production ', 'U+0070 U+0072 U+006F U+0064 U+0075 U+0063 U+0074 U+0069 U+006F U+006E U+0020'],
    [71, 'pr\u043eduction', 'U+0070 U+0072 U+043E U+0064 U+0075 U+0063 U+0074 U+0069 U+006F U+006E'],
    [72, 'PRDO', 'U+0050 U+0052 U+0044 U+004F'],
  ])('run %i to %j', async (runId, environment, codePoints) => {
    const sha = String(runId % 10).repeat(40);
    await h.askGate({
      id: 100 + runId,
      runId,
      sha,
      ref: 'v1.0.0',
      environment,
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    });
    const answer = h.repo.answers.find((a) => a.runId === runId)!;
    expect(answer.state).toBe('rejected');
    expect(answer.comment).toMatch(
      /^Release gate: rejected for .*\. ENVIRONMENT_LOOKALIKE: Environment ".*" is not named by the policy but looks like "(production|PROD)" of stage PROD;/,
    );
    const run = h.repo.checkRuns.filter((c) => c.head_sha === sha).at(-1)!;
    expect(run.conclusion).toBe('failure');
    expect(run.output.summary).toContain('> [!WARNING]');
    expect(run.output.summary).toContain(`(${codePoints}) looks like`);
  });
});
