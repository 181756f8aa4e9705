/** The policy's JSON Schema, checked with ajv, and its errors said in words at the right line. */
import _Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { POLICY_LIMITS, policySchema } from '../policy-schema.js';
import { suggest } from '../suggest.js';
import { isRecord, MAX_PROBLEMS_REPORTED, pathString, show } from './problems.js';
import type { Problem, Segment } from './problems.js';
import { YamlPositions } from './yaml-positions.js';

const Ajv2020 = _Ajv2020 as unknown as typeof _Ajv2020.default;
let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  validator ??= new Ajv2020({
    allErrors: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    strictTypes: false,
    allowUnionTypes: true,
  }).compile(policySchema);
  return validator;
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
const WINDOW_SHAPES =
  'a window is exactly one of: daily (start, end, days), range (from, to), rrule (rrule, duration), each with a timezone';

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

/** Checks a policy's data against the JSON Schema and turns each error into a problem at its place. */
export class SchemaMessages extends YamlPositions {
  // ---- the JSON Schema ---------------------------------------------------------------

  protected checkSchema(): void {
    const check = validate();
    if (check(this.data)) return;
    const errors = check.errors ?? [];
    // A root key near "policy" means an Aurora file with a typo: v1's required keys would be noise.
    const auroraTypo = errors.some(
      (e) =>
        e.instancePath === '' &&
        e.keyword === 'additionalProperties' &&
        suggest(String(e.params.additionalProperty), ['policy']) === 'policy',
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

  protected segments(instancePath: string): Segment[] {
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

  protected translate(e: ErrorObject): Problem | null {
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
          message =
            '"extends" is not part of the Aurora format ("policy:"); to extend the org default, write this file in the version 1 format ("version: 1")';
        } else if (windowKind !== undefined && WINDOW_SHAPE_KEYS.includes(key))
          message += `, ${windowKind}; ${WINDOW_SHAPES}`;
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
        const list =
          shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]!}`;
        let message = `${what} is missing ${list}`;
        if (windowKind !== undefined)
          message += ` (${windowKind.replace(/^an? /, '')}s need ${this.requiredOf(parent)})`;
        return { offset: this.keyOffset(segs), path, message, expected: missing.join(', ') };
      }
      case 'type':
      case 'minimum':
      case 'maximum':
      case 'const': {
        const expected = describe(parent);
        const hint = e.keyword === 'maximum' ? MAXIMUM_HINTS[String(segs.at(-1))] : undefined;
        return {
          offset: this.valueOffset(segs),
          path,
          message: `${label} must be ${expected}, got ${show(data)}${hint === undefined ? '' : `; ${hint}`}`,
          expected,
        };
      }
      case 'maxItems': {
        const owner = typeof segs[segs.length - 1] === 'string' ? String(segs[segs.length - 1]) : '';
        const noun = (LIST_NOUNS[owner] ?? 'item').replace(/ \(.*$/, '');
        const count = Array.isArray(data) ? data.length : 0;
        return {
          offset: this.valueOffset(segs),
          path,
          message: `${label} lists ${count} items; at most ${String(e.params.limit)} ${noun}s are allowed: split the policy or remove some`,
        };
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

  protected requiredOf(schema: SchemaLike & { required?: readonly string[] }): string {
    return (schema.required ?? []).join(', ');
  }
}
