import type { SarifLevel, SecurityReport } from '../core/evidence-types.js';
import { ParseError } from './errors.js';
import { readJsonBounded, type ByteSource } from './read-helpers.js';

/** Largest SARIF log read (it is read whole, as JSON). */
export const MAX_SARIF_BYTES = 256 * 1024 * 1024;
const MAX_LOCATIONS_PER_RULE = 5;
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
  return { files: 0, runs: 0, results: zero(), byRule: Object.create(null) as SecurityReport['byRule'], perRun: [] };
}

function isLevel(v: unknown): v is SarifLevel {
  return typeof v === 'string' && (LEVELS as readonly string[]).includes(v);
}

/** The rule's `defaultConfiguration.level`, looked up by index or id in the run's driver rules. */
function ruleDefaultLevel(rules: unknown[], result: Obj, ruleId: string | null): SarifLevel | null {
  const ref = isObj(result.rule) ? result.rule : null;
  let rule: unknown = undefined;
  if (typeof result.ruleIndex === 'number') rule = rules[result.ruleIndex];
  else if (ref && typeof ref.index === 'number') rule = rules[ref.index];
  else if (ruleId !== null) rule = rules.find((r) => isObj(r) && r.id === ruleId);
  if (isObj(rule) && isObj(rule.defaultConfiguration) && isLevel(rule.defaultConfiguration.level)) return rule.defaultConfiguration.level;
  return null;
}

function locationOf(result: Obj): string | null {
  const locs = result.locations;
  if (!Array.isArray(locs) || locs.length === 0 || !isObj(locs[0])) return null;
  const pl = (locs[0] as Obj).physicalLocation;
  if (!isObj(pl)) return null;
  const al = pl.artifactLocation;
  const uri = isObj(al) && typeof al.uri === 'string' ? al.uri : null;
  if (uri === null) return null;
  const region = pl.region;
  const line = isObj(region) && typeof region.startLine === 'number' ? region.startLine : null;
  return line === null ? uri : `${uri}:${line}`;
}

/**
 * Summarise a SARIF 2.1.0 log: results by level (`level`, else the rule's default level,
 * else `warning`; results whose `kind` is not `fail` default to `none`, SARIF 3.27.10),
 * by rule and per run. A log that is not SARIF 2.1.0 is an error naming what is wrong.
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
  doc.runs.forEach((run: unknown, ri: number) => {
    const where = `runs[${ri}]`;
    if (!isObj(run)) throw new ParseError(`invalid SARIF: ${where} is not an object`);
    const tool = run.tool;
    const driver = isObj(tool) ? tool.driver : undefined;
    if (!isObj(driver) || typeof driver.name !== 'string') throw new ParseError(`invalid SARIF: ${where}.tool.driver.name is required`);
    const rules = Array.isArray(driver.rules) ? (driver.rules as unknown[]) : [];
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
      const ruleId = typeof r.ruleId === 'string' ? r.ruleId : isObj(r.rule) && typeof r.rule.id === 'string' ? r.rule.id : null;
      let level: SarifLevel;
      if (isLevel(r.level)) level = r.level;
      else if (r.kind !== undefined && r.kind !== 'fail') level = 'none';
      else level = ruleDefaultLevel(rules, r, ruleId) ?? 'warning';
      perRun[level]++;
      report.results[level]++;
      const key = ruleId ?? '(no rule)';
      const rule = (report.byRule[key] ??= { results: zero(), locations: [] });
      rule.results[level]++;
      const loc = locationOf(r);
      if (loc !== null && rule.locations.length < MAX_LOCATIONS_PER_RULE && !rule.locations.includes(loc)) rule.locations.push(loc);
    });
    report.runs++;
    report.perRun.push({ tool: driver.name, results: perRun });
  });
  return report;
}

/** Sum several SARIF summaries (one per file). */
export function mergeSecurityReports(reports: SecurityReport[]): SecurityReport {
  const out = emptySecurityReport();
  for (const r of reports) {
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
  return out;
}
