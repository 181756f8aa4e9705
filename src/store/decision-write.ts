import type { PrismaClient } from './generated/sqlite/client.js';
import { given } from './columns.js';
import type { RecordEvaluationInput, ReplayColumnsOf } from './evaluations.js';
import type { DatabaseProvider } from './sql-dialect.js';

/** The gate's verdict on a protection rule request. */
export type Verdict = 'approved' | 'rejected';

/** The release row of the decision (as `upsertRelease` takes it: absent fields keep what is stored). */
export interface DecisionRelease {
  repo: string;
  sha: string;
  tree?: string | null;
  ref?: string | null;
  version?: string | null;
  tag?: string | null;
  at: Date;
}

/** The evaluation of the decision (as `recordEvaluation` takes it; its policy texts are stored by the store). */
export type DecisionEvaluation = RecordEvaluationInput;

/** An event of the release's timeline (as `recordEvent` takes it). */
export interface DecisionEvent {
  repo: string;
  sha: string;
  version?: string | null;
  environment?: string | null;
  type: string;
  status?: string | null;
  actor?: string | null;
  at: Date;
  notes?: string | null;
  deliveryId?: string | null;
}

/** The gate's approval of its deployment (as `approveDeployment` takes it). */
export interface DecisionApproval {
  via: string;
  at: Date;
  stage: string | null;
  environment: string;
  runId: number | null;
}

/** What stands for the gate after the write. */
export interface GateVerdictResult {
  /** True when this write decided the gate; false when it was decided before (that decision stands). */
  decided: boolean;
  decision: Verdict | null;
  comment: string | null;
  /** When the decision that stands was made. */
  decidedAt: Date | null;
}

/**
 * The one write of a decision: the release, the evaluation, the timeline's events and the
 * gate's state (its stored verdict with the gate's word on its deployment, or when it is
 * looked at again). On SQLite in one transaction: a decision is recorded whole or not at all,
 * and costs the record one commit (one flush of the log) instead of one per statement.
 */
export interface DecisionWriteInput {
  release: DecisionRelease;
  evaluation: DecisionEvaluation;
  /** The timeline's events of the decision, in order (none when nothing a reader sees changed). */
  events: DecisionEvent[];
  /** The protection rule request decided, if the decision answers one. */
  gate: GateDecisionWrite | null;
  /** What the facts loader learned from GitHub: trees of candidate commits, the release's pull requests. */
  learned?: {
    trees: Array<{ sha: string; tree: string }>;
    /** The release's pull requests as the loader learned them; `firstCommitAt`: their earliest commit date (ISO 8601). */
    pulls: Array<{ number: number; headSha: string; firstCommitAt?: string | null }>;
  };
  /** The evaluation attempt of the policy (`startEvaluationAttempt`) that this decision finished. */
  finishedAttempt?: { blobSha: string; subject: string } | null;
}

export interface GateDecisionWrite {
  id: number;
  /** The verdict to store (the gate becomes `decided` unless it was decided before), or null while it waits. */
  verdict: { decision: Verdict; comment: string; at: Date } | null;
  /** While it waits: when the scheduler looks at it again. */
  nextCheckAt: Date | null;
  /**
   * The gate's word on its deployment, recorded with the verdict when this write decides the
   * gate: an approval for `approved`, and for `rejected` any approval taken away.
   */
  deployment: { id: number; approval: DecisionApproval | null } | null;
}

export interface DecisionWriteResult {
  evaluationId: number;
  /** The ids of the timeline's events written, in the order given. */
  eventIds: number[];
  /** What stands for the gate after the write (null without a verdict to store). */
  decided: GateVerdictResult | null;
}

/** The decision's writes, as a role of the record. */
export interface DecisionWriter {
  writeDecision(input: DecisionWriteInput): Promise<DecisionWriteResult>;
}

/** Longer than the default (2 s, 5 s): a burst queues transactions behind the single SQLite writer. */
const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 30_000 };

/** The decision's one write as a role of the record, over the client and the evaluations' replay columns. */
export function decisionWriteStore(
  db: PrismaClient,
  provider: DatabaseProvider,
  replayColumns: ReplayColumnsOf,
): DecisionWriter {
  return {
    async writeDecision(input: DecisionWriteInput): Promise<DecisionWriteResult> {
      const e = input.evaluation;
      return writeDecision(db, provider, input, await replayColumns(e.policyFiles, e.engineVersion, e.at));
    },
  };
}

/**
 * On SQLite the writes are one transaction, on the record's one connection (./sqlite-adapter.ts):
 * the decision is recorded whole or not at all, in one commit instead of eight. On PostgreSQL they
 * run as separate statements, as before: there Prisma's interactive transaction made the App
 * slower (bench/README.md, "Decisions per second"), and the server commits concurrent
 * decisions together anyway.
 */
export async function writeDecision(
  db: PrismaClient,
  provider: DatabaseProvider,
  input: DecisionWriteInput,
  replay: Awaited<ReturnType<ReplayColumnsOf>>,
): Promise<DecisionWriteResult> {
  const { release, evaluation: e, events, gate } = input;
  const write = async (
    tx: Omit<PrismaClient, '$transaction' | '$connect' | '$disconnect' | '$on' | '$extends'>,
  ): Promise<DecisionWriteResult> => {
    for (const { sha, tree } of input.learned?.trees ?? [])
      await tx.release.upsert({
        where: { repo_sha: { repo: release.repo, sha } },
        create: { repo: release.repo, sha, tree, createdAt: new Date(0), updatedAt: new Date(0) },
        update: { tree, updatedAt: new Date(0) },
      });
    for (const p of input.learned?.pulls ?? []) {
      const firstCommitAt = p.firstCommitAt ? new Date(p.firstCommitAt) : null;
      await tx.releasePull.upsert({
        where: { repo_sha_pullNumber: { repo: release.repo, sha: release.sha, pullNumber: p.number } },
        create: {
          repo: release.repo,
          sha: release.sha,
          pullNumber: p.number,
          headSha: p.headSha,
          firstCommitAt,
          recordedAt: release.at,
        },
        update: { headSha: p.headSha, ...given({ firstCommitAt }) },
      });
    }
    if (input.finishedAttempt) await tx.evaluationAttempt.deleteMany({ where: input.finishedAttempt });
    const fields = { tree: release.tree, ref: release.ref, version: release.version, tag: release.tag };
    await tx.release.upsert({
      where: { repo_sha: { repo: release.repo, sha: release.sha } },
      create: { repo: release.repo, sha: release.sha, ...given(fields), createdAt: release.at, updatedAt: release.at },
      update: { ...given(fields), updatedAt: release.at },
    });
    const { id: evaluationId } = await tx.evaluation.create({
      data: {
        repo: e.repo,
        sha: e.sha,
        environment: e.environment,
        stage: e.stage ?? null,
        decision: e.decision,
        rules: JSON.stringify(e.rules ?? null),
        inputs: JSON.stringify(e.inputs ?? null),
        score: e.score ?? null,
        policyPath: e.policyPath ?? null,
        policySha: e.policySha ?? null,
        actor: e.actor ?? null,
        deliveryId: e.deliveryId ?? null,
        checkRunId: e.checkRunId == null ? null : BigInt(e.checkRunId),
        at: e.at,
        ...replay,
      },
      select: { id: true },
    });
    const eventIds: number[] = [];
    for (const ev of events) {
      const { id } = await tx.releaseEvent.create({
        data: {
          repo: ev.repo,
          sha: ev.sha,
          version: ev.version ?? null,
          environment: ev.environment ?? null,
          type: ev.type,
          status: ev.status ?? null,
          actor: ev.actor ?? null,
          at: ev.at,
          notes: ev.notes ?? null,
          deliveryId: ev.deliveryId ?? null,
        },
        select: { id: true },
      });
      eventIds.push(id);
    }
    if (!gate) return { evaluationId, eventIds, decided: null };
    if (!gate.verdict) {
      await tx.pendingGate.updateMany({ where: { id: gate.id }, data: { nextCheckAt: gate.nextCheckAt } });
      return { evaluationId, eventIds, decided: null };
    }
    const v = gate.verdict;
    const { count } = await tx.pendingGate.updateMany({
      where: { id: gate.id, status: 'pending' },
      data: { status: 'decided', decision: v.decision, decisionComment: v.comment, decidedAt: v.at },
    });
    if (count !== 1) {
      // Decided before (another request, another replica): that decision stands.
      const row = await tx.pendingGate.findUniqueOrThrow({ where: { id: gate.id } });
      return {
        evaluationId,
        eventIds,
        decided: {
          decided: false,
          decision: row.decision as Verdict | null,
          comment: row.decisionComment,
          decidedAt: row.decidedAt,
        },
      };
    }
    if (gate.deployment) {
      const a = gate.deployment.approval;
      await tx.deployment.updateMany({
        where: { id: BigInt(gate.deployment.id) },
        data: a
          ? {
              approvedVia: a.via,
              approvedAt: a.at,
              approvedStage: a.stage,
              approvedEnvironment: a.environment,
              approvedRunId: a.runId === null ? null : BigInt(a.runId),
            }
          : {
              approvedVia: null,
              approvedAt: null,
              approvedStage: null,
              approvedEnvironment: null,
              approvedRunId: null,
              provenAt: null,
            },
      });
    }
    return {
      evaluationId,
      eventIds,
      decided: { decided: true, decision: v.decision, comment: v.comment, decidedAt: v.at },
    };
  };
  return provider === 'sqlite' ? db.$transaction(write, TRANSACTION_OPTIONS) : write(db);
}
