import type { AuditExportOptions, AuditFormat, AuditStore, ReleaseEventRow } from './types.js';

/** The CSV columns of `release-gate audit --format csv`, in order. */
export const AUDIT_CSV_COLUMNS = [
  'at',
  'repo',
  'sha',
  'version',
  'environment',
  'type',
  'status',
  'actor',
  'notes',
  'deliveryId',
  'id',
] as const;

/** One audit record as exported: times in ISO-8601 UTC, absent values as null. */
export interface AuditRecord {
  at: string;
  repo: string;
  sha: string;
  version: string | null;
  environment: string | null;
  type: string;
  status: string | null;
  actor: string | null;
  notes: string | null;
  deliveryId: string | null;
  id: number;
}

export function toAuditRecord(e: ReleaseEventRow): AuditRecord {
  return {
    at: e.at.toISOString(),
    repo: e.repo,
    sha: e.sha,
    version: e.version,
    environment: e.environment,
    type: e.type,
    status: e.status,
    actor: e.actor,
    notes: e.notes,
    deliveryId: e.deliveryId,
    id: e.id,
  };
}

/**
 * One CSV field: a text a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
 * `@`, a tab or a carriage return: OWASP's "CSV injection") gets a leading `'`, so it shows
 * as the text it is; then it is quoted per RFC 4180 when it holds a comma, a quote or a
 * line break. Logins, environment names and notes are written by people.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const raw = String(value);
  const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The export as text pieces, page by page: JSON (an array of records, as
 * `JSON.stringify(records, null, 2)` writes it) or CSV (a header line, then one line per
 * event, CRLF line ends as RFC 4180 has them). Nothing but the page at hand is held, so an
 * export of any size takes the memory of one page.
 */
export async function* auditExportChunks(
  pages: AsyncIterable<readonly AuditRecord[]>,
  format: AuditFormat,
): AsyncGenerator<string> {
  if (format === 'csv') {
    yield `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
    for await (const page of pages) {
      if (page.length > 0)
        yield page.map((r) => `${AUDIT_CSV_COLUMNS.map((c) => csvField(r[c])).join(',')}\r\n`).join('');
    }
    return;
  }
  let first = true;
  for await (const page of pages) {
    if (page.length === 0) continue;
    const items = page.map((r) => JSON.stringify(r, null, 2).replace(/^/gm, '  ')).join(',\n');
    yield `${first ? '[\n' : ',\n'}${items}`;
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}

/** A repository's events since a time, oldest first, a page at a time. */
async function* storePages(
  store: Pick<AuditStore, 'pageEvents'>,
  options: Pick<AuditExportOptions, 'repo' | 'since'>,
): AsyncGenerator<AuditRecord[]> {
  let after = null;
  do {
    const page = await store.pageEvents({
      repos: [options.repo],
      since: options.since,
      after,
      limit: 500,
      order: 'asc',
    });
    yield page.rows.map(toAuditRecord);
    after = page.next;
  } while (after);
}

/**
 * The repository's release timeline since a time, for `release-gate audit`, in the shapes of
 * {@link auditExportChunks}. Ordered by time, then id.
 */
export async function exportAudit(store: Pick<AuditStore, 'pageEvents'>, options: AuditExportOptions): Promise<string> {
  let out = '';
  for await (const chunk of auditExportChunks(storePages(store, options), options.format)) out += chunk;
  return out;
}
