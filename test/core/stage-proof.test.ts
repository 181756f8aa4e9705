import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/core/evaluate.js';
import { stageProofs, unprovenReason } from '../../src/core/stage-proof.js';
import type { DeploymentFact, Policy, ReleaseFacts } from '../../src/core/types.js';
import { typedStage } from '../support/release-facts.js';

const SHA = 'a'.repeat(40);
const PRE_PROD = typedStage({ name: 'PRE_PROD', github: ['staging'] });
const AT = '2026-03-10T12:00:00Z';
const APPROVED = {
  via: 'protection-rule' as const,
  at: '2026-03-10T11:58:00Z',
  stage: 'PRE_PROD',
  environment: 'staging',
  runId: 500,
};

const deployment = (over: Partial<DeploymentFact> = {}): DeploymentFact => ({
  id: 801,
  environment: 'staging',
  sha: SHA,
  state: 'success',
  at: AT,
  approval: APPROVED,
  provenAt: AT,
  legacySuccessAt: null,
  ...over,
});

// SECURITY.md I1: the invariant, read in one place.
describe('stage proof: only a deployment the gate let through for the stage, then succeeded, proves it', () => {
  const table: Array<{ name: string; d: DeploymentFact; reason: string | null }> = [
    { name: 'approved for the stage and its environment, then succeeded', d: deployment(), reason: null },
    {
      name: 'reported by a caller without the record (CLI, Action)',
      d: deployment({ approval: { via: 'reported', at: AT } }),
      reason: null,
    },
    {
      name: 'a GitHub environment of the stage in another case',
      d: deployment({ environment: 'Staging' }),
      reason: null,
    },
    {
      name: 'never let through (held, blocked, never seen), whatever its state',
      d: deployment({ approval: null, provenAt: null }),
      reason: 'the gate never let it through (it held it, blocked it, or never saw it)',
    },
    {
      name: 'a success kept from before approvals were recorded',
      d: deployment({ approval: null, provenAt: null, legacySuccessAt: AT }),
      reason: `it succeeded at ${AT}, before the gate recorded its approvals on deployments`,
    },
    {
      name: 'let through as an environment the policy did not gate',
      d: deployment({ approval: { ...APPROVED, stage: null } }),
      reason: 'the gate let it through as an environment the policy did not gate, not as PRE_PROD',
    },
    {
      name: 'let through as another stage',
      d: deployment({ approval: { ...APPROVED, stage: 'DEV' } }),
      reason: 'the gate let it through as DEV, not as PRE_PROD',
    },
    {
      name: 'let through for another environment',
      d: deployment({ approval: { ...APPROVED, environment: 'development' } }),
      reason: 'the gate let it through for development, not for staging',
    },
    {
      name: 'let through, and its latest state a success nobody bound to the approval',
      d: deployment({ provenAt: null }),
      reason:
        "no success bound to the gate's approval was reported on it (from its creator, or for GitHub Actions from a job of the run the gate approved)",
    },
    {
      name: 'let through and still running',
      d: deployment({ provenAt: null, state: 'in_progress' }),
      reason: 'the gate let it through and it is in progress',
    },
    {
      name: 'proven, then failed',
      d: deployment({ state: 'failure' }),
      reason: 'it succeeded, then became failure',
    },
    {
      name: 'a lookalike environment',
      d: deployment({ environment: 'staging ' }),
      reason: 'staging  is not an environment of PRE_PROD',
    },
  ];
  for (const row of table)
    it(row.name, () => {
      expect(unprovenReason(row.d, PRE_PROD)).toBe(row.reason);
      expect(stageProofs({ sha: SHA, deployments: [row.d] }, PRE_PROD).length).toBe(row.reason === null ? 1 : 0);
    });

  it('takes the earliest proof of the release, a commit with the same tree included, for the soak clock', () => {
    const proofs = stageProofs(
      {
        sha: SHA,
        tree: 't1',
        deployments: [
          deployment({ id: 1, provenAt: '2026-03-10T12:30:00Z' }),
          deployment({ id: 2, sha: 'b'.repeat(40), tree: 't1', provenAt: '2026-03-10T12:10:00Z' }),
          deployment({ id: 3, sha: 'c'.repeat(40), tree: 't2', provenAt: '2026-03-10T11:00:00Z' }),
        ],
      },
      PRE_PROD,
    );
    expect(proofs.map((p) => [p.deployment.id, p.since])).toEqual([
      [2, '2026-03-10T12:10:00Z'],
      [1, '2026-03-10T12:30:00Z'],
    ]);
  });

  const policy: Policy = {
    version: 1,
    format: 'v1',
    environments: [PRE_PROD, typedStage({ name: 'PROD', github: ['production'], soakMinutes: 30 })],
    scoring: {
      weights: { tests: 40, coverage: 20, security: 20, checklist: 20 },
      warnScore: null,
      coverageTarget: 80,
      allowedSarifLevels: ['note', 'none'],
      backupMaxAgeHours: 24,
    },
    overrides: { teams: [], secondApprover: false, expiresMs: 86_400_000 },
    evidence: { workflows: [] },
    strict: false,
  };
  const facts = (deployments: DeploymentFact[]): ReleaseFacts => ({
    environment: 'PROD',
    sha: SHA,
    approvals: [],
    deployments,
    evidence: { score: null, breakdown: {}, present: [] },
    checks: [],
    teams: {},
    overrides: [],
  });
  const order = (deployments: DeploymentFact[], now = '2026-03-10T15:00:00Z') =>
    evaluate(policy, facts(deployments), new Date(now)).rules.filter((r) => r.rule === 'order' || r.rule === 'soak');

  it('blocks PROMOTION_ORDER on a success the gate never let through, naming it and why', () => {
    const [rule] = order([deployment({ approval: null, provenAt: null })]);
    expect(rule).toMatchObject({ code: 'PROMOTION_ORDER', outcome: 'block' });
    expect(rule!.message).toBe(
      'PROD needs a successful deployment of this release (aaaaaaa) to PRE_PROD first: no stage may be skipped. Found there, proving nothing: deployment 801 to staging (success): the gate never let it through (it held it, blocked it, or never saw it).',
    );
  });

  it('waits while a deployment the gate let through runs, and for a release recorded before approvals were kept', () => {
    expect(order([deployment({ provenAt: null, state: 'queued' })])[0]).toMatchObject({
      code: 'PROMOTION_ORDER',
      outcome: 'wait',
      message:
        'PROD needs a successful deployment of this release to PRE_PROD first; the one the gate let through there is queued.',
    });
    // Not a running deployment the gate never let through: that blocks.
    expect(order([deployment({ approval: null, provenAt: null, state: 'in_progress' })])[0]).toMatchObject({
      outcome: 'block',
    });
    expect(order([deployment({ approval: null, provenAt: null, legacySuccessAt: AT })])[0]).toMatchObject({
      code: 'PROMOTION_ORDER',
      outcome: 'wait',
      clearsAt: null,
    });
  });

  it('starts the soak at the first proof, never at an earlier success the gate did not let through', () => {
    const rules = order(
      [
        deployment({ id: 1, approval: null, provenAt: null, at: '2026-03-10T10:00:00Z' }),
        deployment({ id: 2, provenAt: '2026-03-10T14:45:00Z' }),
      ],
      '2026-03-10T15:00:00Z',
    );
    expect(rules.map((r) => [r.code, r.outcome])).toEqual([
      ['ORDER_OK', 'pass'],
      ['SOAK_INCOMPLETE', 'wait'],
    ]);
    expect(rules[1]!.clearsAt).toBe('2026-03-10T15:15:00.000Z');
  });
});
