import { evidenceCounts, renderEvidenceBlock } from '../../src/core/evidence-block.js';
import { evidenceFacts } from '../../src/core/evidence-facts.js';
import type { EvidenceBundle } from '../../src/core/evidence-types.js';
import type { EvidenceKind, ScoringPolicy } from '../../src/core/types.js';

/** The story policies' weights: tests 40, coverage 20, security 20, checklist 20. */
export const STORY_WEIGHTS: Partial<Record<EvidenceKind, number>> = {
  tests: 40,
  coverage: 20,
  security: 20,
  checklist: 20,
};

/**
 * Real evidence (a JUnit count, a coverage report, a clean SARIF run, a checklist) that the
 * core scores at exactly `score` under `weights`: the whole kinds first, then coverage and the
 * checklist for the rest. Throws when the core disagrees, so a test never claims a score the
 * evidence does not have.
 */
export function evidenceScoring(
  score: number,
  weights: Partial<Record<EvidenceKind, number>> = STORY_WEIGHTS,
): EvidenceBundle {
  const bundle: EvidenceBundle = {};
  let left = score;
  const w = (k: EvidenceKind) => weights[k] ?? 0;
  if (w('tests') > 0 && left >= w('tests')) {
    bundle.tests = {
      files: 1,
      suites: 1,
      tests: 120,
      passed: 120,
      failed: 0,
      errors: 0,
      skipped: 0,
      flaky: 0,
      durationMs: 1000,
      failures: [],
      failuresOmitted: 0,
    };
    left -= w('tests');
  }
  if (w('security') > 0 && left >= w('security')) {
    bundle.security = {
      files: 1,
      runs: 1,
      results: { error: 0, warning: 0, note: 0, none: 0 },
      byRule: {},
      perRun: [{ tool: 'codeql', results: { error: 0, warning: 0, note: 0, none: 0 } }],
    };
    left -= w('security');
  }
  if (w('coverage') > 0 && left > 0) {
    const share = Math.min(1, left / w('coverage'));
    const covered = Math.round(share * 800);
    bundle.coverage = {
      formats: ['lcov'],
      lines: { covered, total: 1000, pct: covered / 10 },
      branches: { covered: 0, total: 0, pct: null },
      fileCoverage: [],
    };
    left -= share * w('coverage');
  }
  if (w('checklist') > 0 && left > 0) {
    const checked = Math.round(Math.min(1, left / w('checklist')) * 100);
    bundle.checklist = {
      items: 100,
      checked,
      unchecked: 100 - checked,
      list: Array.from({ length: 100 }, (_, i) => ({ text: `item ${i + 1}`, checked: i < checked })),
    };
  }
  const scoring: ScoringPolicy = {
    weights,
    warnScore: null,
    coverageTarget: 80,
    allowedSarifLevels: ['note', 'none'],
    backupMaxAgeHours: 24,
  };
  const got = evidenceFacts(bundle, scoring, new Date('2026-01-01T00:00:00Z')).score;
  if (got !== score) throw new Error(`test evidence scores ${got}, not ${score}: adjust evidenceScoring`);
  return bundle;
}

/** The `Release evidence` check run text the Action writes for that evidence (its own score shown as `actionScore`). */
export function evidenceText(
  score: number,
  options: { weights?: Partial<Record<EvidenceKind, number>>; actionScore?: number } = {},
): string {
  const bundle = evidenceScoring(score, options.weights);
  return `## Evidence\n\n${renderEvidenceBlock({ version: 1, score: options.actionScore ?? score, breakdown: {}, present: [], digests: {}, counts: evidenceCounts(bundle) })}`;
}
