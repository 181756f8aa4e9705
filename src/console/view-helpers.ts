/**
 * Small pure helpers the console's service and its views share: paging cursors, audit records,
 * rule and decision summaries, the viewer's time zone.
 */
import { assertTimeZone } from '../core/local-time.js';
import { failingRules } from '../core/rule-results.js';
import type { RuleResult } from '../core/types.js';
import type { EvaluationSummaryRow, PageCursor } from '../store/audit.js';
import type { DecisionSummary, RuleView } from './views.js';

export function encodeCursor(c: PageCursor): string {
  return Buffer.from(`${c.at.toISOString()}|${c.id}`).toString('base64url');
}

/** The cursor of a `next` link, or null when it is not one. */
export function decodeCursor(text: string): PageCursor | null {
  const raw = Buffer.from(text, 'base64url').toString('utf8');
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|(\d{1,15})$/.exec(raw);
  if (!m) return null;
  const at = new Date(m[1]!);
  return Number.isNaN(at.getTime()) ? null : { at, id: Number(m[2]) };
}

// One row of the record as the API and the export show it: the export's own mapping.
export { toAuditRecord } from '../store/audit-export.js';

export function ruleView(r: RuleResult): RuleView {
  return {
    code: r.code,
    rule: r.rule,
    ok: r.ok,
    outcome: r.outcome,
    message: r.message,
    values: r.values,
    clearsAt: r.clearsAt ?? null,
    overriddenBy: r.overriddenBy?.grantedBy ?? null,
  };
}

export function earliest(rules: RuleResult[]): string | null {
  const waits = failingRules(rules).filter((r) => r.outcome === 'wait');
  if (waits.length === 0 || waits.some((r) => !r.clearsAt)) return null;
  // Everything that waits must clear: the latest of them.
  return waits
    .map((r) => r.clearsAt!)
    .sort()
    .at(-1)!;
}

export function decisionSummary(e: EvaluationSummaryRow): DecisionSummary {
  return {
    id: e.id,
    sha: e.sha,
    environment: e.environment,
    stage: e.stage,
    decision: e.decision,
    failing: failingRules(e.rules).map((r) => r.code),
    score: e.score,
    actor: e.actor,
    at: e.at.toISOString(),
  };
}

/** The viewer's time zone if it is a real IANA zone, else null. */
export function checkViewerTimeZone(zone: string): string | null {
  try {
    assertTimeZone(zone);
    return zone;
  } catch {
    return null;
  }
}
