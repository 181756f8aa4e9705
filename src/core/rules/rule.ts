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
 * One rule of the gate. Its file holds everything about it: the result codes it gives, the
 * policy keys it reads, when it applies to a stage, the facts it needs there (the shells
 * fetch only those), and how it decides.
 */
export interface GateRule {
  /** The rule's name, as results carry it in `rule` (`approvals`, `freeze`...). */
  name: string;
  /** Every result code the rule gives. */
  codes: readonly string[];
  /** The policy keys the rule reads (paths in the policy file, e.g. `approvals.fromTeams`). */
  keys: readonly string[];
  applies(ctx: RuleContext): boolean;
  facts(ctx: RuleContext): FactKind[];
  /** The rule's result(s) for the stage; called only when the rule applies. */
  evaluate(ctx: EvaluationContext): RuleResult | RuleResult[];
}
