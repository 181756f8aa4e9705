import type { EnvironmentPolicy, Policy, RuleResult } from './types.js';

/**
 * The facts a rule reads. A shell (the App, the Action, the CLI) fetches only the facts the
 * rules of the asked stage need: no pull request reviews for a stage without approval rules,
 * no check runs for a stage without required checks.
 */
export type FactKind =
  /** This release's deployments in the predecessor stage (order, soak). */
  | 'deployments'
  /** The pull requests the release commit came from, and their reviews. */
  | 'reviews'
  /** Who wrote the release: the authors of its pull requests and of their commits. */
  | 'contributors'
  /** GitHub deployment reviews recorded for the release. */
  | 'deploymentReviews'
  /** Membership of the teams the stage names. */
  | 'teams'
  /** The evidence block of the release's `Release evidence` check run. */
  | 'evidence'
  /** Check runs and commit statuses of the release commit. */
  | 'checks'
  /** Files changed since the last deployment to the last stage. */
  | 'changedFiles'
  /** The release's ref, resolved on GitHub to a branch or a tag of this commit. */
  | 'ref'
  /** Overrides granted for the release. */
  | 'overrides';

export interface RuleContext {
  policy: Pick<Policy, 'scoring'>;
  stage: EnvironmentPolicy;
  predecessor: EnvironmentPolicy | null;
}

/** What one rule of the gate needs: when it applies to a stage, and which facts it reads then. */
export interface RuleFacts {
  rule: RuleResult['rule'] | 'reviewers' | 'overrides';
  applies(ctx: RuleContext): boolean;
  facts(ctx: RuleContext): FactKind[];
}

const PEOPLE: FactKind[] = ['reviews', 'deploymentReviews', 'contributors'];

/** Every rule of the gate, in the order `evaluate` applies them. */
export const RULE_FACTS: readonly RuleFacts[] = [
  { rule: 'order', applies: () => true, facts: (c) => (c.predecessor ? ['deployments'] : []) },
  { rule: 'refs', applies: (c) => c.stage.refs.length > 0, facts: () => ['ref'] },
  {
    rule: 'approvals',
    applies: (c) => c.stage.minApprovals > 0 || c.stage.approvals.fromTeams.length > 0,
    facts: (c) => [...PEOPLE, ...(c.stage.approvals.fromTeams.length > 0 ? (['teams'] as const) : [])],
  },
  { rule: 'reviewers', applies: (c) => c.stage.requiredReviewers.length > 0, facts: () => [...PEOPLE, 'teams', 'changedFiles'] },
  {
    rule: 'score',
    applies: (c) => c.stage.minScore !== null,
    // Within the warning band an override team's approval lets a low score through.
    facts: (c) => ['evidence', ...(c.policy.scoring.warnScore !== null ? [...PEOPLE, 'teams' as const] : [])],
  },
  { rule: 'evidence', applies: (c) => c.stage.requiredEvidence.length > 0, facts: () => ['evidence'] },
  { rule: 'soak', applies: (c) => c.predecessor !== null && c.stage.soakMinutes > 0, facts: () => ['deployments'] },
  { rule: 'freeze', applies: (c) => c.stage.freezeWindows.length > 0, facts: () => [] },
  { rule: 'checks', applies: (c) => c.stage.requiredChecks.length > 0, facts: () => ['checks'] },
  { rule: 'overrides', applies: () => true, facts: () => ['overrides'] },
];

/** True when the named rule applies to the stage. */
export function ruleApplies(rule: RuleFacts['rule'], ctx: RuleContext): boolean {
  return RULE_FACTS.find((r) => r.rule === rule)!.applies(ctx);
}

/**
 * The facts to fetch to decide a stage: the union of what its applicable rules read. Pure;
 * the same answer for the App, the Action and the CLI.
 */
export function factsNeeded(policy: Pick<Policy, 'environments' | 'scoring'>, stageIndex: number): Set<FactKind> {
  const stage = policy.environments[stageIndex];
  const needed = new Set<FactKind>();
  if (!stage) return needed; // not gated: nothing to read
  const ctx: RuleContext = { policy, stage, predecessor: stageIndex > 0 ? policy.environments[stageIndex - 1]! : null };
  for (const r of RULE_FACTS) if (r.applies(ctx)) for (const f of r.facts(ctx)) needed.add(f);
  return needed;
}
