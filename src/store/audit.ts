/**
 * The release timeline (events of each release: created, promoted, deployed, approved, ...),
 * the audit export's reads (`./audit-export.ts`) and the console's pages of events and
 * evaluations: newest first, cursor-paginated on indexed columns.
 */

import { asModel, selectList, type ModelColumns, type SqlRunner } from './sql-runner.js';
import { Prisma, type PrismaClient, type ReleaseEvent } from './generated/sqlite/client.js';
import { fromJson, given, num } from './columns.js';
import { storedRuleResults, type EvaluationRow, type RecordedPolicyFile } from './evaluations.js';

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
  'VERIFYING',
  'VERIFIED',
  'VERIFICATION_FAILED',
  'ROLLBACK',
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

export type AuditFormat = 'json' | 'csv';

/** `exportAudit(store, options)` in `./audit-export.js`: the repository's events since a time. */
export interface AuditExportOptions {
  repo: string;
  since: Date;
  format: AuditFormat;
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

const eventRow = (r: ReleaseEvent): ReleaseEventRow => ({ ...r, type: r.type as ReleaseEventType });

/** The timeline's events in the record's own SQL (every decision reads its release's timeline). */
const EVENT_COLUMNS: ModelColumns<ReleaseEvent> = {
  names: Object.values(Prisma.ReleaseEventScalarFieldEnum),
  dates: ['at'],
};

/** The timeline and the console's pages of the record on its Prisma client (either provider: the models are identical). */
export function auditStore(db: PrismaClient, sql: SqlRunner): AuditStore {
  return {
    async recordEvent(input: RecordEventInput): Promise<ReleaseEventRow> {
      const row = await db.releaseEvent.create({
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
    },

    async timeline(query: { repo: string; sha: string }): Promise<ReleaseEventRow[]> {
      const rows = await sql.rows<Record<string, unknown>>(
        `SELECT ${selectList(EVENT_COLUMNS)} FROM "ReleaseEvent" WHERE "repo" = $1 AND "sha" = $2 ORDER BY "at" ASC, "id" ASC`,
        [query.repo, query.sha],
      );
      return rows.map((r) => eventRow(asModel(r, EVENT_COLUMNS)));
    },

    async listEvents(query: ListEventsQuery): Promise<ReleaseEventRow[]> {
      const rows = await db.releaseEvent.findMany({
        where: { repo: query.repo, ...(query.since ? { at: { gte: query.since } } : {}) },
        orderBy: [{ at: 'asc' }, { id: 'asc' }],
      });
      return rows.map(eventRow);
    },

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
          db.releaseEvent.findMany({
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
    },

    async pageEvaluationSummaries(query: EvaluationPageQuery): Promise<Page<EvaluationSummaryRow>> {
      const limit = Math.max(1, Math.min(query.limit, 500));
      const rows = await db.evaluation.findMany({
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
    },
  };
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
