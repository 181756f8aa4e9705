import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatPolicyProblem } from '../core/policy-load.js';
import { unknownSourceProblems } from '../core/policy/verify-sources.js';
import { verifySourcesOf } from '../core/verification.js';
import type { Policy } from '../core/types.js';
import { PolicyFileError } from '../local/policy-file.js';
import { SourcesConfigError, parseSourcesFile, sourcesFromEnv } from '../verify/sources.js';
import { UsageError } from './io.js';
import type { CliIo } from './io.js';

/** The help lines of `validate`'s source flags. */
export const SOURCES_HELP = `  --sources NAMES    the data source names the App's operator configured, comma-separated
                     (e.g. prometheus,shop-health): a verify check naming another is a problem
  --sources-file FILE  the operator's sources file (RELEASE_GATE_SOURCES), read for its names
                     Without either, PROMETHEUS_URL and RELEASE_GATE_SOURCES of the environment
                     are read as the App reads them; with none of these the names are not checked`;

/**
 * The data source names `validate` checks verify checks against: `--sources`, else the names
 * of `--sources-file`, else those the App would configure from this environment, else null
 * (not checked: the operator's configuration is not here).
 */
export function knownSources(
  values: { sources?: string | undefined; 'sources-file'?: string | undefined },
  io: Pick<CliIo, 'cwd' | 'env'>,
): ReadonlySet<string> | null {
  if (values.sources !== undefined) {
    const names = values.sources
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    if (names.length === 0)
      throw new UsageError(
        '--sources: give the source names, comma-separated (e.g. --sources prometheus,shop-health).',
      );
    return new Set(names);
  }
  try {
    if (values['sources-file'] !== undefined) {
      const file = values['sources-file'];
      const path = isAbsolute(file) ? file : resolve(io.cwd, file);
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        throw new UsageError(
          `--sources-file ${file}: cannot be read (${error instanceof Error ? error.message : String(error)}).`,
        );
      }
      const names = parseSourcesFile(text, file).map((s) => s.name);
      return new Set(io.env.PROMETHEUS_URL ? ['prometheus', ...names] : names);
    }
    if (!io.env.PROMETHEUS_URL && !io.env.RELEASE_GATE_SOURCES) return null;
    return new Set(sourcesFromEnv(io.env, (p) => readFileSync(isAbsolute(p) ? p : resolve(io.cwd, p), 'utf8')).keys());
  } catch (error) {
    if (error instanceof SourcesConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Throws {@link PolicyFileError}, at the line of each, when a verify check names a source
 * not in `known`; returns the warning to print when the names could not be checked.
 */
export function checkVerifySources(
  file: { policy: Policy; path: string; text: string },
  known: ReadonlySet<string> | null,
): string | null {
  if (known === null) {
    const named = [...new Set(file.policy.environments.flatMap((s) => verifySourcesOf(s)))].sort();
    return named.length === 0
      ? null
      : `${file.path}: verify checks name the data sources ${named.join(', ')}, not checked against the App's configuration (give --sources or --sources-file)`;
  }
  const problems = unknownSourceProblems(file.text, file.path, known);
  if (problems.length > 0) throw new PolicyFileError(file.path, problems.map(formatPolicyProblem), problems);
  return null;
}
