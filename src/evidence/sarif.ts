import type { SarifFinding, SarifLevel, SarifRuleSummary, SecurityReport } from '../core/evidence-types.js';
import { ParseError } from './errors.js';
import { readJsonStream, type JsonPath } from './json-stream.js';
import type { ByteSource } from './read-helpers.js';
import {
  FindingBuckets,
  isLevel,
  isObj,
  LEVELS,
  locationText,
  messageOf,
  placeOf,
  ruleDefaultLevel,
  ruleOf,
  runRules,
  zero,
  type Obj,
  type RunRules,
} from './sarif-results.js';

export { MAX_FINDING_MESSAGE_CHARS, MAX_FINDINGS } from './sarif-results.js';

/** Largest SARIF log read (streamed: memory does not grow with it). */
export const MAX_SARIF_BYTES = 256 * 1024 * 1024;
const MAX_LOCATIONS_PER_RULE = 5;
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
