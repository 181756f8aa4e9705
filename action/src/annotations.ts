import { isAbsolute, relative } from 'node:path';
import type { EvidenceBundle, SarifFinding } from '../../src/core/evidence-types.js';

/** A check run annotation, as GitHub's API takes it. */
export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  /** Only when the annotation is on one line (`start_line` = `end_line`). */
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  title: string;
  message: string;
  raw_details?: string;
}

/** GitHub takes at most 50 annotations per create or update request. */
export const ANNOTATIONS_PER_REQUEST = 50;
/** Annotations sent in all; the rest are counted in the summary. */
export const MAX_ANNOTATIONS = 500;

const MESSAGE_CHARS = 4_000;
const DETAILS_CHARS = 16_000;
const TITLE_CHARS = 255;

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * A path as the repository knows it: `file://` and the workspace prefix removed; null when
 * outside it. `decoded`: the path is already a path, not percent-encoded text.
 */
export function repoPath(path: string, workspace: string, opts: { decoded?: boolean } = {}): string | null {
  let p = path.replace(/^file:\/\//, '');
  if (!opts.decoded) {
    try {
      p = decodeURIComponent(p);
    } catch {
      // Not percent-encoded text: keep it as written.
    }
  }
  if (isAbsolute(p)) {
    const rel = relative(workspace, p);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
    p = rel;
  }
  p = p.replace(/\\/g, '/').replace(/^\.\//, '');
  return p === '' ? null : p;
}

/**
 * Annotations for failing tests and error-level SARIF results that name a file in the
 * repository (a SARIF result on its exact lines, with columns when it is on one line,
 * titled by its rule, with its message): at most {@link MAX_ANNOTATIONS}; `omitted`
 * counts the ones not sent.
 */
export function buildAnnotations(
  bundle: EvidenceBundle,
  workspace: string,
): { annotations: Annotation[]; omitted: number } {
  const all: Annotation[] = [];
  let omitted = 0;
  const push = (a: Annotation): void => {
    if (all.length < MAX_ANNOTATIONS) all.push(a);
    else omitted += 1;
  };
  for (const f of bundle.tests?.failures ?? []) {
    const path = f.file ? repoPath(f.file, workspace) : null;
    if (!path) continue;
    const line = f.line !== null && f.line > 0 ? f.line : 1;
    const name = [f.classname, f.name].filter(Boolean).join(' › ') || f.suite || 'test';
    push({
      path,
      start_line: line,
      end_line: line,
      annotation_level: 'failure',
      title: clip(`${f.kind === 'error' ? 'Test error' : 'Test failed'}: ${name}`, TITLE_CHARS),
      message: clip(
        f.message ?? (f.output.split('\n')[0] || `${name} ${f.kind === 'error' ? 'errored' : 'failed'}`),
        MESSAGE_CHARS,
      ),
      ...(f.output ? { raw_details: clip(f.output, DETAILS_CHARS) } : {}),
    });
  }
  omitted += bundle.tests?.failuresOmitted ?? 0;
  const security = bundle.security;
  if (security) {
    const errors = (security.findings ?? []).filter((f) => f.level === 'error');
    for (const f of errors) {
      const a = findingAnnotation(f, workspace);
      if (a) push(a);
    }
    // Error-level results past the findings' bound were never read into annotations.
    omitted += Math.max(0, security.results.error - errors.length);
  }
  return { annotations: all, omitted };
}

/** The annotation of an error-level SARIF result on a file in the repository; null when it names none. */
function findingAnnotation(f: SarifFinding, workspace: string): Annotation | null {
  if (f.file === null || /^[a-z][a-z0-9+.-]+:/i.test(f.file)) return null;
  const path = repoPath(f.file, workspace, { decoded: true });
  if (!path) return null;
  const start = f.startLine ?? 1;
  const end = Math.max(start, f.endLine ?? start);
  const columns =
    start === end && f.startLine !== null && f.startColumn !== null
      ? { start_column: f.startColumn, end_column: Math.max(f.startColumn, f.endColumn ?? f.startColumn) }
      : {};
  const rule = f.ruleId ?? 'SARIF result';
  return {
    path,
    start_line: start,
    end_line: end,
    ...columns,
    annotation_level: 'failure',
    title: clip(rule, TITLE_CHARS),
    message: clip(f.message || `${rule}: a result at level error.`, MESSAGE_CHARS),
  };
}
