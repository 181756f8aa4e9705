import type { CoverageCounter, CoverageReport, FileCoverage } from '../core/evidence-types.js';
import { ParseError } from './errors.js';
import { firstSignificantChar, peek, readJsonBounded, readLines, type ByteSource } from './read-helpers.js';
import { XmlStream, type XmlAttrs, type XmlHandler } from './xml-stream.js';

/** Largest Istanbul `coverage-summary.json` read (it is read whole). */
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
  if (!/^\d+$/.test(value.trim()) || !Number.isFinite(n)) throw new ParseError(`${what} is not a count: "${value.slice(0, 40)}" (line ${line})`, line, null);
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
  const flush = (): void => {
    if (file === null) return;
    table.add(file, lh ?? da.hit, lf ?? da.found, brh ?? brda.hit, brf ?? brda.found);
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
        lf = count(value, 'LF', number);
        break;
      case 'LH':
        lh = count(value, 'LH', number);
        break;
      case 'BRF':
        brf = count(value, 'BRF', number);
        break;
      case 'BRH':
        brh = count(value, 'BRH', number);
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
      if (name !== 'coverage') throw new ParseError(`not a Cobertura XML report: the root element is <${name}>, expected <coverage>`);
      return;
    }
    if (this.depth === 2 && name === 'project') throw new ParseError('Clover XML is not supported: give a Cobertura XML, lcov or Istanbul coverage-summary.json report');
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
        const m = /\((\d+)\/(\d+)\)/.exec(attrs['condition-coverage'] ?? '');
        if (m) {
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
    if (!this.sawClassOrPackages) throw new ParseError('not a Cobertura XML report: no <packages> or <class> element found');
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

/** Istanbul `coverage-summary.json` (`json-summary` reporter): `total` plus one entry per file. */
export async function parseIstanbulSummary(source: ByteSource): Promise<CoverageReport> {
  const doc = await readJsonBounded(source, MAX_COVERAGE_JSON_BYTES);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ParseError('not an Istanbul coverage-summary.json: the document is not an object');
  const entries = doc as Record<string, unknown>;
  const total = entries.total as Record<string, unknown> | undefined;
  if (!total || !isCounter(total.lines)) {
    throw new ParseError('not an Istanbul coverage-summary.json: no "total" entry with "lines": { "total", "covered" } (use the json-summary reporter)');
  }
  const fileCoverage: FileCoverage[] = [];
  for (const [file, v] of Object.entries(entries)) {
    if (file === 'total') continue;
    const e = v as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || !isCounter(e.lines)) throw new ParseError(`not an Istanbul coverage-summary.json: entry "${file.slice(0, 80)}" has no "lines" counter`);
    const br = isCounter(e.branches) ? e.branches : { covered: 0, total: 0 };
    fileCoverage.push({ file, lines: counter(e.lines.covered, e.lines.total), branches: counter(br.covered, br.total) });
  }
  const tb = isCounter(total.branches) ? total.branches : { covered: 0, total: 0 };
  return {
    formats: ['istanbul-summary'],
    lines: counter(total.lines.covered, total.lines.total),
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
    extraLines = { c: extraLines.c + Math.max(0, r.lines.covered - flc), t: extraLines.t + Math.max(0, r.lines.total - flt) };
    extraBranches = { c: extraBranches.c + Math.max(0, r.branches.covered - fbc), t: extraBranches.t + Math.max(0, r.branches.total - fbt) };
  }
  const merged = table.report('');
  const lines = counter(merged.lines.covered + extraLines.c, merged.lines.total + extraLines.t);
  const branches = counter(merged.branches.covered + extraBranches.c, merged.branches.total + extraBranches.t);
  return { formats: [...formats].sort(), lines, branches, fileCoverage: merged.fileCoverage };
}
