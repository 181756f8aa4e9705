import { parseIsoInstant } from '../core/time-values.js';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { suggest } from '../core/suggest.js';

/** What a command may touch: given by the entry point, replaced in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The current time; the only clock the CLI reads. */
  now?: () => Date;
}

/** Exit codes: the contract of `release-gate evaluate`. */
export const EXIT = { ok: 0, usage: 1, wait: 2, block: 3 } as const;

/** A mistake in how the command was called or in what it was given: exit 1, message only. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function writeLine(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(`${line}\n`);
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** The options each command's parser was last given, by command (what `--help` must list). */
export const OPTIONS_SEEN = new Map<string, string[]>();

/** `parseArgs`, with its errors turned into messages that name the command and the fix. */
export function parseFlags<T extends Options>(command: string, argv: string[], options: T) {
  OPTIONS_SEEN.set(command, Object.keys(options));
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) {
      const close = closestOption(unknown[1]!, Object.keys(options));
      const hint = close === undefined ? '' : ` Did you mean --${close}?`;
      throw new UsageError(
        `release-gate ${command}: unknown option ${unknown[1]}.${hint} Run "release-gate ${command} --help" for the options.`,
      );
    }
    const positional = /Unexpected argument '([^']+)'/.exec(message);
    if (positional) {
      throw new UsageError(
        `release-gate ${command}: unexpected argument "${positional[1]}". Options take the form --name value; run "release-gate ${command} --help".`,
      );
    }
    throw new UsageError(
      `release-gate ${command}: ${message.replace(/\.$/, '')}. Run "release-gate ${command} --help".`,
    );
  }
}

/**
 * The option a mistyped one was meant to be: a near miss (`--polcy`), or a longer or
 * shorter spelling of it (`--environment` for `--env`, `--approver` for `--approvers`).
 */
export function closestOption(given: string, names: readonly string[]): string | undefined {
  const word = given.replace(/^-+/, '').split('=')[0]!.toLowerCase();
  if (word.length < 2) return undefined;
  const near = suggest(word, names);
  if (near !== undefined) return near;
  const related = names.filter((n) => n.length >= 3 && (word.startsWith(n) || n.startsWith(word)));
  return related.length === 1 ? related[0] : undefined;
}

/** An ISO-8601 instant with a zone designator (`2026-01-31T22:30:00-03:00`, `...Z`). */
export function parseInstant(flag: string, value: string): Date {
  const parsed = parseIsoInstant(value);
  if (!parsed.ok) throw new UsageError(`${flag} "${value}" ${parsed.error}`);
  return parsed.at;
}

/** A whole number in a range. */
export function parseWhole(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${flag} "${value}" must be a whole number from ${min} to ${max}.`);
  }
  return Number(value);
}
