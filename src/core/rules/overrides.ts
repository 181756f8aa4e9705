import type { EnvironmentPolicy, OverrideFact, Policy, ReleaseFacts, RuleResult } from '../types.js';
import type { CommonValues } from './rule.js';
import { inStage, membersOf } from './shared.js';

/** Rule codes that an override can never waive: a gate without a valid policy cannot decide. */
const NOT_OVERRIDABLE = new Set(['POLICY_INVALID', 'ENVIRONMENT_NOT_IN_POLICY', 'ENVIRONMENT_LOOKALIKE']);

/** Valid overrides for this release and stage at `now`, and why the others are not. */
export function usableOverrides(
  policy: Policy,
  stage: EnvironmentPolicy,
  facts: ReleaseFacts,
  now: Date,
): { usable: OverrideFact[]; unusable: Array<{ override: OverrideFact; reason: string }> } {
  const members = membersOf(facts, policy.overrides.teams) ?? new Set<string>();
  const usable: OverrideFact[] = [];
  const unusable: Array<{ override: OverrideFact; reason: string }> = [];
  for (const o of facts.overrides) {
    if (o.sha !== facts.sha || !inStage(stage, o.environment)) continue;
    const reason = o.usedAt
      ? `already used at ${o.usedAt}`
      : Date.parse(o.expiresAt) <= now.getTime()
        ? `expired at ${o.expiresAt}`
        : !members.has(o.grantedBy.toLowerCase())
          ? `${o.grantedBy} is not a member of ${policy.overrides.teams.join(', ') || 'an override team'}`
          : policy.overrides.secondApprover && !o.confirmedBy
            ? 'awaits confirmation by a second member'
            : policy.overrides.secondApprover &&
                (o.confirmedBy!.toLowerCase() === o.grantedBy.toLowerCase() ||
                  !members.has(o.confirmedBy!.toLowerCase()))
              ? `confirmation by ${o.confirmedBy} does not count (the grantor or not a member)`
              : null;
    if (reason) unusable.push({ override: o, reason });
    else usable.push(o);
  }
  return { usable, unusable };
}

/**
 * Lets each failing rule that a usable override names pass, noting who granted it; a rule an
 * unusable override names says why that override does not apply. Returns the overrides used.
 */
export function applyOverrides(
  policy: Policy,
  stage: EnvironmentPolicy,
  facts: ReleaseFacts,
  rules: RuleResult[],
  now: Date,
): string[] {
  const { usable, unusable } = usableOverrides(policy, stage, facts, now);
  const used = new Set<string>();
  for (const rule of rules) {
    if (rule.ok || NOT_OVERRIDABLE.has(rule.code)) continue;
    const o = usable.find((x) => x.rules.length === 0 || x.rules.includes(rule.code));
    if (o) {
      rule.overriddenBy = { id: o.id, grantedBy: o.grantedBy, reason: o.reason, risk: o.risk };
      rule.message = `${rule.message} Overridden by ${o.grantedBy}${o.confirmedBy ? ` (confirmed by ${o.confirmedBy})` : ''}: "${o.reason}" (risk: ${o.risk}).`;
      rule.ok = true;
      rule.outcome = 'pass';
      used.add(o.id ?? `${o.grantedBy}@${o.grantedAt}`);
      continue;
    }
    const pending = unusable.find((x) => x.override.rules.length === 0 || x.override.rules.includes(rule.code));
    if (pending) {
      const note: CommonValues = { override: { grantedBy: pending.override.grantedBy, notApplied: pending.reason } };
      rule.values = { ...rule.values, ...note };
    }
  }
  return [...used];
}
