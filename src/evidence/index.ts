import type {
  ChecklistReport,
  CoverageReport,
  DeclaredEvidence,
  EvidenceBundle,
  SecurityReport,
  TestReport,
} from '../core/evidence-types.js';
import { parseChecklist, parseChecklistText } from './checklist.js';
import { STDIN, mapBounded, parseSource, resolveSources } from './collect.js';
import { mergeCoverageReports, parseCoverage } from './coverage.js';
import { EvidenceError } from './errors.js';
import { mergeTestReports, parseJunit } from './junit.js';
import { mergeSecurityReports, parseSarif } from './sarif.js';

export { EvidenceError } from './errors.js';
export { parseJunit } from './junit.js';
export { parseCoverage } from './coverage.js';
export { parseSarif } from './sarif.js';
export { parseChecklist, parseChecklistText } from './checklist.js';

export interface EvidenceInputs {
  /** Globs, files or directories of JUnit XML reports; `-` for stdin. */
  junit?: string[];
  /** Globs, files or directories of lcov, Cobertura XML or Istanbul coverage-summary.json reports. */
  coverage?: string[];
  /** Globs, files or directories of SARIF 2.1.0 logs. */
  sarif?: string[];
  /** A Markdown file holding the checklist, or `-` for stdin. */
  checklist?: string;
  /** Markdown text holding the checklist, e.g. a PR body. */
  checklistText?: string;
  evidenceUrl?: string;
  declared?: DeclaredEvidence;
  cwd: string;
  stdin?: NodeJS.ReadableStream;
  /** Files parsed at once (default 4). */
  concurrency?: number;
}

const DEFAULT_CONCURRENCY = 4;

function checkStdinOnce(inputs: EvidenceInputs): void {
  const uses = [
    ...(inputs.junit ?? []),
    ...(inputs.coverage ?? []),
    ...(inputs.sarif ?? []),
    inputs.checklist ?? '',
  ].filter((p) => p === STDIN);
  if (uses.length > 1)
    throw new EvidenceError({
      file: STDIN,
      kind: 'input',
      detail: 'stdin can feed only one input; give the other reports as files',
    });
}

/**
 * Read every evidence input into a bundle for `scoreEvidence`. Kinds not given stay
 * undefined. Throws {@link EvidenceError} naming the input on an unreadable or invalid
 * file, or on a glob that matches no file.
 */
export async function collectEvidence(inputs: EvidenceInputs): Promise<EvidenceBundle> {
  checkStdinOnce(inputs);
  const limit = inputs.concurrency ?? DEFAULT_CONCURRENCY;
  const bundle: EvidenceBundle = {};
  if (inputs.junit && inputs.junit.length > 0) {
    const sources = await resolveSources(inputs.junit, inputs.cwd, 'junit');
    const reports = await mapBounded(sources, limit, (s) =>
      parseSource(s, 'junit', (b) => parseJunit(b), inputs.stdin, true),
    );
    bundle.tests = mergeTestReports(reports);
  }
  if (inputs.coverage && inputs.coverage.length > 0) {
    const sources = await resolveSources(inputs.coverage, inputs.cwd, 'coverage');
    const reports = await mapBounded(sources, limit, (s) => parseSource(s, 'coverage', parseCoverage, inputs.stdin));
    bundle.coverage = mergeCoverageReports(reports);
  }
  if (inputs.sarif && inputs.sarif.length > 0) {
    const sources = await resolveSources(inputs.sarif, inputs.cwd, 'sarif');
    const reports = await mapBounded(sources, limit, (s) => parseSource(s, 'sarif', parseSarif, inputs.stdin));
    bundle.security = mergeSecurityReports(reports);
  }
  const lists: ChecklistReport[] = [];
  if (inputs.checklist !== undefined) {
    const [source] = await resolveSources([inputs.checklist], inputs.cwd, 'checklist');
    if (source) lists.push(await parseSource(source, 'checklist', parseChecklist, inputs.stdin));
  }
  if (inputs.checklistText !== undefined) lists.push(parseChecklistText(inputs.checklistText));
  if (lists.length > 0) {
    bundle.checklist = lists.reduce((a, b) => ({
      items: a.items + b.items,
      checked: a.checked + b.checked,
      unchecked: a.unchecked + b.unchecked,
      list: [...a.list, ...b.list],
    }));
  }
  if (inputs.evidenceUrl !== undefined && inputs.evidenceUrl !== '') bundle.evidenceUrl = inputs.evidenceUrl;
  if (inputs.declared !== undefined) bundle.declared = inputs.declared;
  return bundle;
}

function testsJson(t: TestReport): object {
  return {
    files: t.files,
    suites: t.suites,
    tests: t.tests,
    passed: t.passed,
    failed: t.failed,
    errors: t.errors,
    skipped: t.skipped,
    flaky: t.flaky,
    durationMs: t.durationMs,
    failures: t.failures.map((f) => ({
      kind: f.kind,
      suite: f.suite,
      classname: f.classname,
      name: f.name,
      file: f.file,
      line: f.line,
      message: f.message,
      output: f.output,
      truncated: f.truncated,
    })),
    failuresOmitted: t.failuresOmitted,
    ...(t.unlistedFailures ? { unlistedFailures: t.unlistedFailures, mismatches: t.mismatches ?? [] } : {}),
  };
}

function coverageJson(c: CoverageReport): object {
  return { lines: c.lines, branches: c.branches, files: c.fileCoverage.length, formats: c.formats };
}

function securityJson(s: SecurityReport): object {
  return {
    results: s.results,
    runs: s.runs,
    ...(s.runsWithoutResults ? { runsWithoutResults: s.runsWithoutResults } : {}),
    files: s.files,
    byRule: Object.fromEntries(Object.entries(s.byRule)),
  };
}

/**
 * The `evidence` object of the CLI's `--json` output. Kinds that were not given are
 * omitted (not null), so `"tests" in evidence` tells whether tests were given.
 */
export function evidenceJson(bundle: EvidenceBundle): object {
  const out: Record<string, object> = {};
  if (bundle.tests) out.tests = testsJson(bundle.tests);
  if (bundle.coverage) out.coverage = coverageJson(bundle.coverage);
  if (bundle.security) out.security = securityJson(bundle.security);
  if (bundle.checklist)
    out.checklist = {
      items: bundle.checklist.items,
      checked: bundle.checklist.checked,
      unchecked: bundle.checklist.unchecked,
    };
  return out;
}
