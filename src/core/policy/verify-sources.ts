/**
 * A policy may name only the data sources the App's operator configured: a stage's verify
 * check naming another is a problem at its file, line and column. The names are the
 * operator's (the App's environment), so this check runs where they are known, after the
 * schema and value checks.
 */
import { readPolicyDocument } from '../policy-load.js';
import type { PolicyProblem } from './problems.js';
import { isRecord } from './problems.js';

/** The problems of one policy file's verify checks that name a source not in `known`. */
export function unknownSourceProblems(text: string, source: string, known: ReadonlySet<string>): PolicyProblem[] {
  const read = readPolicyDocument(text, source);
  if (!read.ok) return [];
  const { document } = read;
  const environments = Array.isArray(document.data.environments) ? document.data.environments : [];
  const configured = known.size > 0 ? [...known].sort().join(', ') : 'none';
  const problems: PolicyProblem[] = [];
  environments.forEach((env, i) => {
    if (!isRecord(env) || !isRecord(env.verify) || !Array.isArray(env.verify.checks)) return;
    env.verify.checks.forEach((check, j) => {
      if (!isRecord(check) || typeof check.source !== 'string' || known.has(check.source)) return;
      problems.push(
        document.problemAt(
          ['environments', i, 'verify', 'checks', j, 'source'],
          `verify check "${String(check.name)}" names the data source "${check.source}", which the App's operator has not configured (configured: ${configured}); use one of those, or ask the operator to add it (PROMETHEUS_URL, RELEASE_GATE_SOURCES)`,
          'value',
        ),
      );
    });
  });
  return problems;
}
