import { UsageError } from './io.js';

/** What a command can print: words for people, one JSON object, Markdown (as a check run shows it), or CSV. */
export type OutputFormat = 'text' | 'json' | 'markdown' | 'csv';

/** The one output option of every command: `--format`, with `--json` kept as its alias. */
export const FORMAT_FLAGS = {
  format: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The help lines of `--format` and `--json` for a command printing `formats` (the first is the default). */
export function formatHelp(formats: readonly OutputFormat[], what: Partial<Record<OutputFormat, string>> = {}): string {
  const described = formats.map((f) => `${f}${f === formats[0] ? ' (default)' : ''}${what[f] ? `: ${what[f]}` : ''}`);
  const lines = [`  --format ${formats.join('|')}`.padEnd(26) + `  ${described.join('; ')}`];
  if (formats.includes('json')) lines.push(`  --json                    the same as --format json`);
  return lines.join('\n');
}

/**
 * The format a command was asked for: `--format` or `--json`, checked against what the
 * command can print (`formats`, the first being the default).
 */
export function outputFormat<F extends OutputFormat>(
  command: string,
  values: { format?: string | undefined; json?: boolean | undefined },
  formats: readonly F[],
): F {
  if (values.json && values.format !== undefined && values.format !== 'json')
    throw new UsageError(
      `release-gate ${command}: --json means --format json, but --format ${values.format} was given too; keep one of them.`,
    );
  const asked = values.json ? 'json' : (values.format ?? formats[0]!);
  if (!(formats as readonly string[]).includes(asked))
    throw new UsageError(
      `release-gate ${command}: --format "${asked}" is not supported${asked === 'json' && values.json ? ' (--json)' : ''}; use ${orList(formats)}.`,
    );
  return asked as F;
}

/** `a, b or c`. */
function orList(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`;
}
