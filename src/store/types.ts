/**
 * The record of the Release Gate App: the interfaces the App, the CLI and the scheduler
 * use, one per role (`DeliveryStore`, `GateStore`, `PromotionStore`, `RecordStore`,
 * `AuditStore`; `Store` is all of them), so each consumer takes the part it uses. Plain
 * rows and plain inputs only; the database and its client stay behind it. Every time is a `Date`; JSON columns arrive parsed (`unknown`).
 *
 * Numbers that GitHub issues (deployment, status, check run, workflow run, installation
 * ids) are JavaScript numbers here: GitHub ids are below 2^53.
 *
 * Nothing is ever deleted through this interface.
 */

import type { RecordedPolicyFile, StoredEvaluation } from '../core/replay.js';

export type { RecordedPolicyFile };
export type {
  DeliveryPriority,
  DeliveryRow,
  EnqueueDeliveryInput,
  EnqueueResult,
  InboxItem,
  InboxRow,
  InboxStatus,
  InboxStore,
} from './inbox-store.js';
export { DELIVERY_ERROR_PREFIX } from './inbox-store.js';
import type { InboxStore } from './inbox-store.js';
import type { DatabaseProvider } from './sql-dialect.js';
export type { DatabaseProvider } from './sql-dialect.js';
import type { ConsoleQueryStore } from './console-queries.js';
export type { ConsoleQueryStore, ReleaseHit, ReleaseSearch } from './console-queries.js';

export interface UpsertReleaseInput {
  repo: string;
  sha: string;
  tree?: string | null;
  ref?: string | null;
  version?: string | null;
  tag?: string | null;
  at: Date;
}

export interface ReleaseRow {
  id: number;
  repo: string;
  sha: string;
  tree: string | null;
  ref: string | null;
  version: string | null;
  tag: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface RecordDeploymentInput {
  /** GitHub's deployment id. */
  id: number;
  repo: string;
  sha: string;
  ref?: string | null;
  /** GitHub environment name. */
  environment: string;
  /** Policy stage name, or null when the environment is not gated. */
  stage?: string | null;
  creator?: string | null;
  createdAt: Date;
  /** The deployment's `payload` (any JSON value). */
  payload?: unknown;
  /** Created by this App's own installation (GitHub's `performed_via_github_app`). */
  byApp?: boolean;
}

export interface RecordDeploymentStatusInput {
  /** GitHub's deployment status id (the idempotency key). */
  id: number;
  deploymentId: number;
  /** `success`, `failure`, `error`, `inactive`, `in_progress`, `queued`, `pending`, `waiting`. */
  state: string;
  description?: string | null;
  at: Date;
  deliveryId?: string | null;
  /** Who set the status (GitHub login). */
  creator?: string | null;
  /**
   * Whether its author may set it (the deployment's creator or this App). An untrusted
   * status is kept for the record but never moves the deployment's state. Default true.
   */
  trusted?: boolean;
}

export interface DeploymentStatusRow {
  id: number;
  deploymentId: number;
  state: string;
  description: string | null;
  at: Date;
  deliveryId: string | null;
  creator: string | null;
  trusted: boolean;
}

export interface DeploymentRow {
  id: number;
  repo: string;
  sha: string;
  ref: string | null;
  environment: string;
  stage: string | null;
  creator: string | null;
  createdAt: Date;
  payload: unknown;
  /** Created by this App's own installation. */
  byApp: boolean;
  /** State of the latest status allowed to move it (by time, then status id), or null before any. */
  latestState: string | null;
  latestStateAt: Date | null;
  /** How the gate let it through; null when it did not (held, blocked, never seen). */
  approvedVia: DeploymentApprovalVia | null;
  approvedAt: Date | null;
  /** The stage the gate judged it as (null: not gated by the policy, or not approved). */
  approvedStage: string | null;
  /** The GitHub environment the gate let it through for. */
  approvedEnvironment: string | null;
  /** The workflow run the gate approved (a GitHub Actions deployment). */
  approvedRunId: number | null;
  /** Time of its first success bound to the approval: from here it proves its stage (the soak starts). */
  provenAt: Date | null;
  /** Recorded before approvals were kept: the success the earlier rule took (proves nothing). */
  legacySuccessAt: Date | null;
}

/** How the gate let a deployment through: its protection-rule answer, or its judgement of the `deployment` event. */
export type DeploymentApprovalVia = 'protection-rule' | 'deployment-event';

/** The gate's approval of a deployment, as the App records it. */
export interface DeploymentApprovalInput {
  via: DeploymentApprovalVia;
  at: Date;
  /** The stage it was judged as; null when the policy does not gate its environment. */
  stage: string | null;
  /** The GitHub environment it was let through for. */
  environment: string;
  /** The workflow run approved (the protection rule's), or the run that created it; null for none. */
  runId: number | null;
}

/** At most this many rows answer one deployment query: a decision never reads a repository's history. */
export const DEPLOYMENT_QUERY_LIMIT = 200;

export interface ListDeploymentsQuery {
  repo: string;
  sha?: string;
  /** Any of these commits (at most `DEPLOYMENT_QUERY_LIMIT`). */
  shas?: string[];
  environment?: string;
  /** Any of these GitHub environments (or stage names recorded as environments). */
  environments?: string[];
}

export interface RecentSuccessQuery {
  repo: string;
  environments: string[];
  /** Leave out deployments of this commit. */
  exceptSha?: string;
  limit: number;
}

export interface ReleasePullInput {
  repo: string;
  sha: string;
  pullNumber: number;
  headSha: string;
}

export interface CommitCheckInput {
  repo: string;
  sha: string;
  kind: 'check_run' | 'status';
  name: string;
  /** The check run's or the status's id. */
  externalId: number;
  status: string;
  conclusion?: string | null;
  appSlug?: string | null;
  at: Date;
}

export interface CommitCheckRow extends Required<Omit<CommitCheckInput, 'conclusion' | 'appSlug'>> {
  conclusion: string | null;
  appSlug: string | null;
}

export interface RecordEvaluationInput {
  repo: string;
  sha: string;
  /** GitHub environment name. */
  environment: string;
  /** Policy stage name, or null when ungated. */
  stage?: string | null;
  /** `allow`, `wait` or `block` (core DecisionKind). */
  decision: string;
  /** Rule results (core RuleResult[]); any JSON value. */
  rules: unknown;
  /** The facts the decision was computed from; any JSON value. */
  inputs: unknown;
  score?: number | null;
  policyPath?: string | null;
  policySha?: string | null;
  actor?: string | null;
  deliveryId?: string | null;
  checkRunId?: number | null;
  at: Date;
  /**
   * The policy texts the decision used (kept once per content), with their roles; `[]`
   * when no policy file could be read. Without it the evaluation is recorded as not
   * replayable.
   */
  policyFiles?: PolicyFileText[];
  /** The engine version that decided; ENGINE_VERSION (this process) when not given. */
  engineVersion?: string | null;
}

/** A stored evaluation: what replay reads of it (rule results read back typed, see storedRuleResults), and the rest of the record. */
export interface EvaluationRow extends StoredEvaluation {
  score: number | null;
  policyPath: string | null;
  policySha: string | null;
  actor: string | null;
  deliveryId: string | null;
  checkRunId: number | null;
  /** The policy files the decision used, by content hash; null for a record that does not say. */
  policyFiles: RecordedPolicyFile[] | null;
  engineVersion: string | null;
  /** Why the decision cannot be replayed from the record; null when it can. */
  notReplayable: string | null;
}

export interface ListEvaluationsQuery {
  repo: string;
  sha?: string;
  environment?: string;
  /** Only evaluations at or after this time. */
  since?: Date;
  /** Only the newest `last` evaluations (still returned oldest first). */
  last?: number;
}

/**
 * Which check run an evaluation of (repo, sha, environment) writes to, so re-evaluations
 * update it: the protection rule request's (runId), or the deployment's when evaluated
 * outside one (deploymentId, on deployment.created), or neither's.
 */
export interface CheckRunKey {
  repo: string;
  sha: string;
  environment: string;
  /** The workflow run id of a protection rule request; null outside one. */
  runId: number | null;
  /** The deployment evaluated outside a protection rule request; null or left out otherwise. */
  deploymentId?: number | null;
}

export type ApprovalSource = 'pr-review' | 'deployment-review';

export interface ApprovalInput {
  repo: string;
  sha: string;
  /** The environment a deployment review was for; null for PR reviews. */
  environment?: string | null;
  login: string;
  source: ApprovalSource;
  /** `approved`, `changes_requested`, `commented`, `dismissed`, `rejected`. */
  state: string;
  submittedAt: Date;
  /** The commit a PR review was submitted on. */
  commitId?: string | null;
}

export interface ApprovalRow {
  id: number;
  repo: string;
  sha: string;
  environment: string | null;
  login: string;
  source: ApprovalSource;
  state: string;
  submittedAt: Date;
  commitId: string | null;
  recordedAt: Date;
}

export interface ListApprovalsQuery {
  repo: string;
  sha: string;
  environment?: string;
}

export interface CreateOverrideInput {
  /** Leave out to let the store pick a random id. */
  id?: string;
  repo: string;
  sha: string;
  environment: string;
  /** Rule codes or rule names the override lifts. */
  rules: string[];
  grantedBy: string;
  reason: string;
  risk: string;
  grantedAt: Date;
  expiresAt?: Date | null;
}

export interface OverrideRow {
  id: string;
  repo: string;
  sha: string;
  environment: string;
  rules: string[];
  grantedBy: string;
  confirmedBy: string | null;
  confirmedAt: Date | null;
  reason: string;
  risk: string;
  grantedAt: Date;
  expiresAt: Date | null;
  usedAt: Date | null;
}

export interface ListOverridesQuery {
  repo: string;
  sha?: string;
  environment?: string;
}

export type GateStatus = 'pending' | 'decided' | 'answered' | 'expired';
export type GateDecision = 'approved' | 'rejected';

export interface UpsertPendingGateInput {
  repo: string;
  installationId: number;
  /** Workflow run id of the `deployment_protection_rule` request. */
  runId: number;
  environment: string;
  sha: string;
  deploymentId?: number | null;
  callbackUrl: string;
  createdAt: Date;
  /** When the scheduler should look again (earliest clearing time), or null to wait for an event. */
  nextCheckAt?: Date | null;
}

export interface PendingGateRow {
  id: number;
  repo: string;
  installationId: number;
  runId: number;
  environment: string;
  sha: string;
  deploymentId: number | null;
  callbackUrl: string;
  createdAt: Date;
  status: GateStatus;
  nextCheckAt: Date | null;
  decision: GateDecision | null;
  decisionComment: string | null;
  decidedAt: Date | null;
  answeredAt: Date | null;
  /** The last error calling GitHub back; the gate stays `decided` and is retried. */
  answerError: string | null;
  /** Status reports posted on the run (GitHub allows 10 per deployment). */
  reportsPosted: number;
  claimedBy: string | null;
  claimedUntil: Date | null;
}

export interface ListPendingGatesQuery {
  repo?: string;
  sha?: string;
  /** Any of these commits. */
  shas?: string[];
  environment?: string;
  status?: GateStatus | GateStatus[];
}

export interface DecideGateInput {
  decision: GateDecision;
  comment: string;
  at: Date;
}

export interface DecideGateResult {
  /** True when this call decided the gate; false when it was already decided. */
  decided: boolean;
  /** The decision that stands: this call's, or the one stored first. Null only for a gate that expired undecided. */
  decision: GateDecision | null;
  comment: string | null;
  status: GateStatus;
}

/**
 * A promotion (its own table, `Promotion`): an auto-promotion (the previous stage succeeded
 * with `autoPromote`) or one a person asked for (console, `/release-gate promote`). While the
 * next stage's gate waits (on the clock, people or checks) it is held, and the deployment is
 * created once it allows: looked at again on the events it may wait for and by the scheduler.
 * `pending`: held, next looked at by the scheduler at nextCheckAt; `decided`: a replica is
 * creating the deployment (a crash here is retried, and the retry looks for the deployment
 * first); `answered`: the deployment exists; `expired`: dropped (the gate blocked, the
 * policy changed, or it waited too long), with the reason in `note`.
 */
export interface PromotionRow {
  id: number;
  repo: string;
  installationId: number;
  sha: string;
  /**
   * The deployment whose success asked for an auto-promotion (one promotion per deployment
   * and target); null for a promotion a person asked for.
   */
  sourceDeploymentId: number | null;
  fromStage: string;
  toStage: string;
  /** The GitHub environment the promotion deploys to. */
  environment: string;
  createdAt: Date;
  status: GateStatus;
  nextCheckAt: Date | null;
  /** When it became `decided` (a replica started creating the deployment). */
  startedAt: Date | null;
  /** When it became `answered` or `expired`. */
  finishedAt: Date | null;
  /** The deployment it created or found, when `finishPromotion` was told. */
  deploymentId: number | null;
  note: string | null;
  claimedBy: string | null;
  claimedUntil: Date | null;
  /**
   * Who deploys: the person who asked (their own approvals never count for it), or, for an
   * auto-promotion, whoever deployed the stage before. Null when unknown.
   */
  deployer: string | null;
  /** How a person asked for it; null for an auto-promotion. */
  requestedVia: PromotionRequestedVia | null;
  /** Set while a person's promotion is open (see {@link promotionOpenKey}); null otherwise. */
  openKey: string | null;
}

export type PromotionRequestedVia = 'console' | 'command';

export type HoldPromotionInput = Pick<
  PromotionRow,
  'repo' | 'installationId' | 'sha' | 'fromStage' | 'toStage' | 'environment' | 'createdAt'
> & {
  sourceDeploymentId: number;
  nextCheckAt: Date;
  deployer?: string | null;
};

/** A promotion a person asks for: open once per release and target environment. */
export type RequestPromotionInput = Pick<
  PromotionRow,
  'repo' | 'installationId' | 'sha' | 'fromStage' | 'toStage' | 'environment' | 'createdAt'
> & {
  deployer: string;
  requestedVia: PromotionRequestedVia;
  /** When the scheduler looks at it if the process asking dies before it does (it is leased while looked at). */
  nextCheckAt: Date;
};

/** The key that keeps one promotion a person asked for open per release and GitHub environment. */
export function promotionOpenKey(sha: string, environment: string): string {
  return `${sha} ${environment.toLowerCase()}`;
}

export const RELEASE_EVENT_TYPES = [
  'CREATE',
  'PROMOTE',
  'DEPLOYED',
  'APPROVED',
  'REJECTED',
  'BLOCKED',
  'WAITING',
  'OVERRIDE',
  'FAILED',
  'EXPIRED',
  'NOTE',
] as const;
export type ReleaseEventType = (typeof RELEASE_EVENT_TYPES)[number];

export interface RecordEventInput {
  repo: string;
  sha: string;
  version?: string | null;
  environment?: string | null;
  type: ReleaseEventType;
  /** Free text, e.g. `success`, `pending`, `allow`. */
  status?: string | null;
  actor?: string | null;
  at: Date;
  notes?: string | null;
  deliveryId?: string | null;
}

export interface ReleaseEventRow {
  id: number;
  repo: string;
  sha: string;
  version: string | null;
  environment: string | null;
  type: ReleaseEventType;
  status: string | null;
  actor: string | null;
  at: Date;
  notes: string | null;
  deliveryId: string | null;
}

export interface ListEventsQuery {
  repo: string;
  /** Only events at or after this time. */
  since?: Date;
}

export interface StoreHealth {
  ok: boolean;
  database: 'up' | 'down';
  migrations: { applied: number; expected: number };
  error?: string;
}

/** The part of a pino/Probot logger the store uses. */
export interface StoreLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface OpenStoreOptions {
  /**
   * `file:./data/release-gate.db` (the default) for SQLite, `postgresql://...` for PostgreSQL
   * (`?schema=name` selects a schema). Read `DATABASE_URL` at the edge and pass it here.
   */
  databaseUrl?: string;
  /** The directory a relative `file:` path is resolved against (default: the process's). */
  cwd?: string;
  log?: StoreLogger;
}

/**
 * Work kept in a table until it is due, shared among replicas by leases (pending gates,
 * held promotions). A row is due when it is `pending` with nextCheckAt <= now, or
 * `decided` and not finished yet (a crash, a failed callback), and its lease is free or
 * expired; due rows come oldest first.
 */
export interface LeasedQueue<Row> {
  listDue(now: Date): Promise<Row[]>;
  /**
   * Takes the lease on a row until `until`. Succeeds when the lease is free, expired
   * (claimedUntil <= now) or already held by `owner` (renewal); one replica wins a race.
   */
  claim(id: number, owner: string, until: Date, now: Date): Promise<boolean>;
  /** Frees the lease if `owner` holds it. */
  release(id: number, owner: string): Promise<void>;
  /** When the row is looked at again (null: only on an event). */
  setNextCheck(id: number, at: Date | null): Promise<void>;
}

/** Webhook deliveries (each handled once), their inbox, the shared write slots, poisoned policies. */
export interface DeliveryStore extends InboxStore {
  /**
   * Reserves the installation's next write slot, `spacingMs` after the previous one (or now),
   * with one conditional UPDATE shared by every replica; returns the slot's time.
   */
  takeWriteSlot(installationId: number, nowMs: number, spacingMs: number): Promise<number>;
  getPoisonedPolicy(blobSha: string): Promise<PoisonedPolicyRow | null>;
  poisonPolicy(input: PoisonedPolicyRow): Promise<void>;
  /** Counts one evaluation of `blobSha` for `subject` started; returns how many are unfinished, this one included. */
  startEvaluationAttempt(blobSha: string, subject: string, at: Date): Promise<number>;
  finishEvaluationAttempt(blobSha: string, subject: string): Promise<void>;
  /** SQLite: null while the file opened is still at its path and writable, else what is wrong. */
  fileProblem(): string | null;
}

/** Pending protection-rule requests. */
export interface GateStore {
  /**
   * Inserts the gate for (repo, runId, environment), or returns the existing one. An existing
   * `pending` gate takes the new sha, deploymentId, callbackUrl, installationId and
   * nextCheckAt (when given); a decided, answered or expired gate is returned unchanged,
   * unless the request is for another deployment (a re-run of the run's jobs): then it is
   * `pending` again, for that deployment.
   */
  upsertPendingGate(input: UpsertPendingGateInput): Promise<{ gate: PendingGateRow; created: boolean }>;
  getGate(id: number): Promise<PendingGateRow | null>;
  listPendingGates(query: ListPendingGatesQuery): Promise<PendingGateRow[]>;
  /** How many protection rule requests are `pending` (every repository): the metric, without reading them. */
  countPendingGates(): Promise<number>;
  /** How many protection rule requests are `pending`, per GitHub environment. */
  countWaitingGates(repo: string): Promise<Record<string, number>>;
  /**
   * The gates the scheduler works on: `pending` ones whose next check has come, and
   * `decided` ones not answered yet (crash recovery, failed callbacks).
   */
  readonly gateQueue: LeasedQueue<PendingGateRow>;
  /** The first decision wins; later calls return the stored one with `decided: false`. */
  decideGate(id: number, input: DecideGateInput): Promise<DecideGateResult>;
  /**
   * Records the callback's outcome. Without `error` the gate becomes `answered`; with one it
   * stays `decided` (the gate queue lists it again) and keeps the error text.
   */
  markGateAnswered(id: number, at: Date, error?: string): Promise<void>;
  /** Marks a pending or decided-but-unanswered gate `expired` (GitHub no longer waits on it). */
  expireGate(id: number, at: Date, note: string): Promise<boolean>;
  /** Atomically adds one to reportsPosted and returns the new count. */
  incrementGateReports(id: number): Promise<number>;
}

/** Auto-promotions held while the next gate waits (see PromotionRow). */
export interface PromotionStore {
  /**
   * Holds a promotion, or returns the one already held for (repo, sourceDeploymentId,
   * environment); a `pending` one takes the new nextCheckAt.
   */
  holdPromotion(input: HoldPromotionInput): Promise<{ promotion: PromotionRow; created: boolean }>;
  /**
   * Opens a promotion a person asked for (`pending`), or
   * returns the one open for the same release and environment (`created: false`): of two
   * requests at once, on any replica, one opens it and the other finds it.
   */
  requestPromotion(input: RequestPromotionInput): Promise<{ promotion: PromotionRow; created: boolean }>;
  /** Closes a promotion's open key (its deployment failed or was rejected), so it may be asked for again. */
  closePromotionKey(id: number, openKey: string): Promise<boolean>;
  getPromotion(id: number): Promise<PromotionRow | null>;
  listPromotions(query: { repo: string; sha?: string }): Promise<PromotionRow[]>;
  /**
   * The promotions the scheduler works on: `pending` ones whose next check has come, and
   * `decided` ones not finished (a crash while creating the deployment: the retry looks for
   * it first). A next check is set on a `pending` promotion only.
   */
  readonly promotionQueue: LeasedQueue<PromotionRow>;
  /** `pending` -> `decided`, once: true for the one caller that should create the deployment. */
  startPromotion(id: number, at: Date): Promise<boolean>;
  /** `pending` or `decided` -> `answered` (the deployment exists), with a note and, when known, the deployment's id. */
  finishPromotion(id: number, at: Date, note: string, deploymentId?: number | null): Promise<boolean>;
  /** `pending` or `decided` -> `expired` (not promoted), with the reason; its open key is closed. */
  dropPromotion(id: number, at: Date, note: string): Promise<boolean>;
}

/**
 * The record of releases: their deployments and statuses, the gate's evaluations and the
 * policy texts they used, approvals, overrides, checks and pull requests.
 */
export interface RecordStore {
  // Releases.
  /** Inserts or updates (repo, sha); fields left out or null keep their stored value. */
  upsertRelease(input: UpsertReleaseInput): Promise<ReleaseRow>;
  getRelease(repo: string, sha: string): Promise<ReleaseRow | null>;

  // Deployments and their status history.
  /** Idempotent on the GitHub deployment id; returns whether it was new. */
  recordDeployment(input: RecordDeploymentInput): Promise<boolean>;
  /** Idempotent on the GitHub status id; returns whether it was new. */
  recordDeploymentStatus(input: RecordDeploymentStatusInput): Promise<boolean>;
  /** Ordered by createdAt, then id. */
  listDeployments(query: ListDeploymentsQuery): Promise<DeploymentRow[]>;
  listDeploymentStatuses(deploymentId: number): Promise<DeploymentStatusRow[]>;
  getDeployment(id: number): Promise<DeploymentRow | null>;
  /**
   * Records the gate's approval of a recorded deployment (its word that it let it through);
   * false when the deployment is not recorded. The one place a deployment becomes approved.
   */
  approveDeployment(id: number, approval: DeploymentApprovalInput): Promise<boolean>;
  /** The gate held, rejected or blocked it (or its protection rule decides it now): no approval, no proof. */
  revokeDeploymentApproval(id: number): Promise<void>;
  /**
   * A success bound to the gate's approval: the deployment proves its stage from `at` (the
   * earliest such success). Only an approved deployment can be proven; returns whether it is.
   */
  proveDeployment(id: number, at: Date): Promise<boolean>;
  /** Proven deployments in these environments, newest proof first, at most `limit`. */
  recentProvenDeployments(query: RecentSuccessQuery): Promise<DeploymentRow[]>;
  /** The newest deployment to any of the GitHub environments (a stage's), with its latest state. */
  latestDeployment(repo: string, environments: string[]): Promise<DeploymentRow | null>;
  /** The recorded trees of these commits (commits whose tree is unknown are left out). */
  releaseTrees(repo: string, shas: string[]): Promise<Map<string, string>>;
  /** Commits recorded with this tree (newest first, at most `limit`). */
  releasesWithTree(repo: string, tree: string, limit: number): Promise<string[]>;

  // Pull requests of release commits.
  linkReleasePulls(list: ReleasePullInput[], at: Date): Promise<void>;
  /** Release commits recorded for a PR (newest first, at most `limit`). */
  releasesOfPull(repo: string, pullNumber: number, limit: number): Promise<string[]>;

  // Check runs and statuses learned from webhooks.
  /** Inserts or updates (repo, kind, externalId) when `at` is not older than what is kept. */
  recordCommitCheck(input: CommitCheckInput): Promise<void>;
  listCommitChecks(repo: string, sha: string): Promise<CommitCheckRow[]>;

  // Gate evaluations.
  recordEvaluation(input: RecordEvaluationInput): Promise<EvaluationRow>;
  /** Ordered by time, then id. */
  listEvaluations(query: ListEvaluationsQuery): Promise<EvaluationRow[]>;
  setEvaluationCheckRun(id: number, checkRunId: number): Promise<void>;
  getCheckRunId(key: CheckRunKey): Promise<number | null>;
  setCheckRunId(key: CheckRunKey, checkRunId: number, at: Date): Promise<void>;

  // Replaying the record.
  getEvaluation(id: number): Promise<EvaluationRow | null>;
  /**
   * Evaluations in id order (newest first with `newestFirst`) between `afterId` and
   * `beforeId`, at most `limit`: of one repository, or of the repositories whose name
   * starts with `repoPrefix` (`acme/`), since a time.
   */
  pageEvaluations(query: PageEvaluationsQuery): Promise<EvaluationRow[]>;
  /** Stored policy texts by their sha256; hashes not stored, or whose text no longer matches them, are absent. */
  getPolicyTexts(sha256s: readonly string[]): Promise<Map<string, string>>;

  // Approvals seen.
  /** Dedupes on (repo, sha, environment, login, source, submittedAt); returns how many were new. */
  recordApprovals(list: ApprovalInput[], at: Date): Promise<number>;
  listApprovals(query: ListApprovalsQuery): Promise<ApprovalRow[]>;

  // Overrides.
  createOverride(input: CreateOverrideInput): Promise<OverrideRow>;
  /** Sets confirmedBy once; returns false when it was already confirmed or does not exist. */
  confirmOverride(id: string, login: string, at: Date): Promise<boolean>;
  /** Marks it used once; returns false when it was already used or does not exist. */
  markOverrideUsed(id: string, at: Date): Promise<boolean>;
  /** Gives back an override this caller marked used at `at` (its decision did not stand); false when someone else's mark is there. */
  releaseOverride(id: string, at: Date): Promise<boolean>;
  getOverride(id: string): Promise<OverrideRow | null>;
  /** Ordered by grantedAt, then id. */
  listOverrides(query: ListOverridesQuery): Promise<OverrideRow[]>;
}

/** The release timeline, its export and the console's pages. */
export interface AuditStore {
  recordEvent(input: RecordEventInput): Promise<ReleaseEventRow>;
  /** The release's events ordered by time, then id. */
  timeline(query: { repo: string; sha: string }): Promise<ReleaseEventRow[]>;
  /** The repository's events ordered by time, then id (the audit export). */
  listEvents(query: ListEventsQuery): Promise<ReleaseEventRow[]>;
  // Console reads: newest first, cursor-paginated on indexed columns, so a page costs the
  // same on a record of a hundred rows or of millions.
  /**
   * The events of the given repositories (at least one) that match every filter given,
   * newest first (time, then id), `limit` of them after `after`; `next` resumes the list.
   */
  pageEvents(query: EventPageQuery): Promise<Page<ReleaseEventRow>>;
  /** A repository's evaluations (of one commit or one environment, when given), newest first, without their inputs. */
  pageEvaluationSummaries(query: EvaluationPageQuery): Promise<Page<EvaluationSummaryRow>>;
}

/** A console session as the record keeps it: the hash of the browser's key, never the key. */
export interface ConsoleSessionRow {
  /** SHA-256 (hex) of the key the browser holds. */
  id: string;
  login: string;
  userId: number;
  /** The user's GitHub token, encrypted by the console (src/console/session.ts). */
  token: string;
  createdAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
}

/** Console sessions, shared by every replica: a session ended on one is ended on all. */
export interface SessionStore {
  createSession(row: Omit<ConsoleSessionRow, 'endedAt'>): Promise<void>;
  /** The session with this id that has not ended and has not expired at `now`, or null. */
  findSession(id: string, now: Date): Promise<ConsoleSessionRow | null>;
  /** Ends the session (sign-out): false when it had ended already or does not exist. */
  endSession(id: string, at: Date): Promise<boolean>;
}

/** The whole record: every role, and the database behind it. */
export interface Store
  extends DeliveryStore, GateStore, PromotionStore, RecordStore, AuditStore, SessionStore, ConsoleQueryStore {
  readonly provider: DatabaseProvider;
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

export interface PoisonedPolicyRow {
  blobSha: string;
  repo: string;
  reason: string;
  at: Date;
}

/** Where a newest-first list stopped: the last row given (its time and id). */
export interface PageCursor {
  at: Date;
  id: number;
}

/** Rows of one page and where the next starts (null on the last page). */
export interface Page<T> {
  rows: T[];
  next: PageCursor | null;
}

export interface EventPageQuery {
  repos: string[];
  sha?: string;
  environment?: string;
  actor?: string;
  type?: ReleaseEventType;
  /** The event's status: for gate events the decision (`allow`, `wait`, `block`). */
  status?: string;
  /** At or after. */
  since?: Date;
  /** Before. */
  until?: Date;
  after?: PageCursor | null;
  limit: number;
  /** `desc` (newest first, the default) or `asc` (oldest first, as exports read). */
  order?: 'asc' | 'desc';
}

export interface EvaluationPageQuery {
  repo: string;
  sha?: string;
  environment?: string;
  after?: PageCursor | null;
  limit: number;
}

/** An evaluation without the facts it was computed from (lists do not need them). */
export type EvaluationSummaryRow = Omit<EvaluationRow, 'inputs'>;

/** A store call that failed for a reason a person can act on. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    message: string,
    readonly code: 'NOT_FOUND' | 'BAD_URL' | 'MIGRATION_FAILED' | 'UNREACHABLE',
  ) {
    super(message);
  }
}

export type AuditFormat = 'json' | 'csv';

/** `exportAudit(store, options)` in `./audit-export.js`: the repository's events since a time. */
export interface AuditExportOptions {
  repo: string;
  since: Date;
  format: AuditFormat;
}

/** A policy file an evaluation used, with its text: stored once per sha256 of the text. */
export interface PolicyFileText extends Omit<RecordedPolicyFile, 'sha256'> {
  text: string;
}

export interface PageEvaluationsQuery {
  repo?: string;
  repoPrefix?: string;
  since?: Date;
  /** Only evaluations with a larger id. */
  afterId?: number;
  /** Only evaluations with a smaller id. */
  beforeId?: number;
  /** Newest (largest id) first instead of oldest first. */
  newestFirst?: boolean;
  limit: number;
}
