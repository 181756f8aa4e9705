import type { FactKind } from './fact-kinds.js';
import { RULES } from './rules/index.js';
import type { RuleContext } from './rules/index.js';
import type { Policy } from './types.js';

export type { FactKind } from './fact-kinds.js';
export type { RuleContext } from './rules/index.js';

/** The stage of the policy at `stageIndex` with the stage before it, as rules see them. */
export function ruleContext(policy: Pick<Policy, 'environments' | 'scoring'>, stageIndex: number): RuleContext | null {
  const stage = policy.environments[stageIndex];
  if (!stage) return null;
  return { policy, stage, predecessor: stageIndex > 0 ? policy.environments[stageIndex - 1]! : null };
}

/**
 * The facts to fetch to decide a stage: the union of what its applicable rules read, and
 * the overrides granted for the release (any failing rule may be overridden). Pure; the
 * same answer for the App, the Action and the CLI.
 */
export function factsNeeded(policy: Pick<Policy, 'environments' | 'scoring'>, stageIndex: number): Set<FactKind> {
  const needed = new Set<FactKind>();
  const ctx = ruleContext(policy, stageIndex);
  if (!ctx) return needed; // not gated: nothing to read
  for (const r of RULES) if (r.applies(ctx)) for (const f of r.facts(ctx)) needed.add(f);
  needed.add('overrides');
  return needed;
}
