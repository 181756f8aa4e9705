/**
 * Plain types of parsed evidence. The parsers in `src/evidence/` build these from files;
 * the score (`score.ts`) reads them. No I/O here.
 */

/** One failing or erroring `testcase` element. */
export interface TestFailure {
  /** `failure` or `error`: which element the case carried (an error wins over a failure). */
  kind: 'failure' | 'error';
  /** Name of the innermost `testsuite` around the case, or null. */
  suite: string | null;
  classname: string | null;
  name: string | null;
  /** Source file as the report gives it (`file` on the case, else on its suite), or null. */
  file: string | null;
  line: number | null;
  /** The `message` attribute (else the `type` attribute), bounded; null when absent. */
  message: string | null;
  /** The body of the failure element, else the case's system-out/system-err; bounded excerpt. */
  output: string;
  /** True when `output` or `message` was cut at the excerpt bound. */
  truncated: boolean;
}

/** Totals of one or more JUnit XML reports. One test per `testcase` element. */
export interface TestReport {
  files: number;
  /** `testsuite` elements, nested ones included. */
  suites: number;
  tests: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  /** Cases that failed at least once and then passed on a rerun (Surefire `flakyFailure`/`flakyError`). */
  flaky: number;
  durationMs: number;
  /** The failing cases, at most the parser's bound; `failuresOmitted` counts the rest. */
  failures: TestFailure[];
  failuresOmitted: number;
  /**
   * Failures and errors that suites declare (`failures="3"`) beyond what their test cases
   * show: the score takes the worse of declared and counted, so they count as failing.
   */
  unlistedFailures?: number;
  /** Where declared totals contradict the cases (a few, for the summary). */
  mismatches?: string[];
}

export interface CoverageCounter {
  covered: number;
  total: number;
  /** Percent, 0-100, two decimals; null when `total` is 0. */
  pct: number | null;
}

export interface FileCoverage {
  file: string;
  lines: CoverageCounter;
  branches: CoverageCounter;
}

export interface CoverageReport {
  /** Report formats seen (`lcov`, `cobertura`, `istanbul-summary`). */
  formats: string[];
  lines: CoverageCounter;
  branches: CoverageCounter;
  /** Per-file coverage, merged by path across reports. */
  fileCoverage: FileCoverage[];
}

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifRunSummary {
  tool: string;
  results: Record<SarifLevel, number>;
}

export interface SarifRuleSummary {
  results: Record<SarifLevel, number>;
  /** Up to a few locations (`uri:line`) of the rule's results, for the summary. */
  locations: string[];
}

/** One SARIF result, as a person would read it in an annotation. */
export interface SarifFinding {
  /** `result.level`, else the rule's `defaultConfiguration.level`, else `warning` (`none` when `kind` is not `fail`). */
  level: SarifLevel;
  ruleId: string | null;
  /** `message.text`, else the rule's message string filled with the arguments, else the rule's short description (bounded). */
  message: string;
  /** The first location's file: a path (`file://` removed, `uriBaseId` resolved where the log says how), or the URI as written. */
  file: string | null;
  startLine: number | null;
  endLine: number | null;
  startColumn: number | null;
  endColumn: number | null;
}

export interface SecurityReport {
  files: number;
  runs: number;
  /**
   * Runs whose `results` is null or absent: SARIF's way of saying the tool produced no
   * results (it failed or was not asked to), unlike `results: []`, a scan that found nothing.
   */
  runsWithoutResults?: number;
  results: Record<SarifLevel, number>;
  byRule: Record<string, SarifRuleSummary>;
  perRun: SarifRunSummary[];
  /**
   * The results themselves, most severe first (every error up to a cap, then warnings,
   * notes, none), bounded; in file order within a level.
   */
  findings?: SarifFinding[];
  /** Results not in `findings`: `findings.length + findingsOmitted` is the number of results. */
  findingsOmitted?: number;
}

export interface ChecklistItem {
  text: string;
  checked: boolean;
}

export interface ChecklistReport {
  items: number;
  checked: number;
  unchecked: number;
  list: ChecklistItem[];
}

/** Evidence declared rather than parsed: a rollback plan, a backup record, a migrations review. */
export interface DeclaredEvidence {
  /** A file in the repository or a URL describing how to roll back. */
  rollbackPlan?: string | null;
  /** A backup record: where it is and when it was taken (ISO-8601). */
  backup?: { location?: string | null; takenAt: string } | null;
  /** A file or URL showing the migrations were reviewed. */
  migrations?: string | null;
}

export interface EvidenceBundle {
  tests?: TestReport;
  coverage?: CoverageReport;
  security?: SecurityReport;
  checklist?: ChecklistReport;
  declared?: DeclaredEvidence;
  /** The Aurora-style evidence URL, scored by the URL heuristic. */
  evidenceUrl?: string;
}
