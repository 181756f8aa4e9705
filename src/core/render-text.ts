import type { Decision, RuleResult, ScoreComponent } from './types.js';

const MARK: Record<RuleResult['outcome'], string> = { pass: 'ok  ', wait: 'WAIT', block: 'FAIL' };

const HEADLINE: Record<Decision['decision'], string> = {
  allow: 'ALLOW: the release may go on',
  wait: 'WAIT: the release is held until every waiting rule clears',
  block: 'BLOCK: the release must not go on',
};

/** A decision in words, for a terminal: headline, one line per rule, score, when it clears. */
export function renderDecisionText(decision: Decision): string {
  const lines: string[] = [];
  lines.push(`${decision.environment}: ${HEADLINE[decision.decision]}`);
  if (decision.ungated) lines.push('(environment not named by the policy: ungated)');
  const width = Math.max(...decision.rules.map((r) => r.code.length));
  for (const r of decision.rules) {
    const clears = r.outcome === 'wait' && r.clearsAt ? ` [clears ${r.clearsAt}]` : '';
    lines.push(`  ${MARK[r.outcome]}  ${r.code.padEnd(width)}  ${r.message}${clears}`);
  }
  if (decision.score !== null) lines.push(`Score: ${decision.score}${renderBreakdownInline(decision.breakdown)}`);
  if (decision.decision === 'wait') {
    lines.push(
      decision.clearsAt
        ? `Clears at ${decision.clearsAt} if nothing else changes.`
        : 'Clears when the awaited event happens (an approval, a check, a deployment).',
    );
  }
  return lines.join('\n');
}

/** `(tests 40/40, coverage 12/20)` from a breakdown. */
export function renderBreakdownInline(breakdown: Decision['breakdown']): string {
  const parts = Object.entries(breakdown).map(([kind, c]) =>
    typeof c === 'number' ? `${kind} ${c}` : `${kind} ${formatPoints(c.points)}/${c.weight}`,
  );
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** A score and its breakdown in words, with the reason for every point given or withheld. */
export function renderScoreText(score: number | null, breakdown: Decision['breakdown']): string {
  if (score === null) return 'Score: none (no evidence given)';
  const lines = [`Score: ${score}`];
  for (const [kind, c] of Object.entries(breakdown)) {
    if (typeof c === 'number') {
      lines.push(`  ${kind}: +${c}`);
      continue;
    }
    lines.push(`  ${kind}: ${formatPoints(c.points)}/${c.weight}${c.present ? '' : ' (not given)'}`);
    for (const reason of (c as ScoreComponent).reasons) lines.push(`      ${reason}`);
  }
  return lines.join('\n');
}

function formatPoints(points: number): string {
  return Number.isInteger(points) ? String(points) : points.toFixed(1);
}
