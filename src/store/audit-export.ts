import type { AuditExportOptions, AuditStore, ReleaseEventRow } from './types.js';

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

function toRecord(e: ReleaseEventRow): AuditRecord {
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

/** Quotes a CSV field per RFC 4180 when it holds a comma, a quote or a line break. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The repository's release timeline since a time, for `release-gate audit`: JSON (an
 * array of records) or CSV (a header line, then one line per event, CRLF line ends as
 * RFC 4180 has them). Ordered by time, then id.
 */
export async function exportAudit(store: Pick<AuditStore, 'listEvents'>, options: AuditExportOptions): Promise<string> {
  const records = (await store.listEvents({ repo: options.repo, since: options.since })).map(toRecord);
  if (options.format === 'json') {
    return `${JSON.stringify(records, null, 2)}\n`;
  }
  const lines = [AUDIT_CSV_COLUMNS.join(',')];
  for (const r of records) {
    lines.push(AUDIT_CSV_COLUMNS.map((c) => csvField(r[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
