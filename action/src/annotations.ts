import { isAbsolute, relative } from 'node:path';
import type { EvidenceBundle } from '../../src/core/evidence-types.js';

/** A check run annotation, as GitHub's API takes it. */
export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
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

/** A path as the repository knows it: `file://` and the workspace prefix removed; null when outside it. */
export function repoPath(path: string, workspace: string): string | null {
  let p = path.replace(/^file:\/\//, '');
  try {
    p = decodeURIComponent(p);
  } catch {
    // Not percent-encoded text: keep it as written.
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
 * repository: at most {@link MAX_ANNOTATIONS}; `omitted` counts the ones not sent.
 */
export function buildAnnotations(bundle: EvidenceBundle, workspace: string): { annotations: Annotation[]; omitted: number } {
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
      message: clip(f.message ?? (f.output.split('\n')[0] || `${name} ${f.kind === 'error' ? 'errored' : 'failed'}`), MESSAGE_CHARS),
      ...(f.output ? { raw_details: clip(f.output, DETAILS_CHARS) } : {}),
    });
  }
  omitted += bundle.tests?.failuresOmitted ?? 0;
  for (const [rule, r] of Object.entries(bundle.security?.byRule ?? {})) {
    if (r.results.error === 0) continue;
    for (const loc of r.locations) {
      const m = /^(.*?)(?::(\d+))?$/.exec(loc);
      const path = m?.[1] ? repoPath(m[1], workspace) : null;
      if (!path) continue;
      const line = m?.[2] ? Math.max(1, Number(m[2])) : 1;
      push({
        path,
        start_line: line,
        end_line: line,
        annotation_level: 'failure',
        title: clip(`Security: ${rule}`, TITLE_CHARS),
        message: clip(`${rule}: ${r.results.error} result${r.results.error === 1 ? '' : 's'} at level error in the SARIF logs.`, MESSAGE_CHARS),
      });
    }
  }
  return { annotations: all, omitted };
}
