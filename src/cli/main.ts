import { readFileSync } from 'node:fs';
import { PolicyFileError } from '../local/policy-file.js';
import { EXIT, UsageError, writeLine, type CliIo } from './io.js';
import { COMMANDS, HELP, type Command } from './commands.js';
import { EvidenceError } from '../evidence/errors.js';
import { suggest } from '../core/suggest.js';

/**
 * The `release-gate` command. Returns the exit code; never throws for a user's mistake
 * (those are printed as one clear message, without a stack trace).
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic && topic in COMMANDS) {
      writeLine(io.stdout, COMMANDS[topic as Command].help);
      return EXIT.ok;
    }
    writeLine(name === undefined ? io.stderr : io.stdout, HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    writeLine(io.stdout, version());
    return EXIT.ok;
  }
  if (!(name in COMMANDS)) {
    const close = suggest(name, Object.keys(COMMANDS));
    writeLine(
      io.stderr,
      `release-gate: unknown command "${name}".${close ? ` Did you mean "${close}"?` : ''} Commands: ${Object.keys(COMMANDS).join(', ')}. Run "release-gate --help".`,
    );
    return EXIT.usage;
  }
  const command = COMMANDS[name as Command];
  if (rest.includes('--help') || rest.includes('-h')) {
    writeLine(io.stdout, command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return reportError(error, io, name);
  }
}

/** One prefix on every error: `release-gate <command>: <what is wrong and how to fix it>`. */
function prefixed(command: string, message: string): string {
  const bare = message.replace(new RegExp(`^(release-gate )?${command}: `), '');
  return `release-gate ${command}: ${bare}`;
}

function reportError(error: unknown, io: CliIo, command: string): number {
  if (error instanceof PolicyFileError) {
    for (const line of error.problems) writeLine(io.stderr, line);
    const n = error.problems.length;
    writeLine(
      io.stderr,
      `${error.path}: ${n} problem${n === 1 ? '' : 's'}; the policy is invalid and the gate would not approve anything with it.`,
    );
    return EXIT.usage;
  }
  if (error instanceof UsageError || error instanceof EvidenceError) {
    writeLine(io.stderr, prefixed(command, error.message));
    return EXIT.usage;
  }
  // An unexpected failure: still no approval, and enough to file a bug.
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  writeLine(io.stderr, `release-gate ${command}: internal error (please report it): ${message}`);
  return EXIT.usage;
}

/** The package's version, from the package.json beside `src/` or `dist/`. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
