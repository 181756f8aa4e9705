import { evaluate } from '../../src/core/evaluate.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import type { Decision, Policy, ReleaseFacts } from '../../src/core/types.js';
import type { RecordEvaluationInput } from '../../src/store/types.js';

/**
 * A recorded history of gate decisions, made by the real engine under {@link seedPolicy}
 * from facts that vary by index: the stage (DEV, PRE_PROD, PROD in turn), the number of
 * approvals (0-3), the evidence score (50-99) and, for one in ten, a missing deployment to
 * the previous stage. {@link seedParams} gives the same values, for tests that predict
 * what a policy does to them without the engine.
 */
export const SEED_STAGES = [
  { stage: 'DEV', github: 'development' },
  { stage: 'PRE_PROD', github: 'staging' },
  { stage: 'PROD', github: 'production' },
] as const;

export interface SeedLimits {
  preProdApprovals: number;
  prodApprovals: number;
  prodScore: number;
}

/** A policy over the three stages with the given limits. */
export function seedPolicy(limits: SeedLimits): string {
  return `version: 1
environments:
  - name: DEV
    github: development
  - name: PRE_PROD
    github: staging
    minApprovals: ${limits.preProdApprovals}
  - name: PROD
    github: production
    minApprovals: ${limits.prodApprovals}
    minScore: ${limits.prodScore}
`;
}

export const SEED_LIMITS: SeedLimits = { preProdApprovals: 1, prodApprovals: 1, prodScore: 70 };
export const SEED_START = Date.parse('2026-11-01T00:00:00Z');

export interface SeedParams {
  repo: string;
  sha: string;
  stage: 'DEV' | 'PRE_PROD' | 'PROD';
  github: string;
  approvals: number;
  score: number;
  predecessorDeployed: boolean;
  at: Date;
}

export function seedParams(i: number): SeedParams {
  const { stage, github } = SEED_STAGES[i % 3]!;
  return {
    repo: i % 5 === 4 ? 'acme/api' : 'acme/web',
    sha: `${i.toString(16).padStart(7, '0')}${'e'.repeat(33)}`,
    stage,
    github,
    approvals: i % 4,
    score: 50 + ((i * 7) % 50),
    predecessorDeployed: i % 10 !== 9,
    at: new Date(SEED_START + i * 30 * 60_000),
  };
}

export function seedFacts(p: SeedParams): ReleaseFacts {
  const previous = p.stage === 'PROD' ? 'PRE_PROD' : p.stage === 'PRE_PROD' ? 'DEV' : null;
  return {
    environment: p.github,
    sha: p.sha,
    author: 'dev',
    approvals: Array.from({ length: p.approvals }, (_, k) => ({
      login: `reviewer${k + 1}`,
      source: 'pr-review' as const,
      state: 'APPROVED' as const,
      submittedAt: new Date(p.at.getTime() - 60_000 * (k + 1)).toISOString(),
      commitId: p.sha,
      contentMatches: true,
    })),
    deployments:
      previous && p.predecessorDeployed
        ? [
            {
              environment: previous,
              sha: p.sha,
              state: 'success',
              at: new Date(p.at.getTime() - 3_600_000).toISOString(),
              approval: {
                via: 'deployment-event',
                at: new Date(p.at.getTime() - 3_700_000).toISOString(),
                stage: previous,
                environment: previous,
              },
              provenAt: new Date(p.at.getTime() - 3_600_000).toISOString(),
            },
          ]
        : [],
    evidence: { score: p.score, breakdown: { given: p.score }, present: ['tests'] },
    checks: [],
    teams: {},
    overrides: [],
  };
}

const loadedPolicies = new Map<string, Policy>();

/** The evaluation the App would have recorded for seed decision `i`. */
export function seedEvaluation(
  i: number,
  policyText = seedPolicy(SEED_LIMITS),
): RecordEvaluationInput & { decided: Decision } {
  let policy = loadedPolicies.get(policyText);
  if (!policy) {
    const loaded = loadPolicy(policyText, '.github/release-policy.yml');
    if (!loaded.ok) throw new Error(`seed policy invalid: ${loaded.errors.map((e) => e.message).join('; ')}`);
    policy = loaded.policy;
    loadedPolicies.set(policyText, policy);
  }
  const p = seedParams(i);
  const facts = seedFacts(p);
  const decided = evaluate(policy, facts, p.at);
  return {
    decided,
    repo: p.repo,
    sha: p.sha,
    environment: p.github,
    stage: decided.environment,
    decision: decided.decision,
    rules: decided.rules,
    inputs: { facts, pulls: [], notes: [] },
    score: decided.score,
    policyPath: '.github/release-policy.yml',
    policySha: null,
    at: p.at,
    policyFiles: [
      {
        role: 'repository',
        source: '.github/release-policy.yml',
        repository: p.repo,
        path: '.github/release-policy.yml',
        ref: 'main',
        blobSha: null,
        text: policyText,
      },
    ],
  };
}

/**
 * What a policy with `limits` holds seed decision `i` on, worked out from the seed's
 * values alone: the codes of the rules that wait or block, and the decision.
 */
export function predictSeed(
  i: number,
  limits: SeedLimits,
): { decision: 'allow' | 'wait' | 'block'; holding: string[] } {
  const p = seedParams(i);
  const holding: Array<[string, 'wait' | 'block']> = [];
  if (p.stage !== 'DEV' && !p.predecessorDeployed) holding.push(['PROMOTION_ORDER', 'block']);
  const min = p.stage === 'PROD' ? limits.prodApprovals : p.stage === 'PRE_PROD' ? limits.preProdApprovals : 0;
  if (p.approvals < min) holding.push(['APPROVAL_REQUIRED', 'wait']);
  if (p.stage === 'PROD' && p.score < limits.prodScore) holding.push(['SCORE_TOO_LOW', 'block']);
  const decision = holding.some(([, o]) => o === 'block') ? 'block' : holding.length > 0 ? 'wait' : 'allow';
  return { decision, holding: holding.map(([c]) => c) };
}
