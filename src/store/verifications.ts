/**
 * Verifications after a deploy in the record: one row per proven deployment of a stage with
 * `verify`, a leased queue (like `gateQueue` and `promotionQueue`) so a verification survives
 * restarts and is measured once across replicas, and the verification state each deployment
 * carries (`Deployment.verificationState`), which the facts read like its approval and proof.
 */
import type { PrismaClient, Verification } from './generated/sqlite/client.js';
import type { LeasedQueue } from './leased-queue.js';

export type VerificationStatus = 'pending' | 'decided' | 'answered';
export type VerificationOutcome = 'verified' | 'failed' | 'inconclusive';

export interface VerificationRow {
  id: number;
  repo: string;
  installationId: number;
  deploymentId: number;
  sha: string;
  ref: string | null;
  environment: string;
  stage: string;
  /** The stage's verify and rollback when it started (JSON as stored, parsed). */
  plan: unknown;
  createdAt: Date;
  startedAt: Date;
  status: VerificationStatus;
  nextCheckAt: Date | null;
  /** The rounds measured so far (parsed JSON). */
  rounds: unknown[];
  outcome: VerificationOutcome | null;
  reason: string | null;
  checkRunId: number | null;
  finishedAt: Date | null;
  rollbackDeploymentId: number | null;
  rollbackNote: string | null;
  incidentIssue: number | null;
  incidentClosedAt: Date | null;
  claimedBy: string | null;
  claimedUntil: Date | null;
}

export interface StartVerificationInput {
  repo: string;
  installationId: number;
  deploymentId: number;
  sha: string;
  ref: string | null;
  environment: string;
  stage: string;
  plan: unknown;
  startedAt: Date;
}

/** A deployment verified in an environment: what a rollback deploys. */
export interface VerifiedDeployment {
  id: number;
  sha: string;
  ref: string | null;
  environment: string;
  verifiedAt: Date;
}

/** The record's verifications (the role interface of the verifier). */
export interface VerificationStore {
  readonly queue: LeasedQueue<VerificationRow>;
  /** Starts the deployment's verification once (a redelivered success finds it); marks the deployment `running`. */
  start(input: StartVerificationInput): Promise<{ row: VerificationRow; created: boolean }>;
  get(id: number): Promise<VerificationRow | null>;
  byDeployment(deploymentId: number): Promise<VerificationRow | null>;
  /**
   * Keeps the rounds measured and when the next is due, and frees the lease: only under the
   * lease `owner` holds, and only when the round measured was the one due at `expected` (no
   * other replica measured it meanwhile).
   */
  saveRounds(id: number, owner: string, rounds: unknown[], nextCheckAt: Date, expected: Date | null): Promise<boolean>;
  /** Concludes it (once): the outcome on the row and on its deployment. */
  conclude(id: number, outcome: VerificationOutcome, reason: string, rounds: unknown[], at: Date): Promise<boolean>;
  setCheckRun(id: number, checkRunId: number): Promise<void>;
  setRollback(id: number, deploymentId: number | null, note: string): Promise<void>;
  setIncident(id: number, issue: number): Promise<void>;
  /** Everything written: the row leaves the queue. */
  finish(id: number, at: Date): Promise<void>;
  /** The latest deployment verified in these environments, other than of `exceptSha`. */
  lastVerified(repo: string, environments: string[], exceptSha?: string): Promise<VerifiedDeployment | null>;
  /** True when a deployment of `sha` was verified in one of these environments. */
  wasVerified(repo: string, sha: string, environments: string[]): Promise<boolean>;
  /** Failed verifications in these environments whose incident is still open. */
  openIncidents(repo: string, environments: string[]): Promise<VerificationRow[]>;
  closeIncident(id: number, at: Date): Promise<void>;
  /** The latest verification in these environments that failed, or null when the latest concluded one did not fail. */
  latestFailed(repo: string, environments: string[]): Promise<VerificationRow | null>;
  /** The latest verification of a release in these environments. */
  latestOf(repo: string, sha: string, environments: string[]): Promise<VerificationRow | null>;
}

const num = (v: bigint | null): number | null => (v === null ? null : Number(v));

function parse(text: string): unknown {
  return JSON.parse(text) as unknown;
}

function toRow(v: Verification): VerificationRow {
  return {
    ...v,
    installationId: Number(v.installationId),
    deploymentId: Number(v.deploymentId),
    plan: parse(v.plan),
    status: v.status as VerificationStatus,
    rounds: parse(v.rounds) as unknown[],
    outcome: v.outcome as VerificationOutcome | null,
    checkRunId: num(v.checkRunId),
    rollbackDeploymentId: num(v.rollbackDeploymentId),
  };
}

const envFilter = (environments: string[]) => ({ in: environments });

/** The verifications of the record on its Prisma client (either provider: the model is the same). */
export function verificationStore(db: PrismaClient): VerificationStore {
  const free = (now: Date) => ({ OR: [{ claimedUntil: null }, { claimedUntil: { lte: now } }] });
  const queue: LeasedQueue<VerificationRow> = {
    async listDue(now) {
      const rows = await db.verification.findMany({
        where: {
          OR: [{ status: 'pending', nextCheckAt: { lte: now } }, { status: 'decided' }],
          AND: [free(now)],
        },
        orderBy: [{ nextCheckAt: 'asc' }, { id: 'asc' }],
        take: 1_000,
      });
      return rows.map(toRow);
    },
    async claim(id, owner, until, now) {
      const { count } = await db.verification.updateMany({
        where: {
          id,
          OR: [{ claimedBy: null }, { claimedUntil: null }, { claimedUntil: { lte: now } }, { claimedBy: owner }],
        },
        data: { claimedBy: owner, claimedUntil: until },
      });
      return count === 1;
    },
    async release(id, owner) {
      await db.verification.updateMany({
        where: { id, claimedBy: owner },
        data: { claimedBy: null, claimedUntil: null },
      });
    },
    async setNextCheck(id, at) {
      await db.verification.updateMany({ where: { id, status: 'pending' }, data: { nextCheckAt: at } });
    },
  };
  // Environments as written and in lower case (GitHub ignores case; the record keeps what events said).
  const lower = (environments: string[]) => [...new Set(environments.flatMap((e) => [e, e.toLowerCase()]))];
  return {
    queue,
    async start(input) {
      const existing = await db.verification.findUnique({ where: { deploymentId: BigInt(input.deploymentId) } });
      if (existing) return { row: toRow(existing), created: false };
      try {
        const created = await db.verification.create({
          data: {
            ...input,
            installationId: BigInt(input.installationId),
            deploymentId: BigInt(input.deploymentId),
            plan: JSON.stringify(input.plan),
            createdAt: input.startedAt,
            nextCheckAt: input.startedAt,
          },
        });
        await db.deployment.updateMany({
          where: { id: BigInt(input.deploymentId) },
          data: { verificationState: 'running', verificationAt: input.startedAt },
        });
        return { row: toRow(created), created: true };
      } catch (error) {
        // Another replica started it between the read and the write: the unique key says so.
        const again = await db.verification.findUnique({ where: { deploymentId: BigInt(input.deploymentId) } });
        if (again) return { row: toRow(again), created: false };
        throw error;
      }
    },
    async get(id) {
      const row = await db.verification.findUnique({ where: { id } });
      return row ? toRow(row) : null;
    },
    async byDeployment(deploymentId) {
      const row = await db.verification.findUnique({ where: { deploymentId: BigInt(deploymentId) } });
      return row ? toRow(row) : null;
    },
    async saveRounds(id, owner, rounds, nextCheckAt, expected) {
      const { count } = await db.verification.updateMany({
        where: { id, claimedBy: owner, status: 'pending', nextCheckAt: expected },
        data: { rounds: JSON.stringify(rounds), nextCheckAt, claimedBy: null, claimedUntil: null },
      });
      return count === 1;
    },
    async conclude(id, outcome, reason, rounds, at) {
      const { count } = await db.verification.updateMany({
        where: { id, status: 'pending' },
        data: { status: 'decided', outcome, reason, rounds: JSON.stringify(rounds), nextCheckAt: null },
      });
      if (count === 0) return false;
      const row = await db.verification.findUnique({ where: { id }, select: { deploymentId: true } });
      if (row)
        await db.deployment.updateMany({
          where: { id: row.deploymentId },
          data: { verificationState: outcome, verificationAt: at },
        });
      return true;
    },
    async setCheckRun(id, checkRunId) {
      await db.verification.update({ where: { id }, data: { checkRunId: BigInt(checkRunId) } });
    },
    async setRollback(id, deploymentId, note) {
      await db.verification.update({
        where: { id },
        data: { rollbackDeploymentId: deploymentId === null ? null : BigInt(deploymentId), rollbackNote: note },
      });
    },
    async setIncident(id, issue) {
      await db.verification.update({ where: { id }, data: { incidentIssue: issue } });
    },
    async finish(id, at) {
      await db.verification.updateMany({
        where: { id, status: 'decided' },
        data: { status: 'answered', finishedAt: at, claimedBy: null, claimedUntil: null },
      });
    },
    async lastVerified(repo, environments, exceptSha) {
      const d = await db.deployment.findFirst({
        where: {
          repo,
          environment: envFilter(lower(environments)),
          verificationState: 'verified',
          ...(exceptSha ? { sha: { not: exceptSha } } : {}),
        },
        orderBy: [{ verificationAt: 'desc' }, { id: 'desc' }],
      });
      return d
        ? { id: Number(d.id), sha: d.sha, ref: d.ref, environment: d.environment, verifiedAt: d.verificationAt! }
        : null;
    },
    async wasVerified(repo, sha, environments) {
      const d = await db.deployment.findFirst({
        where: { repo, sha, environment: envFilter(lower(environments)), verificationState: 'verified' },
        select: { id: true },
      });
      return d !== null;
    },
    async openIncidents(repo, environments) {
      const rows = await db.verification.findMany({
        where: {
          repo,
          environment: envFilter(lower(environments)),
          incidentIssue: { not: null },
          incidentClosedAt: null,
        },
        orderBy: { id: 'asc' },
        take: 100,
      });
      return rows.map(toRow);
    },
    async closeIncident(id, at) {
      await db.verification.updateMany({ where: { id, incidentClosedAt: null }, data: { incidentClosedAt: at } });
    },
    async latestFailed(repo, environments) {
      const row = await db.verification.findFirst({
        where: { repo, environment: envFilter(lower(environments)), outcome: { not: null } },
        orderBy: { id: 'desc' },
      });
      return row?.outcome === 'failed' ? toRow(row) : null;
    },
    async latestOf(repo, sha, environments) {
      const row = await db.verification.findFirst({
        where: { repo, sha, environment: envFilter(lower(environments)) },
        orderBy: { id: 'desc' },
      });
      return row ? toRow(row) : null;
    },
  };
}
