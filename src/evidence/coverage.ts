import type { CoverageCounter, CoverageReport, FileCoverage } from '../core/evidence-types.js';
import { ParseError } from './errors.js';
import { readJsonStream } from './json-stream.js';
import { firstSignificantChar, peek, readLines, type ByteSource } from './read-helpers.js';
import { XmlStream, type XmlAttrs, type XmlHandler } from './xml-stream.js';

/** Largest Istanbul `coverage-summary.json` read. */
export const MAX_COVERAGE_JSON_BYTES = 256 * 1024 * 1024;

/** Percent with two decimals, or null when there is nothing to cover. */
export function percent(covered: number, total: number): number | null {
  return total > 0 ? Math.round((covered / total) * 10000) / 100 : null;
}

function counter(covered: number, total: number): CoverageCounter {
  return { covered, total, pct: percent(covered, total) };
}

interface Acc {
  lc: number;
  lt: number;
  bc: number;
  bt: number;
}

class FileTable {
  private readonly files = new Map<string, Acc>();
  add(file: string, lc: number, lt: number, bc: number, bt: number): void {
    const a = this.files.get(file);
    if (a) {
      a.lc += lc;
      a.lt += lt;
      a.bc += bc;
      a.bt += bt;
    } else {
      this.files.set(file, { lc, lt, bc, bt });
    }
  }
  report(format: string): CoverageReport {
    let lc = 0;
    let lt = 0;
    let bc = 0;
    let bt = 0;
    const fileCoverage: FileCoverage[] = [];
    for (const [file, a] of this.files) {
      lc += a.lc;
      lt += a.lt;
      bc += a.bc;
      bt += a.bt;
      fileCoverage.push({ file, lines: counter(a.lc, a.lt), branches: counter(a.bc, a.bt) });
    }
    return { formats: [format], lines: counter(lc, lt), branches: counter(bc, bt), fileCoverage };
  }
}

/** A non-negative count; hit counts beyond 2^53 (gcov writes 2^64-1 for overflow) stay "more than 0". */
function count(value: string, what: string, line: number): number {
  const n = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || !Number.isFinite(n))
    throw new ParseError(`${what} is not a count: "${value.slice(0, 40)}" (line ${line})`, line, null);
  return n;
}

/** A number of lines or branches: a whole number a real program can have (hit counts may be larger, totals may not). */
function total(value: string, what: string, line: number): number {
  const n = count(value, what, line);
  if (!Number.isSafeInteger(n))
    throw new ParseError(
      `${what} is ${value.trim().slice(0, 40)}, more lines or branches than any program has (line ${line}): the tracefile is corrupt`,
      line,
      null,
    );
  return n;
}

/**
 * lcov tracefile: `SF:` starts a file, `LF`/`LH` and `BRF`/`BRH` give its totals (counted
 * from `DA`/`BRDA` records when absent), `end_of_record` ends it.
 */
export async function parseLcov(source: ByteSource): Promise<CoverageReport> {
  const table = new FileTable();
  let file: string | null = null;
  let da = { hit: 0, found: 0 };
  let brda = { hit: 0, found: 0 };
  let lf: number | null = null;
  let lh: number | null = null;
  let brf: number | null = null;
  let brh: number | null = null;
  let records = 0;
  let sawAny = false;
  /** Lines of the LF/LH/BRF/BRH records of the current file, for the error. */
  const at = { lf: 0, lh: 0, brf: 0, brh: 0 };
  const flush = (): void => {
    if (file === null) return;
    const lines = { hit: lh ?? da.hit, found: lf ?? da.found };
    const branches = { hit: brh ?? brda.hit, found: brf ?? brda.found };
    // More lines hit than found is no coverage report: it would score above 100%.
    if (lines.hit > lines.found) {
      const line = at.lh || at.lf;
      throw new ParseError(
        `${file}: LH:${lines.hit} (lines hit) is more than LF:${lines.found} (lines found) (line ${line}): the counts are inconsistent, so the tracefile cannot be scored`,
        line || null,
        null,
      );
    }
    if (branches.hit > branches.found) {
      const line = at.brh || at.brf;
      throw new ParseError(
        `${file}: BRH:${branches.hit} (branches hit) is more than BRF:${branches.found} (branches found) (line ${line}): the counts are inconsistent, so the tracefile cannot be scored`,
        line || null,
        null,
      );
    }
    table.add(file, lines.hit, lines.found, branches.hit, branches.found);
    records++;
    file = null;
  };
  for await (const { line, number } of readLines(source)) {
    const t = line.trim();
    if (t === '') continue;
    sawAny = true;
    if (t === 'end_of_record') {
      flush();
      continue;
    }
    const colon = t.indexOf(':');
    const tag = colon === -1 ? t : t.slice(0, colon);
    const value = colon === -1 ? '' : t.slice(colon + 1);
    switch (tag) {
      case 'SF':
        flush();
        file = value;
        da = { hit: 0, found: 0 };
        brda = { hit: 0, found: 0 };
        lf = lh = brf = brh = null;
        at.lf = at.lh = at.brf = at.brh = 0;
        break;
      case 'DA': {
        const hits = value.split(',')[1] ?? '';
        da.found++;
        if (count(hits, 'DA hits', number) > 0) da.hit++;
        break;
      }
      case 'BRDA': {
        const taken = value.split(',')[3] ?? '';
        brda.found++;
        if (taken.trim() !== '-' && count(taken, 'BRDA taken', number) > 0) brda.hit++;
        break;
      }
      case 'LF':
        lf = total(value, 'LF', number);
        at.lf = number;
        break;
      case 'LH':
        lh = total(value, 'LH', number);
        at.lh = number;
        break;
      case 'BRF':
        brf = total(value, 'BRF', number);
        at.brf = number;
        break;
      case 'BRH':
        brh = total(value, 'BRH', number);
        at.brh = number;
        break;
      case 'TN':
      case 'VER':
      case 'FN':
      case 'FNDA':
      case 'FNF':
      case 'FNH':
      case 'FNL':
      case 'FNA':
        break;
      default:
        throw new ParseError(`not an lcov tracefile: unexpected line ${number}: "${t.slice(0, 60)}"`, number, null);
    }
    if (file === null && tag !== 'TN' && tag !== 'VER' && tag !== 'SF') {
      throw new ParseError(`not an lcov tracefile: ${tag} record before any SF: record (line ${number})`, number, null);
    }
  }
  if (!sawAny) throw new ParseError('the file is empty');
  flush();
  if (records === 0) throw new ParseError('not an lcov tracefile: no SF: record found');
  return table.report('lcov');
}

class CoberturaHandler implements XmlHandler {
  readonly table = new FileTable();
  private depth = 0;
  private classFile: string | null = null;
  private classDepth = 0;
  /** Depth of the `<lines>` directly inside the current class (method lines repeat them). */
  private linesDepth = 0;
  private acc: Acc = { lc: 0, lt: 0, bc: 0, bt: 0 };
  private sawClassOrPackages = false;

  open(name: string, attrs: XmlAttrs): void {
    this.depth++;
    if (this.depth === 1) {
      if (name !== 'coverage')
        throw new ParseError(`not a Cobertura XML report: the root element is <${name}>, expected <coverage>`);
      return;
    }
    if (this.depth === 2 && name === 'project')
      throw new ParseError(
        'Clover XML is not supported: give a Cobertura XML, lcov or Istanbul coverage-summary.json report',
      );
    if (name === 'packages' || name === 'sources') this.sawClassOrPackages = true;
    if (name === 'class' && this.classFile === null) {
      this.sawClassOrPackages = true;
      this.classFile = attrs.filename ?? attrs.name ?? '(unnamed)';
      this.classDepth = this.depth;
      this.acc = { lc: 0, lt: 0, bc: 0, bt: 0 };
    } else if (name === 'lines' && this.classFile !== null && this.depth === this.classDepth + 1) {
      this.linesDepth = this.depth;
    } else if (name === 'line' && this.linesDepth !== 0 && this.depth === this.linesDepth + 1) {
      // Line 0 is no source line (coverage.py writes it for empty modules; the root totals skip it).
      if (!(Number(attrs.number) >= 1)) return;
      const hits = Number(attrs.hits ?? '0');
      this.acc.lt++;
      if (hits > 0) this.acc.lc++;
      if (attrs.branch === 'true') {
        const m = /\((\d{1,9})\/(\d{1,9})\)/.exec(attrs['condition-coverage'] ?? '');
        if (m) {
          if (Number(m[1]) > Number(m[2])) {
            throw new ParseError(
              `${this.classFile}: line ${attrs.number ?? '?'} has condition-coverage "${attrs['condition-coverage']}", more branches covered than it has: the counts are inconsistent, so the report cannot be scored`,
            );
          }
          this.acc.bc += Number(m[1]);
          this.acc.bt += Number(m[2]);
        }
      }
    }
  }

  close(name: string): void {
    const d = this.depth--;
    if (name === 'lines' && d === this.linesDepth) this.linesDepth = 0;
    if (name === 'class' && d === this.classDepth && this.classFile !== null) {
      this.table.add(this.classFile, this.acc.lc, this.acc.lt, this.acc.bc, this.acc.bt);
      this.classFile = null;
    }
  }

  check(): void {
    if (!this.sawClassOrPackages)
      throw new ParseError('not a Cobertura XML report: no <packages> or <class> element found');
  }
}

/** Cobertura XML: `class` elements (by `filename`) with `lines/line` hits and `condition-coverage`. */
export async function parseCobertura(source: ByteSource): Promise<CoverageReport> {
  const handler = new CoberturaHandler();
  const xs = new XmlStream(handler);
  for await (const chunk of source) xs.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  xs.end();
  handler.check();
  return handler.table.report('cobertura');
}

function isCounter(v: unknown): v is { total: number; covered: number } {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.total === 'number' && typeof o.covered === 'number' && o.total >= 0 && o.covered >= 0;
}

/** A counter whose numbers can be true: whole, safe, and no more covered than there are. */
function checkCounter(c: { total: number; covered: number }, where: string): void {
  if (!Number.isSafeInteger(c.total) || !Number.isSafeInteger(c.covered)) {
    throw new ParseError(
      `${where}: covered ${c.covered} of total ${c.total} are not whole numbers a real program has: the summary is corrupt`,
    );
  }
  if (c.covered > c.total) {
    throw new ParseError(
      `${where}: covered ${c.covered} is more than total ${c.total}: the counts are inconsistent, so the summary cannot be scored`,
    );
  }
}

/** Files listed in one Istanbul summary at most (each is kept for the per-file coverage). */
export const MAX_COVERAGE_FILES = 200_000;

/**
 * Istanbul `coverage-summary.json` (`json-summary` reporter): `total` plus one entry per
 * file. Streamed entry by entry, so memory follows the number of files, not the bytes; a
 * key given twice, or a counter with more covered than total, is an error.
 */
export async function parseIstanbulSummary(source: ByteSource): Promise<CoverageReport> {
  const fileCoverage: FileCoverage[] = [];
  let total: Record<string, unknown> | null = null;
  /** The first bad entry: reported after checking for "total", which tells whether this is a summary at all. */
  let entryError: ParseError | null = null;
  const doc = await readJsonStream(
    source,
    {
      streamed: (path) => path.length === 0,
      item: (_path, key, v) => {
        const file = String(key);
        const e = v as Record<string, unknown>;
        if (file === 'total') {
          total = typeof e === 'object' && e !== null && !Array.isArray(e) ? e : {};
          return;
        }
        if (entryError !== null) return;
        if (typeof e !== 'object' || e === null || !isCounter(e.lines)) {
          entryError = new ParseError(
            `not an Istanbul coverage-summary.json: entry "${file.slice(0, 80)}" has no "lines" counter`,
          );
          return;
        }
        if (fileCoverage.length >= MAX_COVERAGE_FILES)
          throw new ParseError(
            `the summary lists more than ${MAX_COVERAGE_FILES} files, more than this reader keeps: merge per package or use lcov`,
          );
        const br = isCounter(e.branches) ? e.branches : { covered: 0, total: 0 };
        checkCounter(e.lines, `entry "${file.slice(0, 80)}" lines`);
        checkCounter(br, `entry "${file.slice(0, 80)}" branches`);
        fileCoverage.push({
          file,
          lines: counter(e.lines.covered, e.lines.total),
          branches: counter(br.covered, br.total),
        });
      },
    },
    { maxBytes: MAX_COVERAGE_JSON_BYTES },
  );
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new ParseError('not an Istanbul coverage-summary.json: the document is not an object');
  const t = total as Record<string, unknown> | null;
  if (!t || !isCounter(t.lines)) {
    throw new ParseError(
      'not an Istanbul coverage-summary.json: no "total" entry with "lines": { "total", "covered" } (use the json-summary reporter)',
    );
  }
  if (entryError !== null) throw entryError;
  const tb = isCounter(t.branches) ? t.branches : { covered: 0, total: 0 };
  checkCounter(t.lines, '"total" lines');
  checkCounter(tb, '"total" branches');
  return {
    formats: ['istanbul-summary'],
    lines: counter(t.lines.covered, t.lines.total),
    branches: counter(tb.covered, tb.total),
    fileCoverage,
  };
}

/** Read a coverage report, telling the format from its first character: `{` JSON, `<` XML, else lcov. */
export async function parseCoverage(input: ByteSource): Promise<CoverageReport> {
  const { head, source } = await peek(input);
  const c = firstSignificantChar(head);
  if (c === '{') return parseIstanbulSummary(source);
  if (c === '<') return parseCobertura(source);
  if (c === '' && head.length === 0) throw new ParseError('the file is empty');
  return parseLcov(source);
}

/** Merge several coverage reports: files are merged by path, totals are summed. */
export function mergeCoverageReports(reports: CoverageReport[]): CoverageReport {
  const table = new FileTable();
  const formats = new Set<string>();
  let extraLines = { c: 0, t: 0 };
  let extraBranches = { c: 0, t: 0 };
  for (const r of reports) {
    r.formats.forEach((f) => formats.add(f));
    let flc = 0;
    let flt = 0;
    let fbc = 0;
    let fbt = 0;
    for (const f of r.fileCoverage) {
      table.add(f.file, f.lines.covered, f.lines.total, f.branches.covered, f.branches.total);
      flc += f.lines.covered;
      flt += f.lines.total;
      fbc += f.branches.covered;
      fbt += f.branches.total;
    }
    // A summary's total may cover more than its listed files; keep what the files do not explain.
    extraLines = {
      c: extraLines.c + Math.max(0, r.lines.covered - flc),
      t: extraLines.t + Math.max(0, r.lines.total - flt),
    };
    extraBranches = {
      c: extraBranches.c + Math.max(0, r.branches.covered - fbc),
      t: extraBranches.t + Math.max(0, r.branches.total - fbt),
    };
  }
  const merged = table.report('');
  const lines = counter(merged.lines.covered + extraLines.c, merged.lines.total + extraLines.t);
  const branches = counter(merged.branches.covered + extraBranches.c, merged.branches.total + extraBranches.t);
  return { formats: [...formats].sort(), lines, branches, fileCoverage: merged.fileCoverage };
}
