/**
 * The words of a verification: the check run's title and table of measurements, the incident
 * issue, and the rollback's reason. Pure: from the plan, the rounds and the judgement.
 */
import { escapeMarkdown, inlineCode } from './markdown-escape.js';
import { plannedRounds } from './verification.js';
import type { Measurement, Round, VerificationJudgement, VerifyPlan } from './verification.js';

/** The check run's name for a stage: `Release gate / verify PROD`. */
export function verifyCheckName(stage: string): string {
  return `Release gate / verify ${stage}`;
}

/** Rounds shown in full in a table; older ones are counted in one line (GitHub's 65,535-character summary). */
export const TABLE_ROUNDS = 60;

const MARK: Record<Measurement['outcome'], string> = { pass: '✅', fail: '❌', 'no-data': '⚪' };

function cell(m: Measurement | undefined): string {
  if (!m) return '';
  const value = m.value === null ? 'no data' : String(m.value);
  return `${MARK[m.outcome]} ${escapeMarkdown(value)}${m.outcome === 'pass' ? '' : ` (${escapeMarkdown(m.note)})`}`;
}

/** The rounds as a Markdown table, one column per check, the newest {@link TABLE_ROUNDS} rounds. */
export function renderRoundsTable(plan: Pick<VerifyPlan, 'checks'>, rounds: readonly Round[]): string {
  if (rounds.length === 0) return '_No measurement yet._';
  const names = plan.checks.map((c) => c.name);
  const header = `| # | at | ${names.map((n) => escapeMarkdown(n)).join(' | ')} |`;
  const rule = `|---|---|${names.map(() => '---').join('|')}|`;
  const skipped = Math.max(0, rounds.length - TABLE_ROUNDS);
  const rows = rounds.slice(skipped).map((r, i) => {
    const by = new Map(r.measurements.map((m) => [m.check, m]));
    return `| ${skipped + i + 1} | ${r.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} | ${names.map((n) => cell(by.get(n))).join(' | ')} |`;
  });
  return [...(skipped > 0 ? [`_${skipped} earlier round(s) not shown._`, ''] : []), header, rule, ...rows].join('\n');
}

/** What each check measures, for the summary. */
function checksList(plan: Pick<VerifyPlan, 'checks'>): string {
  return plan.checks
    .map((c) => {
      const what =
        c.query !== undefined
          ? `${inlineCode(c.query)}${c.min !== undefined ? `, min ${c.min}` : ''}${c.max !== undefined ? `, max ${c.max}` : ''}`
          : [
              c.path !== undefined ? `GET ${inlineCode(c.path)}` : 'GET',
              ...(c.expectStatus !== undefined ? [`status ${c.expectStatus}`] : []),
              ...(c.jsonPath !== undefined ? [`${inlineCode(c.jsonPath)}`] : []),
              ...(c.equals !== undefined ? [`= ${inlineCode(JSON.stringify(c.equals))}`] : []),
            ].join(', ');
      return `- **${escapeMarkdown(c.name)}** on ${escapeMarkdown(c.source)}: ${what}`;
    })
    .join('\n');
}

/** The check run's title and summary at any point: running, or concluded. */
export function renderVerification(
  stage: string,
  plan: VerifyPlan,
  rounds: readonly Round[],
  judgement: VerificationJudgement,
  extra: string[] = [],
): { title: string; summary: string } {
  const planned = plannedRounds(plan);
  const title =
    judgement.state === 'running'
      ? `Verifying ${stage}: ${rounds.length} of ${planned} rounds, ${judgement.failedRounds} failed`
      : judgement.state === 'verified'
        ? `Verified in ${stage}`
        : judgement.state === 'failed'
          ? `Verification failed in ${stage}`
          : `Verification inconclusive in ${stage}`;
  const summary = [
    `**${escapeMarkdown(judgement.reason)}.**`,
    '',
    `Every ${plan.intervalMs / 1000}s for ${plan.durationMs / 1000}s; failureLimit ${plan.failureLimit}; noData: ${plan.noData}.`,
    '',
    checksList(plan),
    ...extra.flatMap((line) => ['', line]),
    '',
    renderRoundsTable(plan, rounds),
  ].join('\n');
  return { title, summary: summary.length > 60_000 ? `${summary.slice(0, 60_000)}\n\n_(cut)_` : summary };
}

/** The failed checks with their measured values, one line each. */
export function describeFailures(failures: readonly Measurement[]): string {
  return failures.map((m) => `${m.check} = ${m.value === null ? 'no data' : String(m.value)} (${m.note})`).join('; ');
}
