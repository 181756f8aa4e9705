import type { FactKind } from '../fact-kinds.js';
import type { ApprovalFact, EnvironmentPolicy, Policy, ReleaseFacts, RuleResult } from '../types.js';

/** What decides whether a rule applies to a stage, and which facts it reads there. */
export interface RuleContext {
  policy: Pick<Policy, 'scoring'>;
  stage: EnvironmentPolicy;
  /** The stage before this one on the promotion path; null for the first stage. */
  predecessor: EnvironmentPolicy | null;
}

/** The approvals of a release for a stage: those that may fill a role, those that count toward `minApprovals`, and why the others do not. */
export interface ApprovalCount {
  /**
   * The approvals any role may count: the latest review per person, approving, not dismissed,
   * on the release's content, not by its authors, contributors or deployer when `excludeAuthor`.
   * Each role then takes those of its own teams.
   */
  eligible: ApprovalFact[];
  /** The eligible approvals that count toward `minApprovals`: from members of `approvals.fromTeams` when it names teams. */
  counted: ApprovalFact[];
  /** The reviews that do not count toward `minApprovals`, and why. */
  notCounted: Array<{ login: string; source: string; reason: string }>;
  /** Whose approvals no role counts, whatever they do (the authors, contributors and deployer when `excludeAuthor`), sorted. */
  excluded: string[];
}

/** What a rule decides from: the policy, the stage, the release's facts and the instant. */
export interface EvaluationContext extends RuleContext {
  policy: Policy;
  facts: ReleaseFacts;
  now: Date;
  /** The approvals that count for the stage, worked out once and shared by the rules that read them. */
  approvals(): ApprovalCount;
}

/**
 * A result of one rule, its code and values typed: `Code` the codes the rule gives, `Values`
 * what its results carry in `values`. A `RuleResult` is one with any code and any values.
 */
export type TypedRuleResult<
  Code extends string = string,
  Values extends Record<string, unknown> = Record<string, unknown>,
> = Omit<RuleResult, 'code' | 'values'> & {
  code: Code;
  values: Values;
};

/**
 * One rule of the gate. Its file holds everything about it: the result codes it gives, the
 * policy keys it reads, when it applies to a stage, the facts it needs there (the shells
 * fetch only those), and how it decides. `Code` and `Values` type its results end to end:
 * a reader of a stored result narrows it with {@link isResultOf}.
 */
export interface GateRule<
  Code extends string = string,
  Values extends Record<string, unknown> = Record<string, unknown>,
> {
  /** The rule's name, as results carry it in `rule` (`approvals`, `freeze`...). */
  name: string;
  /** The name its results carry in `rule` when not its own: each required review reports as one of the roles of `approvals`. */
  reportsAs?: string;
  /** Every result code the rule gives. */
  codes: readonly Code[];
  /** The policy keys the rule reads (paths in the policy file, e.g. `approvals.fromTeams`). */
  keys: readonly string[];
  applies(ctx: RuleContext): boolean;
  facts(ctx: RuleContext): FactKind[];
  /** The rule's result(s) for the stage; called only when the rule applies. */
  evaluate(ctx: EvaluationContext): TypedRuleResult<Code, Values> | TypedRuleResult<Code, Values>[];
}

/**
 * Whether `result` (of a decision, or read back from the record) is one of `rule`'s: the name
 * its results carry and one of its codes. Its code and values are then typed as the rule gives
 * them. The release approval and the required reviews both report as `approvals` and share
 * `TEAMS_UNREADABLE`: tell them apart by a value only one carries (`approvers`).
 */
export function isResultOf<Code extends string, Values extends Record<string, unknown>>(
  rule: GateRule<Code, Values>,
  result: RuleResult,
): result is RuleResult & TypedRuleResult<Code, Values> {
  return result.rule === (rule.reportsAs ?? rule.name) && (rule.codes as readonly string[]).includes(result.code);
}
