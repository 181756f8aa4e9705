/**
 * Loads `.github/release-policy.yml` (v1, or the Aurora `policy:` format) from its
 * text into the typed {@link Policy}, or into every problem found, each with its file,
 * line and column. A policy with any error yields no policy at all: the caller fails closed
 * (POLICY_INVALID).
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode, Pair } from 'yaml';
import _Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { EVIDENCE_KINDS, WEEKDAYS } from './types.js';
import type {
  EnvironmentPolicy,
  EvidenceKind,
  EvidencePolicy,
  FreezeWindow,
  OverridePolicy,
  Policy,
  ScoringPolicy,
  Weekday,
} from './types.js';
import { POLICY_LIMITS, policySchema } from './policy-schema.js';
import { suggest } from './suggest.js';
import { checkFreezeWindow } from './freeze-windows.js';
import { checkTimeZone, parseDuration, validateLocalDateTime, validateRRule, validateWallClock } from './time-values.js';

/** One thing wrong (or doubtful) in a policy file, where it is, and what would be right. */
export interface PolicyProblem {
  /** The file the text came from, as given to {@link loadPolicy}. */
  source: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Where in the policy: `environments[2].minApprovals`; empty for the whole file. */
  path: string;
  /** A complete sentence fragment a person can act on, the expected form included. */
  message: string;
  /** The expected form or values, for tools (already part of `message`). */
  expected?: string;
  /** A near-miss correction (`minApprovals` for `minAprovals`). */
  suggestion?: string;
}

export type PolicyLoadResult =
  | { ok: true; policy: Policy; warnings: PolicyProblem[] }
  | { ok: false; errors: PolicyProblem[] };

/** A path into a policy file: `['environments', 2, 'github']`. */
export type PolicyPath = ReadonlyArray<string | number>;

/**
 * One policy file, parsed and validated on its own: its plain data and a way to point at
 * its lines. A file that says `extends: org` is checked as a partial policy (no stages
 * required, weights not summed): the merged policy is checked by `mergePolicyDocuments`.
 */
export interface PolicyDocument {
  readonly source: string;
  readonly format: 'v1' | 'aurora';
  /** The file says `extends: org`. */
  readonly extendsOrg: boolean;
  /** The file's content as plain data (valid against the schema). Do not mutate. */
  readonly data: Readonly<Record<string, unknown>>;
  /** The policy the file gives on its own; null when it extends the org default. */
  readonly policy: Policy | null;
  readonly warnings: PolicyProblem[];
  /** A problem at a path of this file: at the key of a mapping entry, or at its value. */
  problemAt(path: PolicyPath, message: string, at?: 'key' | 'value', extra?: Pick<PolicyProblem, 'expected' | 'suggestion'>): PolicyProblem;
}

export type PolicyDocumentResult = { ok: true; document: PolicyDocument } | { ok: false; errors: PolicyProblem[] };

/** Said when a file extends the org default and the caller has none to give. */
export const EXTENDS_WITHOUT_ORG = 'extends: org builds on the org default, which was not given here';

/** `file:line:column: message; did you mean "x"?`, one problem per line. */
export function formatPolicyProblem(p: PolicyProblem): string {
  const hint = p.suggestion === undefined ? '' : `; did you mean "${p.suggestion}"?`;
  return `${p.source}:${p.line}:${p.column}: ${p.message}${hint}`;
}

/** Files larger than this are refused before parsing. */
export const MAX_POLICY_BYTES = 1_000_000;
/** Lines and flow-list items (`,`) a policy has at most; a longer file is read up to there. */
export const MAX_POLICY_ENTRIES = 10_000;

/**
 * Where a policy text passes {@link MAX_POLICY_ENTRIES} lines and commas (the offset of the
 * line that does), or null when it does not: a bound on the nodes YAML would build.
 */
function entryLimit(text: string): number | null {
  let count = 0;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x0a && c !== 0x2c) continue;
    count++;
    // Cut before the line that passes the bound: whole lines are read.
    if (count > MAX_POLICY_ENTRIES) return lineStart;
    if (c === 0x0a) lineStart = i + 1;
  }
  return null;
}

/** Problems listed for one file at most; the rest are counted in one last line. */
export const MAX_PROBLEMS_REPORTED = 50;
/** Alias expansions allowed when resolving anchors (a defence against "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;

const DAY_MS = 86_400_000;
/**
 * The longest each duration of a policy may be. Longer values are refused when the policy
 * is loaded, so that no evaluation follows a span of years (a deploy of 2,500,000,000 hours).
 */
export const DURATION_LIMITS = {
  deployDuration: { ms: 7 * DAY_MS, text: '7d' },
  duration: { ms: 366 * DAY_MS, text: '366d' },
  expires: { ms: 30 * DAY_MS, text: '30d' },
  backupMaxAge: { ms: 366 * DAY_MS, text: '366d' },
} as const;

export const DEFAULT_WEIGHTS: Partial<Record<EvidenceKind, number>> = { tests: 40, coverage: 20, security: 20, checklist: 20 };
const HOUR_MS = 3_600_000;

/**
 * GitHub environment names each Aurora stage covers. GitHub compares environment names
 * without regard to case, so `prod` also covers `Prod`.
 */
export const AURORA_STAGES = [
  { name: 'DEV', github: ['DEV', 'development'] },
  { name: 'PRE_PROD', github: ['PRE_PROD', 'pre-prod', 'staging'] },
  { name: 'PROD', github: ['PROD', 'production'] },
] as const;

type Segment = string | number;
type Problem = Omit<PolicyProblem, 'source' | 'line' | 'column'> & { offset: number };

// ajv's CommonJS default export seen through NodeNext typing.
const Ajv2020 = _Ajv2020 as unknown as typeof _Ajv2020.default;
let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  validator ??= new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true }).compile(
    policySchema,
  );
  return validator;
}

const cache = new Map<string, PolicyLoadResult>();
const CACHE_SIZE = 16;

/**
 * Parses and validates a policy. Never throws: every problem (YAML syntax, duplicate keys,
 * schema, time values, cross-field rules) comes back in `errors`, sorted by position.
 * Results are cached by content; each call gets its own copy.
 */
export function loadPolicy(text: string, source: string): PolicyLoadResult {
  const key = `${source}\u0000${text}`;
  let result = cache.get(key);
  if (result === undefined) {
    result = loadUncached(text, source);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, result);
  }
  return structuredClone(result);
}

function loadUncached(text: string, source: string): PolicyLoadResult {
  const read = readPolicyDocument(text, source);
  if (!read.ok) return read;
  const { document } = read;
  if (document.policy === null) return { ok: false, errors: [document.problemAt(['extends'], EXTENDS_WITHOUT_ORG, 'key')] };
  return { ok: true, policy: document.policy, warnings: document.warnings };
}

/**
 * Parses and validates one policy file on its own, keeping its data and positions so that
 * it can be merged with another (`extends: org`). Never throws; not cached.
 */
export function readPolicyDocument(text: string, source: string): PolicyDocumentResult {
  try {
    return new Loader(text, source).read();
  } catch (error) {
    // A defect or a hostile input we did not foresee: fail closed with the reason.
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      errors: [{ source, line: 1, column: 1, path: '', message: `the policy could not be read: ${reason}` }],
    };
  }
}

function pathString(segs: readonly Segment[]): string {
  let out = '';
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

function show(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  if (value === undefined) return 'nothing';
  return JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function keyString(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

const LIST_NOUNS: Record<string, string> = {
  environments: 'stage',
  refs: 'ref pattern (leave refs out to allow any ref)',
  paths: 'path pattern',
  teams: 'team',
  days: 'day (leave days out for every day)',
  github: 'GitHub environment name (leave github out to use the stage name)',
};

/** Why a number has a maximum, said after "must be a whole number from 0 to N, got M". */
const MAXIMUM_HINTS: Record<string, string> = {
  minutes: `the most is ${POLICY_LIMITS.soakMinutes} minutes (30 days): write a shorter soak`,
  minApprovals: `the most is ${POLICY_LIMITS.minApprovals} approvals: write a number of people who can really approve`,
};

const ENUM_NOUNS: Record<string, string> = {
  requiredEvidence: 'an evidence kind',
  days: 'a weekday',
  allowedSarifLevels: 'a SARIF level',
  env: 'an Aurora stage',
};

const WINDOW_KINDS: Record<string, string> = {
  [policySchema.$defs.dailyWindow.description]: 'a daily window',
  [policySchema.$defs.rangeWindow.description]: 'a range window',
  [policySchema.$defs.rruleWindow.description]: 'an rrule window',
};
const WINDOW_SHAPE_KEYS = ['start', 'end', 'days', 'from', 'to', 'rrule', 'duration'];
const WINDOW_SHAPES = 'a window is exactly one of: daily (start, end, days), range (from, to), rrule (rrule, duration), each with a timezone';

interface SchemaLike {
  type?: string | readonly string[];
  enum?: readonly unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  description?: string;
  properties?: Record<string, unknown>;
}

/** What a value must be, in words: `a whole number >= 0`. */
function describe(schema: SchemaLike): string {
  if (schema.enum) return `one of ${schema.enum.map(String).join(', ')}`;
  if (schema.const !== undefined) return String(schema.const);
  const { type, minimum: min, maximum: max } = schema;
  if (Array.isArray(type)) return 'a name or a list of names';
  const range = (noun: string): string =>
    min !== undefined && max !== undefined
      ? `${noun} from ${min} to ${max}`
      : min !== undefined
        ? `${noun} >= ${min}`
        : max !== undefined
          ? `${noun} <= ${max}`
          : noun;
  switch (type) {
    case 'integer':
      return range('a whole number');
    case 'number':
      return range('a number');
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
      return 'a mapping of keys to values';
    case 'string':
      return schema.pattern !== undefined && schema.description !== undefined ? schema.description : 'a string';
    default:
      return 'something else';
  }
}

class Loader {
  private readonly lineCounter = new LineCounter();
  private readonly problems: Problem[] = [];
  private readonly warnings: Problem[] = [];
  /** Problems found but not described (past the bound), counted in the last line. */
  private unlisted = 0;
  /** Where the text was cut for having too many entries, as a problem. */
  private truncated: Problem | null = null;
  private doc!: Document.Parsed;
  private data: unknown;

  constructor(
    private readonly text: string,
    private readonly source: string,
  ) {}

  read(): PolicyDocumentResult {
    const loaded = this.load();
    if (!loaded.ok) return loaded;
    const data = this.data as Record<string, unknown>;
    const problemAt = (path: PolicyPath, message: string, at: 'key' | 'value' = 'key', extra: Pick<PolicyProblem, 'expected' | 'suggestion'> = {}): PolicyProblem => {
      const segs = [...path];
      const offset = at === 'key' ? this.keyOffset(segs) : this.valueOffset(segs);
      return this.finish([{ offset, path: pathString(segs), message, ...extra }])[0]!;
    };
    return {
      ok: true,
      document: {
        source: this.source,
        format: 'policy' in data ? 'aurora' : 'v1',
        extendsOrg: data.extends === 'org',
        data,
        policy: loaded.policy,
        warnings: loaded.warnings,
        problemAt,
      },
    };
  }

  private load(): { ok: true; policy: Policy | null; warnings: PolicyProblem[] } | { ok: false; errors: PolicyProblem[] } {
    if (this.text.length > MAX_POLICY_BYTES) {
      return this.fail([{ offset: 0, path: '', message: `the policy file is larger than ${MAX_POLICY_BYTES} bytes` }]);
    }
    // A file of more entries than any policy has is read only up to the bound, so that the
    // work (the YAML parser is the slowest part) stays small whatever the file holds.
    const cut = entryLimit(this.text);
    if (cut !== null) {
      this.truncated = {
        offset: cut,
        path: '',
        message: `the policy goes on past this line with more than ${MAX_POLICY_ENTRIES} lines and list items; the rest is not read: a policy has at most ${MAX_POLICY_ENTRIES}`,
      };
    }
    const text = cut === null ? this.text : this.text.slice(0, cut);
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: false, merge: true, logLevel: 'error' });
    if (this.doc.errors.length > 0) {
      return this.fail(
        this.doc.errors.map((e) => ({ offset: e.pos[0], path: '', message: `YAML syntax error: ${e.message}` })),
      );
    }
    for (const w of this.doc.warnings) this.warnings.push({ offset: w.pos[0], path: '', message: `YAML: ${w.message}` });

    const root = this.doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) {
      return this.fail([
        {
          offset: 0,
          path: '',
          message: 'the policy file is empty; expected a mapping with "version: 1" and "environments" (or the Aurora format\'s "policy")',
        },
      ]);
    }
    if (!isMap(root)) {
      const got = isSeq(root) ? 'a list' : isAlias(root) ? 'an alias' : `${show((root as { value?: unknown }).value)}`;
      return this.fail([
        { offset: root.range?.[0] ?? 0, path: '', message: `the policy must be a mapping of keys to values, got ${got}` },
      ]);
    }

    this.findDuplicateKeys(root, []);
    try {
      this.data = this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      const message = /alias/i.test(error.message)
        ? `the policy's aliases expand too much (more than ${MAX_ALIAS_COUNT} expansions); write the values out instead`
        : `the policy could not be read: ${error.message}`;
      return this.fail([...this.problems, { offset: 0, path: '', message }]);
    }

    this.checkSchema();
    this.checkValues();
    if (this.problems.length > 0 || this.truncated !== null) return this.fail(this.problems);
    // A file that extends the org default is a part of a policy: it is built once merged.
    if (isRecord(this.data) && this.data.extends === 'org') return { ok: true, policy: null, warnings: this.finish(this.warnings) };
    const policy = isRecord(this.data) && 'policy' in this.data ? this.buildAurora() : buildPolicy(this.data as Record<string, unknown>);
    this.checkWarnings(policy);
    return { ok: true, policy, warnings: this.finish(this.warnings) };
  }

  private fail(problems: Problem[]): { ok: false; errors: PolicyProblem[] } {
    const errors = this.finish(problems);
    // Always shown, after the bounded list: it says why the list ends there.
    if (this.truncated !== null) errors.push(...this.finishAll([this.truncated]));
    return { ok: false, errors };
  }

  private finish(problems: Problem[]): PolicyProblem[] {
    const all = this.finishAll(problems);
    const unlisted = problems === this.problems ? this.unlisted : 0;
    if (all.length <= MAX_PROBLEMS_REPORTED && unlisted === 0) return all;
    // A file with thousands of problems gets the first ones and a count: a list nobody reads helps nobody.
    const shown = all.slice(0, MAX_PROBLEMS_REPORTED);
    const next = all[MAX_PROBLEMS_REPORTED] ?? all.at(-1)!;
    shown.push({
      source: this.source,
      line: next.line,
      column: next.column,
      path: '',
      message: `and ${all.length - shown.length + unlisted} more problems, not listed: fix the ones above first`,
    });
    return shown;
  }

  private finishAll(problems: Problem[]): PolicyProblem[] {
    const seen = new Set<string>();
    const out: PolicyProblem[] = [];
    for (const { offset, ...p } of problems) {
      const dedupe = `${offset}\u0000${p.message}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      const { line, col } = this.linePos(offset);
      const problem: PolicyProblem = { source: this.source, line, column: col, path: p.path, message: p.message };
      if (p.expected !== undefined) problem.expected = p.expected;
      if (p.suggestion !== undefined) problem.suggestion = p.suggestion;
      out.push(problem);
    }
    return out.sort((a, b) => a.line - b.line || a.column - b.column || a.message.localeCompare(b.message));
  }

  private linePos(offset: number): { line: number; col: number } {
    const pos = this.lineCounter.linePos(offset);
    return { line: Math.max(1, pos.line), col: Math.max(1, pos.col) };
  }

  private lineColText(offset: number): string {
    const { line, col } = this.linePos(offset);
    return `line ${line}, column ${col}`;
  }

  // ---- locating things in the YAML -------------------------------------------------

  private readonly pairIndexes = new WeakMap<object, Map<string, Pair>>();

  /** A mapping's entries by key (the first of duplicates), built once: looking keys up stays linear in the file. */
  private pairIndex(map: { items: Pair[] }): Map<string, Pair> {
    let index = this.pairIndexes.get(map);
    if (index === undefined) {
      index = new Map();
      for (const p of map.items) {
        const k = keyString(p.key);
        if (!index.has(k)) index.set(k, p);
      }
      this.pairIndexes.set(map, index);
    }
    return index;
  }

  /** The YAML nodes at a path: the value and, for a mapping entry, its key. */
  private locate(segs: readonly Segment[]): { value?: YamlNode | null; key?: YamlNode; last: YamlNode } {
    let cur: unknown = this.doc.contents;
    let key: YamlNode | undefined;
    let last = this.doc.contents as YamlNode;
    for (const seg of segs) {
      if (isAlias(cur)) cur = cur.resolve(this.doc);
      if (isMap(cur)) {
        const pair = this.pairIndex(cur).get(String(seg));
        if (!pair) return { last };
        key = isScalar(pair.key) || isMap(pair.key) || isSeq(pair.key) ? (pair.key as YamlNode) : undefined;
        cur = pair.value;
      } else if (isSeq(cur) && typeof seg === 'number') {
        cur = cur.items[seg];
        key = undefined;
      } else {
        return { last };
      }
      if (cur && (isScalar(cur) || isMap(cur) || isSeq(cur) || isAlias(cur))) last = cur as YamlNode;
      else if (key) last = key;
    }
    return { value: cur as YamlNode | null, key, last };
  }

  /** Offset of the value at a path (its key when the value is empty). */
  private valueOffset(segs: readonly Segment[]): number {
    const { value, key, last } = this.locate(segs);
    if (value?.range && !(isScalar(value) && value.value === null && key)) return value.range[0];
    return key?.range?.[0] ?? last?.range?.[0] ?? 0;
  }

  /** Offset of the key of a path's mapping entry (its value for list items). */
  private keyOffset(segs: readonly Segment[]): number {
    const { key, value, last } = this.locate(segs);
    return key?.range?.[0] ?? value?.range?.[0] ?? last?.range?.[0] ?? 0;
  }

  private dataAt(segs: readonly Segment[]): unknown {
    let cur: unknown = this.data;
    for (const seg of segs) {
      if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
      else if (isRecord(cur)) cur = cur[String(seg)];
      else return undefined;
    }
    return cur;
  }

  /** `environments[2] (PROD)`: a path as a person reads it. */
  private where(segs: readonly Segment[]): string {
    if (segs.length === 0) return 'the top level';
    const text = pathString(segs);
    if (segs[0] === 'environments' && typeof segs[1] === 'number') {
      const env = this.dataAt(segs.slice(0, 2));
      if (isRecord(env) && typeof env.name === 'string') return `${text} (${env.name})`;
    }
    return text;
  }

  /** `requiredEvidence[1]`: the last key of a path and the list indexes after it. */
  private label(segs: readonly Segment[]): string {
    let i = segs.length - 1;
    while (i > 0 && typeof segs[i] === 'number') i--;
    return segs.length === 0 ? 'the policy' : pathString(segs.slice(i));
  }

  private add(list: Problem[], p: Problem): void {
    list.push(p);
  }

  // ---- duplicate keys ----------------------------------------------------------------

  private findDuplicateKeys(node: unknown, segs: Segment[]): void {
    if (isMap(node)) {
      const seen = new Map<string, Pair>();
      for (const pair of node.items) {
        const k = keyString(pair.key);
        const first = seen.get(k);
        const keyNode = pair.key as YamlNode | null;
        if (first && k !== '<<') {
          const firstKey = first.key as YamlNode | null;
          this.add(this.problems, {
            offset: keyNode?.range?.[0] ?? 0,
            path: pathString([...segs, k]),
            message: `duplicate key "${k}" in ${this.whereFromYaml(segs)}; first given at ${this.lineColText(firstKey?.range?.[0] ?? 0)}`,
            expected: 'each key once',
          });
        } else {
          seen.set(k, pair);
        }
        this.findDuplicateKeys(pair.value, [...segs, k]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => this.findDuplicateKeys(item, [...segs, i]));
    }
  }

  /** Like {@link where}, before the YAML has been turned into data. */
  private whereFromYaml(segs: readonly Segment[]): string {
    if (segs.length === 0) return 'the top level';
    const text = pathString(segs);
    if (segs[0] === 'environments' && typeof segs[1] === 'number') {
      const env = this.locate(segs.slice(0, 2)).value;
      const name = isMap(env) ? env.get('name') : undefined;
      if (typeof name === 'string') return `${text} (${name})`;
    }
    return text;
  }

  // ---- the JSON Schema ---------------------------------------------------------------

  private checkSchema(): void {
    const check = validate();
    if (check(this.data)) return;
    const errors = check.errors ?? [];
    // A root key near "policy" means an Aurora file with a typo: v1's required keys would be noise.
    const auroraTypo = errors.some(
      (e) => e.instancePath === '' && e.keyword === 'additionalProperties' && suggest(String(e.params.additionalProperty), ['policy']) === 'policy',
    );
    const valueErrorAt = new Set<string>();
    const missing = new Map<string, string[]>();
    for (const e of errors) {
      if (e.keyword !== 'required') continue;
      missing.set(e.instancePath, [...(missing.get(e.instancePath) ?? []), String(e.params.missingProperty)]);
    }
    for (const e of errors) {
      if (auroraTypo && e.instancePath === '' && e.keyword === 'required') continue;
      // Past a few hundred problems only count them: the list shown stops at MAX_PROBLEMS_REPORTED
      // anyway, and a suggestion for each of 100,000 unknown keys would make validation slow.
      if (this.problems.length >= MAX_PROBLEMS_REPORTED * 4) {
        // `if` and `pattern` are said by other problems (see translate): they are not counted.
        if (e.keyword !== 'if' && e.keyword !== 'pattern') this.unlisted++;
        continue;
      }
      if (e.keyword === 'required') {
        const keys = missing.get(e.instancePath);
        if (keys === undefined) continue;
        missing.delete(e.instancePath);
        e.params.missingProperty = keys;
      }
      const p = this.translate(e);
      if (!p) continue;
      if (['type', 'minimum', 'maximum', 'enum', 'const', 'minLength'].includes(e.keyword)) {
        if (valueErrorAt.has(p.path)) continue;
        valueErrorAt.add(p.path);
      }
      this.add(this.problems, p);
    }
  }

  private segments(instancePath: string): Segment[] {
    if (instancePath === '') return [];
    const segs: Segment[] = [];
    let cur: unknown = this.data;
    for (const raw of instancePath.slice(1).split('/')) {
      const s = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      const seg: Segment = Array.isArray(cur) && /^\d+$/.test(s) ? Number(s) : s;
      segs.push(seg);
      cur = Array.isArray(cur) ? cur[seg as number] : isRecord(cur) ? cur[s] : undefined;
    }
    return segs;
  }

  private translate(e: ErrorObject): Problem | null {
    const segs = this.segments(e.instancePath);
    const path = pathString(segs);
    const label = this.label(segs);
    const parent = (e.parentSchema ?? {}) as SchemaLike;
    const data = e.data as unknown;
    switch (e.keyword) {
      case 'if':
      case 'pattern': // the time values are checked (with better words) by checkValues
        return null;
      case 'additionalProperties': {
        const key = String(e.params.additionalProperty);
        const keys = Object.keys(parent.properties ?? {}).filter((k) => k !== '$schema');
        const candidates = segs.length === 0 ? [...keys, 'policy'] : keys;
        const suggestion = suggest(key, candidates);
        const windowKind = parent.description === undefined ? undefined : WINDOW_KINDS[parent.description];
        let message = `unknown key "${key}" ${segs.length === 0 ? 'at the top level' : `in ${this.where(segs)}`}`;
        if (key === 'extends' && segs.length === 0 && 'policy' in (parent.properties ?? {})) {
          message = '"extends" is not part of the Aurora format ("policy:"); to extend the org default, write this file in the version 1 format ("version: 1")';
        } else if (windowKind !== undefined && WINDOW_SHAPE_KEYS.includes(key)) message += `, ${windowKind}; ${WINDOW_SHAPES}`;
        else if (suggestion === undefined) message += `; expected one of ${keys.join(', ')}`;
        const p: Problem = { offset: this.keyOffset([...segs, key]), path: pathString([...segs, key]), message };
        p.expected = keys.join(', ');
        if (suggestion !== undefined) p.suggestion = suggestion;
        return p;
      }
      case 'required': {
        const missing = ([] as unknown[]).concat(e.params.missingProperty).map(String);
        const what = segs.length === 0 ? 'the policy' : this.where(segs);
        const shown = missing.map((k) => `"${k === 'version' ? 'version: 1' : k}"`);
        const windowKind = parent.description === undefined ? undefined : WINDOW_KINDS[parent.description];
        const list = shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]!}`;
        let message = `${what} is missing ${list}`;
        if (windowKind !== undefined) message += ` (${windowKind.replace(/^an? /, '')}s need ${this.requiredOf(parent)})`;
        return { offset: this.keyOffset(segs), path, message, expected: missing.join(', ') };
      }
      case 'type':
      case 'minimum':
      case 'maximum':
      case 'const': {
        const expected = describe(parent);
        const hint = e.keyword === 'maximum' ? MAXIMUM_HINTS[String(segs.at(-1))] : undefined;
        return { offset: this.valueOffset(segs), path, message: `${label} must be ${expected}, got ${show(data)}${hint === undefined ? '' : `; ${hint}`}`, expected };
      }
      case 'maxItems': {
        const owner = typeof segs[segs.length - 1] === 'string' ? String(segs[segs.length - 1]) : '';
        const noun = (LIST_NOUNS[owner] ?? 'item').replace(/ \(.*$/, '');
        const count = Array.isArray(data) ? data.length : 0;
        return { offset: this.valueOffset(segs), path, message: `${label} lists ${count} items; at most ${String(e.params.limit)} ${noun}s are allowed: split the policy or remove some` };
      }
      case 'maxLength':
        return {
          offset: this.valueOffset(segs),
          path,
          message: `${label} is ${typeof data === 'string' ? data.length : '?'} characters long; at most ${String(e.params.limit)} are allowed`,
        };
      case 'enum': {
        const allowed = (parent.enum ?? []).map(String);
        const owner = [...segs].reverse().find((s): s is string => typeof s === 'string') ?? '';
        const noun = ENUM_NOUNS[owner];
        const expected = `one of ${allowed.join(', ')}`;
        const message =
          noun !== undefined
            ? `${label} ${show(data)} is not ${noun}; expected ${expected}`
            : `${label} must be ${expected}, got ${show(data)}`;
        const p: Problem = { offset: this.valueOffset(segs), path, message, expected };
        const suggestion = typeof data === 'string' ? suggest(data, allowed) : undefined;
        if (suggestion !== undefined) p.suggestion = suggestion;
        return p;
      }
      case 'minItems': {
        const owner = typeof segs[segs.length - 1] === 'string' ? String(segs[segs.length - 1]) : '';
        const noun = LIST_NOUNS[owner] ?? 'item';
        return { offset: this.valueOffset(segs), path, message: `${label} must list at least one ${noun}` };
      }
      case 'minLength':
        return { offset: this.valueOffset(segs), path, message: `${label} must not be empty` };
      case 'uniqueItems': {
        const later = Math.max(Number(e.params.i), Number(e.params.j));
        const earlier = Math.min(Number(e.params.i), Number(e.params.j));
        const item = Array.isArray(data) ? data[later] : undefined;
        return {
          offset: this.valueOffset([...segs, later]),
          path: pathString([...segs, later]),
          message: `${label} lists ${show(item)} twice (items ${earlier} and ${later})`,
        };
      }
      default:
        return { offset: this.valueOffset(segs), path, message: `${label} ${e.message ?? 'is not valid'}` };
    }
  }

  private requiredOf(schema: SchemaLike & { required?: readonly string[] }): string {
    return (schema.required ?? []).join(', ');
  }

  // ---- what the schema cannot say ------------------------------------------------------

  private error(segs: Segment[], message: string, extra: Partial<Problem> = {}, at: 'key' | 'value' = 'value'): void {
    const offset = at === 'key' ? this.keyOffset(segs) : this.valueOffset(segs);
    this.add(this.problems, { offset, path: pathString(segs), message, ...extra });
  }

  private checkDuration(segs: Segment[], value: unknown, positive: boolean, limit: { ms: number; text: string }): void {
    if (typeof value !== 'string') return;
    const parsed = parseDuration(value);
    const label = this.label(segs);
    if (!parsed.ok) this.error(segs, `${label} ${parsed.error}`);
    else if (positive && parsed.ms === 0) this.error(segs, `${label} must be longer than 0s, got ${show(value)}`);
    else if (parsed.ms > limit.ms) {
      this.error(segs, `${label} is ${show(value)}, longer than the maximum of ${limit.text}; write ${limit.text} or less`, { expected: `at most ${limit.text}` });
    }
  }

  private checkString(segs: Segment[], value: unknown, validator: (v: unknown) => string | null): void {
    if (typeof value !== 'string') return;
    const problem = validator(value);
    if (problem !== null) this.error(segs, `${this.label(segs)} ${problem}`);
  }

  private checkTimeZoneAt(segs: Segment[], value: unknown): void {
    if (typeof value !== 'string' || value === '') return;
    const problem = checkTimeZone(value);
    if (problem === null) return;
    this.error(segs, `${this.label(segs)} ${problem.message}`, problem.suggestion === undefined ? {} : { suggestion: problem.suggestion });
  }

  private checkWindow(segs: Segment[], w: unknown): void {
    if (!isRecord(w)) return;
    this.checkTimeZoneAt([...segs, 'timezone'], w.timezone);
    if ('rrule' in w) {
      this.checkString([...segs, 'rrule'], w.rrule, validateRRule);
      this.checkDuration([...segs, 'duration'], w.duration, true, DURATION_LIMITS.duration);
      if (typeof w.rrule === 'string' && validateRRule(w.rrule) === null) {
        // Rules the syntax allows but the freeze engine cannot follow (COUNT without
        // DTSTART, times an INTERVAL never reaches, 30 February...) are errors now, not
        // at the first evaluation.
        const zone = typeof w.timezone === 'string' && checkTimeZone(w.timezone) === null ? w.timezone : 'UTC';
        const problem = checkFreezeWindow({ kind: 'rrule', name: 'rrule', rrule: w.rrule, durationMs: 3_600_000, timezone: zone });
        if (problem !== null) this.error([...segs, 'rrule'], `${this.label([...segs, 'rrule'])} ${problem.replace(/^rrule "[^"]*" /, '')}`);
      }
    } else if ('from' in w || 'to' in w) {
      this.checkString([...segs, 'from'], w.from, validateLocalDateTime);
      this.checkString([...segs, 'to'], w.to, validateLocalDateTime);
      if (
        typeof w.from === 'string' &&
        typeof w.to === 'string' &&
        validateLocalDateTime(w.from) === null &&
        validateLocalDateTime(w.to) === null &&
        seconds(w.to) <= seconds(w.from)
      ) {
        this.error([...segs, 'to'], `to ${show(w.to)} must be after from ${show(w.from)}`);
      }
    } else {
      this.checkString([...segs, 'start'], w.start, validateWallClock);
      this.checkString([...segs, 'end'], w.end, validateWallClock);
      if (
        typeof w.start === 'string' &&
        typeof w.end === 'string' &&
        validateWallClock(w.start) === null &&
        validateWallClock(w.end) === null &&
        seconds(w.start) === seconds(w.end)
      ) {
        this.error(
          [...segs, 'end'],
          `end ${show(w.end)} equals start; a window needs a length (an end before the start crosses midnight)`,
        );
      }
    }
  }

  private checkValues(): void {
    const data = this.data;
    if (!isRecord(data)) return;
    if ('policy' in data) {
      const policy = data.policy;
      if (isRecord(policy) && Array.isArray(policy.freezeWindows)) {
        policy.freezeWindows.forEach((w, i) => this.checkWindow(['policy', 'freezeWindows', i], w));
      }
      return;
    }
    const stageNames = new Map<string, number>();
    const githubNames = new Map<string, { stage: string; offset: number }>();
    const environments = Array.isArray(data.environments) ? data.environments : [];
    environments.forEach((env, i) => {
      if (!isRecord(env)) return;
      const segs: Segment[] = ['environments', i];
      const name = typeof env.name === 'string' ? env.name : undefined;
      if (name !== undefined) {
        const first = stageNames.get(name);
        if (first !== undefined) {
          this.error([...segs, 'name'], `stage name "${name}" is used twice; first at ${this.lineColText(first)}`);
        } else {
          stageNames.set(name, this.valueOffset([...segs, 'name']));
        }
      }
      const github: Array<[unknown, Segment[]]> =
        typeof env.github === 'string'
          ? [[env.github, [...segs, 'github']]]
          : Array.isArray(env.github)
            ? env.github.map((g, j) => [g, [...segs, 'github', j]])
            : env.github === undefined && name !== undefined
              ? [[name, [...segs, 'name']]]
              : [];
      for (const [g, at] of github) {
        if (typeof g !== 'string' || g === '') continue;
        const first = githubNames.get(g.toLowerCase());
        if (first === undefined) {
          githubNames.set(g.toLowerCase(), { stage: name ?? pathString(segs), offset: this.valueOffset(at) });
        } else if (first.stage !== (name ?? pathString(segs))) {
          this.error(
            at,
            `GitHub environment "${g}" is already covered by stage ${first.stage} (${this.lineColText(first.offset)}); each GitHub environment belongs to one stage (names ignore case)`,
          );
        }
      }
      if (Array.isArray(env.freezeWindows)) {
        env.freezeWindows.forEach((w, j) => this.checkWindow([...segs, 'freezeWindows', j], w));
      }
      this.checkDuration([...segs, 'deployDuration'], env.deployDuration, false, DURATION_LIMITS.deployDuration);
    });

    const scoring = data.scoring;
    if (isRecord(scoring)) {
      const given = EVIDENCE_KINDS.filter((k) => k in scoring);
      const weights = given.map((k) => scoring[k]);
      // The weights of a file that extends the org default are summed once merged.
      if (data.extends !== 'org' && given.length > 0 && weights.every((w) => typeof w === 'number' && Number.isInteger(w))) {
        const sum = (weights as number[]).reduce((a, b) => a + b, 0);
        if (sum !== 100) {
          this.error(['scoring'], `scoring weights sum to ${sum}; they must sum to 100`, { expected: 'weights summing to 100' }, 'key');
        }
      }
      this.checkDuration(['scoring', 'backupMaxAge'], scoring.backupMaxAge, true, DURATION_LIMITS.backupMaxAge);
    }
    const overrides = data.overrides;
    if (isRecord(overrides)) this.checkDuration(['overrides', 'expires'], overrides.expires, true, DURATION_LIMITS.expires);
    const evidence = data.evidence;
    if (isRecord(evidence) && Array.isArray(evidence.workflows)) {
      evidence.workflows.forEach((w, i) => {
        if (typeof w !== 'string' || w === '') return;
        const problem = checkWorkflowPath(w);
        if (problem !== null) this.error(['evidence', 'workflows', i], `evidence.workflows[${i}] ${problem}`);
      });
    }
  }

  private checkWarnings(policy: Policy): void {
    const segs: Segment[] = ['scoring', 'warnScore'];
    for (const w of warnScoreWarnings(policy)) {
      this.add(this.warnings, { offset: w.at === 'key' ? this.keyOffset(segs) : this.valueOffset(segs), path: pathString(segs), message: w.message });
    }
  }

  // ---- the model -----------------------------------------------------------------------

  private buildAurora(): Policy {
    const p = ((this.data as Record<string, unknown>).policy ?? {}) as Record<string, unknown>;
    const windows = (p.freezeWindows ?? []) as Array<Record<string, unknown>>;
    const environments = AURORA_STAGES.map(({ name, github }): EnvironmentPolicy => {
      const isProd = name === 'PROD';
      return {
        name,
        github: [...github],
        refs: [],
        minApprovals: isProd ? ((p.minApprovals as number | undefined) ?? 0) : 0,
        approvals: { excludeAuthor: true, fromTeams: [] },
        requiredReviewers: [],
        minScore: isProd ? ((p.minScore as number | undefined) ?? null) : null,
        requiredChecks: [],
        // The Aurora format's "evidence URL present" requirement is covered by minScore: with no evidence there is
        // no score, and the gate blocks with EVIDENCE_MISSING. A score given directly counts.
        requiredEvidence: [],
        soakMinutes: 0,
        freezeWindows: windows.filter((w) => w.env === name).map(buildWindow),
        deployDurationMs: 0,
        onBlocked: 'wait',
        autoPromote: false,
      };
    });
    return {
      version: 1,
      format: 'aurora',
      environments,
      scoring: { ...buildScoring({}), weights: { evidenceUrl: 100 } },
      overrides: buildOverrides({}),
      evidence: buildEvidence({}),
      strict: false,
    };
  }
}

/**
 * The typed policy of a v1 file's data (or of a merged policy's), already validated:
 * defaults filled in, durations in milliseconds.
 */
export function buildPolicy(data: Readonly<Record<string, unknown>>): Policy {
  const environments = (data.environments as Array<Record<string, unknown>>).map(buildEnvironment);
  const scoring = (data.scoring ?? {}) as Record<string, unknown>;
  const overrides = (data.overrides ?? {}) as Record<string, unknown>;
  return {
    version: 1,
    format: 'v1',
    environments,
    scoring: buildScoring(scoring),
    overrides: buildOverrides(overrides),
    evidence: buildEvidence((data.evidence ?? {}) as Record<string, unknown>),
    strict: (data.strict as boolean | undefined) ?? false,
    // Off unless the policy opts in.
    ...(data.sync === 'environments' ? { sync: 'environments' as const } : {}),
  };
}

function buildEvidence(e: Record<string, unknown>): EvidencePolicy {
  return { workflows: [...((e.workflows as string[] | undefined) ?? [])] };
}

/**
 * Why a path cannot name a workflow file, or null when it can: GitHub runs workflows from
 * `.github/workflows/*.yml` or `.yaml` (the path as the workflow run reports it).
 */
export function checkWorkflowPath(path: string): string | null {
  if (!path.startsWith('.github/workflows/')) return `${show(path)} is not a workflow file: write the path from the repository root, starting with .github/workflows/ (e.g. .github/workflows/ci.yml)`;
  if (!/\.ya?ml$/.test(path)) return `${show(path)} is not a workflow file: workflow files end in .yml or .yaml`;
  if (path.slice('.github/workflows/'.length).includes('/') || path.includes('..')) {
    return `${show(path)} is not a workflow file: GitHub reads workflows only directly in .github/workflows/`;
  }
  return null;
}

function buildEnvironment(env: Record<string, unknown>): EnvironmentPolicy {
  const name = env.name as string;
  const approvals = (env.approvals ?? {}) as { excludeAuthor?: boolean; fromTeams?: string[] };
  const github = env.github as string | string[] | undefined;
  return {
    name,
    github: github === undefined ? [name] : typeof github === 'string' ? [github] : [...github],
    refs: (env.refs as string[] | undefined) ?? [],
    minApprovals: (env.minApprovals as number | undefined) ?? 0,
    approvals: { excludeAuthor: approvals.excludeAuthor ?? true, fromTeams: approvals.fromTeams ?? [] },
    requiredReviewers: ((env.requiredReviewers ?? []) as Array<{ paths: string[]; teams: string[] }>).map((r) => ({
      paths: r.paths,
      teams: r.teams,
    })),
    minScore: (env.minScore as number | undefined) ?? null,
    requiredChecks: (env.requiredChecks as string[] | undefined) ?? [],
    requiredEvidence: (env.requiredEvidence as EvidenceKind[] | undefined) ?? [],
    soakMinutes: (env.soak as { minutes: number } | undefined)?.minutes ?? 0,
    freezeWindows: ((env.freezeWindows ?? []) as Array<Record<string, unknown>>).map(buildWindow),
    deployDurationMs: durationMs(env.deployDuration, 0),
    onBlocked: (env.onBlocked as 'wait' | 'reject' | undefined) ?? 'wait',
    autoPromote: (env.autoPromote as boolean | undefined) ?? false,
  };
}

/**
 * What is doubtful, not wrong, about a policy's `warnScore`: the words, and whether they
 * point at the key or at its value.
 */
export function warnScoreWarnings(policy: Policy): Array<{ message: string; at: 'key' | 'value' }> {
  const warnScore = policy.scoring.warnScore;
  if (warnScore === null) return [];
  const out: Array<{ message: string; at: 'key' | 'value' }> = [];
  const scored = policy.environments.filter((e) => e.minScore !== null);
  if (scored.length === 0) out.push({ message: 'warnScore has no effect: no stage sets minScore', at: 'key' });
  for (const env of scored) {
    if (warnScore > env.minScore!) {
      out.push({
        message: `warnScore ${warnScore} is above the minScore ${env.minScore} of ${env.name}, so ${env.name} has no warning band: scores below ${env.minScore} block there`,
        at: 'value',
      });
    }
  }
  return out;
}

function seconds(text: string): number {
  // Wall clocks (HH:MM[:SS]) and local date-times (YYYY-MM-DDTHH:MM[:SS]) compare as seconds.
  const m = /^(?:(\d{4})-(\d{2})-(\d{2})T)?(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return NaN;
  const days = m[1] === undefined ? 0 : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000;
  return ((days * 24 + Number(m[4])) * 60 + Number(m[5])) * 60 + (m[6] === undefined ? 0 : Number(m[6]));
}

function durationMs(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = parseDuration(value);
  if (!parsed.ok) throw new Error(`unchecked duration ${String(value)}`);
  return parsed.ms;
}

function buildWindow(w: Record<string, unknown>): FreezeWindow {
  const timezone = w.timezone as string;
  const given = w.name as string | undefined;
  if (typeof w.rrule === 'string') {
    return {
      kind: 'rrule',
      name: given ?? `${w.rrule} for ${w.duration as string} ${timezone}`,
      rrule: w.rrule,
      durationMs: durationMs(w.duration, 0),
      timezone,
    };
  }
  if (typeof w.from === 'string') {
    const to = w.to as string;
    return { kind: 'range', name: given ?? `${w.from} to ${to} ${timezone}`, from: w.from, to, timezone };
  }
  const start = w.start as string;
  const end = w.end as string;
  const days = w.days as Weekday[] | undefined;
  const prefix = days === undefined ? '' : `${days.join(',')} `;
  return { kind: 'daily', name: given ?? `${prefix}${start}-${end} ${timezone}`, days: days ?? [...WEEKDAYS], start, end, timezone };
}

/** The scoring a policy gets when it says nothing about scoring (the README's defaults). */
export function defaultScoring(): ScoringPolicy {
  return buildScoring({});
}

function buildScoring(s: Record<string, unknown>): ScoringPolicy {
  const weights: Partial<Record<EvidenceKind, number>> = {};
  for (const kind of EVIDENCE_KINDS) if (typeof s[kind] === 'number') weights[kind] = s[kind];
  return {
    weights: Object.keys(weights).length > 0 ? weights : { ...DEFAULT_WEIGHTS },
    warnScore: (s.warnScore as number | undefined) ?? null,
    coverageTarget: (s.coverageTarget as number | undefined) ?? 80,
    allowedSarifLevels: (s.allowedSarifLevels as ScoringPolicy['allowedSarifLevels'] | undefined) ?? ['note', 'none'],
    backupMaxAgeHours: durationMs(s.backupMaxAge, 24 * HOUR_MS) / HOUR_MS,
  };
}

function buildOverrides(o: Record<string, unknown>): OverridePolicy {
  return {
    teams: (o.teams as string[] | undefined) ?? [],
    secondApprover: (o.secondApprover as boolean | undefined) ?? false,
    expiresMs: durationMs(o.expires, 24 * HOUR_MS),
  };
}
