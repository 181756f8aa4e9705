import { escapeMarkdown, inlineCode } from './markdown-escape.js';
import { describeRole, roleOf } from './rules/roles.js';
import type { Decision, RuleResult, ScoreComponent } from './types.js';

/**
 * Markdown building blocks shared by the App's audit summary and the Action's job summary.
 * Pure: strings in, strings out.
 */

const ICON: Record<RuleResult['outcome'], string> = { pass: '✅', wait: '⏳', block: '❌' };

export const DECISION_HEADLINE: Record<Decision['decision'], string> = {
  allow: '✅ **Allowed**: the release may go on',
  wait: '⏳ **Waiting**: the release is held until every waiting rule clears',
  block: '❌ **Blocked**: the release must not go on',
};

/**
 * Escape text for a Markdown table cell or sentence: one line, and nothing in it becomes
 * HTML, a link, an image, emphasis or a live mention (see `markdown-escape.ts`).
 */
export function cell(text: unknown): string {
  return escapeMarkdown(text);
}

/** Inline code that shows the text as it is, whatever backticks it holds. */
export function code(text: string): string {
  return inlineCode(text);
}

/** A short, readable form of the values a rule compared. */
export function formatValues(values: Record<string, unknown>, max = 160): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (v === null || v === undefined) continue;
    if (k === 'role') continue; // a role has its own lines (renderRolesSection)
    if (Array.isArray(v) && v.length === 0) continue;
    const shown =
      typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
    parts.push(`${k}: ${shown}`);
  }
  const joined = parts.join('; ');
  return joined.length > max ? `${joined.slice(0, max - 1)}…` : joined;
}

/** The table of rules: result, code, message, values compared. */
export function renderRulesTable(rules: readonly RuleResult[]): string {
  const rows = rules.map(
    (r) =>
      `| ${ICON[r.outcome]} | ${code(r.code)} | ${cell(r.message)}${r.outcome === 'wait' && r.clearsAt ? ` (clears ${cell(r.clearsAt)})` : ''} | ${cell(formatValues(r.values))} |`,
  );
  return ['| | Rule | Result | Values |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * The roles of the stage's approvals, one line each: the release approval and every technical
 * review, with who counted or who is still needed (`needs 1 of tech-reviewers:
 * src/billing/invoice.ts changed`). Null when no rule result carries a role.
 */
export function renderRolesSection(rules: readonly RuleResult[]): string | null {
  const lines: string[] = [];
  for (const r of rules) {
    const role = roleOf(r);
    if (!role) continue;
    const d = describeRole(role);
    const paths = d.paths.length > 0 ? ` of ${d.paths.map((p) => code(p)).join(', ')}` : '';
    lines.push(`- ${d.mark} **${d.title}**${paths} by ${cell(d.by)}: ${cell(d.status)}`);
  }
  return lines.length > 0 ? ['### Roles', '', ...lines].join('\n') : null;
}

/** The evidence breakdown: points per kind out of its weight, and why. */
export function renderBreakdownTable(score: number | null, breakdown: Decision['breakdown']): string {
  if (score === null) return '_No evidence was given, so there is no score._';
  const rows = Object.entries(breakdown).map(([kind, c]) => {
    if (typeof c === 'number') return `| ${cell(kind)} | ${c} | | |`;
    const comp = c as ScoreComponent;
    return `| ${cell(kind)} | ${round(comp.points)} / ${comp.weight} | ${comp.present ? 'given' : 'not given'} | ${cell(comp.reasons.join('; '))} |`;
  });
  return [`**Score: ${score}**`, '', '| Evidence | Points | | Why |', '|---|---|---|---|', ...rows].join('\n');
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/**
 * Cut Markdown to at most `limit` characters (UTF-16 code units, as GitHub counts),
 * at a line boundary, with a note saying how much was left out.
 */
export function truncateMarkdown(
  text: string,
  limit: number,
  note = (omitted: number) => `\n\n_… ${omitted} more characters not shown._`,
): string {
  if (text.length <= limit) return text;
  const reserve = note(text.length).length + 8;
  let cut = text.lastIndexOf('\n', Math.max(0, limit - reserve));
  if (cut < limit / 2) cut = Math.max(0, limit - reserve);
  // Do not split a surrogate pair.
  if (cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1]!)) cut -= 1;
  const out = text.slice(0, cut) + note(text.length - cut);
  return out.length <= limit ? out : out.slice(0, limit);
}
