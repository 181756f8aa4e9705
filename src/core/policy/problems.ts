/** The problems a policy file can have, where they are, and the small helpers that name paths and values in them. */
import { isScalar } from 'yaml';
import type { Policy } from '../types.js';

/** Problems listed for one file at most; the rest are counted in one last line. */
export const MAX_PROBLEMS_REPORTED = 50;

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
  { ok: true; policy: Policy; warnings: PolicyProblem[] } | { ok: false; errors: PolicyProblem[] };

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
  problemAt(
    path: PolicyPath,
    message: string,
    at?: 'key' | 'value',
    extra?: Pick<PolicyProblem, 'expected' | 'suggestion'>,
  ): PolicyProblem;
}

export type PolicyDocumentResult = { ok: true; document: PolicyDocument } | { ok: false; errors: PolicyProblem[] };

/** Said when a file extends the org default and the caller has none to give. */
export const EXTENDS_WITHOUT_ORG = 'extends: org builds on the org default, which was not given here';

/** `file:line:column: message; did you mean "x"?`, one problem per line. */
export function formatPolicyProblem(p: PolicyProblem): string {
  const hint = p.suggestion === undefined ? '' : `; did you mean "${p.suggestion}"?`;
  return `${p.source}:${p.line}:${p.column}: ${p.message}${hint}`;
}

export type Segment = string | number;
export type Problem = Omit<PolicyProblem, 'source' | 'line' | 'column'> & { offset: number };

export function pathString(segs: readonly Segment[]): string {
  let out = '';
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

export function show(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  if (value === undefined) return 'nothing';
  return JSON.stringify(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function keyString(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}
