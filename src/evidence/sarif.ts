import type { SarifFinding, SarifLevel, SecurityReport } from '../core/evidence-types.js';
import { ParseError } from './errors.js';
import { readJsonBounded, type ByteSource } from './read-helpers.js';

/** Largest SARIF log read (it is read whole, as JSON). */
export const MAX_SARIF_BYTES = 256 * 1024 * 1024;
const MAX_LOCATIONS_PER_RULE = 5;
/** Results kept as findings, in all (errors first). */
export const MAX_FINDINGS = 1_000;
/** Characters of a finding's message kept. */
export const MAX_FINDING_MESSAGE_CHARS = 1_000;
const LEVELS: readonly SarifLevel[] = ['error', 'warning', 'note', 'none'];

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function zero(): Record<SarifLevel, number> {
  return { error: 0, warning: 0, note: 0, none: 0 };
}

export function emptySecurityReport(): SecurityReport {
  // No prototype: rule ids come from the file (`__proto__` is a valid rule id there).
  return { files: 0, runs: 0, results: zero(), byRule: Object.create(null) as SecurityReport['byRule'], perRun: [], findings: [], findingsOmitted: 0 };
}

function isLevel(v: unknown): v is SarifLevel {
  return typeof v === 'string' && (LEVELS as readonly string[]).includes(v);
}

/** The rules a run's results may refer to: the driver's, and each extension's. */
interface RunRules {
  driver: unknown[];
  extensions: unknown[][];
  /** Rule ids to rules, driver first, then extensions in order (the first rule with an id wins). */
  byId: Map<string, Obj>;
  /** `globalMessageStrings` of the driver. */
  globalMessages: Obj | null;
}

function runRules(tool: Obj, driver: Obj): RunRules {
  const rulesOf = (c: unknown): unknown[] => (isObj(c) && Array.isArray(c.rules) ? (c.rules as unknown[]) : []);
  const driverRules = rulesOf(driver);
  const extensions = Array.isArray(tool.extensions) ? (tool.extensions as unknown[]).map(rulesOf) : [];
  const byId = new Map<string, Obj>();
  for (const list of [driverRules, ...extensions]) {
    for (const r of list) if (isObj(r) && typeof r.id === 'string' && !byId.has(r.id)) byId.set(r.id, r);
  }
  return { driver: driverRules, extensions, byId, globalMessages: isObj(driver.globalMessageStrings) ? driver.globalMessageStrings : null };
}

const validIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * The rule a result refers to (SARIF 3.27.6-3.27.7): by `ruleIndex` or `rule.index` in the
 * driver or in the extension `rule.toolComponent.index` names, else by id (a hierarchical
 * id `a/b/c` falls back to `a/b`, then `a`).
 */
function ruleOf(rules: RunRules, result: Obj, ruleId: string | null): Obj | null {
  const ref = isObj(result.rule) ? result.rule : null;
  const component = ref && isObj(ref.toolComponent) ? ref.toolComponent : null;
  const list = component && validIndex(component.index) ? (rules.extensions[component.index] ?? []) : rules.driver;
  const index = validIndex(result.ruleIndex) ? result.ruleIndex : ref && validIndex(ref.index) ? ref.index : null;
  if (index !== null && isObj(list[index])) return list[index];
  for (let id = ruleId; id !== null; ) {
    const found = rules.byId.get(id);
    if (found) return found;
    const cut = id.lastIndexOf('/');
    id = cut > 0 ? id.slice(0, cut) : null;
  }
  return null;
}

function ruleDefaultLevel(rule: Obj | null): SarifLevel | null {
  return rule && isObj(rule.defaultConfiguration) && isLevel(rule.defaultConfiguration.level) ? rule.defaultConfiguration.level : null;
}

function clipMessage(s: string): string {
  return s.length > MAX_FINDING_MESSAGE_CHARS ? `${s.slice(0, MAX_FINDING_MESSAGE_CHARS - 1)}…` : s;
}

/** A message string with its `{n}` placeholders filled (`{{` and `}}` are literal braces, SARIF 3.11.5). */
function fillMessage(template: string, args: unknown[]): string {
  return template.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, n: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const a = args[Number(n)];
    return typeof a === 'string' ? a : m;
  });
}

const textOf = (v: unknown): string | null => (isObj(v) && typeof v.text === 'string' && v.text !== '' ? v.text : null);

/** `message.text`; else `message.id` looked up in the rule's, then the driver's message strings; else the rule's short description. */
function messageOf(message: Obj, rule: Obj | null, rules: RunRules): string {
  if (typeof message.text === 'string' && message.text !== '') return clipMessage(message.text);
  if (typeof message.id === 'string') {
    const id = message.id;
    const strings = [rule && isObj(rule.messageStrings) ? rule.messageStrings : null, rules.globalMessages];
    for (const table of strings) {
      const template = table && Object.hasOwn(table, id) ? textOf(table[id]) : null;
      if (template !== null) return clipMessage(fillMessage(template, Array.isArray(message.arguments) ? message.arguments : []));
    }
  }
  return clipMessage(textOf(rule?.shortDescription) ?? textOf(rule?.fullDescription) ?? '');
}

const SCHEME = /^[a-z][a-z0-9+.-]+:/i;

/**
 * An artifact location's URI resolved against `run.originalUriBaseIds` (3.4.4, 3.14.14):
 * a relative URI with a `uriBaseId` the run defines is joined to that base, recursively;
 * one whose base the run does not define stays relative (to the checkout, as scanners mean it).
 */
function resolveUri(uri: string, baseId: unknown, bases: Obj | null, depth = 0): string {
  if (SCHEME.test(uri) || typeof baseId !== 'string' || !bases || depth > 8) return uri;
  const base = Object.hasOwn(bases, baseId) ? bases[baseId] : undefined;
  if (!isObj(base) || typeof base.uri !== 'string') return uri;
  const root = resolveUri(base.uri, base.uriBaseId, bases, depth + 1);
  if (SCHEME.test(root)) {
    try {
      return new URL(uri, root.endsWith('/') ? root : `${root}/`).href;
    } catch {
      // Not a URL after all: join the text below.
    }
  }
  return root === '' ? uri : `${root.replace(/\/+$/, '')}/${uri.replace(/^\/+/, '')}`;
}

/** A `file:` URI as a path (`file:///C:/x` -> `C:/x`), percent-decoded; other URIs as written. */
function uriToPath(uri: string): string {
  if (!/^file:/i.test(uri)) {
    if (SCHEME.test(uri)) return uri;
    try {
      return decodeURIComponent(uri);
    } catch {
      return uri;
    }
  }
  let p = uri.replace(/^file:(\/\/[^/]*)?/i, '');
  try {
    p = decodeURIComponent(p);
  } catch {
    // Not percent-encoded text: keep it as written.
  }
  return /^\/[a-z]:/i.test(p) ? p.slice(1) : p;
}

const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null);

/** The file and region of a result's first physical location (through `run.artifacts` when it gives only an index). */
function placeOf(result: Obj, run: Obj): Pick<SarifFinding, 'file' | 'startLine' | 'endLine' | 'startColumn' | 'endColumn'> {
  const none = { file: null, startLine: null, endLine: null, startColumn: null, endColumn: null };
  const locs = result.locations;
  if (!Array.isArray(locs) || !isObj(locs[0]) || !isObj(locs[0].physicalLocation)) return none;
  const pl = locs[0].physicalLocation;
  let al = isObj(pl.artifactLocation) ? pl.artifactLocation : null;
  if (al && typeof al.uri !== 'string' && validIndex(al.index) && Array.isArray(run.artifacts)) {
    const artifact: unknown = run.artifacts[al.index];
    if (isObj(artifact) && isObj(artifact.location)) al = artifact.location;
  }
  const bases = isObj(run.originalUriBaseIds) ? run.originalUriBaseIds : null;
  const file = al && typeof al.uri === 'string' && al.uri !== '' ? uriToPath(resolveUri(al.uri, al.uriBaseId, bases)) : null;
  const region = isObj(pl.region) ? pl.region : null;
  const startLine = positive(region?.startLine);
  if (startLine === null) return { ...none, file };
  const endLine = Math.max(startLine, positive(region?.endLine) ?? startLine);
  return { file, startLine, endLine, startColumn: positive(region?.startColumn), endColumn: positive(region?.endColumn) };
}

/** A finding's location as the summary shows it (`file:line`). */
function locationText(f: SarifFinding): string | null {
  if (f.file === null) return null;
  return f.startLine === null ? f.file : `${f.file}:${f.startLine}`;
}

/** Bounded findings, kept per level so that the most severe survive the cap. */
class FindingBuckets {
  private readonly buckets: Record<SarifLevel, SarifFinding[]> = { error: [], warning: [], note: [], none: [] };
  private total = 0;

  add(f: SarifFinding): void {
    this.total += 1;
    const bucket = this.buckets[f.level];
    if (bucket.length < MAX_FINDINGS) bucket.push(f);
  }

  addAll(fs: readonly SarifFinding[], results: Record<SarifLevel, number>): void {
    for (const f of fs) {
      const bucket = this.buckets[f.level];
      if (bucket.length < MAX_FINDINGS) bucket.push(f);
    }
    this.total += LEVELS.reduce((a, l) => a + results[l], 0);
  }

  into(report: SecurityReport): void {
    const findings = LEVELS.flatMap((l) => this.buckets[l]).slice(0, MAX_FINDINGS);
    report.findings = findings;
    report.findingsOmitted = this.total - findings.length;
  }
}

/**
 * Summarise a SARIF 2.1.0 log: results by level (`level`, else the rule's default level,
 * else `warning`; results whose `kind` is not `fail` default to `none`, SARIF 3.27.10),
 * by rule and per run, and the results themselves as bounded findings, errors first. A log that is not SARIF 2.1.0 is an error naming what is wrong.
 */
export async function parseSarif(source: ByteSource): Promise<SecurityReport> {
  const doc = await readJsonBounded(source, MAX_SARIF_BYTES);
  if (!isObj(doc)) throw new ParseError('not a SARIF log: the document is not a JSON object');
  if (doc.version !== '2.1.0') {
    throw new ParseError(`not a SARIF 2.1.0 log: "version" is ${JSON.stringify(doc.version ?? null)}, expected "2.1.0"`);
  }
  if (!Array.isArray(doc.runs)) throw new ParseError('not a SARIF log: "runs" must be an array');
  const report = emptySecurityReport();
  report.files = 1;
  const findings = new FindingBuckets();
  doc.runs.forEach((run: unknown, ri: number) => {
    const where = `runs[${ri}]`;
    if (!isObj(run)) throw new ParseError(`invalid SARIF: ${where} is not an object`);
    const tool = run.tool;
    const driver = isObj(tool) ? tool.driver : undefined;
    if (!isObj(driver) || typeof driver.name !== 'string') throw new ParseError(`invalid SARIF: ${where}.tool.driver.name is required`);
    const rules = runRules(tool as Obj, driver);
    const perRun = zero();
    const results = run.results;
    if (results !== undefined && results !== null && !Array.isArray(results)) throw new ParseError(`invalid SARIF: ${where}.results must be an array`);
    (results ?? []).forEach((r: unknown, i: number) => {
      const rw = `${where}.results[${i}]`;
      if (!isObj(r)) throw new ParseError(`invalid SARIF: ${rw} is not an object`);
      if (!isObj(r.message)) throw new ParseError(`invalid SARIF: ${rw}.message is required`);
      if (r.locations !== undefined && !Array.isArray(r.locations)) throw new ParseError(`invalid SARIF: ${rw}.locations must be an array`);
      if (r.stacks !== undefined) {
        if (!Array.isArray(r.stacks)) throw new ParseError(`invalid SARIF: ${rw}.stacks must be an array`);
        r.stacks.forEach((s: unknown, si: number) => {
          if (!isObj(s) || !Array.isArray(s.frames)) throw new ParseError(`invalid SARIF: ${rw}.stacks[${si}].frames is required`);
        });
      }
      if (r.level !== undefined && !isLevel(r.level)) throw new ParseError(`invalid SARIF: ${rw}.level is ${JSON.stringify(r.level)}, expected one of ${LEVELS.join(', ')}`);
      const givenId = typeof r.ruleId === 'string' ? r.ruleId : isObj(r.rule) && typeof r.rule.id === 'string' ? r.rule.id : null;
      const descriptor = ruleOf(rules, r, givenId);
      // A result may name its rule by index only (SARIF 3.27.5).
      const ruleId = givenId ?? (descriptor && typeof descriptor.id === 'string' ? descriptor.id : null);
      let level: SarifLevel;
      if (isLevel(r.level)) level = r.level;
      else if (r.kind !== undefined && r.kind !== 'fail') level = 'none';
      else level = ruleDefaultLevel(descriptor) ?? 'warning';
      perRun[level]++;
      report.results[level]++;
      const key = ruleId ?? '(no rule)';
      const rule = (report.byRule[key] ??= { results: zero(), locations: [] });
      rule.results[level]++;
      const finding: SarifFinding = { level, ruleId, message: messageOf(r.message, descriptor, rules), ...placeOf(r, run) };
      findings.add(finding);
      const loc = locationText(finding);
      if (loc !== null && rule.locations.length < MAX_LOCATIONS_PER_RULE && !rule.locations.includes(loc)) rule.locations.push(loc);
    });
    report.runs++;
    report.perRun.push({ tool: driver.name, results: perRun });
  });
  findings.into(report);
  return report;
}

/** Sum several SARIF summaries (one per file). */
export function mergeSecurityReports(reports: SecurityReport[]): SecurityReport {
  const out = emptySecurityReport();
  const findings = new FindingBuckets();
  for (const r of reports) {
    findings.addAll(r.findings ?? [], r.results);
    out.files += r.files;
    out.runs += r.runs;
    for (const l of LEVELS) out.results[l] += r.results[l];
    out.perRun.push(...r.perRun);
    for (const [id, s] of Object.entries(r.byRule)) {
      const t = (out.byRule[id] ??= { results: zero(), locations: [] });
      for (const l of LEVELS) t.results[l] += s.results[l];
      for (const loc of s.locations) if (t.locations.length < MAX_LOCATIONS_PER_RULE && !t.locations.includes(loc)) t.locations.push(loc);
    }
  }
  findings.into(out);
  return out;
}
