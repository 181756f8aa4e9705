/**
 * Loads `.github/release-policy.yml` (v1, or the Aurora `policy:` format) from its
 * text into the typed {@link Policy}, or into every problem found, each with its file,
 * line and column. A policy with any error yields no policy at all: the caller fails closed
 * (POLICY_INVALID).
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Policy } from './types.js';
import { buildAurora } from './policy/aurora.js';
import { buildPolicy } from './policy/build.js';
import { EXTENDS_WITHOUT_ORG, isRecord, MAX_PROBLEMS_REPORTED, pathString, show } from './policy/problems.js';
import type { PolicyDocumentResult, PolicyLoadResult, PolicyPath, PolicyProblem, Problem } from './policy/problems.js';
import { ValueChecks } from './policy/value-checks.js';

export { EXTENDS_WITHOUT_ORG, formatPolicyProblem, MAX_PROBLEMS_REPORTED } from './policy/problems.js';
export type {
  PolicyDocument,
  PolicyDocumentResult,
  PolicyLoadResult,
  PolicyPath,
  PolicyProblem,
} from './policy/problems.js';
export { AURORA_STAGES } from './policy/aurora.js';
export { buildPolicy, DEFAULT_WEIGHTS, defaultScoring } from './policy/build.js';
export { checkWorkflowPath, DURATION_LIMITS, warnScoreWarnings } from './policy/value-checks.js';

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

/** Alias expansions allowed when resolving anchors (a defence against "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;

/**
 * Parses and validates a policy. Never throws: every problem (YAML syntax, duplicate keys,
 * schema, time values, cross-field rules) comes back in `errors`, sorted by position.
 */
export function loadPolicy(text: string, source: string): PolicyLoadResult {
  const read = readPolicyDocument(text, source);
  if (!read.ok) return read;
  const { document } = read;
  if (document.policy === null)
    return { ok: false, errors: [document.problemAt(['extends'], EXTENDS_WITHOUT_ORG, 'key')] };
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

/** Reads one policy text: YAML, duplicate keys, schema, values, then the typed policy. */
class Loader extends ValueChecks {
  read(): PolicyDocumentResult {
    const loaded = this.load();
    if (!loaded.ok) return loaded;
    const data = this.data as Record<string, unknown>;
    const problemAt = (
      path: PolicyPath,
      message: string,
      at: 'key' | 'value' = 'key',
      extra: Pick<PolicyProblem, 'expected' | 'suggestion'> = {},
    ): PolicyProblem => {
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

  protected load():
    { ok: true; policy: Policy | null; warnings: PolicyProblem[] } | { ok: false; errors: PolicyProblem[] } {
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
    this.doc = parseDocument(text, {
      lineCounter: this.lineCounter,
      prettyErrors: false,
      uniqueKeys: false,
      merge: true,
      logLevel: 'error',
    });
    if (this.doc.errors.length > 0) {
      return this.fail(
        this.doc.errors.map((e) => ({ offset: e.pos[0], path: '', message: `YAML syntax error: ${e.message}` })),
      );
    }
    for (const w of this.doc.warnings)
      this.warnings.push({ offset: w.pos[0], path: '', message: `YAML: ${w.message}` });

    const root = this.doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) {
      return this.fail([
        {
          offset: 0,
          path: '',
          message:
            'the policy file is empty; expected a mapping with "version: 1" and "environments" (or the Aurora format\'s "policy")',
        },
      ]);
    }
    if (!isMap(root)) {
      const got = isSeq(root) ? 'a list' : isAlias(root) ? 'an alias' : `${show((root as { value?: unknown }).value)}`;
      return this.fail([
        {
          offset: root.range?.[0] ?? 0,
          path: '',
          message: `the policy must be a mapping of keys to values, got ${got}`,
        },
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
    if (isRecord(this.data) && this.data.extends === 'org')
      return { ok: true, policy: null, warnings: this.finish(this.warnings) };
    const policy =
      isRecord(this.data) && 'policy' in this.data
        ? buildAurora(this.data as Record<string, unknown>)
        : buildPolicy(this.data as Record<string, unknown>);
    this.checkWarnings(policy);
    return { ok: true, policy, warnings: this.finish(this.warnings) };
  }

  protected fail(problems: Problem[]): { ok: false; errors: PolicyProblem[] } {
    const errors = this.finish(problems);
    // Always shown, after the bounded list: it says why the list ends there.
    if (this.truncated !== null) errors.push(...this.finishAll([this.truncated]));
    return { ok: false, errors };
  }

  protected finish(problems: Problem[]): PolicyProblem[] {
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

  protected finishAll(problems: Problem[]): PolicyProblem[] {
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
}
