import type { TestFailure, TestReport } from '../core/evidence-types.js';
import { ParseError } from './errors.js';
import { XmlStream, type XmlHandler } from './xml-stream.js';

export interface JunitOptions {
  /** Failing cases listed in detail (default 500); the rest are counted in `failuresOmitted`. */
  maxFailures?: number;
  /** Bound of each failure's `output` and `message` excerpt, in bytes (default 64 KiB). */
  maxOutputBytes?: number;
  /** Deepest element nesting accepted (default 256). */
  maxDepth?: number;
}

export const DEFAULT_MAX_FAILURES = 500;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;

type Outcome = 0 | 1 | 2 | 3; // passed < skipped < failure < error
function outcomeOf(name: string): Outcome | undefined {
  return name === 'failure' ? 2 : name === 'error' ? 3 : name === 'skipped' ? 1 : undefined;
}

interface SuiteFrame {
  name: string | null;
  file: string | null;
  /** The suite's own `time`, in ms, when valid. */
  timeMs: number | null;
  /** Sum of the times of its cases and nested suites, in ms. */
  innerMs: number;
  /** `failures` + `errors` the element declares, or null when it declares neither. */
  declaredFailing: number | null;
  /** Failing and erroring cases inside it (nested suites included), plus what they declared beyond their cases. */
  failing: number;
  line: number;
}

/** Descriptions of suites whose declared totals contradict their cases, kept in the report. */
const MAX_MISMATCH_NOTES = 5;

/** A declared count attribute: a whole number, or null when absent or not one. */
function declaredCount(value: string | undefined): number | null {
  if (value === undefined) return null;
  const v = value.trim();
  if (!/^\d{1,15}$/.test(v)) return null;
  return Number(v);
}

interface CaseFrame {
  depth: number;
  /** Whether its details are read: it could fail and the failure list still has room. */
  detail: boolean;
  classname: string | null;
  name: string | null;
  file: string | null;
  line: number | null;
  timeMs: number;
  outcome: Outcome;
  flaky: boolean;
  message: string | null;
  output: string;
  systemOut: string;
  truncated: boolean;
}

/**
 * A report's `time` attribute in seconds, as milliseconds; null when absent or not a number.
 * Accepts `time=""` (absent) and thousands separators (`2,120.532`), never yields NaN.
 */
export function parseTimeMs(value: string | undefined): number | null {
  if (value === undefined) return null;
  if (isPlainDecimal(value)) return Number(value) * 1000;
  const v = value.trim().replace(/,/g, '');
  if (v === '' || !/^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) return null;
  const s = Number(v);
  return Number.isFinite(s) ? s * 1000 : null;
}

/** Digits with at most one '.' and a digit somewhere: what nearly every report writes. */
function isPlainDecimal(v: string): boolean {
  const n = v.length;
  if (n === 0 || n > 20) return false;
  let dot = false;
  let digit = false;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) digit = true;
    else if (c === 0x2e && !dot) dot = true;
    else return false;
  }
  return digit;
}

function parseLine(value: string | undefined): number | null {
  if (value === undefined) return null;
  if (value.length > 0 && value.length < 16 && isPlainDecimal(value) && value.indexOf('.') === -1) return Number(value);
  if (!/^\s*\d+\s*$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

function bound(s: string, max: number): { text: string; cut: boolean } {
  // Characters, not bytes: close enough for an excerpt, and never splits a code point pair badly.
  if (s.length <= max) return { text: s, cut: false };
  return { text: s.slice(0, max), cut: true };
}

export function emptyTestReport(): TestReport {
  return {
    files: 0,
    suites: 0,
    tests: 0,
    passed: 0,
    failed: 0,
    errors: 0,
    skipped: 0,
    flaky: 0,
    durationMs: 0,
    failures: [],
    failuresOmitted: 0,
  };
}

/** Counts one JUnit XML document as the tokenizer reads it. */
class JunitHandler implements XmlHandler {
  readonly report: TestReport = { ...emptyTestReport(), files: 1 };
  xs!: XmlStream;
  private depth = 0;
  private readonly suites: SuiteFrame[] = [];
  private readonly cases: CaseFrame[] = [];
  /** What the captured text belongs to: an outcome element, system-out/err, or nothing. */
  private capturing: 'outcome' | 'system' | null = null;
  private capturingOutcome: Outcome = 0;
  private looseMs = 0;
  /** The `<testsuites>` root, when there is one (it declares totals too). */
  private root: SuiteFrame | null = null;

  constructor(
    private readonly maxFailures: number,
    private readonly maxOutput: number,
  ) {}

  open(name: string, _attrs: unknown, selfClosing: boolean): void {
    const xs = this.xs;
    this.depth++;
    if (this.depth === 1 && name !== 'testsuites' && name !== 'testsuite') {
      throw new ParseError(
        `not a JUnit XML report: the root element is <${name}>, expected <testsuites> or <testsuite>`,
      );
    }
    if (name === 'testsuite' || (name === 'testsuites' && this.depth === 1)) {
      const failures = declaredCount(xs.attr('failures'));
      const errors = declaredCount(xs.attr('errors'));
      const declaredFailing = failures === null && errors === null ? null : (failures ?? 0) + (errors ?? 0);
      if (name === 'testsuites') {
        this.root = {
          name: xs.attr('name') ?? null,
          file: null,
          timeMs: null,
          innerMs: 0,
          declaredFailing,
          failing: 0,
          line: xs.line,
        };
        return;
      }
      this.report.suites++;
      this.suites.push({
        name: xs.attr('name') ?? null,
        file: xs.attr('file') ?? xs.attr('filepath') ?? null,
        timeMs: parseTimeMs(xs.attr('time')),
        innerMs: 0,
        declaredFailing,
        failing: 0,
        line: xs.line,
      });
      return;
    }
    if (name === 'testcase') {
      const suite = this.suites[this.suites.length - 1];
      const t = xs.attrDecimal('time');
      const timeMs = t >= 0 ? t * 1000 : t === -1 ? 0 : (parseTimeMs(xs.attr('time')) ?? 0);
      if (selfClosing) {
        // No children, so a passed case: counted here, without a frame (close() finds none of its depth).
        this.report.tests++;
        this.report.passed++;
        if (suite) suite.innerMs += timeMs;
        else this.looseMs += timeMs;
        return;
      }
      // A failure past the list's bound is only counted: no need to decode its names.
      const detail = this.report.failures.length < this.maxFailures;
      this.cases.push({
        depth: this.depth,
        detail,
        classname: detail ? (xs.attr('classname') ?? null) : null,
        name: detail ? (xs.attr('name') ?? null) : null,
        file: detail ? (xs.attr('file') ?? xs.attr('filepath') ?? suite?.file ?? null) : null,
        line: detail ? parseLine(xs.attr('line') ?? xs.attr('lineno')) : null,
        timeMs,
        outcome: 0,
        flaky: false,
        message: null,
        output: '',
        systemOut: '',
        truncated: false,
      });
      return;
    }
    const tc = this.cases[this.cases.length - 1];
    if (tc === undefined || this.depth !== tc.depth + 1) return;
    const outcome = outcomeOf(name);
    if (outcome !== undefined) {
      // One outcome per case: an error wins over a failure, a failure over a skip.
      if (outcome > tc.outcome) {
        tc.outcome = outcome;
        if (outcome >= 2 && tc.detail) {
          const msg = xs.attr('message') ?? xs.attr('type') ?? null;
          const b = msg === null ? null : bound(msg, this.maxOutput);
          tc.message = b?.text ?? null;
          tc.truncated = b?.cut ?? false;
          tc.output = '';
          this.capturing = 'outcome';
          this.capturingOutcome = outcome;
          this.xs.captureText = true;
        }
      }
    } else if (name === 'flakyFailure' || name === 'flakyError') {
      tc.flaky = true;
    } else if ((name === 'system-out' || name === 'system-err') && tc.detail) {
      this.capturing = 'system';
      this.xs.captureText = true;
    }
  }

  close(name: string): void {
    const depth = this.depth--;
    if (this.capturing !== null && this.xs.captureText) {
      const tc = this.cases[this.cases.length - 1];
      if (tc !== undefined && depth === tc.depth + 1) {
        const { text, truncated } = this.xs.takeText();
        if (
          this.capturing === 'outcome' &&
          outcomeOf(name) === this.capturingOutcome &&
          tc.outcome === this.capturingOutcome
        ) {
          tc.output = text.trim();
          tc.truncated ||= truncated;
        } else if (this.capturing === 'system' && (name === 'system-out' || name === 'system-err')) {
          const add = text.trim();
          if (add !== '' && tc.systemOut.length < this.maxOutput) {
            tc.systemOut = bound(tc.systemOut === '' ? add : `${tc.systemOut}\n${add}`, this.maxOutput).text;
          }
        }
        this.capturing = null;
        this.xs.captureText = false;
      }
    }
    if (name === 'testcase') {
      const tc = this.cases[this.cases.length - 1];
      if (tc !== undefined && tc.depth === depth) {
        this.cases.pop();
        this.finishCase(tc);
      }
    } else if (name === 'testsuite') {
      const s = this.suites.pop();
      if (s !== undefined) {
        const ms = s.timeMs ?? s.innerMs;
        const parent = this.suites[this.suites.length - 1];
        if (parent) parent.innerMs += ms;
        else this.report.durationMs += ms;
        this.checkDeclared(s, 'suite');
        const outer = parent ?? this.root;
        if (outer) outer.failing += s.failing;
      }
    } else if (name === 'testsuites' && depth === 1 && this.root !== null) {
      this.checkDeclared(this.root, 'report');
    }
  }

  /**
   * A suite that declares more failures and errors than its cases show (a crash in a
   * hook, or totals written by hand) is scored by the worse of the two: the difference
   * counts as failing, and the report says where.
   */
  private checkDeclared(s: SuiteFrame, what: 'suite' | 'report'): void {
    if (s.declaredFailing === null || s.declaredFailing <= s.failing) return;
    const extra = s.declaredFailing - s.failing;
    const r = this.report;
    r.unlistedFailures = (r.unlistedFailures ?? 0) + extra;
    s.failing = s.declaredFailing;
    const notes = (r.mismatches ??= []);
    if (notes.length < MAX_MISMATCH_NOTES) {
      const label =
        what === 'report'
          ? '<testsuites>'
          : `suite ${s.name === null ? '(unnamed)' : JSON.stringify(s.name.slice(0, 80))}`;
      notes.push(
        `${label} (line ${s.line}) declares ${s.declaredFailing} failures and errors but its test cases show ${s.declaredFailing - extra}`,
      );
    }
  }

  finish(): TestReport {
    this.report.durationMs = Math.round(this.report.durationMs + this.looseMs);
    return this.report;
  }

  private finishCase(tc: CaseFrame): void {
    const r = this.report;
    r.tests++;
    if (tc.outcome >= 2) {
      const s = this.suites[this.suites.length - 1] ?? this.root;
      if (s) s.failing++;
    }
    if (tc.flaky && tc.outcome === 0) r.flaky++;
    const suite = this.suites[this.suites.length - 1];
    if (suite) suite.innerMs += tc.timeMs;
    else this.looseMs += tc.timeMs;
    if (tc.outcome === 0) r.passed++;
    else if (tc.outcome === 1) r.skipped++;
    else {
      if (tc.outcome === 2) r.failed++;
      else r.errors++;
      if (r.failures.length >= this.maxFailures) {
        r.failuresOmitted++;
        return;
      }
      const failure: TestFailure = {
        kind: tc.outcome === 3 ? 'error' : 'failure',
        suite: suite?.name ?? null,
        classname: tc.classname,
        name: tc.name,
        file: tc.file,
        line: tc.line,
        message: tc.message,
        output: tc.output !== '' ? tc.output : tc.systemOut,
        truncated: tc.truncated,
      };
      r.failures.push(failure);
    }
  }
}

/**
 * Parse one JUnit XML document from a stream of bytes. Memory is bounded by the options,
 * not by the size of the input. Throws {@link ParseError} on malformed XML or a root
 * element other than `testsuites`/`testsuite`.
 */
export async function parseJunit(
  source: AsyncIterable<Buffer | string>,
  options: JunitOptions = {},
): Promise<TestReport> {
  const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const handler = new JunitHandler(options.maxFailures ?? DEFAULT_MAX_FAILURES, maxOutput);
  const xs = new XmlStream(handler, { maxDepth: options.maxDepth ?? 256, maxTextBytes: maxOutput, lazyAttrs: true });
  handler.xs = xs;
  for await (const chunk of source) xs.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  xs.end();
  return handler.finish();
}

/** Sum several reports (one per file); the failure list stays within `maxFailures`. */
export function mergeTestReports(reports: TestReport[], maxFailures = DEFAULT_MAX_FAILURES): TestReport {
  const out = emptyTestReport();
  for (const r of reports) {
    out.files += r.files;
    out.suites += r.suites;
    out.tests += r.tests;
    out.passed += r.passed;
    out.failed += r.failed;
    out.errors += r.errors;
    out.skipped += r.skipped;
    out.flaky += r.flaky;
    out.durationMs += r.durationMs;
    out.failuresOmitted += r.failuresOmitted;
    if (r.unlistedFailures) out.unlistedFailures = (out.unlistedFailures ?? 0) + r.unlistedFailures;
    if (r.mismatches) out.mismatches = [...(out.mismatches ?? []), ...r.mismatches].slice(0, MAX_MISMATCH_NOTES);
    for (const f of r.failures) {
      if (out.failures.length < maxFailures) out.failures.push(f);
      else out.failuresOmitted++;
    }
  }
  return out;
}
