import type { SarifFinding, SarifLevel, SarifRuleSummary, SecurityReport } from '../core/evidence-types.js';
import { ParseError } from './errors.js';
import { readJsonStream, type JsonPath } from './json-stream.js';
import type { ByteSource } from './read-helpers.js';

/** Largest SARIF log read (streamed: memory does not grow with it). */
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
  return {
    files: 0,
    runs: 0,
    results: zero(),
    byRule: Object.create(null) as SecurityReport['byRule'],
    perRun: [],
    findings: [],
    findingsOmitted: 0,
  };
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
  return {
    driver: driverRules,
    extensions,
    byId,
    globalMessages: isObj(driver.globalMessageStrings) ? driver.globalMessageStrings : null,
  };
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
  for (let id = ruleId; id !== null;) {
    const found = rules.byId.get(id);
    if (found) return found;
    const cut = id.lastIndexOf('/');
    id = cut > 0 ? id.slice(0, cut) : null;
  }
  return null;
}

function ruleDefaultLevel(rule: Obj | null): SarifLevel | null {
  return rule && isObj(rule.defaultConfiguration) && isLevel(rule.defaultConfiguration.level)
    ? rule.defaultConfiguration.level
    : null;
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
      if (template !== null)
        return clipMessage(fillMessage(template, Array.isArray(message.arguments) ? message.arguments : []));
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
function placeOf(
  result: Obj,
  run: Obj,
): Pick<SarifFinding, 'file' | 'startLine' | 'endLine' | 'startColumn' | 'endColumn'> {
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
  const file =
    al && typeof al.uri === 'string' && al.uri !== '' ? uriToPath(resolveUri(al.uri, al.uriBaseId, bases)) : null;
  const region = isObj(pl.region) ? pl.region : null;
  const startLine = positive(region?.startLine);
  if (startLine === null) return { ...none, file };
  const endLine = Math.max(startLine, positive(region?.endLine) ?? startLine);
  return {
    file,
    startLine,
    endLine,
    startColumn: positive(region?.startColumn),
    endColumn: positive(region?.endColumn),
  };
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

  /** Counts a finding; true when it is kept. */
  add(f: SarifFinding): boolean {
    this.total += 1;
    const bucket = this.buckets[f.level];
    if (bucket.length >= MAX_FINDINGS) return false;
    bucket.push(f);
    return true;
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

/** What a run's results need that may come before or after them in the file. */
interface RunState {
  index: number;
  rules: RunRules | null;
  perRun: Record<SarifLevel, number>;
  /** Results read before the run's `tool` (rare: kept, bounded, and counted once the tool is known). */
  early: Obj[];
  /** The first location of each kept finding, resolved once the run's artifacts and bases are known. */
  places: Array<{ finding: SarifFinding; result: Obj; rule: SarifRuleSummary }>;
  /** Per rule, the first few results with a location (for the rule's locations). */
  ruleLocations: Map<SarifRuleSummary, Obj[]>;
  resultsSeen: boolean;
  count: number;
}

/** Results read before their run's `tool` that are kept until it comes. */
const MAX_EARLY_RESULTS = 10_000;

/**
 * Summarise a SARIF 2.1.0 log: results by level (`level`, else the rule's default level,
 * else `warning`; results whose `kind` is not `fail` default to `none`, SARIF 3.27.10),
 * by rule and per run, and the results themselves as bounded findings, errors first. A log
 * that is not SARIF 2.1.0 is an error naming what is wrong.
 *
 * The log is streamed: each result is counted as it is read and dropped, so memory stays
 * bounded whatever the number of results. A key given twice in one object (two `"runs"`)
 * is an error, since readers would disagree on which one counts.
 */
export async function parseSarif(source: ByteSource): Promise<SecurityReport> {
  const report = emptySecurityReport();
  report.files = 1;
  const findings = new FindingBuckets();
  let run: RunState | null = null;
  let rootChecked = false;
  /** The version was read before the runs, and is 2.1.0: a problem in a run can be reported at once. */
  let versionOk = false;
  let withoutResults = 0;
  /** The first problem found in a run: reported after the version check, which may come later in the file. */
  let runError: ParseError | null = null;

  const checkRoot = (root: Obj | null): void => {
    if (rootChecked || root === null) return;
    if (!('version' in root)) return;
    rootChecked = true;
    versionOk = root.version === '2.1.0';
    if (root.version !== '2.1.0')
      throw new ParseError(
        `not a SARIF 2.1.0 log: "version" is ${JSON.stringify(root.version ?? null)}, expected "2.1.0"`,
      );
  };
  const newRun = (index: number): RunState => ({
    index,
    rules: null,
    perRun: zero(),
    early: [],
    places: [],
    ruleLocations: new Map(),
    resultsSeen: false,
    count: 0,
  });
  const toolOf = (r: RunState, runObj: Obj): RunRules => {
    const where = `runs[${r.index}]`;
    const tool = runObj.tool;
    const driver = isObj(tool) ? tool.driver : undefined;
    if (!isObj(driver) || typeof driver.name !== 'string')
      throw new ParseError(`invalid SARIF: ${where}.tool.driver.name is required`);
    return runRules(tool as Obj, driver);
  };
  const countResult = (r: RunState, rules: RunRules, res: unknown, i: number): void => {
    const rw = `runs[${r.index}].results[${i}]`;
    if (!isObj(res)) throw new ParseError(`invalid SARIF: ${rw} is not an object`);
    if (!isObj(res.message)) throw new ParseError(`invalid SARIF: ${rw}.message is required`);
    if (res.locations !== undefined && !Array.isArray(res.locations))
      throw new ParseError(`invalid SARIF: ${rw}.locations must be an array`);
    if (res.stacks !== undefined) {
      if (!Array.isArray(res.stacks)) throw new ParseError(`invalid SARIF: ${rw}.stacks must be an array`);
      res.stacks.forEach((s: unknown, si: number) => {
        if (!isObj(s) || !Array.isArray(s.frames))
          throw new ParseError(`invalid SARIF: ${rw}.stacks[${si}].frames is required`);
      });
    }
    if (res.level !== undefined && !isLevel(res.level))
      throw new ParseError(
        `invalid SARIF: ${rw}.level is ${JSON.stringify(res.level)}, expected one of ${LEVELS.join(', ')}`,
      );
    const givenId =
      typeof res.ruleId === 'string'
        ? res.ruleId
        : isObj(res.rule) && typeof res.rule.id === 'string'
          ? res.rule.id
          : null;
    const descriptor = ruleOf(rules, res, givenId);
    // A result may name its rule by index only (SARIF 3.27.5).
    const ruleId = givenId ?? (descriptor && typeof descriptor.id === 'string' ? descriptor.id : null);
    let level: SarifLevel;
    if (isLevel(res.level)) level = res.level;
    else if (res.kind !== undefined && res.kind !== 'fail') level = 'none';
    else level = ruleDefaultLevel(descriptor) ?? 'warning';
    r.perRun[level]++;
    report.results[level]++;
    const key = ruleId ?? '(no rule)';
    const rule = (report.byRule[key] ??= { results: zero(), locations: [] });
    rule.results[level]++;
    const finding: SarifFinding = {
      level,
      ruleId,
      message: messageOf(res.message, descriptor, rules),
      file: null,
      startLine: null,
      endLine: null,
      startColumn: null,
      endColumn: null,
    };
    const located = Array.isArray(res.locations) && res.locations.length > 0 ? { locations: [res.locations[0]] } : null;
    if (findings.add(finding) && located) r.places.push({ finding, result: located, rule });
    if (located) {
      const list = r.ruleLocations.get(rule) ?? [];
      if (list.length < MAX_LOCATIONS_PER_RULE * 4) {
        list.push(located);
        r.ruleLocations.set(rule, list);
      }
    }
  };
  const finishRun = (r: RunState, runObj: unknown): void => {
    const where = `runs[${r.index}]`;
    if (!isObj(runObj)) throw new ParseError(`invalid SARIF: ${where} is not an object`);
    const rules = r.rules ?? toolOf(r, runObj);
    if (!r.resultsSeen) {
      const results = runObj.results;
      if (results !== undefined && results !== null)
        throw new ParseError(`invalid SARIF: ${where}.results must be an array`);
      // SARIF 3.14.23: results null or absent means the tool did not produce results (it
      // failed or was not asked to); an analysis that found nothing writes "results": [].
      withoutResults++;
    }
    r.early.forEach((res, i) => countResult(r, rules, res, i));
    r.early = [];
    for (const { finding, result } of r.places) Object.assign(finding, placeOf(result, runObj));
    for (const [rule, list] of r.ruleLocations) {
      for (const result of list) {
        const loc = locationText({ ...placeOf(result, runObj), level: 'none', ruleId: null, message: '' });
        if (loc !== null && rule.locations.length < MAX_LOCATIONS_PER_RULE && !rule.locations.includes(loc))
          rule.locations.push(loc);
      }
    }
    report.runs++;
    const driver = (runObj.tool as Obj).driver as Obj;
    report.perRun.push({ tool: driver.name as string, results: r.perRun });
  };

  const root = await readJsonStream(
    source,
    {
      streamed: (path) =>
        (path.length === 1 && path[0] === 'runs') || (path.length === 3 && path[0] === 'runs' && path[2] === 'results'),
      item: (path, key, value, parent, root) => {
        if (runError !== null) return;
        checkRoot(isObj(root) ? root : null);
        try {
          readItem(path, key, value, parent);
        } catch (error) {
          if (!(error instanceof ParseError) || versionOk) throw error;
          runError = error;
        }
      },
      end: (path, count) => {
        if (path.length === 3) {
          const r = (run ??= newRun(path[1] as number));
          r.resultsSeen = true;
          r.count = count;
        }
      },
    },
    { maxBytes: MAX_SARIF_BYTES },
  );
  if (!isObj(root)) throw new ParseError('not a SARIF log: the document is not a JSON object');
  if (root.version !== '2.1.0') {
    throw new ParseError(
      `not a SARIF 2.1.0 log: "version" is ${JSON.stringify(root.version ?? null)}, expected "2.1.0"`,
    );
  }
  if (runError !== null) throw runError;
  if (!Array.isArray(root.runs)) throw new ParseError('not a SARIF log: "runs" must be an array');
  report.runsWithoutResults = withoutResults;
  findings.into(report);
  return report;

  function readItem(path: JsonPath, key: string | number, value: unknown, parent: unknown): void {
    if (typeof key === 'string') {
      throw new ParseError(
        path.length === 1
          ? 'not a SARIF log: "runs" must be an array'
          : `invalid SARIF: runs[${String(path[1])}].results must be an array`,
      );
    }
    if (path.length === 1) {
      const r = run ?? newRun(key as number);
      run = null;
      finishRun(r, value);
      return;
    }
    // A result: its run is being read (`parent` holds the run's keys read so far).
    const runObj = parent as Obj;
    const r = (run ??= newRun(path[1] as number));
    if (r.rules === null && isObj(runObj.tool)) r.rules = toolOf(r, runObj);
    if (r.rules !== null) return countResult(r, r.rules, value, key as number);
    r.early.push(value as Obj);
    if (r.early.length > MAX_EARLY_RESULTS) {
      throw new ParseError(
        `invalid SARIF: runs[${r.index}] has more than ${MAX_EARLY_RESULTS} results before its "tool": write "tool" before "results"`,
      );
    }
  }
}

/** Sum several SARIF summaries (one per file). */
export function mergeSecurityReports(reports: SecurityReport[]): SecurityReport {
  const out = emptySecurityReport();
  const findings = new FindingBuckets();
  for (const r of reports) {
    findings.addAll(r.findings ?? [], r.results);
    out.files += r.files;
    out.runs += r.runs;
    out.runsWithoutResults = (out.runsWithoutResults ?? 0) + (r.runsWithoutResults ?? 0);
    for (const l of LEVELS) out.results[l] += r.results[l];
    out.perRun.push(...r.perRun);
    for (const [id, s] of Object.entries(r.byRule)) {
      const t = (out.byRule[id] ??= { results: zero(), locations: [] });
      for (const l of LEVELS) t.results[l] += s.results[l];
      for (const loc of s.locations)
        if (t.locations.length < MAX_LOCATIONS_PER_RULE && !t.locations.includes(loc)) t.locations.push(loc);
    }
  }
  findings.into(out);
  return out;
}
