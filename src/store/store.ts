import { createHash, randomUUID } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  Approval,
  CommitCheck,
  Deployment,
  DeploymentStatus,
  Evaluation,
  Override,
  PendingGate,
  Prisma,
  PrismaClient,
  Promotion,
  Release,
  ReleaseEvent,
} from './generated/sqlite/client.js';
import type {
  ApprovalInput,
  ApprovalRow,
  ApprovalSource,
  CheckRunKey,
  CommitCheckInput,
  CommitCheckRow,
  CreateOverrideInput,
  DatabaseProvider,
  DecideGateInput,
  DecideGateResult,
  DeploymentApprovalInput,
  DeploymentRow,
  DeploymentStatusRow,
  EvaluationPageQuery,
  EvaluationRow,
  EvaluationSummaryRow,
  EventPageQuery,
  GateDecision,
  GateStatus,
  HoldPromotionInput,
  LeasedQueue,
  ListApprovalsQuery,
  ListDeploymentsQuery,
  ListEvaluationsQuery,
  ListEventsQuery,
  ListOverridesQuery,
  ListPendingGatesQuery,
  OverrideRow,
  PageEvaluationsQuery,
  PolicyFileText,
  RecordedPolicyFile,
  Page,
  PageCursor,
  PendingGateRow,
  PoisonedPolicyRow,
  PromotionRequestedVia,
  PromotionRow,
  RecordDeploymentInput,
  RecordDeploymentStatusInput,
  RecordEvaluationInput,
  RecordEventInput,
  ReleaseEventRow,
  ReleaseEventType,
  ReleasePullInput,
  ReleaseRow,
  RecentSuccessQuery,
  RequestPromotionInput,
  Store,
  StoreHealth,
  UpsertPendingGateInput,
  UpsertReleaseInput,
} from './types.js';
import { DEPLOYMENT_QUERY_LIMIT, promotionOpenKey } from './types.js';
import { PrismaInboxStore } from './inbox-store.js';
import type { InboxStore } from './inbox-store.js';
import { isUniqueViolation, sqlFor } from './sql-dialect.js';
import { ENGINE_VERSION } from '../core/engine-version.js';
import { storedRuleResults } from './stored-evaluations.js';
import { sessionStore } from './sessions.js';
import { consoleQueryStore } from './console-queries.js';
import type { ConsoleQueryStore } from './console-queries.js';
import type { SessionStore } from './types.js';

function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function fromJson(text: string | null): unknown {
  if (text === null) return null;
  return JSON.parse(text) as unknown;
}

function num(value: bigint): number;
function num(value: bigint | null): number | null;
function num(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}

/** Drops keys whose value is undefined or null, so updates keep stored values. */
function given<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

const releaseRow = (r: Release): ReleaseRow => ({ ...r });
const statusRow = (r: DeploymentStatus): DeploymentStatusRow => ({
  ...r,
  id: num(r.id),
  deploymentId: num(r.deploymentId),
});
const deploymentRow = (d: Deployment): DeploymentRow => ({
  ...d,
  id: num(d.id),
  payload: fromJson(d.payload),
  approvedVia: d.approvedVia as DeploymentRow['approvedVia'],
  approvedRunId: num(d.approvedRunId),
});
const commitCheckRow = (r: CommitCheck): CommitCheckRow => ({
  ...r,
  kind: r.kind as CommitCheckRow['kind'],
  externalId: num(r.externalId),
});
/** Bounds a list of keys taken from a request (never from history). */
function bounded<T>(list: readonly T[]): T[] {
  if (list.length > DEPLOYMENT_QUERY_LIMIT)
    throw new Error(`A store query was given ${list.length} keys; at most ${DEPLOYMENT_QUERY_LIMIT} are allowed.`);
  return [...list];
}
const evaluationRow = (r: Evaluation): EvaluationRow => ({
  ...r,
  rules: storedRuleResults(fromJson(r.rules)),
  inputs: fromJson(r.inputs),
  checkRunId: num(r.checkRunId),
  policyFiles: fromJson(r.policyFiles) as RecordedPolicyFile[] | null,
});
const approvalRow = (r: Approval): ApprovalRow => ({
  ...r,
  environment: r.environment === '' ? null : r.environment,
  source: r.source as ApprovalSource,
});
const overrideRow = (r: Override): OverrideRow => ({ ...r, rules: fromJson(r.rules) as string[] });
const gateRow = (r: PendingGate): PendingGateRow => ({
  ...r,
  installationId: num(r.installationId),
  runId: num(r.runId),
  deploymentId: num(r.deploymentId),
  status: r.status as GateStatus,
  decision: r.decision as GateDecision | null,
});
const eventRow = (r: ReleaseEvent): ReleaseEventRow => ({ ...r, type: r.type as ReleaseEventType });

const promotionRow = (r: Promotion): PromotionRow => ({
  ...r,
  installationId: num(r.installationId),
  sourceDeploymentId: num(r.sourceDeploymentId),
  deploymentId: num(r.deploymentId),
  status: r.status as GateStatus,
  requestedVia: r.requestedVia as PromotionRequestedVia | null,
});

/** A where-clause over the columns both leased tables (pending gates, promotions) have. */
type LeasedWhere = Prisma.PendingGateWhereInput & Prisma.PromotionWhereInput;

/** The calls of a leased table's Prisma delegate that its queue makes. */
interface LeasedTable<Stored> {
  findMany(args: { where: LeasedWhere; orderBy: Array<{ createdAt: 'asc' } | { id: 'asc' }> }): Promise<Stored[]>;
  updateMany(args: {
    where: LeasedWhere;
    data: { claimedBy: string | null; claimedUntil: Date | null } | { nextCheckAt: Date | null };
  }): Promise<{ count: number }>;
}

/**
 * A leased queue over one table: due rows are `pending` ones whose next check has come and
 * `decided` ones not finished yet (`unfinished`), whose lease is free or expired.
 */
class LeasedRows<Stored, Row> implements LeasedQueue<Row> {
  constructor(
    private readonly table: LeasedTable<Stored>,
    private readonly toRow: (stored: Stored) => Row,
    /** What a `decided` row not finished yet has. */
    private readonly unfinished: LeasedWhere,
    /** The rows whose next check may be set. */
    private readonly reschedulable: LeasedWhere,
  ) {}

  async listDue(now: Date): Promise<Row[]> {
    const rows = await this.table.findMany({
      where: {
        OR: [
          { status: 'pending', nextCheckAt: { lte: now } },
          { status: 'decided', ...this.unfinished },
        ],
        // Leases are free when unheld or expired at `now`.
        AND: [{ OR: [{ claimedUntil: null }, { claimedUntil: { lte: now } }] }],
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(this.toRow);
  }

  async claim(id: number, owner: string, until: Date, now: Date): Promise<boolean> {
    // One conditional UPDATE: under concurrent replicas only one sees the lease free (or expired, or its own).
    const { count } = await this.table.updateMany({
      where: {
        id,
        OR: [{ claimedBy: null }, { claimedUntil: null }, { claimedUntil: { lte: now } }, { claimedBy: owner }],
      },
      data: { claimedBy: owner, claimedUntil: until },
    });
    return count === 1;
  }

  async release(id: number, owner: string): Promise<void> {
    await this.table.updateMany({ where: { id, claimedBy: owner }, data: { claimedBy: null, claimedUntil: null } });
  }

  async setNextCheck(id: number, at: Date | null): Promise<void> {
    await this.table.updateMany({ where: { id, ...this.reschedulable }, data: { nextCheckAt: at } });
  }
}

/** The Store over a generated Prisma client (either provider: the models are identical). */
export class PrismaStore implements Store {
  readonly gateQueue: LeasedQueue<PendingGateRow>;
  readonly promotionQueue: LeasedQueue<PromotionRow>;
  readonly createSession: SessionStore['createSession'];
  readonly findSession: SessionStore['findSession'];
  readonly endSession: SessionStore['endSession'];
  readonly searchReleases: ConsoleQueryStore['searchReleases'];
  readonly pullsOfRelease: ConsoleQueryStore['pullsOfRelease'];

  constructor(
    private readonly db: PrismaClient,
    readonly provider: DatabaseProvider,
    private readonly expectedMigrations: number,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    this.gateQueue = new LeasedRows(
      { findMany: (a) => db.pendingGate.findMany(a), updateMany: (a) => db.pendingGate.updateMany(a) },
      gateRow,
      { answeredAt: null },
      {},
    );
    // A promotion's next check moves only while it is held; a started one is finished by its retry.
    this.promotionQueue = new LeasedRows(
      { findMany: (a) => db.promotion.findMany(a), updateMany: (a) => db.promotion.updateMany(a) },
      promotionRow,
      { finishedAt: null },
      { status: 'pending' },
    );
    this.sql = sqlFor(provider);
    const inbox = new PrismaInboxStore(db, provider);
    this.enqueueDelivery = (input) => inbox.enqueueDelivery(input);
    this.claimInboxDelivery = (owner, until, now, maxPriority) =>
      inbox.claimInboxDelivery(owner, until, now, maxPriority);
    this.renewInboxDelivery = (seq, owner, until) => inbox.renewInboxDelivery(seq, owner, until);
    this.finishInboxDelivery = (seq, owner, now) => inbox.finishInboxDelivery(seq, owner, now);
    this.failInboxDelivery = (seq, owner, error, retryAt) => inbox.failInboxDelivery(seq, owner, error, retryAt);
    this.releaseInboxClaims = (prefix, except) => inbox.releaseInboxClaims(prefix, except);
    this.getInboxDelivery = (id) => inbox.getInboxDelivery(id);
    this.countInbox = () => inbox.countInbox();
    this.beginHandling = (item, now) => inbox.beginHandling(item, now);
    this.finishDelivery = (id, outcome, at) => inbox.finishDelivery(id, outcome, at);
    this.getDelivery = (id) => inbox.getDelivery(id);
    const sessions = sessionStore(db);
    this.createSession = (row) => sessions.createSession(row);
    this.findSession = (id, now) => sessions.findSession(id, now);
    this.endSession = (id, at) => sessions.endSession(id, at);
    const consoleQueries = consoleQueryStore(db);
    this.searchReleases = (query) => consoleQueries.searchReleases(query);
    this.pullsOfRelease = (repo, sha) => consoleQueries.pullsOfRelease(repo, sha);
  }

  private readonly sql: (text: string) => string;
  // The inbox of webhook deliveries (src/store/inbox-store.ts).
  readonly enqueueDelivery: InboxStore['enqueueDelivery'];
  readonly claimInboxDelivery: InboxStore['claimInboxDelivery'];
  readonly renewInboxDelivery: InboxStore['renewInboxDelivery'];
  readonly finishInboxDelivery: InboxStore['finishInboxDelivery'];
  readonly failInboxDelivery: InboxStore['failInboxDelivery'];
  readonly releaseInboxClaims: InboxStore['releaseInboxClaims'];
  readonly getInboxDelivery: InboxStore['getInboxDelivery'];
  readonly countInbox: InboxStore['countInbox'];
  readonly beginHandling: InboxStore['beginHandling'];
  readonly finishDelivery: InboxStore['finishDelivery'];
  readonly getDelivery: InboxStore['getDelivery'];

  async upsertRelease(input: UpsertReleaseInput): Promise<ReleaseRow> {
    const fields = { tree: input.tree, ref: input.ref, version: input.version, tag: input.tag };
    const where = { repo_sha: { repo: input.repo, sha: input.sha } };
    try {
      return releaseRow(
        await this.db.release.upsert({
          where,
          create: { repo: input.repo, sha: input.sha, ...given(fields), createdAt: input.at, updatedAt: input.at },
          update: { ...given(fields), updatedAt: input.at },
        }),
      );
    } catch (error) {
      // Two writers inserting the same release at once: the loser updates.
      if (!isUniqueViolation(error)) throw error;
      return releaseRow(await this.db.release.update({ where, data: { ...given(fields), updatedAt: input.at } }));
    }
  }

  async getRelease(repo: string, sha: string): Promise<ReleaseRow | null> {
    const row = await this.db.release.findUnique({ where: { repo_sha: { repo, sha } } });
    return row === null ? null : releaseRow(row);
  }

  async recordDeployment(input: RecordDeploymentInput): Promise<boolean> {
    try {
      await this.db.deployment.create({
        data: {
          id: BigInt(input.id),
          repo: input.repo,
          sha: input.sha,
          ref: input.ref ?? null,
          environment: input.environment,
          stage: input.stage ?? null,
          creator: input.creator ?? null,
          createdAt: input.createdAt,
          payload: input.payload === undefined ? null : toJson(input.payload),
          byApp: input.byApp ?? false,
        },
      });
      // Statuses may arrive before their deployment: take their state now.
      const earlier = await this.db.deploymentStatus.findMany({
        where: { deploymentId: BigInt(input.id), trusted: true },
        orderBy: [{ at: 'asc' }, { id: 'asc' }],
        take: DEPLOYMENT_QUERY_LIMIT,
      });
      for (const st of earlier) await this.applyStatus(BigInt(input.id), st.state, st.at);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async recordDeploymentStatus(input: RecordDeploymentStatusInput): Promise<boolean> {
    try {
      await this.db.deploymentStatus.create({
        data: {
          id: BigInt(input.id),
          deploymentId: BigInt(input.deploymentId),
          state: input.state,
          description: input.description ?? null,
          at: input.at,
          deliveryId: input.deliveryId ?? null,
          creator: input.creator ?? null,
          trusted: input.trusted ?? true,
        },
      });
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
    if (input.trusted ?? true) await this.applyStatus(BigInt(input.deploymentId), input.state, input.at);
    return true;
  }

  /** Moves a deployment's kept state by one status allowed to (conditional update: concurrent statuses settle on the latest). */
  private async applyStatus(deploymentId: bigint, state: string, at: Date): Promise<void> {
    await this.db.deployment.updateMany({
      where: { id: deploymentId, OR: [{ latestStateAt: null }, { latestStateAt: { lte: at } }] },
      data: { latestState: state, latestStateAt: at },
    });
  }

  async getDeployment(id: number): Promise<DeploymentRow | null> {
    const row = await this.db.deployment.findUnique({ where: { id: BigInt(id) } });
    return row === null ? null : deploymentRow(row);
  }

  async approveDeployment(id: number, approval: DeploymentApprovalInput): Promise<boolean> {
    const { count } = await this.db.deployment.updateMany({
      where: { id: BigInt(id) },
      data: {
        approvedVia: approval.via,
        approvedAt: approval.at,
        approvedStage: approval.stage,
        approvedEnvironment: approval.environment,
        approvedRunId: approval.runId === null ? null : BigInt(approval.runId),
      },
    });
    return count > 0;
  }

  async revokeDeploymentApproval(id: number): Promise<void> {
    await this.db.deployment.updateMany({
      where: { id: BigInt(id) },
      data: {
        approvedVia: null,
        approvedAt: null,
        approvedStage: null,
        approvedEnvironment: null,
        approvedRunId: null,
        provenAt: null,
      },
    });
  }

  async proveDeployment(id: number, at: Date): Promise<boolean> {
    const key = BigInt(id);
    await this.db.deployment.updateMany({
      where: { id: key, approvedAt: { not: null }, OR: [{ provenAt: null }, { provenAt: { gt: at } }] },
      data: { provenAt: at },
    });
    const row = await this.db.deployment.findUnique({ where: { id: key }, select: { provenAt: true } });
    return row?.provenAt != null;
  }

  async recentProvenDeployments(query: RecentSuccessQuery): Promise<DeploymentRow[]> {
    const rows = await this.db.deployment.findMany({
      where: {
        repo: query.repo,
        environment: { in: bounded(query.environments) },
        provenAt: { not: null },
        approvedAt: { not: null },
        ...(query.exceptSha ? { sha: { not: query.exceptSha } } : {}),
      },
      orderBy: [{ provenAt: 'desc' }, { id: 'desc' }],
      take: Math.min(query.limit, DEPLOYMENT_QUERY_LIMIT),
    });
    return rows.map(deploymentRow);
  }

  async releaseTrees(repo: string, shas: string[]): Promise<Map<string, string>> {
    if (shas.length === 0) return new Map();
    const rows = await this.db.release.findMany({
      where: { repo, sha: { in: bounded(shas) }, tree: { not: null } },
      select: { sha: true, tree: true },
    });
    return new Map(rows.map((r) => [r.sha, r.tree!]));
  }

  async releasesWithTree(repo: string, tree: string, limit: number): Promise<string[]> {
    const rows = await this.db.release.findMany({
      where: { repo, tree },
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      take: Math.min(limit, DEPLOYMENT_QUERY_LIMIT),
      select: { sha: true },
    });
    return rows.map((r) => r.sha);
  }

  async linkReleasePulls(list: ReleasePullInput[], at: Date): Promise<void> {
    for (const l of list) {
      try {
        await this.db.releasePull.upsert({
          where: { repo_sha_pullNumber: { repo: l.repo, sha: l.sha, pullNumber: l.pullNumber } },
          create: { ...l, recordedAt: at },
          update: { headSha: l.headSha },
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
  }

  async releasesOfPull(repo: string, pullNumber: number, limit: number): Promise<string[]> {
    const rows = await this.db.releasePull.findMany({
      where: { repo, pullNumber },
      orderBy: [{ recordedAt: 'desc' }, { id: 'desc' }],
      take: Math.min(limit, DEPLOYMENT_QUERY_LIMIT),
      select: { sha: true },
    });
    return rows.map((r) => r.sha);
  }

  async recordCommitCheck(input: CommitCheckInput): Promise<void> {
    const key = { repo: input.repo, kind: input.kind, externalId: BigInt(input.externalId) };
    const fields = {
      status: input.status,
      conclusion: input.conclusion ?? null,
      appSlug: input.appSlug ?? null,
      at: input.at,
      name: input.name,
      sha: input.sha,
    };
    try {
      await this.db.commitCheck.create({ data: { ...key, ...fields } });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A newer report of the same check run replaces an older one, never the other way.
      await this.db.commitCheck.updateMany({ where: { ...key, at: { lte: input.at } }, data: fields });
    }
  }

  async listCommitChecks(repo: string, sha: string): Promise<CommitCheckRow[]> {
    const rows = await this.db.commitCheck.findMany({
      where: { repo, sha },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
      take: DEPLOYMENT_QUERY_LIMIT,
    });
    return rows.map(commitCheckRow);
  }

  async listDeployments(query: ListDeploymentsQuery): Promise<DeploymentRow[]> {
    // The newest DEPLOYMENT_QUERY_LIMIT rows, returned oldest first: a decision never reads history.
    const deployments = await this.db.deployment.findMany({
      where: {
        repo: query.repo,
        ...given({ sha: query.sha, environment: query.environment }),
        ...(query.shas ? { sha: { in: bounded(query.shas) } } : {}),
        ...(query.environments ? { environment: { in: bounded(query.environments) } } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: DEPLOYMENT_QUERY_LIMIT,
    });
    return deployments.reverse().map(deploymentRow);
  }

  async listDeploymentStatuses(deploymentId: number): Promise<DeploymentStatusRow[]> {
    const rows = await this.db.deploymentStatus.findMany({
      where: { deploymentId: BigInt(deploymentId) },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
    });
    return rows.map(statusRow);
  }

  async recordEvaluation(input: RecordEvaluationInput): Promise<EvaluationRow> {
    const replay = await this.replayColumns(input.policyFiles, input.engineVersion, input.at);
    const row = await this.db.evaluation.create({
      data: {
        repo: input.repo,
        sha: input.sha,
        environment: input.environment,
        stage: input.stage ?? null,
        decision: input.decision,
        rules: toJson(input.rules),
        inputs: toJson(input.inputs),
        score: input.score ?? null,
        policyPath: input.policyPath ?? null,
        policySha: input.policySha ?? null,
        actor: input.actor ?? null,
        deliveryId: input.deliveryId ?? null,
        checkRunId: input.checkRunId == null ? null : BigInt(input.checkRunId),
        at: input.at,
        ...replay,
      },
    });
    return evaluationRow(row);
  }

  async listEvaluations(query: ListEvaluationsQuery): Promise<EvaluationRow[]> {
    const rows = await this.db.evaluation.findMany({
      where: {
        repo: query.repo,
        ...given({ sha: query.sha, environment: query.environment }),
        ...(query.since ? { at: { gte: query.since } } : {}),
      },
      orderBy: query.last ? [{ at: 'desc' }, { id: 'desc' }] : [{ at: 'asc' }, { id: 'asc' }],
      ...(query.last ? { take: query.last } : {}),
    });
    if (query.last) rows.reverse();
    return rows.map(evaluationRow);
  }

  async setEvaluationCheckRun(id: number, checkRunId: number): Promise<void> {
    await this.db.evaluation.updateMany({ where: { id }, data: { checkRunId: BigInt(checkRunId) } });
  }

  private checkRunWhere(key: CheckRunKey) {
    // 0 stands for "none" in both id columns (GitHub's ids are positive).
    for (const [name, id] of [
      ['runId', key.runId],
      ['deploymentId', key.deploymentId],
    ] as const) {
      if (id !== null && id !== undefined && !(Number.isSafeInteger(id) && id > 0)) {
        throw new TypeError(`A check run key's ${name} must be a positive GitHub id or null, got ${id}.`);
      }
    }
    return {
      repo: key.repo,
      sha: key.sha,
      environment: key.environment,
      runId: BigInt(key.runId ?? 0),
      deploymentId: BigInt(key.deploymentId ?? 0),
    };
  }

  async getCheckRunId(key: CheckRunKey): Promise<number | null> {
    const row = await this.db.checkRun.findUnique({
      where: { repo_sha_environment_runId_deploymentId: this.checkRunWhere(key) },
    });
    return row === null ? null : num(row.checkRunId);
  }

  async setCheckRunId(key: CheckRunKey, checkRunId: number, at: Date): Promise<void> {
    const where = { repo_sha_environment_runId_deploymentId: this.checkRunWhere(key) };
    try {
      await this.db.checkRun.upsert({
        where,
        create: { ...this.checkRunWhere(key), checkRunId: BigInt(checkRunId), createdAt: at, updatedAt: at },
        update: { checkRunId: BigInt(checkRunId), updatedAt: at },
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await this.db.checkRun.update({ where, data: { checkRunId: BigInt(checkRunId), updatedAt: at } });
    }
  }

  async recordApprovals(list: ApprovalInput[], at: Date): Promise<number> {
    let created = 0;
    for (const a of list) {
      try {
        await this.db.approval.create({
          data: {
            repo: a.repo,
            sha: a.sha,
            environment: a.environment ?? '',
            login: a.login,
            source: a.source,
            state: a.state,
            submittedAt: a.submittedAt,
            commitId: a.commitId ?? null,
            recordedAt: at,
          },
        });
        created += 1;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    return created;
  }

  async listApprovals(query: ListApprovalsQuery): Promise<ApprovalRow[]> {
    const rows = await this.db.approval.findMany({
      where: { repo: query.repo, sha: query.sha, ...given({ environment: query.environment }) },
      orderBy: [{ submittedAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(approvalRow);
  }

  async createOverride(input: CreateOverrideInput): Promise<OverrideRow> {
    const row = await this.db.override.create({
      data: {
        id: input.id ?? randomUUID(),
        repo: input.repo,
        sha: input.sha,
        environment: input.environment,
        rules: toJson(input.rules),
        grantedBy: input.grantedBy,
        reason: input.reason,
        risk: input.risk,
        grantedAt: input.grantedAt,
        expiresAt: input.expiresAt ?? null,
      },
    });
    return overrideRow(row);
  }

  async confirmOverride(id: string, login: string, at: Date): Promise<boolean> {
    const { count } = await this.db.override.updateMany({
      where: { id, confirmedBy: null },
      data: { confirmedBy: login, confirmedAt: at },
    });
    return count === 1;
  }

  async markOverrideUsed(id: string, at: Date): Promise<boolean> {
    const { count } = await this.db.override.updateMany({ where: { id, usedAt: null }, data: { usedAt: at } });
    return count === 1;
  }

  async releaseOverride(id: string, at: Date): Promise<boolean> {
    const { count } = await this.db.override.updateMany({ where: { id, usedAt: at }, data: { usedAt: null } });
    return count === 1;
  }

  async getOverride(id: string): Promise<OverrideRow | null> {
    const row = await this.db.override.findUnique({ where: { id } });
    return row === null ? null : overrideRow(row);
  }

  async listOverrides(query: ListOverridesQuery): Promise<OverrideRow[]> {
    const rows = await this.db.override.findMany({
      where: { repo: query.repo, ...given({ sha: query.sha, environment: query.environment }) },
      orderBy: [{ grantedAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(overrideRow);
  }

  async upsertPendingGate(input: UpsertPendingGateInput): Promise<{ gate: PendingGateRow; created: boolean }> {
    const key = { repo: input.repo, runId: BigInt(input.runId), environment: input.environment };
    try {
      const row = await this.db.pendingGate.create({
        data: {
          ...key,
          installationId: BigInt(input.installationId),
          sha: input.sha,
          deploymentId: input.deploymentId == null ? null : BigInt(input.deploymentId),
          callbackUrl: input.callbackUrl,
          createdAt: input.createdAt,
          status: 'pending',
          nextCheckAt: input.nextCheckAt ?? null,
        },
      });
      return { gate: gateRow(row), created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    // Another deployment of the same run and environment (a re-run of its jobs) asks anew: a
    // decision is the gate's word on one deployment, never on the next (SECURITY.md).
    if (input.deploymentId != null)
      await this.db.pendingGate.updateMany({
        where: { ...key, status: { not: 'pending' }, deploymentId: { not: BigInt(input.deploymentId) } },
        data: {
          status: 'pending',
          deploymentId: BigInt(input.deploymentId),
          sha: input.sha,
          callbackUrl: input.callbackUrl,
          createdAt: input.createdAt,
          nextCheckAt: input.nextCheckAt ?? null,
          decision: null,
          decisionComment: null,
          decidedAt: null,
          answeredAt: null,
          answerError: null,
          reportsPosted: 0,
        },
      });
    // Conditional on `pending`, so a decided gate is never reset by a redelivered request.
    await this.db.pendingGate.updateMany({
      where: { ...key, status: 'pending' },
      data: {
        installationId: BigInt(input.installationId),
        sha: input.sha,
        callbackUrl: input.callbackUrl,
        ...(input.deploymentId == null ? {} : { deploymentId: BigInt(input.deploymentId) }),
        ...(input.nextCheckAt === undefined ? {} : { nextCheckAt: input.nextCheckAt }),
      },
    });
    const row = await this.db.pendingGate.findUniqueOrThrow({ where: { repo_runId_environment: key } });
    return { gate: gateRow(row), created: false };
  }

  async getGate(id: number): Promise<PendingGateRow | null> {
    const row = await this.db.pendingGate.findUnique({ where: { id } });
    return row === null ? null : gateRow(row);
  }

  async listPendingGates(query: ListPendingGatesQuery): Promise<PendingGateRow[]> {
    const status =
      query.status === undefined ? undefined : Array.isArray(query.status) ? { in: query.status } : query.status;
    const rows = await this.db.pendingGate.findMany({
      where: {
        ...given({ repo: query.repo, sha: query.sha, environment: query.environment, status }),
        ...(query.shas ? { sha: { in: bounded(query.shas) } } : {}),
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(gateRow);
  }

  async countPendingGates(): Promise<number> {
    return this.db.pendingGate.count({ where: { status: 'pending' } });
  }

  async decideGate(id: number, input: DecideGateInput): Promise<DecideGateResult> {
    const { count } = await this.db.pendingGate.updateMany({
      where: { id, status: 'pending' },
      data: { status: 'decided', decision: input.decision, decisionComment: input.comment, decidedAt: input.at },
    });
    if (count === 1) return { decided: true, decision: input.decision, comment: input.comment, status: 'decided' };
    const row = await this.db.pendingGate.findUniqueOrThrow({ where: { id } });
    return {
      decided: false,
      decision: row.decision as GateDecision | null,
      comment: row.decisionComment,
      status: row.status as GateStatus,
    };
  }

  async markGateAnswered(id: number, at: Date, error?: string): Promise<void> {
    if (error === undefined) {
      await this.db.pendingGate.updateMany({
        where: { id, status: 'decided' },
        data: { status: 'answered', answeredAt: at, answerError: null },
      });
    } else {
      await this.db.pendingGate.updateMany({ where: { id, status: 'decided' }, data: { answerError: error } });
    }
  }

  async expireGate(id: number, at: Date, note: string): Promise<boolean> {
    const { count } = await this.db.pendingGate.updateMany({
      where: { id, status: { in: ['pending', 'decided'] } },
      data: { status: 'expired', answeredAt: at, answerError: note },
    });
    return count === 1;
  }

  async incrementGateReports(id: number): Promise<number> {
    const row = await this.db.pendingGate.update({ where: { id }, data: { reportsPosted: { increment: 1 } } });
    return row.reportsPosted;
  }

  async holdPromotion(input: HoldPromotionInput): Promise<{ promotion: PromotionRow; created: boolean }> {
    const key = {
      repo: input.repo,
      sourceDeploymentId: BigInt(input.sourceDeploymentId),
      environment: input.environment,
    };
    try {
      const row = await this.db.promotion.create({
        data: {
          ...key,
          installationId: BigInt(input.installationId),
          sha: input.sha,
          fromStage: input.fromStage,
          toStage: input.toStage,
          createdAt: input.createdAt,
          status: 'pending',
          nextCheckAt: input.nextCheckAt,
          deployer: input.deployer ?? null,
        },
      });
      return { promotion: promotionRow(row), created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    // Conditional on `pending`, so a started or finished promotion is never moved back.
    await this.db.promotion.updateMany({
      where: { ...key, status: 'pending' },
      data: { nextCheckAt: input.nextCheckAt },
    });
    const row = await this.db.promotion.findUniqueOrThrow({ where: { repo_sourceDeploymentId_environment: key } });
    return { promotion: promotionRow(row), created: false };
  }

  async requestPromotion(input: RequestPromotionInput): Promise<{ promotion: PromotionRow; created: boolean }> {
    const openKey = promotionOpenKey(input.sha, input.environment);
    // The open one may be closed between the insert that collides and the read: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const row = await this.db.promotion.create({
          data: {
            repo: input.repo,
            installationId: BigInt(input.installationId),
            sha: input.sha,
            sourceDeploymentId: null,
            fromStage: input.fromStage,
            toStage: input.toStage,
            environment: input.environment,
            createdAt: input.createdAt,
            status: 'pending',
            nextCheckAt: input.nextCheckAt,
            deployer: input.deployer,
            requestedVia: input.requestedVia,
            openKey,
          },
        });
        return { promotion: promotionRow(row), created: true };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      const open = await this.db.promotion.findUnique({ where: { repo_openKey: { repo: input.repo, openKey } } });
      if (open) return { promotion: promotionRow(open), created: false };
    }
    throw new Error(
      `The promotion of ${input.sha} to ${input.environment} in ${input.repo} was opened and closed three times while being asked for again; ask again.`,
    );
  }

  async closePromotionKey(id: number, openKey: string): Promise<boolean> {
    const { count } = await this.db.promotion.updateMany({ where: { id, openKey }, data: { openKey: null } });
    return count === 1;
  }

  async getPromotion(id: number): Promise<PromotionRow | null> {
    const row = await this.db.promotion.findUnique({ where: { id } });
    return row === null ? null : promotionRow(row);
  }

  async listPromotions(query: { repo: string; sha?: string }): Promise<PromotionRow[]> {
    const rows = await this.db.promotion.findMany({
      where: { repo: query.repo, ...given({ sha: query.sha }) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(promotionRow);
  }

  async startPromotion(id: number, at: Date): Promise<boolean> {
    const { count } = await this.db.promotion.updateMany({
      where: { id, status: 'pending' },
      data: { status: 'decided', startedAt: at },
    });
    return count === 1;
  }

  async finishPromotion(id: number, at: Date, note: string, deploymentId?: number | null): Promise<boolean> {
    const { count } = await this.db.promotion.updateMany({
      where: { id, status: { in: ['pending', 'decided'] } },
      data: {
        status: 'answered',
        finishedAt: at,
        note,
        deploymentId: deploymentId == null ? null : BigInt(deploymentId),
      },
    });
    return count === 1;
  }

  async dropPromotion(id: number, at: Date, note: string): Promise<boolean> {
    const { count } = await this.db.promotion.updateMany({
      where: { id, status: { in: ['pending', 'decided'] } },
      data: { status: 'expired', finishedAt: at, note, openKey: null },
    });
    return count === 1;
  }

  async recordEvent(input: RecordEventInput): Promise<ReleaseEventRow> {
    const row = await this.db.releaseEvent.create({
      data: {
        repo: input.repo,
        sha: input.sha,
        version: input.version ?? null,
        environment: input.environment ?? null,
        type: input.type,
        status: input.status ?? null,
        actor: input.actor ?? null,
        at: input.at,
        notes: input.notes ?? null,
        deliveryId: input.deliveryId ?? null,
      },
    });
    return eventRow(row);
  }

  async timeline(query: { repo: string; sha: string }): Promise<ReleaseEventRow[]> {
    const rows = await this.db.releaseEvent.findMany({
      where: { repo: query.repo, sha: query.sha },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
    });
    return rows.map(eventRow);
  }

  async listEvents(query: ListEventsQuery): Promise<ReleaseEventRow[]> {
    const rows = await this.db.releaseEvent.findMany({
      where: { repo: query.repo, ...(query.since ? { at: { gte: query.since } } : {}) },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
    });
    return rows.map(eventRow);
  }

  async health(): Promise<StoreHealth> {
    const expected = this.expectedMigrations;
    const fileProblem = this.fileProblem();
    if (fileProblem) return { ok: false, database: 'down', migrations: { applied: 0, expected }, error: fileProblem };
    try {
      const rows = await this.db.$queryRawUnsafe<{ n: bigint | number }[]>(
        'SELECT COUNT(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      );
      const applied = Number(rows[0]?.n ?? 0);
      const ok = applied >= expected;
      return {
        ok,
        database: 'up',
        migrations: { applied, expected },
        ...(ok ? {} : { error: `${expected - applied} of ${expected} migrations are not applied` }),
      };
    } catch (error) {
      return {
        ok: false,
        database: 'down',
        migrations: { applied: 0, expected },
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }

  async close(): Promise<void> {
    await this.db.$disconnect();
    await this.onClose();
  }

  /**
   * The replay columns of a new evaluation: its policy texts stored once per content
   * (sha256 of the text), referenced with their roles, and the engine version.
   */
  private async replayColumns(files: PolicyFileText[] | undefined, engineVersion: string | null | undefined, at: Date) {
    if (files === undefined) {
      return {
        policyFiles: null,
        engineVersion: engineVersion ?? null,
        notReplayable: 'the evaluation was recorded without its policy texts',
      };
    }
    const refs: RecordedPolicyFile[] = [];
    for (const { text, ...file } of files) {
      const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');
      await this.storePolicyText(sha256, text, at);
      refs.push({
        role: file.role,
        sha256,
        source: file.source,
        repository: file.repository,
        path: file.path,
        ref: file.ref,
        blobSha: file.blobSha,
        commitSha: file.commitSha ?? null,
      });
    }
    return { policyFiles: toJson(refs), engineVersion: engineVersion ?? ENGINE_VERSION, notReplayable: null };
  }

  /** Policy texts this process knows are stored (a policy changes rarely: most decisions reuse one). */
  private readonly storedPolicyTexts = new Set<string>();

  private async storePolicyText(sha256: string, text: string, at: Date): Promise<void> {
    if (this.storedPolicyTexts.has(sha256)) return;
    if (!(await this.db.policyBlob.findUnique({ where: { sha256 }, select: { sha256: true } }))) {
      try {
        await this.db.policyBlob.create({ data: { sha256, text, createdAt: at } });
      } catch (error) {
        // Two writers storing the same text at once: it is stored.
        if (!isUniqueViolation(error)) throw error;
      }
    }
    if (this.storedPolicyTexts.size >= 1000) this.storedPolicyTexts.clear();
    this.storedPolicyTexts.add(sha256);
  }

  async getEvaluation(id: number): Promise<EvaluationRow | null> {
    const row = await this.db.evaluation.findUnique({ where: { id } });
    return row === null ? null : evaluationRow(row);
  }

  async pageEvaluations(query: PageEvaluationsQuery): Promise<EvaluationRow[]> {
    const rows = await this.db.evaluation.findMany({
      where: {
        ...(query.repo !== undefined
          ? { repo: query.repo }
          : query.repoPrefix !== undefined
            ? { repo: { startsWith: query.repoPrefix } }
            : {}),
        ...(query.since ? { at: { gte: query.since } } : {}),
        ...(query.afterId !== undefined || query.beforeId !== undefined
          ? {
              id: {
                ...(query.afterId !== undefined ? { gt: query.afterId } : {}),
                ...(query.beforeId !== undefined ? { lt: query.beforeId } : {}),
              },
            }
          : {}),
      },
      orderBy: { id: query.newestFirst ? 'desc' : 'asc' },
      take: query.limit,
    });
    return rows.map(evaluationRow);
  }

  async getPolicyTexts(sha256s: readonly string[]): Promise<Map<string, string>> {
    const wanted = [...new Set(sha256s)];
    const out = new Map<string, string>();
    for (let i = 0; i < wanted.length; i += 500) {
      const rows = await this.db.policyBlob.findMany({ where: { sha256: { in: wanted.slice(i, i + 500) } } });
      // A text that no longer hashes to its key was altered after it was stored: it is not given.
      for (const r of rows)
        if (createHash('sha256').update(r.text, 'utf8').digest('hex') === r.sha256) out.set(r.sha256, r.text);
    }
    return out;
  }
  // Console reads.

  async pageEvents(query: EventPageQuery): Promise<Page<ReleaseEventRow>> {
    const limit = Math.max(1, Math.min(query.limit, 500));
    const filters = {
      ...given({
        sha: query.sha,
        environment: query.environment,
        actor: query.actor,
        type: query.type,
        status: query.status,
      }),
    };
    // One indexed range scan per repository, each stopping after limit + 1 rows, merged
    // here: an IN list ordered by time would make the database sort every matching row.
    const asc = query.order === 'asc';
    const dir = asc ? 'asc' : 'desc';
    const perRepo = await Promise.all(
      [...new Set(query.repos)].map((repo) =>
        this.db.releaseEvent.findMany({
          where: {
            repo,
            ...filters,
            ...(asc
              ? timeRangeAfter(query.since, query.until, query.after ?? null)
              : timeRange(query.since, query.until, query.after ?? null)),
          },
          orderBy: [{ at: dir }, { id: dir }],
          take: limit + 1,
        }),
      ),
    );
    const sign = asc ? 1 : -1;
    const merged = perRepo.flat().sort((a, b) => sign * (a.at.getTime() - b.at.getTime() || a.id - b.id));
    const rows = merged.slice(0, limit).map(eventRow);
    const last = rows.at(-1);
    return { rows, next: merged.length > limit && last ? { at: last.at, id: last.id } : null };
  }

  async pageEvaluationSummaries(query: EvaluationPageQuery): Promise<Page<EvaluationSummaryRow>> {
    const limit = Math.max(1, Math.min(query.limit, 500));
    const rows = await this.db.evaluation.findMany({
      where: {
        repo: query.repo,
        ...given({ sha: query.sha, environment: query.environment }),
        ...timeRange(undefined, undefined, query.after ?? null),
      },
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      take: limit + 1,
      omit: { inputs: true },
    });
    const shown = rows.slice(0, limit).map((r): EvaluationSummaryRow => ({
      ...r,
      rules: storedRuleResults(fromJson(r.rules)),
      checkRunId: num(r.checkRunId),
      policyFiles: fromJson(r.policyFiles) as RecordedPolicyFile[] | null,
    }));
    const last = shown.at(-1);
    return { rows: shown, next: rows.length > limit && last ? { at: last.at, id: last.id } : null };
  }

  async latestDeployment(repo: string, environments: string[]): Promise<DeploymentRow | null> {
    if (environments.length === 0) return null;
    const found = await Promise.all(
      environments.map((environment) =>
        this.db.deployment.findFirst({
          where: { repo, environment },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
      ),
    );
    const d = found
      .filter((x): x is Deployment => x !== null)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || Number(b.id - a.id))[0];
    // Its state is the one kept from trusted statuses (see recordDeploymentStatus).
    return d ? deploymentRow(d) : null;
  }

  async countWaitingGates(repo: string): Promise<Record<string, number>> {
    const groups = await this.db.pendingGate.groupBy({
      by: ['environment'],
      where: { repo, status: 'pending' },
      _count: { _all: true },
    });
    return Object.fromEntries(groups.map((g) => [g.environment, g._count._all]));
  }

  // The inbox of webhook deliveries, the shared write budget, poisoned policies.

  private guarded: { path: string; dev: number; ino: number } | null = null;

  /** Remembers the SQLite file opened, so `health()` can tell when it is gone or replaced. */
  guardFile(path: string): void {
    const st = statSync(path);
    this.guarded = { path, dev: st.dev, ino: st.ino };
  }

  /**
   * Null while the SQLite file opened is still at its path and writable; else what is wrong.
   * A deleted or replaced file keeps the open handle working, and every write after that
   * is lost at the next start.
   */
  fileProblem(): string | null {
    if (!this.guarded) return null;
    const { path, dev, ino } = this.guarded;
    let st;
    try {
      st = statSync(path);
    } catch {
      return `The SQLite file ${path} was deleted while the App had it open: writes would be lost. Restore it from a backup and restart the App.`;
    }
    if (st.ino !== ino || st.dev !== dev)
      return `The SQLite file ${path} was replaced while the App had it open: writes would go to the old file. Restart the App.`;
    try {
      accessSync(path, constants.W_OK);
      accessSync(dirname(path), constants.W_OK);
    } catch {
      return `The SQLite file ${path} (or its directory) is not writable: give the App's user write access to both.`;
    }
    return null;
  }

  async takeWriteSlot(installationId: number, nowMs: number, spacingMs: number): Promise<number> {
    const rows = await this.db.$queryRawUnsafe<Array<{ slot: bigint | number }>>(
      this.sql(`INSERT INTO "WriteSlot" ("installationId", "nextAtMs") VALUES ($1::bigint, $2::bigint + $3::bigint)
        ON CONFLICT ("installationId") DO UPDATE SET "nextAtMs" = GREATEST("WriteSlot"."nextAtMs", $2::bigint) + $3::bigint
        RETURNING "nextAtMs" - $3::bigint AS slot`),
      installationId,
      nowMs,
      spacingMs,
    );
    return Number(rows[0]!.slot);
  }

  async getPoisonedPolicy(blobSha: string): Promise<PoisonedPolicyRow | null> {
    return this.db.poisonedPolicy.findUnique({ where: { blobSha } });
  }

  async poisonPolicy(input: PoisonedPolicyRow): Promise<void> {
    await this.db.poisonedPolicy.upsert({ where: { blobSha: input.blobSha }, create: input, update: {} });
  }

  async startEvaluationAttempt(blobSha: string, subject: string, at: Date): Promise<number> {
    const row = await this.db.evaluationAttempt.upsert({
      where: { blobSha_subject: { blobSha, subject } },
      create: { blobSha, subject, started: 1, at },
      update: { started: { increment: 1 }, at },
    });
    return row.started;
  }

  async finishEvaluationAttempt(blobSha: string, subject: string): Promise<void> {
    await this.db.evaluationAttempt.deleteMany({ where: { blobSha, subject } });
  }
}

/** Time bounds of a newest-first page: since (inclusive), until (exclusive), and after the cursor. */
function timeRange(since: Date | undefined, until: Date | undefined, after: PageCursor | null) {
  const at: { gte?: Date; lt?: Date; lte?: Date } = {};
  if (since) at.gte = since;
  if (until) at.lt = until;
  if (!after) return Object.keys(at).length > 0 ? { at } : {};
  // `at <= cursor` lets the index seek; the OR breaks ties on the same instant by id.
  if (!at.lt || at.lt > after.at) {
    delete at.lt;
    at.lte = after.at;
  }
  return { at, OR: [{ at: { lt: after.at } }, { id: { lt: after.id } }] };
}

/** {@link timeRange} for pages read oldest first: rows after the cursor in (time, id) order. */
function timeRangeAfter(since: Date | undefined, until: Date | undefined, after: PageCursor | null) {
  const at: { gte?: Date; lt?: Date } = {};
  if (since && (!after || since > after.at)) at.gte = since;
  if (until) at.lt = until;
  if (!after) return Object.keys(at).length > 0 ? { at } : {};
  if (!at.gte) at.gte = after.at;
  return { at, OR: [{ at: { gt: after.at } }, { id: { gt: after.id } }] };
}
