import { RULES } from './rules/index.js';
import type { ApprovalCount, CommonValues, EvaluationContext } from './rules/index.js';
import { applyOverrides } from './rules/overrides.js';
import { countApprovals } from './rules/shared.js';
import { decisionOfOne } from './evaluation-results.js';
import type { EnvironmentResult, PolicyResult } from './evaluation-results.js';
import { resemblesName } from './suggest.js';
import type { Decision, EnvironmentPolicy, Policy, ReleaseFacts, RuleResult } from './types.js';

/**
 * Decide whether a release may enter an environment.
 *
 * Applies every rule of the policy's stage to plain facts at the instant
 * `now` and returns every rule's result, not just the first failure. Pure: no I/O, no clock.
 */
export function evaluate(policy: Policy, facts: ReleaseFacts, now: Date): Decision {
  const stageIndex = findStageIndex(policy, facts.environment);
  if (stageIndex < 0) return unnamedEnvironment(policy, facts);
  const stage = policy.environments[stageIndex]!;
  const predecessor = stageIndex > 0 ? policy.environments[stageIndex - 1]! : null;

  // Which rules apply, and so which facts were fetched, is said once, by each rule.
  let approvals: ApprovalCount | undefined;
  const ctx: EvaluationContext = {
    policy,
    stage,
    predecessor,
    facts,
    now,
    approvals: () => (approvals ??= countApprovals(stage, facts)),
  };
  const rules: RuleResult[] = [];
  for (const rule of RULES) {
    if (!rule.applies(ctx)) continue;
    const result = rule.evaluate(ctx);
    if (Array.isArray(result)) rules.push(...result);
    else rules.push(result);
  }

  const overridesUsed = applyOverrides(policy, stage, facts, rules, now);
  return decide(stage, rules, facts, overridesUsed);
}

/** The decision for a gate whose policy could not be loaded: it never lets anything through. */
export function policyInvalidDecision(environment: string, problems: string[]): Decision {
  const rule: PolicyResult = {
    code: 'POLICY_INVALID',
    rule: 'policy',
    ok: false,
    outcome: 'block',
    message: `The release policy is invalid, so the gate cannot decide and does not approve: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
    values: { problems },
  };
  return decisionOfOne('block', environment, rule);
}

/**
 * The stage (and the name of it) that an environment name resembles without being it:
 * `PRDO`, `production ` or `prоd` with a Cyrillic о for `production`/`prod`. GitHub compares
 * environment names without regard to case, and nothing else: such a name is another
 * environment, one a person reading the deployment list takes for the gated one.
 */
export function findLookalikeStage(
  policy: Pick<Policy, 'environments'>,
  environment: string,
): { stage: EnvironmentPolicy; name: string } | null {
  for (const stage of policy.environments) {
    for (const name of [stage.name, ...stage.github]) {
      if (resemblesName(environment, name)) return { stage, name };
    }
  }
  return null;
}

/** Index of the stage that covers an environment name (the stage name or one of its GitHub names). */
export function findStageIndex(policy: Pick<Policy, 'environments'>, environment: string): number {
  const wanted = environment.toLowerCase();
  return policy.environments.findIndex(
    (e) => e.name.toLowerCase() === wanted || e.github.some((g) => g.toLowerCase() === wanted),
  );
}

function unnamedEnvironment(policy: Policy, facts: ReleaseFacts): Decision {
  const stages = policy.environments.map((e) => e.name).join(', ');
  const lookalike = findLookalikeStage(policy, facts.environment);
  if (lookalike !== null) {
    // Fail closed: a name one keystroke or one look-alike letter from a gated stage is not
    // waved through as ungated (SECURITY.md, names compared as GitHub compares them).
    const rule: EnvironmentResult = {
      code: 'ENVIRONMENT_LOOKALIKE',
      rule: 'environment',
      ok: false,
      outcome: 'block',
      message: `Environment ${JSON.stringify(facts.environment)} is not named by the policy but looks like ${JSON.stringify(lookalike.name)} of stage ${lookalike.stage.name}; it is not approved as ungated. Deploy to ${JSON.stringify(lookalike.name)}, or name this environment in the policy (a stage of its own, or in the github list of ${lookalike.stage.name}).`,
      values: {
        environment: facts.environment,
        resembles: lookalike.name,
        stage: lookalike.stage.name,
        codePoints: [...facts.environment]
          .map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)
          .join(' '),
      },
    };
    return {
      decision: 'block',
      environment: facts.environment,
      ungated: false,
      rules: [rule],
      score: facts.evidence.score,
      breakdown: facts.evidence.breakdown,
      clearsAt: null,
      recheckAt: null,
      overridesUsed: [],
    };
  }
  const rule: EnvironmentResult = policy.strict
    ? {
        code: 'ENVIRONMENT_NOT_IN_POLICY',
        rule: 'environment',
        ok: false,
        outcome: 'block',
        message: `Environment "${facts.environment}" is not named by the policy (stages: ${stages}) and the policy is strict: add it to environments or deploy to a named stage.`,
        values: { environment: facts.environment, stages: policy.environments.map((e) => e.name), strict: true },
      }
    : {
        code: 'UNGATED_ENVIRONMENT',
        rule: 'environment',
        ok: true,
        outcome: 'pass',
        message: `Environment "${facts.environment}" is not named by the policy (stages: ${stages}); it is not gated and the deployment is approved and recorded as ungated.`,
        values: { environment: facts.environment, stages: policy.environments.map((e) => e.name), strict: false },
      };
  return {
    decision: policy.strict ? 'block' : 'allow',
    environment: facts.environment,
    ungated: !policy.strict,
    rules: [rule],
    score: facts.evidence.score,
    breakdown: facts.evidence.breakdown,
    clearsAt: null,
    recheckAt: null,
    overridesUsed: [],
  };
}

function decide(stage: EnvironmentPolicy, rules: RuleResult[], facts: ReleaseFacts, overridesUsed: string[]): Decision {
  if (stage.onBlocked === 'reject') {
    for (const r of rules) {
      if (r.outcome === 'wait') {
        r.outcome = 'block';
        const reject: CommonValues = { onBlocked: 'reject' };
        r.values = { ...r.values, ...reject };
      }
    }
  }
  const blocked = rules.some((r) => r.outcome === 'block');
  const waiting = rules.filter((r) => r.outcome === 'wait');
  const clock = waiting.map((r) => r.clearsAt).filter((t): t is string => typeof t === 'string');
  const decision = blocked ? 'block' : waiting.length > 0 ? 'wait' : 'allow';
  const allByClock = decision === 'wait' && clock.length === waiting.length;
  return {
    decision,
    environment: stage.name,
    ungated: false,
    rules,
    score: facts.evidence.score,
    breakdown: facts.evidence.breakdown,
    clearsAt: allByClock ? latest(clock) : null,
    recheckAt: decision === 'wait' && clock.length > 0 ? earliest(clock) : null,
    // An override is spent only when it lets the release through.
    overridesUsed: decision === 'allow' ? overridesUsed : [],
  };
}

function latest(times: string[]): string {
  return times.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b));
}

function earliest(times: string[]): string {
  return times.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}
