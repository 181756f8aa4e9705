import type { EvidenceBundle } from './evidence-types.js';
import { EVIDENCE_KINDS } from './types.js';
import type { EvidenceKind } from './types.js';

/**
 * The machine-readable block the Action leaves in the `Release evidence` check run's
 * `output.text` and the App reads back. It travels as an HTML comment so the check run
 * page shows only the readable summary around it:
 *
 *     <!-- release-gate:evidence v1 {"version":1,...} -->
 *
 * The JSON is written with `<`, `>` and `&` escaped as `\u003c`, `\u003e`, `\u0026`, so
 * no value (a file name, a reason) can close the comment early or inject HTML.
 */
export interface EvidenceBlockData {
  version: 1;
  /** The environment the Action evaluated for, when it was given one. */
  environment?: string;
  /** The evidence score, or null when no evidence was given. */
  score: number | null;
  /** Points per kind (`ScoreComponent` objects or plain numbers), as the core computed them. */
  breakdown: Record<string, unknown>;
  /** Evidence kinds that were supplied. */
  present: EvidenceKind[];
  /** Artifact name or path -> `sha256:<hex>` digest of what was scored. */
  digests: Record<string, string>;
  /** The Action's own decision (`allow`, `wait`, `block`), when it evaluated a policy. */
  decision?: string;
  /**
   * The raw counts the score was computed from (the evidence without its long lists). The App
   * scores these itself under the default branch's policy; the Action's `score` is shown,
   * never used, by the App.
   */
  counts?: EvidenceBundle;
  /**
   * The GitHub Actions workflow run that wrote the block (`GITHUB_RUN_ID`, `GITHUB_RUN_ATTEMPT`):
   * the App traces the evidence to that run on GitHub, since GitHub may file a check run made
   * with `GITHUB_TOKEN` under another workflow's check suite.
   */
  run?: { id: number; attempt?: number };
}

/** How many unchecked checklist items the counts keep (their text is quoted in the reasons). */
const CHECKLIST_ITEMS_KEPT = 20;

/** The evidence reduced to what scoring reads: counts, not the failures, files or findings. */
export function evidenceCounts(bundle: EvidenceBundle): EvidenceBundle {
  const out: EvidenceBundle = {};
  if (bundle.tests)
    out.tests = {
      ...bundle.tests,
      failures: [],
      failuresOmitted: bundle.tests.failures.length + bundle.tests.failuresOmitted,
    };
  if (bundle.coverage) out.coverage = { ...bundle.coverage, fileCoverage: [] };
  if (bundle.security) {
    const { findings: _findings, findingsOmitted: _omitted, ...rest } = bundle.security;
    out.security = { ...rest, byRule: {}, perRun: [] };
  }
  if (bundle.checklist)
    out.checklist = {
      ...bundle.checklist,
      list: bundle.checklist.list.filter((i) => !i.checked).slice(0, CHECKLIST_ITEMS_KEPT),
    };
  if (bundle.declared) out.declared = bundle.declared;
  if (bundle.evidenceUrl !== undefined) out.evidenceUrl = bundle.evidenceUrl;
  return out;
}

const COUNT_MAX = 1e12;
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= COUNT_MAX;

/** The counts' shape, checked before the App scores them: every number a finite count. */
function validCounts(raw: unknown): raw is EvidenceBundle {
  if (!isRecord(raw)) return false;
  const { tests, coverage, security, checklist, declared, evidenceUrl } = raw;
  if (
    tests !== undefined &&
    !(
      isRecord(tests) &&
      ['files', 'suites', 'tests', 'passed', 'failed', 'errors', 'skipped'].every((k) => isCount(tests[k])) &&
      Array.isArray(tests.failures)
    )
  )
    return false;
  const counter = (c: unknown) =>
    isRecord(c) &&
    isCount(c.covered) &&
    isCount(c.total) &&
    (c.pct === null || (typeof c.pct === 'number' && Number.isFinite(c.pct)));
  if (
    coverage !== undefined &&
    !(
      isRecord(coverage) &&
      counter(coverage.lines) &&
      counter(coverage.branches) &&
      Array.isArray(coverage.formats) &&
      Array.isArray(coverage.fileCoverage)
    )
  )
    return false;
  if (
    security !== undefined &&
    !(
      isRecord(security) &&
      isCount(security.files) &&
      isCount(security.runs) &&
      isRecord(security.results) &&
      Object.values(security.results).every(isCount) &&
      isRecord(security.byRule) &&
      Array.isArray(security.perRun)
    )
  )
    return false;
  if (
    checklist !== undefined &&
    !(
      isRecord(checklist) &&
      isCount(checklist.items) &&
      isCount(checklist.checked) &&
      isCount(checklist.unchecked) &&
      Array.isArray(checklist.list)
    )
  )
    return false;
  if (declared !== undefined && !isRecord(declared)) return false;
  if (evidenceUrl !== undefined && typeof evidenceUrl !== 'string') return false;
  return true;
}

const OPEN = '<!-- release-gate:evidence v1 ';
const CLOSE = ' -->';
const BLOCK_PATTERN = /<!-- release-gate:evidence v1 (\{[^\n]*?\}) -->/;

/** Render the block: one line, safe to embed anywhere in Markdown. */
export function renderEvidenceBlock(data: EvidenceBlockData): string {
  const json = JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `${OPEN}${json}${CLOSE}`;
}

/**
 * Find and read the block in a check run's text. Returns null when there is no block or
 * when it does not have the expected shape (a reader never trusts a malformed block).
 */
export function parseEvidenceBlock(text: string | null | undefined): EvidenceBlockData | null {
  if (!text) return null;
  const match = BLOCK_PATTERN.exec(text);
  if (!match) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(match[1]!);
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
  return validateEvidenceBlock(raw);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateEvidenceBlock(raw: unknown): EvidenceBlockData | null {
  if (!isRecord(raw) || raw.version !== 1) return null;
  const { score, breakdown, present, digests, environment, decision, counts, run } = raw;
  if (
    run !== undefined &&
    !(
      isRecord(run) &&
      Number.isSafeInteger(run.id) &&
      (run.id as number) > 0 &&
      (run.attempt === undefined || (Number.isSafeInteger(run.attempt) && (run.attempt as number) > 0))
    )
  )
    return null;
  if (counts !== undefined && !validCounts(counts)) return null;
  if (!(score === null || (typeof score === 'number' && Number.isFinite(score)))) return null;
  if (!isRecord(breakdown)) return null;
  if (!Array.isArray(present) || !present.every((k) => (EVIDENCE_KINDS as readonly unknown[]).includes(k))) return null;
  if (!isRecord(digests) || !Object.values(digests).every((d) => typeof d === 'string')) return null;
  if (environment !== undefined && typeof environment !== 'string') return null;
  if (decision !== undefined && typeof decision !== 'string') return null;
  const data: EvidenceBlockData = {
    version: 1,
    score,
    breakdown,
    present: present as EvidenceKind[],
    digests: digests as Record<string, string>,
  };
  if (environment !== undefined) data.environment = environment;
  if (decision !== undefined) data.decision = decision;
  if (counts !== undefined) data.counts = counts as EvidenceBundle;
  if (run !== undefined) data.run = run as { id: number; attempt?: number };
  return data;
}
