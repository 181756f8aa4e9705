import type { Logger } from 'probot';
import type { EvaluationBudget } from '../budget/pool.js';
import type { Decision } from '../core/types.js';
import type { RepoRef } from '../github/types.js';
import type { DecisionWriter } from '../store/decision-write.js';
import type { VerificationStore } from '../store/verifications.js';
import type { AuditStore, DeliveryStore, GateStore, PendingGateRow, RecordStore, Store } from '../store/types.js';
import type { AuditWriter } from './audit-writer.js';
import type { AppMetrics } from './metrics.js';
import type { RecordedFactsReader } from './recorded-facts.js';

/** GitHub fails a protection rule left pending 30 days; the App answers a day before. */
export const GATE_DEADLINE_MS = 29 * 86_400_000;
/** A waiting gate is looked at again at least this often, in case an event was missed. */
export const WAIT_POLL_MS = 6 * 3_600_000;

/** The record's reads and writes of a refused (poisoned) policy and of evaluations under way. */
export type EvaluationRecord = Pick<
  DeliveryStore,
  'getPoisonedPolicy' | 'poisonPolicy' | 'startEvaluationAttempt' | 'finishEvaluationAttempt'
>;

/** What answering a protection rule needs of the record: the gate's state and the deployment's approval. */
export type AnswerRecord = Pick<
  GateStore,
  'gateQueue' | 'decideGate' | 'getGate' | 'markGateAnswered' | 'expireGate' | 'incrementGateReports'
> &
  Pick<RecordStore, 'approveDeployment' | 'revokeDeploymentApproval' | 'listEvaluations'> &
  Pick<AuditStore, 'recordEvent'>;

/** What the check run written after a decision needs of the record. */
export type ReportRecord = Pick<RecordStore, 'getCheckRunIds' | 'setCheckRunId' | 'setEvaluationCheckRun'> &
  Pick<AuditStore, 'timeline'>;

/** Everything one gate decision reads and writes in the record (and nothing else of it). */
export type GateRecord = EvaluationRecord &
  AnswerRecord &
  ReportRecord &
  RecordedFactsReader &
  Pick<GateStore, 'upsertPendingGate' | 'listPendingGates'> &
  Pick<RecordStore, 'markOverrideUsed' | 'releaseOverride' | 'getOverride' | 'getDeployment'> &
  Pick<DecisionWriter, 'writeDecision'> & { verifications: Pick<VerificationStore, 'wasVerified'> };

/** What the gate needs of the App: its record (only the roles it uses), clock, metrics, log, audit writer. */
export interface GateDeps {
  store: GateRecord;
  clock: () => Date;
  metrics: AppMetrics;
  log: Logger;
  /** This process's name in gate leases. */
  replicaId: string;
  /** Writes the check runs after the answers (coalesced per check run). */
  audit: AuditWriter;
  /** The App's id: deployments it created are recognised by it (GitHub's `performed_via_github_app`). */
  appId?: number | null;
  /** How often a held lease is renewed (default a third of LEASE_MS). */
  leaseRenewMs?: number;
  /** The time and heap one evaluation may use (default 2 s, 512 MiB). */
  evaluationBudget?: EvaluationBudget;
  /** The operator's data source names: a policy whose verify names another is invalid. */
  verifySources?: ReadonlySet<string>;
}

/** The App's dependency bag: the gate's, with the whole record for the handlers that use more of it. */
export interface AppDeps extends GateDeps {
  store: Store;
}

export interface GateRequest extends RepoRef {
  installationId: number;
  sha: string;
  ref?: string | null;
  /** The GitHub environment asked for. */
  environment: string;
  deployer?: string | null;
  defaultBranch?: string;
  deliveryId?: string | null;
  /** What asked: `deployment_protection_rule`, `pull_request_review`, `scheduler`... */
  trigger: string;
  actor?: string | null;
  /**
   * The deployment evaluated outside a protection rule request (`deployment.created`): its
   * check run is kept under the deployment, so the protection rule request for the same
   * deployment, when one follows, updates the same check run.
   */
  deploymentId?: number | null;
  /** Present for a deployment protection rule request: the gate answers through its callback. */
  protection?: { runId: number; callbackUrl: string; deploymentId?: number | null };
  /**
   * The deployment this one rolls back, as its payload says, set only for a deployment this
   * App created (GitHub's `performed_via_github_app`): anyone who may deploy may write a payload.
   */
  rollbackOf?: number | null;
}

export interface GateResult {
  /** Null when the gate was already decided (nothing was evaluated again). */
  decision: Decision | null;
  /** The check run is written after the answer: this settles with its id (null when it failed). */
  checkRun: Promise<number | null>;
  /** The answer that stands for a protection rule request. */
  answer: 'approved' | 'rejected' | null;
  apiCalls: number;
  gate: PendingGateRow | null;
}
