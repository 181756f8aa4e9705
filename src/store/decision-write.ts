import type { RecordEvaluationInput, ReplayColumnsOf } from './evaluations.js';
import { dateOrNull, numOf, type SqlRunner } from './sql-runner.js';

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

/** The decision's one write as a role of the record, over its SQL and the evaluations' replay columns. */
export function decisionWriteStore(sql: SqlRunner, replayColumns: ReplayColumnsOf): DecisionWriter {
  return {
    async writeDecision(input: DecisionWriteInput): Promise<DecisionWriteResult> {
      const e = input.evaluation;
      const replay = await replayColumns(e.policyFiles, e.engineVersion, e.at);
      return sql.transaction((tx) => writeDecision(tx, input, replay));
    },
  };
}

/** The release's row: fields not given keep what is stored. */
const UPSERT_RELEASE = `INSERT INTO "Release" ("repo", "sha", "tree", "ref", "version", "tag", "createdAt", "updatedAt")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
  ON CONFLICT ("repo", "sha") DO UPDATE SET
    "tree" = COALESCE(excluded."tree", "Release"."tree"), "ref" = COALESCE(excluded."ref", "Release"."ref"),
    "version" = COALESCE(excluded."version", "Release"."version"), "tag" = COALESCE(excluded."tag", "Release"."tag"),
    "updatedAt" = excluded."updatedAt"`;

const UPSERT_RELEASE_PULL = `INSERT INTO "ReleasePull" ("repo", "sha", "pullNumber", "headSha", "firstCommitAt", "recordedAt")
  VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT ("repo", "sha", "pullNumber") DO UPDATE SET
    "headSha" = excluded."headSha", "firstCommitAt" = COALESCE(excluded."firstCommitAt", "ReleasePull"."firstCommitAt")`;

const INSERT_EVALUATION = `INSERT INTO "Evaluation" ("repo", "sha", "environment", "stage", "decision", "rules", "inputs",
    "score", "policyPath", "policySha", "actor", "deliveryId", "checkRunId", "at", "policyFiles", "engineVersion", "notReplayable")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING "id"`;

const INSERT_EVENT = `INSERT INTO "ReleaseEvent" ("repo", "sha", "version", "environment", "type", "status", "actor", "at", "notes", "deliveryId")
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING "id"`;

const APPROVE_DEPLOYMENT = `UPDATE "Deployment" SET "approvedVia" = $2, "approvedAt" = $3, "approvedStage" = $4,
  "approvedEnvironment" = $5, "approvedRunId" = $6 WHERE "id" = $1`;

const REVOKE_APPROVAL = `UPDATE "Deployment" SET "approvedVia" = NULL, "approvedAt" = NULL, "approvedStage" = NULL,
  "approvedEnvironment" = NULL, "approvedRunId" = NULL, "provenAt" = NULL WHERE "id" = $1`;

const bigintOrNull = (n: number | null | undefined): bigint | null => (n == null ? null : BigInt(n));

/**
 * The writes, in one transaction on either database: the decision is recorded whole or not at
 * all, in one commit.
 */
async function writeDecision(
  tx: SqlRunner,
  input: DecisionWriteInput,
  replay: Awaited<ReturnType<ReplayColumnsOf>>,
): Promise<DecisionWriteResult> {
  const { release, evaluation: e, events, gate } = input;
  // The trees of candidate commits: a commit not recorded yet gets a row with no date of its
  // own (1970); a recorded release keeps everything else, when it was last updated included.
  for (const { sha, tree } of input.learned?.trees ?? [])
    await tx.run(
      `INSERT INTO "Release" ("repo", "sha", "tree", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT ("repo", "sha") DO UPDATE SET "tree" = excluded."tree"`,
      [release.repo, sha, tree, new Date(0)],
    );
  for (const p of input.learned?.pulls ?? [])
    await tx.run(UPSERT_RELEASE_PULL, [
      release.repo,
      release.sha,
      p.number,
      p.headSha,
      p.firstCommitAt ? new Date(p.firstCommitAt) : null,
      release.at,
    ]);
  if (input.finishedAttempt)
    await tx.run(`DELETE FROM "EvaluationAttempt" WHERE "blobSha" = $1 AND "subject" = $2`, [
      input.finishedAttempt.blobSha,
      input.finishedAttempt.subject,
    ]);
  await tx.run(UPSERT_RELEASE, [
    release.repo,
    release.sha,
    release.tree ?? null,
    release.ref ?? null,
    release.version ?? null,
    release.tag ?? null,
    release.at,
  ]);
  const [evaluation] = await tx.rows<{ id: unknown }>(INSERT_EVALUATION, [
    e.repo,
    e.sha,
    e.environment,
    e.stage ?? null,
    e.decision,
    JSON.stringify(e.rules ?? null),
    JSON.stringify(e.inputs ?? null),
    e.score ?? null,
    e.policyPath ?? null,
    e.policySha ?? null,
    e.actor ?? null,
    e.deliveryId ?? null,
    bigintOrNull(e.checkRunId),
    e.at,
    replay.policyFiles,
    replay.engineVersion,
    replay.notReplayable,
  ]);
  const evaluationId = numOf(evaluation?.id);
  const eventIds: number[] = [];
  for (const ev of events) {
    const [row] = await tx.rows<{ id: unknown }>(INSERT_EVENT, [
      ev.repo,
      ev.sha,
      ev.version ?? null,
      ev.environment ?? null,
      ev.type,
      ev.status ?? null,
      ev.actor ?? null,
      ev.at,
      ev.notes ?? null,
      ev.deliveryId ?? null,
    ]);
    eventIds.push(numOf(row?.id));
  }
  if (!gate) return { evaluationId, eventIds, decided: null };
  if (!gate.verdict) {
    await tx.run(`UPDATE "PendingGate" SET "nextCheckAt" = $2 WHERE "id" = $1`, [gate.id, gate.nextCheckAt]);
    return { evaluationId, eventIds, decided: null };
  }
  const v = gate.verdict;
  const count = await tx.run(
    `UPDATE "PendingGate" SET "status" = 'decided', "decision" = $2, "decisionComment" = $3, "decidedAt" = $4
     WHERE "id" = $1 AND "status" = 'pending'`,
    [gate.id, v.decision, v.comment, v.at],
  );
  if (count !== 1) {
    // Decided before (another request, another replica): that decision stands.
    const [row] = await tx.rows<{ decision: string | null; decisionComment: string | null; decidedAt: unknown }>(
      `SELECT "decision", "decisionComment", "decidedAt" FROM "PendingGate" WHERE "id" = $1`,
      [gate.id],
    );
    if (!row) throw new Error(`The gate ${gate.id} is not in the record.`);
    return {
      evaluationId,
      eventIds,
      decided: {
        decided: false,
        decision: row.decision as Verdict | null,
        comment: row.decisionComment,
        decidedAt: dateOrNull(row.decidedAt),
      },
    };
  }
  if (gate.deployment) {
    const a = gate.deployment.approval;
    const id = BigInt(gate.deployment.id);
    if (a) await tx.run(APPROVE_DEPLOYMENT, [id, a.via, a.at, a.stage, a.environment, bigintOrNull(a.runId)]);
    else await tx.run(REVOKE_APPROVAL, [id]);
  }
  return {
    evaluationId,
    eventIds,
    decided: { decided: true, decision: v.decision, comment: v.comment, decidedAt: v.at },
  };
}
