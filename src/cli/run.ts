import process from 'node:process';
import { main } from './main.js';

/**
 * The `release-gate` process: `main` on the process's streams. A reader that goes away
 * (`release-gate replay | head -1`) closes the pipe; what is still to be written is then
 * dropped quietly (no EPIPE stack trace) and the command ends with its own exit code.
 */
export async function runCli(argv: string[] = process.argv.slice(2)): Promise<number> {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', ignoreClosedPipe);
  return main(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    cwd: process.cwd(),
    env: process.env,
  });
}

function ignoreClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') return;
  throw error;
}
