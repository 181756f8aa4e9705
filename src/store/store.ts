import { randomUUID } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  Approval,
  Delivery,
  Deployment,
  DeploymentStatus,
  Evaluation,
  Override,
  PendingGate,
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
  ClaimDeliveryInput,
  CreateOverrideInput,
  DatabaseProvider,
  DecideGateInput,
  DecideGateResult,
  DeliveryClaim,
  DeliveryRow,
  DeploymentRow,
  DeploymentStatusRow,
  EnqueueDeliveryInput,
  EnqueueResult,
  EvaluationRow,
  GateDecision,
  GateStatus,
  HoldPromotionInput,
  InboxItem,
  InboxRow,
  InboxStatus,
  ListApprovalsQuery,
  ListDeploymentsQuery,
  ListEvaluationsQuery,
  ListEventsQuery,
  ListOverridesQuery,
  ListPendingGatesQuery,
  OverrideRow,
  PendingGateRow,
  PoisonedPolicyRow,
  PromotionRow,
  RecordDeploymentInput,
  RecordDeploymentStatusInput,
  RecordEvaluationInput,
  RecordEventInput,
  ReleaseEventRow,
  ReleaseEventType,
  ReleaseRow,
  Store,
  StoreHealth,
  UpsertPendingGateInput,
  UpsertReleaseInput,
} from './types.js';
import { DELIVERY_ERROR_PREFIX } from './types.js';

/** True for Prisma's unique-constraint violation (P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}

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

const deliveryRow = (r: Delivery): DeliveryRow => ({ ...r });
const releaseRow = (r: Release): ReleaseRow => ({ ...r });
const statusRow = (r: DeploymentStatus): DeploymentStatusRow => ({ ...r, id: num(r.id), deploymentId: num(r.deploymentId) });
const evaluationRow = (r: Evaluation): EvaluationRow => ({
  ...r,
  rules: fromJson(r.rules),
  inputs: fromJson(r.inputs),
  checkRunId: num(r.checkRunId),
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

/** Leases are free when unheld or expired at `now`. */
const leaseFree = (now: Date) => ({ OR: [{ claimedUntil: null }, { claimedUntil: { lte: now } }] });
/** One conditional UPDATE's where-clause: the lease is free, expired or already `owner`'s. */
const leaseClaimable = (id: number, owner: string, now: Date) => ({
  id,
  OR: [{ claimedBy: null }, { claimedUntil: null }, { claimedUntil: { lte: now } }, { claimedBy: owner }],
});
const promotionRow = (r: Promotion): PromotionRow => ({
  ...r,
  installationId: num(r.installationId),
  sourceDeploymentId: num(r.sourceDeploymentId),
  deploymentId: num(r.deploymentId),
  status: r.status as GateStatus,
});

/** The Store over a generated Prisma client (either provider: the models are identical). */
export class PrismaStore implements Store {
  constructor(
    private readonly db: PrismaClient,
    readonly provider: DatabaseProvider,
    private readonly expectedMigrations: number,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  async claimDelivery(input: ClaimDeliveryInput): Promise<DeliveryClaim> {
    try {
      await this.db.delivery.create({
        data: { id: input.id, event: input.event, action: input.action ?? null, repo: input.repo ?? null, receivedAt: input.at },
      });
      return 'new';
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    // A delivery is a duplicate only once it was handled to the end. One whose handling failed,
    // or that was claimed and never finished (the process died while handling it), is taken
    // back by one conditional UPDATE. The inbox hands a delivery to one worker at a time, so
    // a claimed-but-unfinished delivery seen here is one a dead worker left behind.
    const retry = await this.db.delivery.updateMany({
      where: {
        id: input.id,
        OR: [{ outcome: { startsWith: DELIVERY_ERROR_PREFIX } }, { outcome: null }],
      },
      data: { outcome: null, finishedAt: null, redeliveries: { increment: 1 }, lastRedeliveryAt: input.at },
    });
    if (retry.count === 1) return 'retry';
    await this.db.delivery.update({
      where: { id: input.id },
      data: { redeliveries: { increment: 1 }, lastRedeliveryAt: input.at },
    });
    return 'duplicate';
  }

  async finishDelivery(id: string, outcome: string, at?: Date): Promise<void> {
    await this.db.delivery.updateMany({ where: { id }, data: { outcome, finishedAt: at ?? null } });
  }

  async getDelivery(id: string): Promise<DeliveryRow | null> {
    const row = await this.db.delivery.findUnique({ where: { id } });
    return row === null ? null : deliveryRow(row);
  }

  async upsertRelease(input: UpsertReleaseInput): Promise<ReleaseRow> {
    const fields = { tree: input.tree, ref: input.ref, version: input.version, tag: input.tag };
    const where = { repo_sha: { repo: input.repo, sha: input.sha } };
    try {
      return releaseRow(await this.db.release.upsert({
        where,
        create: { repo: input.repo, sha: input.sha, ...given(fields), createdAt: input.at, updatedAt: input.at },
        update: { ...given(fields), updatedAt: input.at },
      }));
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
        },
      });
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
        },
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async listDeployments(query: ListDeploymentsQuery): Promise<DeploymentRow[]> {
    const deployments = await this.db.deployment.findMany({
      where: { repo: query.repo, ...given({ sha: query.sha, environment: query.environment }) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    if (deployments.length === 0) return [];
    const statuses = await this.db.deploymentStatus.findMany({
      where: { deploymentId: { in: deployments.map((d) => d.id) } },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
    });
    return deployments.map((d: Deployment) => {
      const own = statuses.filter((s) => s.deploymentId === d.id);
      const latest = own.at(-1);
      const firstSuccess = own.find((s) => s.state === 'success');
      return {
        ...d,
        id: num(d.id),
        payload: fromJson(d.payload),
        latestState: latest?.state ?? null,
        latestStateAt: latest?.at ?? null,
        firstSuccessAt: firstSuccess?.at ?? null,
      };
    });
  }

  async listDeploymentStatuses(deploymentId: number): Promise<DeploymentStatusRow[]> {
    const rows = await this.db.deploymentStatus.findMany({
      where: { deploymentId: BigInt(deploymentId) },
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
    });
    return rows.map(statusRow);
  }

  async recordEvaluation(input: RecordEvaluationInput): Promise<EvaluationRow> {
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
      orderBy: [{ at: 'asc' }, { id: 'asc' }],
    });
    return rows.map(evaluationRow);
  }

  async setEvaluationCheckRun(id: number, checkRunId: number): Promise<void> {
    await this.db.evaluation.updateMany({ where: { id }, data: { checkRunId: BigInt(checkRunId) } });
  }

  private checkRunWhere(key: CheckRunKey) {
    // 0 stands for "none" in both id columns (GitHub's ids are positive).
    for (const [name, id] of [['runId', key.runId], ['deploymentId', key.deploymentId]] as const) {
      if (id !== null && id !== undefined && !(Number.isSafeInteger(id) && id > 0)) {
        throw new TypeError(`A check run key's ${name} must be a positive GitHub id or null, got ${id}.`);
      }
    }
    return { repo: key.repo, sha: key.sha, environment: key.environment, runId: BigInt(key.runId ?? 0), deploymentId: BigInt(key.deploymentId ?? 0) };
  }

  async getCheckRunId(key: CheckRunKey): Promise<number | null> {
    const row = await this.db.checkRun.findUnique({ where: { repo_sha_environment_runId_deploymentId: this.checkRunWhere(key) } });
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
    const status = query.status === undefined ? undefined : Array.isArray(query.status) ? { in: query.status } : query.status;
    const rows = await this.db.pendingGate.findMany({
      where: given({ repo: query.repo, sha: query.sha, environment: query.environment, status }),
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(gateRow);
  }

  async listDueGates(now: Date): Promise<PendingGateRow[]> {
    // Pending ones whose next check has come, and decided ones not answered yet.
    const rows = await this.db.pendingGate.findMany({
      where: {
        OR: [
          { status: 'pending', nextCheckAt: { lte: now } },
          { status: 'decided', answeredAt: null },
        ],
        AND: [leaseFree(now)],
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(gateRow);
  }

  async claimGate(id: number, owner: string, until: Date, now: Date): Promise<boolean> {
    // One conditional UPDATE: under concurrent replicas only one sees the lease free.
    const { count } = await this.db.pendingGate.updateMany({
      where: leaseClaimable(id, owner, now),
      data: { claimedBy: owner, claimedUntil: until },
    });
    return count === 1;
  }

  async releaseGate(id: number, owner: string): Promise<void> {
    await this.db.pendingGate.updateMany({ where: { id, claimedBy: owner }, data: { claimedBy: null, claimedUntil: null } });
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

  async setGateNextCheck(id: number, at: Date | null): Promise<void> {
    await this.db.pendingGate.updateMany({ where: { id }, data: { nextCheckAt: at } });
  }

  async incrementGateReports(id: number): Promise<number> {
    const row = await this.db.pendingGate.update({ where: { id }, data: { reportsPosted: { increment: 1 } } });
    return row.reportsPosted;
  }

  async holdPromotion(input: HoldPromotionInput): Promise<{ promotion: PromotionRow; created: boolean }> {
    const key = { repo: input.repo, sourceDeploymentId: BigInt(input.sourceDeploymentId), environment: input.environment };
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
        },
      });
      return { promotion: promotionRow(row), created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    // Conditional on `pending`, so a started or finished promotion is never moved back.
    await this.db.promotion.updateMany({ where: { ...key, status: 'pending' }, data: { nextCheckAt: input.nextCheckAt } });
    const row = await this.db.promotion.findUniqueOrThrow({ where: { repo_sourceDeploymentId_environment: key } });
    return { promotion: promotionRow(row), created: false };
  }

  async listPromotions(query: { repo: string; sha?: string }): Promise<PromotionRow[]> {
    const rows = await this.db.promotion.findMany({
      where: { repo: query.repo, ...given({ sha: query.sha }) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(promotionRow);
  }

  async listDuePromotions(now: Date): Promise<PromotionRow[]> {
    // Pending ones whose next check has come, and started ones not finished (a crash while
    // creating the deployment: the retry looks for it first).
    const rows = await this.db.promotion.findMany({
      where: {
        OR: [
          { status: 'pending', nextCheckAt: { lte: now } },
          { status: 'decided', finishedAt: null },
        ],
        AND: [leaseFree(now)],
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(promotionRow);
  }

  async claimPromotion(id: number, owner: string, until: Date, now: Date): Promise<boolean> {
    // One conditional UPDATE: under concurrent replicas only one sees the lease free.
    const { count } = await this.db.promotion.updateMany({
      where: leaseClaimable(id, owner, now),
      data: { claimedBy: owner, claimedUntil: until },
    });
    return count === 1;
  }

  async releasePromotion(id: number, owner: string): Promise<void> {
    await this.db.promotion.updateMany({ where: { id, claimedBy: owner }, data: { claimedBy: null, claimedUntil: null } });
  }

  async setPromotionNextCheck(id: number, at: Date): Promise<void> {
    await this.db.promotion.updateMany({ where: { id, status: 'pending' }, data: { nextCheckAt: at } });
  }

  async startPromotion(id: number, at: Date): Promise<boolean> {
    const { count } = await this.db.promotion.updateMany({ where: { id, status: 'pending' }, data: { status: 'decided', startedAt: at } });
    return count === 1;
  }

  async finishPromotion(id: number, at: Date, note: string, deploymentId?: number | null): Promise<boolean> {
    const { count } = await this.db.promotion.updateMany({
      where: { id, status: { in: ['pending', 'decided'] } },
      data: { status: 'answered', finishedAt: at, note, deploymentId: deploymentId == null ? null : BigInt(deploymentId) },
    });
    return count === 1;
  }

  async dropPromotion(id: number, at: Date, note: string): Promise<boolean> {
    const { count } = await this.db.promotion.updateMany({
      where: { id, status: { in: ['pending', 'decided'] } },
      data: { status: 'expired', finishedAt: at, note },
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
    if (st.ino !== ino || st.dev !== dev) return `The SQLite file ${path} was replaced while the App had it open: writes would go to the old file. Restart the App.`;
    try {
      accessSync(path, constants.W_OK);
      accessSync(dirname(path), constants.W_OK);
    } catch {
      return `The SQLite file ${path} (or its directory) is not writable: give the App's user write access to both.`;
    }
    return null;
  }

  /** Numbered placeholders: `$1` on PostgreSQL, `?1` on SQLite. */
  private sql(text: string): string {
    return this.provider === 'postgresql' ? text : text.replace(/\$(\d+)(::bigint)?/g, '?$1').replace(/GREATEST\(/g, 'MAX(').replace(/ FOR UPDATE SKIP LOCKED/g, '');
  }

  async enqueueDelivery(input: EnqueueDeliveryInput): Promise<EnqueueResult> {
    try {
      await this.db.inboxDelivery.create({
        data: {
          deliveryId: input.deliveryId,
          event: input.event,
          action: input.action,
          orderKey: input.orderKey,
          payload: input.payload,
          receivedAtMs: BigInt(input.nowMs),
          availableAtMs: BigInt(input.nowMs),
        },
      });
      return 'queued';
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const now = BigInt(input.nowMs);
    // Given up on: GitHub's redelivery (a person asked for it) queues it again.
    const requeued = await this.db.inboxDelivery.updateMany({
      where: { deliveryId: input.deliveryId, status: 'failed' },
      data: { status: 'ready', attempts: 0, availableAtMs: now, claimedBy: null, claimedUntilMs: null },
    });
    if (requeued.count === 1) return 'requeued';
    // Waiting for a retry: the redelivery makes it due now.
    const pending = await this.db.inboxDelivery.updateMany({ where: { deliveryId: input.deliveryId, status: { in: ['ready', 'working'] } }, data: { availableAtMs: now } });
    if (pending.count === 1) return 'pending';
    await this.db.delivery.updateMany({ where: { id: input.deliveryId }, data: { redeliveries: { increment: 1 }, lastRedeliveryAt: new Date(input.nowMs) } });
    return 'duplicate';
  }

  async claimInboxDelivery(owner: string, untilMs: number, nowMs: number): Promise<InboxItem | null> {
    // One statement: the oldest due delivery whose gate has no earlier one unfinished, free or
    // left by a dead worker. SKIP LOCKED lets concurrent workers pass over each other's pick.
    const rows = await this.db.$queryRawUnsafe<RawInbox[]>(
      this.sql(`UPDATE "InboxDelivery" SET "status" = 'working', "claimedBy" = $1, "claimedUntilMs" = $2::bigint, "attempts" = "attempts" + 1
        WHERE "seq" = (
          SELECT i."seq" FROM "InboxDelivery" i
          WHERE i."status" IN ('ready', 'working') AND i."availableAtMs" <= $3::bigint
            AND (i."claimedUntilMs" IS NULL OR i."claimedUntilMs" <= $3::bigint)
            AND NOT EXISTS (SELECT 1 FROM "InboxDelivery" e WHERE e."orderKey" = i."orderKey" AND e."seq" < i."seq" AND e."status" IN ('ready', 'working'))
          ORDER BY i."seq" LIMIT 1 FOR UPDATE SKIP LOCKED)
        AND "status" IN ('ready', 'working') AND ("claimedUntilMs" IS NULL OR "claimedUntilMs" <= $3::bigint)
        RETURNING "seq", "deliveryId", "event", "action", "orderKey", "payload", "attempts"`),
      owner,
      untilMs,
      nowMs,
    );
    const row = rows[0];
    return row ? { seq: Number(row.seq), deliveryId: row.deliveryId, event: row.event, action: row.action, orderKey: row.orderKey, payload: row.payload, attempts: Number(row.attempts) } : null;
  }

  async renewInboxDelivery(seq: number, owner: string, untilMs: number): Promise<boolean> {
    const { count } = await this.db.inboxDelivery.updateMany({ where: { seq, claimedBy: owner, status: 'working' }, data: { claimedUntilMs: BigInt(untilMs) } });
    return count === 1;
  }

  async finishInboxDelivery(seq: number, owner: string, nowMs: number): Promise<void> {
    await this.db.inboxDelivery.updateMany({
      where: { seq, claimedBy: owner },
      data: { status: 'done', claimedBy: null, claimedUntilMs: null, finishedAtMs: BigInt(nowMs), lastError: null },
    });
  }

  async failInboxDelivery(seq: number, owner: string, error: string, retryAtMs: number | null): Promise<void> {
    await this.db.inboxDelivery.updateMany({
      where: { seq, claimedBy: owner },
      data: retryAtMs === null
        ? { status: 'failed', claimedBy: null, claimedUntilMs: null, lastError: error.slice(0, 1000) }
        : { status: 'ready', claimedBy: null, claimedUntilMs: null, lastError: error.slice(0, 1000), availableAtMs: BigInt(retryAtMs) },
    });
  }

  async releaseInboxClaims(prefix: string, exceptOwner: string): Promise<number> {
    const { count } = await this.db.inboxDelivery.updateMany({
      where: { status: 'working', claimedBy: { startsWith: prefix, not: exceptOwner } },
      data: { claimedBy: null, claimedUntilMs: null },
    });
    return count;
  }

  async getInboxDelivery(deliveryId: string): Promise<InboxRow | null> {
    const r = await this.db.inboxDelivery.findUnique({ where: { deliveryId } });
    if (!r) return null;
    return {
      seq: r.seq,
      deliveryId: r.deliveryId,
      event: r.event,
      action: r.action,
      orderKey: r.orderKey,
      payload: r.payload,
      attempts: r.attempts,
      status: r.status as InboxStatus,
      receivedAtMs: Number(r.receivedAtMs),
      availableAtMs: Number(r.availableAtMs),
      claimedBy: r.claimedBy,
      lastError: r.lastError,
      finishedAtMs: r.finishedAtMs === null ? null : Number(r.finishedAtMs),
    };
  }

  async countInbox(): Promise<Record<InboxStatus, number>> {
    const groups = await this.db.inboxDelivery.groupBy({ by: ['status'], _count: { _all: true } });
    const counts: Record<InboxStatus, number> = { ready: 0, working: 0, done: 0, failed: 0 };
    for (const g of groups) counts[g.status as InboxStatus] = g._count._all;
    return counts;
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

interface RawInbox {
  seq: number | bigint;
  deliveryId: string;
  event: string;
  action: string | null;
  orderKey: string;
  payload: string;
  attempts: number | bigint;
}
