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
 * What a result may carry in `values` besides its rule's own: the override that names it but
 * does not apply (`overrides.ts`), and `onBlocked: reject` when the stage turns a wait into a
 * block (`evaluate.ts`).
 */
export type CommonValues = {
  override?: { grantedBy: string; notApplied: string };
  onBlocked?: 'reject';
};

/**
 * A result of one rule, its code and values typed: `Code` the code it gives, `Values` what it
 * carries in `values`. A `RuleResult` is one with any code and any values.
 */
export type TypedRuleResult<
  Code extends string = string,
  Values extends Record<string, unknown> = Record<string, unknown>,
> = Omit<RuleResult, 'code' | 'values'> & {
  code: Code;
  values: Values & CommonValues;
};

/** What each code of a rule carries in `values`: `{ FREEZE_CLEAR: {...}; FREEZE_WINDOW_ACTIVE: {...} }`. */
export type ValuesByCode<Code extends string = string> = Record<Code, Record<string, unknown>>;

/**
 * The results a rule gives: one per code with that code's values, a union discriminated by
 * `code` (narrow on `result.code` to read the values only one code carries).
 */
export type ResultOf<Code extends string = string, Values extends ValuesByCode<Code> = ValuesByCode<Code>> = {
  [C in Code]: TypedRuleResult<C, Values[C]>;
}[Code];

/** The results of a rule (`ResultOf<typeof freezeRule>`-style, from the rule itself). */
export type ResultOfRule<R> = R extends ResultKind<infer Code, infer Values> ? ResultOf<Code, Values> : never;

/**
 * What names a kind of result: the name results carry in `rule`, their codes, and the values
 * each code carries. Every rule is one ({@link GateRule}); so are the results the evaluation
 * gives itself, for an environment the policy does not name and for an invalid policy.
 */
export interface ResultKind<Code extends string = string, Values extends ValuesByCode<Code> = ValuesByCode<Code>> {
  /** The rule's name, as results carry it in `rule` (`approvals`, `freeze`...). */
  name: string;
  /** The name its results carry in `rule` when not its own: each required review reports as one of the roles of `approvals`. */
  reportsAs?: string;
  /** Every result code the rule gives. */
  codes: readonly Code[];
  /**
   * For two rules that report under one name and share a code (the release approval and the
   * required reviews both give `TEAMS_UNREADABLE` as `approvals`): whether a result with that
   * code is this rule's, by a value only its results carry.
   */
  owns?(result: ResultParts): boolean;
  /** Type only, never set: what each code carries in `values` (so a reader's narrowing knows it). */
  readonly valuesByCode?: Values;
}

/**
 * One rule of the gate. Its file holds everything about it: the result codes it gives, the
 * policy keys it reads, when it applies to a stage, the facts it needs there (the shells
 * fetch only those), and how it decides. `Code` and `Values` (what each code carries) type
 * its results end to end: a result with a code it does not declare, or values not of its
 * code, does not compile where the rule builds it, and a reader of a stored result narrows it
 * with {@link isResultOf}.
 */
export interface GateRule<
  Code extends string = string,
  Values extends ValuesByCode<Code> = ValuesByCode<Code>,
> extends ResultKind<Code, Values> {
  /** The policy keys the rule reads (paths in the policy file, e.g. `approvals.fromTeams`). */
  keys: readonly string[];
  applies(ctx: RuleContext): boolean;
  facts(ctx: RuleContext): FactKind[];
  /** The rule's result(s) for the stage; called only when the rule applies. */
  evaluate(ctx: EvaluationContext): ResultOf<Code, Values> | ResultOf<Code, Values>[];
}

/** The parts of a result that say whose it is: its rule's name, its code, and its values. */
export type ResultParts = Pick<RuleResult, 'rule' | 'code' | 'values'>;

/**
 * Whether `result` (of a decision, or read back from the record) is one of `kind`'s: the name
 * its results carry, one of its codes, and its values when another rule shares the name and
 * the code ({@link ResultKind.owns}). Its code and values are then typed as the rule gives
 * them, a union by code: `if (isResultOf(freezeRule, r) && r.code === 'FREEZE_WINDOW_ACTIVE') r.values.until`.
 */
export function isResultOf<Code extends string, Values extends ValuesByCode<Code>>(
  kind: ResultKind<Code, Values>,
  result: RuleResult,
): result is ResultOf<Code, Values> {
  return (
    result.rule === (kind.reportsAs ?? kind.name) &&
    (kind.codes as readonly string[]).includes(result.code) &&
    (kind.owns === undefined || kind.owns(result))
  );
}
