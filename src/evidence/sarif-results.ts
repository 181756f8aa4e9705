import type { SarifFinding, SarifLevel, SecurityReport } from '../core/evidence-types.js';

/** Reading one SARIF result: its rule, level, message and location, and the bounded findings kept. */

/** Results kept as findings, in all (errors first). */
export const MAX_FINDINGS = 1_000;
/** Characters of a finding's message kept. */
export const MAX_FINDING_MESSAGE_CHARS = 1_000;
export const LEVELS: readonly SarifLevel[] = ['error', 'warning', 'note', 'none'];

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function zero(): Record<SarifLevel, number> {
  return { error: 0, warning: 0, note: 0, none: 0 };
}

export function isLevel(v: unknown): v is SarifLevel {
  return typeof v === 'string' && (LEVELS as readonly string[]).includes(v);
}

/** The rules a run's results may refer to: the driver's, and each extension's. */
export interface RunRules {
  driver: unknown[];
  extensions: unknown[][];
  /** Rule ids to rules, driver first, then extensions in order (the first rule with an id wins). */
  byId: Map<string, Obj>;
  /** `globalMessageStrings` of the driver. */
  globalMessages: Obj | null;
}

export function runRules(tool: Obj, driver: Obj): RunRules {
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

export const validIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * The rule a result refers to (SARIF 3.27.6-3.27.7): by `ruleIndex` or `rule.index` in the
 * driver or in the extension `rule.toolComponent.index` names, else by id (a hierarchical
 * id `a/b/c` falls back to `a/b`, then `a`).
 */
export function ruleOf(rules: RunRules, result: Obj, ruleId: string | null): Obj | null {
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

export function ruleDefaultLevel(rule: Obj | null): SarifLevel | null {
  return rule && isObj(rule.defaultConfiguration) && isLevel(rule.defaultConfiguration.level)
    ? rule.defaultConfiguration.level
    : null;
}

export function clipMessage(s: string): string {
  return s.length > MAX_FINDING_MESSAGE_CHARS ? `${s.slice(0, MAX_FINDING_MESSAGE_CHARS - 1)}…` : s;
}

/** A message string with its `{n}` placeholders filled (`{{` and `}}` are literal braces, SARIF 3.11.5). */
export function fillMessage(template: string, args: unknown[]): string {
  return template.replace(/\{\{|\}\}|\{(\d+)\}/g, (m, n: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const a = args[Number(n)];
    return typeof a === 'string' ? a : m;
  });
}

export const textOf = (v: unknown): string | null =>
  isObj(v) && typeof v.text === 'string' && v.text !== '' ? v.text : null;

/** `message.text`; else `message.id` looked up in the rule's, then the driver's message strings; else the rule's short description. */
export function messageOf(message: Obj, rule: Obj | null, rules: RunRules): string {
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

export const SCHEME = /^[a-z][a-z0-9+.-]+:/i;

/**
 * An artifact location's URI resolved against `run.originalUriBaseIds` (3.4.4, 3.14.14):
 * a relative URI with a `uriBaseId` the run defines is joined to that base, recursively;
 * one whose base the run does not define stays relative (to the checkout, as scanners mean it).
 */
export function resolveUri(uri: string, baseId: unknown, bases: Obj | null, depth = 0): string {
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
export function uriToPath(uri: string): string {
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

export const positive = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;

/** The file and region of a result's first physical location (through `run.artifacts` when it gives only an index). */
export function placeOf(
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
export function locationText(f: SarifFinding): string | null {
  if (f.file === null) return null;
  return f.startLine === null ? f.file : `${f.file}:${f.startLine}`;
}

/** Bounded findings, kept per level so that the most severe survive the cap. */
export class FindingBuckets {
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
