/**
 * The plain data the gate decides from. Every shell (the App, the Action, the CLI) builds
 * these objects from its own sources and hands them to the pure functions of `src/core`.
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Evidence kinds a policy can weigh or require (`scoring` weights, `requiredEvidence`). */
/** The slug of GitHub Actions, the GitHub App that runs workflows (every workflow's `GITHUB_TOKEN` is it). */
export const GITHUB_ACTIONS_APP = 'github-actions';

export const EVIDENCE_KINDS = [
  'tests',
  'coverage',
  'security',
  'checklist',
  'rollbackPlan',
  'backup',
  'migrations',
  'evidenceUrl',
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** A daily or weekday window: `start`/`end` wall-clock times; `end` before `start` crosses midnight. */
export interface DailyFreezeWindow {
  kind: 'daily';
  name: string;
  /** Local days the window starts on; all seven when the policy gives none. */
  days: Weekday[];
  /** `HH:MM` or `HH:MM:SS`, local to `timezone`; inclusive. */
  start: string;
  /** `HH:MM` or `HH:MM:SS`, local to `timezone`; exclusive. */
  end: string;
  timezone: string;
}

/** A one-off range of local date-times: `YYYY-MM-DDTHH:MM[:SS]`, start inclusive, end exclusive. */
export interface RangeFreezeWindow {
  kind: 'range';
  name: string;
  from: string;
  to: string;
  timezone: string;
}

/** An RFC 5545 recurrence: each occurrence (local to `timezone`) starts a window of `durationMs`. */
export interface RRuleFreezeWindow {
  kind: 'rrule';
  name: string;
  rrule: string;
  durationMs: number;
  timezone: string;
}

export type FreezeWindow = DailyFreezeWindow | RangeFreezeWindow | RRuleFreezeWindow;

export interface RequiredReviewers {
  /** Glob patterns of changed files that trigger the requirement. */
  paths: string[];
  /** At least one approval from a member of one of these teams is needed. */
  teams: string[];
}

export interface EnvironmentPolicy {
  /** The stage name used by the policy (`DEV`, `PRE_PROD`, `PROD`). */
  name: string;
  /** GitHub environment names this stage covers (defaults to `[name]`). */
  github: string[];
  /** Ref patterns (`refs/tags/v*`) a release must match; none means any ref. */
  refs: string[];
  minApprovals: number;
  approvals: { excludeAuthor: boolean; fromTeams: string[] };
  requiredReviewers: RequiredReviewers[];
  /** Minimum evidence score; `null` means the score is not checked for this stage. */
  minScore: number | null;
  /** Checks that must have concluded successfully, each from the source it names. */
  requiredChecks: RequiredCheck[];
  requiredEvidence: EvidenceKind[];
  soakMinutes: number;
  freezeWindows: FreezeWindow[];
  /** How long a deploy runs; a deploy that would still run when a window opens waits. */
  deployDurationMs: number;
  /** `wait`: hold the deployment and approve when it clears; `reject`: reject at once. */
  onBlocked: 'wait' | 'reject';
  /** Create the next stage's deployment when its gate allows it. */
  autoPromote: boolean;
}

export interface ScoringPolicy {
  /** Weight of each evidence kind; the weights given sum to 100. */
  weights: Partial<Record<EvidenceKind, number>>;
  /** Scores from `warnScore` up to `minScore` need an override team's approval instead of blocking. */
  warnScore: number | null;
  /** Line coverage (percent) that earns full coverage marks. */
  coverageTarget: number;
  /** SARIF levels that do not cost points (`note`, `none` by default). */
  allowedSarifLevels: Array<'error' | 'warning' | 'note' | 'none'>;
  /** A backup record older than this does not count. */
  backupMaxAgeHours: number;
}

export interface OverridePolicy {
  teams: string[];
  secondApprover: boolean;
  expiresMs: number;
}

export interface Policy {
  version: 1;
  /** Which file format the policy was written in. */
  format: 'v1' | 'aurora';
  /** The promotion path, in order. */
  environments: EnvironmentPolicy[];
  scoring: ScoringPolicy;
  overrides: OverridePolicy;
  /** Where evidence may come from. */
  evidence: EvidencePolicy;
  /** Gate environments the policy does not name (reject them) instead of approving them as ungated. */
  strict: boolean;
  /**
   * `environments`: the App makes GitHub's environments match the stages (creates missing
   * ones, enables its protection rule, sets ref policies). Absent means off.
   */
  sync?: 'environments' | 'off';
}

/** Where evidence may come from. */
export interface EvidencePolicy {
  /**
   * Workflow files (`.github/workflows/ci.yml`) allowed to publish the `Release evidence`
   * check run; empty means any workflow may.
   */
  workflows: string[];
}

/** A review or deployment review seen for the release. */
export interface ApprovalFact {
  login: string;
  source: 'pr-review' | 'deployment-review';
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'REJECTED';
  /** ISO-8601 instant. */
  submittedAt: string;
  /** The commit the review was given on (PR reviews); absent when GitHub no longer knows it. */
  commitId?: string;
  /**
   * False when the review cannot be shown to cover the release's content: it approved an
   * older head whose content changed since, or a commit GitHub no longer knows.
   */
  contentMatches?: boolean;
  /** The pull request the review belongs to. */
  pull?: number;
}

/** A pull request the release came from (its head, merge, squash or rebase became the release commit). */
export interface PullRequestFact {
  number: number;
  title: string;
  body: string;
}

/**
 * How a deployment was let through. The App's record says `protection-rule` (its answer to
 * the deployment's protection rule was `approved`) or `deployment-event` (it judged the
 * `deployment` event of a deployment created through the API `allow`). `reported` is what a
 * caller without the App's record asserts: the CLI's `--deployed`, the Action's reading of
 * GitHub's deployments.
 */
export type DeploymentApprovalKind = 'protection-rule' | 'deployment-event' | 'reported';

/** The gate's own word on a deployment: it let it through, for that stage and environment. */
export interface DeploymentApproval {
  via: DeploymentApprovalKind;
  /** ISO-8601 instant the gate let it through. */
  at: string;
  /** The stage the gate judged it as (null: an environment the policy did not gate); absent when reported. */
  stage?: string | null;
  /** The GitHub environment the gate let it through for; absent when reported. */
  environment?: string;
  /** The workflow run the gate approved (a GitHub Actions deployment). */
  runId?: number | null;
}

/** A deployment of some commit to some stage, as recorded. */
export interface DeploymentFact {
  /** GitHub's deployment id, when known. */
  id?: number;
  /** Policy stage name or GitHub environment name. */
  environment: string;
  sha: string;
  /** The git tree of the commit; the same tree is the same release. */
  tree?: string;
  /** Its latest state, from the statuses allowed to move it. */
  state: 'success' | 'failure' | 'error' | 'in_progress' | 'queued' | 'pending' | 'inactive';
  /** ISO-8601 instant the state was reached. */
  at: string;
  /**
   * The gate's approval; null when it never let the deployment through (it held it, blocked
   * it or never saw it). A recorded fact without the key predates approvals (see `replay.ts`).
   */
  approval?: DeploymentApproval | null;
  /** ISO-8601 instant of its first success bound to that approval: from here it proves its stage. */
  provenAt?: string | null;
  /**
   * Recorded before the gate kept its approvals on deployments, with the success the earlier
   * rule took: it proves nothing, and the gate waits for a deployment it judges, saying why.
   */
  legacySuccessAt?: string | null;
}

/**
 * A check a stage requires and the source it must come from, as GitHub rulesets pin a
 * check's source: a check run by any GitHub App (a plain name), by one App (`app`), or a job
 * of one GitHub Actions workflow (`workflow`); or a commit status posted by `creator`.
 */
export interface RequiredCheck {
  name: string;
  /** The GitHub App (its slug) whose check run counts; any App when left out. */
  app?: string;
  /** The workflow file (`.github/workflows/ci.yml`) whose job the check run must be; GitHub Actions' then. */
  workflow?: string;
  /** A commit status instead of a check run: counted only when `creator` posted it. */
  status?: boolean;
  /** The login that posts the commit status (`jenkins-bot`). */
  creator?: string;
}

export interface CheckFact {
  name: string;
  status: 'queued' | 'in_progress' | 'completed' | 'pending' | 'waiting' | 'requested';
  /** For completed checks: success, neutral, skipped count as passed. */
  conclusion?: string | null;
  /** Where it comes from: a check run, or a commit status. */
  kind?: 'check_run' | 'status';
  /** A check run's GitHub App (slug). */
  app?: string | null;
  /** For a job of GitHub Actions: the workflow file its run is of, as traced on GitHub (null when it could not be). */
  workflow?: string | null;
  /** A commit status's creator (login). */
  creator?: string | null;
}

/** One part of the score: the points a kind earned out of its weight, and why. */
export interface ScoreComponent {
  kind: EvidenceKind;
  weight: number;
  points: number;
  present: boolean;
  reasons: string[];
}

export interface ScoreResult {
  score: number;
  breakdown: Record<string, ScoreComponent>;
}

export interface EvidenceFacts {
  /** The computed score, or null when no evidence was given. */
  score: number | null;
  breakdown: Record<string, ScoreComponent | number>;
  /** Evidence kinds that were supplied. */
  present: EvidenceKind[];
}

/** An exception granted by a member of an override team (an exception to the policy, granted by a person and spent once). */
export interface OverrideFact {
  id?: string;
  environment: string;
  sha: string;
  /** Rule codes the override lets pass; empty means every overridable rule. */
  rules: string[];
  grantedBy: string;
  confirmedBy?: string | null;
  reason: string;
  risk: string;
  /** ISO-8601 instants. */
  grantedAt: string;
  expiresAt: string;
  /** Set once the override let a deployment through (it passes once). */
  usedAt?: string | null;
}

export interface ReleaseFacts {
  /** The environment asked for: a policy stage name or a GitHub environment name. */
  environment: string;
  sha: string;
  tree?: string;
  ref?: string;
  /** The change's author (PR author or commit author). */
  author?: string;
  /** Everyone who wrote part of the release: authors of its pull requests and of their commits. */
  contributors?: string[];
  /** Who asked for the deployment. */
  deployer?: string;
  approvals: ApprovalFact[];
  /** Deployments known for this repository (any stage, any commit). */
  deployments: DeploymentFact[];
  evidence: EvidenceFacts;
  checks: CheckFact[];
  /** The pull requests the release came from, when a rule reads them. */
  pulls?: PullRequestFact[];
  /** Changed files since the last PROD deployment, when known. */
  changedFiles?: string[];
  /** Team slug -> member logins, for the teams the policy names. */
  teams: Record<string, string[]>;
  /**
   * Team slug -> why its membership could not be read (what GitHub answered and what to give
   * the token), in the shell's words. A role of such a team counts no approval from it and
   * says so (`TEAMS_UNREADABLE`) rather than wait in silence.
   */
  teamErrors?: Record<string, string>;
  overrides: OverrideFact[];
}

export type Outcome = 'pass' | 'wait' | 'block';

export interface RuleResult {
  /** Stable code: `FREEZE_WINDOW_ACTIVE`, `APPROVAL_REQUIRED`, `OK_*`... */
  code: string;
  /** Which rule of the gate produced it: a rule's name (`src/core/rules`), or `environment` / `policy`. */
  rule: string;
  ok: boolean;
  outcome: Outcome;
  message: string;
  /** The values compared. */
  values: Record<string, unknown>;
  /** For `wait`: the instant it clears by itself (ISO-8601), or null when it waits on an event. */
  clearsAt?: string | null;
  /** Set when a failing rule passes because of an override. */
  overriddenBy?: { id?: string; grantedBy: string; reason: string; risk: string };
}

export type DecisionKind = 'allow' | 'wait' | 'block';

export interface Decision {
  decision: DecisionKind;
  /** The policy stage, or the GitHub environment when ungated. */
  environment: string;
  ungated: boolean;
  rules: RuleResult[];
  score: number | null;
  breakdown: Record<string, ScoreComponent | number>;
  /** For `wait`: the earliest instant a clock-bound rule clears (ISO-8601), else null. */
  clearsAt: string | null;
  /** For `wait`: the earliest instant a clock-bound rule clears, when the gate should look again. */
  recheckAt: string | null;
  /** Overrides that this decision used (spent only when the decision is `allow`). */
  overridesUsed: string[];
}
