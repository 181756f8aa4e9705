/**
 * The gate's evaluations (each decision with its rule results, the facts it read and the
 * policy texts it used, kept once per content), and the check run each writes to. Reading
 * them back for replay and simulation: `./stored-evaluations.ts`.
 */

import { asModel, equalities, numOf, selectList, type ModelColumns, type SqlRunner } from './sql-runner.js';
import { createHash } from 'node:crypto';
import type { RecordedPolicyFile, StoredEvaluation } from '../core/replay.js';
import type { RuleResult } from '../core/types.js';
import { ENGINE_VERSION } from '../core/engine-version.js';
import { Prisma, type Evaluation, type PrismaClient } from './generated/sqlite/client.js';
import { bounded, fromJson, num, toJson } from './columns.js';
import { isUniqueViolation } from './sql-dialect.js';

export type { RecordedPolicyFile };

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

/** Evaluations, the policy texts they used, and their check runs. */
export interface EvaluationStore {
  recordEvaluation(input: RecordEvaluationInput): Promise<EvaluationRow>;
  /** Ordered by time, then id. */
  listEvaluations(query: ListEvaluationsQuery): Promise<EvaluationRow[]>;
  setEvaluationCheckRun(id: number, checkRunId: number): Promise<void>;
  getCheckRunId(key: CheckRunKey): Promise<number | null>;
  /** The check run ids of several keys, in their order (null where none is recorded), read at once. */
  getCheckRunIds(keys: readonly CheckRunKey[]): Promise<Array<number | null>>;
  setCheckRunId(key: CheckRunKey, checkRunId: number, at: Date): Promise<void>;
  getEvaluation(id: number): Promise<EvaluationRow | null>;
  /**
   * Evaluations in id order (newest first with `newestFirst`) between `afterId` and
   * `beforeId`, at most `limit`: of one repository, or of the repositories whose name
   * starts with `repoPrefix` (`acme/`), since a time.
   */
  pageEvaluations(query: PageEvaluationsQuery): Promise<EvaluationRow[]>;
  /** Stored policy texts by their sha256; hashes not stored, or whose text no longer matches them, are absent. */
  getPolicyTexts(sha256s: readonly string[]): Promise<Map<string, string>>;
}

/**
 * An evaluation's rule results as the record keeps them (JSON), read back: the one place
 * stored rules are parsed. Anything but a list of results with a code reads as none.
 */
export function storedRuleResults(json: unknown): RuleResult[] {
  if (!Array.isArray(json)) return [];
  return json.filter(
    (r): r is RuleResult => typeof r === 'object' && r !== null && typeof (r as { code?: unknown }).code === 'string',
  );
}

export const evaluationRow = (r: Evaluation): EvaluationRow => ({
  ...r,
  rules: storedRuleResults(fromJson(r.rules)),
  inputs: fromJson(r.inputs),
  checkRunId: num(r.checkRunId),
  policyFiles: fromJson(r.policyFiles) as RecordedPolicyFile[] | null,
});

/** An evaluation's columns in the record's own SQL. */
const EVALUATION_COLUMNS: ModelColumns<Evaluation> = {
  names: Object.values(Prisma.EvaluationScalarFieldEnum),
  dates: ['at'],
  bigints: ['checkRunId'],
};

function checkRunWhere(key: CheckRunKey) {
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

/** The replay columns of an evaluation about to be written (see {@link evaluationReplayColumns}). */
export type ReplayColumnsOf = (
  files: PolicyFileText[] | undefined,
  engineVersion: string | null | undefined,
  at: Date,
) => Promise<{ policyFiles: string | null; engineVersion: string | null; notReplayable: string | null }>;

/**
 * The replay columns of a new evaluation: its policy texts stored once per content
 * (sha256 of the text), referenced with their roles, and the engine version.
 */
export function evaluationReplayColumns(db: PrismaClient): ReplayColumnsOf {
  /** Policy texts this process knows are stored (a policy changes rarely: most decisions reuse one). */
  const storedPolicyTexts = new Set<string>();

  async function storePolicyText(sha256: string, text: string, at: Date): Promise<void> {
    if (storedPolicyTexts.has(sha256)) return;
    if (!(await db.policyBlob.findUnique({ where: { sha256 }, select: { sha256: true } }))) {
      try {
        await db.policyBlob.create({ data: { sha256, text, createdAt: at } });
      } catch (error) {
        // Two writers storing the same text at once: it is stored.
        if (!isUniqueViolation(error)) throw error;
      }
    }
    if (storedPolicyTexts.size >= 1000) storedPolicyTexts.clear();
    storedPolicyTexts.add(sha256);
  }

  return async (files, engineVersion, at) => {
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
      await storePolicyText(sha256, text, at);
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
  };
}

/** The evaluations of the record on its Prisma client (either provider: the models are identical). */
export function evaluationStore(
  db: PrismaClient,
  sql: SqlRunner,
  replayColumns = evaluationReplayColumns(db),
): EvaluationStore {
  return {
    async recordEvaluation(input: RecordEvaluationInput): Promise<EvaluationRow> {
      const replay = await replayColumns(input.policyFiles, input.engineVersion, input.at);
      const row = await db.evaluation.create({
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
    },

    async listEvaluations(query: ListEvaluationsQuery): Promise<EvaluationRow[]> {
      // Every decision reads the commit's latest in its stage: the record's own SQL.
      const { where, args } = equalities({ repo: query.repo, sha: query.sha, environment: query.environment });
      const since = query.since ? ` AND "at" >= $${args.push(query.since)}` : '';
      const order = query.last ? `"at" DESC, "id" DESC LIMIT $${args.push(query.last)}` : '"at" ASC, "id" ASC';
      const rows = await sql.rows<Record<string, unknown>>(
        `SELECT ${selectList(EVALUATION_COLUMNS)} FROM "Evaluation" WHERE ${where}${since} ORDER BY ${order}`,
        args,
      );
      if (query.last) rows.reverse();
      return rows.map((r) => evaluationRow(asModel(r, EVALUATION_COLUMNS)));
    },

    async setEvaluationCheckRun(id: number, checkRunId: number): Promise<void> {
      await sql.run(`UPDATE "Evaluation" SET "checkRunId" = $2 WHERE "id" = $1`, [id, BigInt(checkRunId)]);
    },

    async getCheckRunId(key: CheckRunKey): Promise<number | null> {
      const row = await db.checkRun.findUnique({
        where: { repo_sha_environment_runId_deploymentId: checkRunWhere(key) },
      });
      return row === null ? null : num(row.checkRunId);
    },

    async getCheckRunIds(keys: readonly CheckRunKey[]): Promise<Array<number | null>> {
      const wheres = bounded(keys).map(checkRunWhere);
      if (wheres.length === 0) return [];
      const rows = await sql.rows<
        Record<'repo' | 'sha' | 'environment' | 'runId' | 'deploymentId' | 'checkRunId', unknown>
      >(
        `SELECT "repo", "sha", "environment", "runId", "deploymentId", "checkRunId" FROM "CheckRun" WHERE ` +
          wheres
            .map((_, i) => {
              const at = i * 5;
              return `("repo" = $${at + 1} AND "sha" = $${at + 2} AND "environment" = $${at + 3} AND "runId" = $${at + 4} AND "deploymentId" = $${at + 5})`;
            })
            .join(' OR '),
        wheres.flatMap((w) => [w.repo, w.sha, w.environment, w.runId, w.deploymentId]),
      );
      return wheres.map((w) => {
        const row = rows.find(
          (r) =>
            r.repo === w.repo &&
            r.sha === w.sha &&
            r.environment === w.environment &&
            numOf(r.runId) === Number(w.runId) &&
            numOf(r.deploymentId) === Number(w.deploymentId),
        );
        return row ? numOf(row.checkRunId) : null;
      });
    },

    async setCheckRunId(key: CheckRunKey, checkRunId: number, at: Date): Promise<void> {
      const w = checkRunWhere(key);
      // One statement: two writers of the same check run's row at once leave the later id.
      await sql.run(
        `INSERT INTO "CheckRun" ("repo", "sha", "environment", "runId", "deploymentId", "checkRunId", "createdAt", "updatedAt")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT ("repo", "sha", "environment", "runId", "deploymentId")
         DO UPDATE SET "checkRunId" = excluded."checkRunId", "updatedAt" = excluded."updatedAt"`,
        [w.repo, w.sha, w.environment, w.runId, w.deploymentId, BigInt(checkRunId), at],
      );
    },

    async getEvaluation(id: number): Promise<EvaluationRow | null> {
      const row = await db.evaluation.findUnique({ where: { id } });
      return row === null ? null : evaluationRow(row);
    },

    async pageEvaluations(query: PageEvaluationsQuery): Promise<EvaluationRow[]> {
      const rows = await db.evaluation.findMany({
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
    },

    async getPolicyTexts(sha256s: readonly string[]): Promise<Map<string, string>> {
      const wanted = [...new Set(sha256s)];
      const out = new Map<string, string>();
      for (let i = 0; i < wanted.length; i += 500) {
        const rows = await db.policyBlob.findMany({ where: { sha256: { in: wanted.slice(i, i + 500) } } });
        // A text that no longer hashes to its key was altered after it was stored: it is not given.
        for (const r of rows)
          if (createHash('sha256').update(r.text, 'utf8').digest('hex') === r.sha256) out.set(r.sha256, r.text);
      }
      return out;
    },
  };
}
