import type { EvidenceBundle, SarifLevel } from './evidence-types.js';
import { EVIDENCE_URL_MAX, scoreEvidenceUrl } from './evidence-url.js';
import {
  EVIDENCE_KINDS,
  type EvidenceKind,
  type ScoreComponent,
  type ScoreResult,
  type ScoringPolicy,
} from './types.js';

/**
 * How the evidence is scored (the README repeats this table):
 *
 * | kind | full marks | partial |
 * |---|---|---|
 * | tests | > 0 test cases, none failed or errored | pass rate of the executed (not skipped) cases, at most half the weight while any case fails or errors; 0 with no case or all skipped |
 * | coverage | line coverage >= `coverageTarget` | weight x coverage / target |
 * | security | no SARIF result at a level outside `allowedSarifLevels` | half the weight when only `warning` results are not allowed; 0 with any not-allowed `error` |
 * | checklist | every task item checked | weight x checked / items; 0 with no item |
 * | rollbackPlan, migrations | declared (a file or URL) | none |
 * | backup | a backup taken no more than `backupMaxAgeHours` before `now` | none |
 * | evidenceUrl | the Aurora URL heuristic's score, which is at most 80 | weight x urlScore / 100 |
 *
 * Rounding: each component's points are kept to two decimals; the score is the sum of the
 * unrounded points, rounded half up to an integer. When the weights do not sum to 100 the
 * sum is rescaled to 0-100 (points x 100 / total weight), and a reason says so.
 */

const NO_EVIDENCE: Record<EvidenceKind, string> = {
  tests: 'no JUnit test report given',
  coverage: 'no coverage report given',
  security: 'no SARIF security report given',
  checklist: 'no checklist given',
  rollbackPlan: 'no rollback plan given',
  backup: 'no backup record given',
  migrations: 'no migrations review given',
  evidenceUrl: 'no evidence URL given',
};

function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

interface Scored {
  present: boolean;
  /** Fraction of the weight earned, 0-1. */
  share: number;
  reasons: string[];
}

function absent(kind: EvidenceKind): Scored {
  return { present: false, share: 0, reasons: [NO_EVIDENCE[kind]] };
}

/** A count that can be true: a whole, safe number, at least 0. */
function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function scoreTests(bundle: EvidenceBundle): Scored {
  const t = bundle.tests;
  if (!t) return absent('tests');
  // Counts that contradict each other are no evidence (fail closed): they would score as if true.
  const parts = [t.tests, t.passed, t.failed, t.errors, t.skipped, t.unlistedFailures ?? 0];
  if (!parts.every(isCount) || t.passed + t.failed + t.errors + t.skipped !== t.tests) {
    return {
      present: true,
      share: 0,
      reasons: [
        `the test counts are inconsistent (${String(t.tests)} tests, but ${String(t.passed)} passed + ${String(t.failed)} failed + ${String(t.errors)} errors + ${String(t.skipped)} skipped): no points for counts that cannot be true`,
      ],
    };
  }
  const unlisted = t.unlistedFailures ?? 0;
  const executed = t.passed + t.failed + t.errors + unlisted;
  const counts = `${plural(t.tests, 'test')} in ${plural(t.files, 'file')}: ${t.passed} passed, ${t.failed} failed, ${plural(t.errors, 'error')}, ${t.skipped} skipped`;
  if (unlisted > 0) {
    const where = t.mismatches && t.mismatches.length > 0 ? ` (${t.mismatches.join('; ')})` : '';
    const rate = t.passed / executed;
    return {
      present: true,
      share: Math.min(rate, 0.5),
      reasons: [
        counts,
        `the suites declare ${plural(unlisted, 'more failure or error', 'more failures and errors')} than their test cases show${where}: the worse of declared and counted is scored, so they count as failing`,
        `${t.passed} of ${executed} tests passed (${fmt(rate * 100)}%); while any test fails or errors the tests earn at most half their weight`,
      ],
    };
  }
  if (t.tests === 0) return { present: true, share: 0, reasons: [`${counts}; full marks need at least one test case`] };
  if (executed === 0) return { present: true, share: 0, reasons: [`${counts}; every test was skipped, nothing ran`] };
  const rate = t.passed / executed;
  if (t.failed + t.errors === 0) return { present: true, share: 1, reasons: [`${counts}; every test that ran passed`] };
  const share = Math.min(rate, 0.5);
  return {
    present: true,
    share,
    reasons: [
      counts,
      `${t.passed} of ${executed} tests that ran passed (${fmt(rate * 100)}%); while any test fails or errors the tests earn at most half their weight`,
    ],
  };
}

function scoreCoverage(bundle: EvidenceBundle, target: number): Scored {
  const c = bundle.coverage;
  if (!c) return absent('coverage');
  for (const [what, k] of [
    ['line', c.lines],
    ['branch', c.branches],
  ] as const) {
    if (!isCount(k.covered) || !isCount(k.total) || k.covered > k.total) {
      return {
        present: true,
        share: 0,
        reasons: [
          `the ${what} counts are inconsistent (${String(k.covered)} covered of ${String(k.total)}): coverage above 100% is no evidence, so no points`,
        ],
      };
    }
  }
  if (c.lines.total === 0 || c.lines.pct === null)
    return { present: true, share: 0, reasons: ['the coverage reports count no executable line'] };
  const pct = c.lines.pct;
  const branches =
    c.branches.total > 0
      ? `; branch coverage ${fmt(c.branches.pct ?? 0)}% (${c.branches.covered}/${c.branches.total}, not scored)`
      : '';
  const lines = `line coverage ${fmt(pct)}% (${c.lines.covered}/${c.lines.total} lines)${branches}`;
  if (target <= 0 || pct >= target)
    return { present: true, share: 1, reasons: [`${lines} meets the target of ${fmt(target)}%`] };
  return {
    present: true,
    share: pct / target,
    reasons: [`${lines} is below the target of ${fmt(target)}%: coverage / target of the weight`],
  };
}

function scoreSecurity(bundle: EvidenceBundle, allowed: readonly SarifLevel[]): Scored {
  const s = bundle.security;
  if (!s) return absent('security');
  const r = s.results;
  if (![s.runs, s.runsWithoutResults ?? 0, r.error, r.warning, r.note, r.none].every(isCount)) {
    return {
      present: true,
      share: 0,
      reasons: ['the SARIF counts are not whole numbers: no points for counts that cannot be true'],
    };
  }
  const counts = `${plural(s.runs, 'SARIF run')}: ${r.error} error, ${r.warning} warning, ${r.note} note, ${r.none} none`;
  // A log without a run, or with a run whose tool produced no results, shows no scan that finished.
  if (s.runs === 0)
    return {
      present: true,
      share: 0,
      reasons: [`${counts}; the SARIF log has no run, so no scan is shown to have run: no points`],
    };
  if ((s.runsWithoutResults ?? 0) > 0) {
    return {
      present: true,
      share: 0,
      reasons: [
        counts,
        `${plural(s.runsWithoutResults!, 'run')} with "results" null or absent: SARIF's way of saying the tool produced no results (a scan that found nothing writes "results": []): no points`,
      ],
    };
  }
  const allowedText = allowed.length > 0 ? `allowed levels: ${allowed.join(', ')}` : 'no level is allowed';
  const otherLevels = (['note', 'none'] as const).filter((l) => !allowed.includes(l) && r[l] > 0);
  if (r.error > 0 && !allowed.includes('error')) {
    return {
      present: true,
      share: 0,
      reasons: [
        counts,
        `${plural(r.error, 'error result')} (${allowedText}): no points while any error result remains`,
      ],
    };
  }
  if ((r.warning > 0 && !allowed.includes('warning')) || otherLevels.length > 0) {
    const what =
      r.warning > 0 && !allowed.includes('warning')
        ? plural(r.warning, 'warning result')
        : otherLevels.map((l) => `${r[l]} ${l} results`).join(', ');
    return {
      present: true,
      share: 0.5,
      reasons: [counts, `${what} at a level that is not allowed (${allowedText}): half the weight`],
    };
  }
  return { present: true, share: 1, reasons: [`${counts}; no result at a level that costs points (${allowedText})`] };
}

function scoreChecklist(bundle: EvidenceBundle): Scored {
  const c = bundle.checklist;
  if (!c) return absent('checklist');
  if (c.items === 0) return { present: true, share: 0, reasons: ['the checklist has no task item (`- [ ] ...`)'] };
  const open = c.list
    .filter((i) => !i.checked)
    .map((i) => `"${i.text}"`)
    .slice(0, 5);
  const reasons = [`${c.checked} of ${plural(c.items, 'checklist item')} checked`];
  if (c.unchecked > 0)
    reasons.push(
      `unchecked: ${open.join(', ')}${c.unchecked > open.length ? ` and ${c.unchecked - open.length} more` : ''}`,
    );
  return { present: true, share: c.checked / c.items, reasons };
}

function scoreDeclared(kind: 'rollbackPlan' | 'migrations', value: string | null | undefined): Scored {
  if (!value || value.trim() === '') return absent(kind);
  const what = kind === 'rollbackPlan' ? 'rollback plan' : 'migrations review';
  return { present: true, share: 1, reasons: [`${what} declared: ${value.trim()}`] };
}

function scoreBackup(bundle: EvidenceBundle, maxAgeHours: number, now: Date): Scored {
  const b = bundle.declared?.backup;
  if (!b) return absent('backup');
  const at = Date.parse(b.takenAt);
  const where = b.location ? ` (${b.location})` : '';
  if (!/^\d{4}-\d{2}-\d{2}T/.test(b.takenAt) || Number.isNaN(at)) {
    return { present: true, share: 0, reasons: [`backup record${where} has no valid ISO-8601 time: "${b.takenAt}"`] };
  }
  const ageHours = (now.getTime() - at) / 3_600_000;
  // A few minutes of clock skew between machines is not a backup from the future.
  if (ageHours < -5 / 60)
    return {
      present: true,
      share: 0,
      reasons: [`backup record${where} is dated ${b.takenAt}, after now (${now.toISOString()})`],
    };
  if (ageHours > maxAgeHours) {
    return {
      present: true,
      share: 0,
      reasons: [
        `backup${where} taken ${b.takenAt} is ${fmt(ageHours)} h old, older than the bound of ${fmt(maxAgeHours)} h`,
      ],
    };
  }
  return {
    present: true,
    share: 1,
    reasons: [`backup${where} taken ${b.takenAt}, ${fmt(Math.max(0, ageHours))} h ago (bound ${fmt(maxAgeHours)} h)`],
  };
}

function scoreUrl(bundle: EvidenceBundle): Scored {
  const url = bundle.evidenceUrl;
  if (!url) return absent('evidenceUrl');
  const { score, breakdown: b } = scoreEvidenceUrl(url);
  const parts = [
    `https ${b.https ? '+20' : '0 (not https://)'}`,
    `contains "test" ${b.contains_test ? '+20' : '0'}`,
    `contains "PASS" ${b.contains_pass ? '+30' : '0'}`,
    `report extension (.xml/.json/.html) ${b.file_extension ? '+10' : '0'}`,
  ];
  return {
    present: true,
    share: score / 100,
    reasons: [
      `URL heuristic ${score} of ${EVIDENCE_URL_MAX}: ${parts.join(', ')}`,
      `points are weight x ${score} / 100: the Aurora heuristic's criteria add up to ${EVIDENCE_URL_MAX}, so this kind never earns its full weight`,
    ],
  };
}

function scoreKind(kind: EvidenceKind, bundle: EvidenceBundle, scoring: ScoringPolicy, now: Date): Scored {
  switch (kind) {
    case 'tests':
      return scoreTests(bundle);
    case 'coverage':
      return scoreCoverage(bundle, scoring.coverageTarget);
    case 'security':
      return scoreSecurity(bundle, scoring.allowedSarifLevels);
    case 'checklist':
      return scoreChecklist(bundle);
    case 'rollbackPlan':
      return scoreDeclared('rollbackPlan', bundle.declared?.rollbackPlan);
    case 'migrations':
      return scoreDeclared('migrations', bundle.declared?.migrations);
    case 'backup':
      return scoreBackup(bundle, scoring.backupMaxAgeHours, now);
    case 'evidenceUrl':
      return scoreUrl(bundle);
  }
}

/**
 * Score a bundle of parsed evidence under the policy's weights: a score from 0 to 100 and,
 * for every weighted kind, the points earned out of its weight with the reasons. Pure and
 * deterministic; `now` is only used for the age of a backup record. Kinds without a
 * positive weight are not scored and do not appear in the breakdown.
 */
export function scoreEvidence(bundle: EvidenceBundle, scoring: ScoringPolicy, now: Date): ScoreResult {
  const breakdown: Record<string, ScoreComponent> = {};
  let total = 0;
  let totalWeight = 0;
  for (const kind of EVIDENCE_KINDS) {
    const weight = scoring.weights[kind];
    if (weight === undefined || !(weight > 0)) continue;
    const s = scoreKind(kind, bundle, scoring, now);
    const points = weight * Math.max(0, Math.min(1, s.share));
    total += points;
    totalWeight += weight;
    const reasons = [...s.reasons, `${fmt(points)} of ${fmt(weight)} points`];
    breakdown[kind] = { kind, weight, points: Math.round(points * 100) / 100, present: s.present, reasons };
  }
  // Round to 1e-6 first so that float noise (69.4999999) cannot flip the half-up rounding.
  const roundHalfUp = (x: number): number => Math.round(Math.round(x * 1e6) / 1e6);
  let score = roundHalfUp(total);
  if (totalWeight > 0 && totalWeight !== 100) {
    score = roundHalfUp((total * 100) / totalWeight);
    for (const c of Object.values(breakdown))
      c.reasons.push(`the weights sum to ${fmt(totalWeight)}, not 100: the score is rescaled to 0-100`);
  }
  return { score: Math.max(0, Math.min(100, score)), breakdown };
}
