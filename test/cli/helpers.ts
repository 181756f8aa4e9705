import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const POLICIES = fileURLToPath(new URL('../fixtures/policies/', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Run `release-gate` in-process with captured output, from `cwd`, at a fixed clock. */
export async function cli(
  argv: string[],
  opts: { cwd?: string; now?: string; stdin?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const code = await main(argv, {
    stdout: out,
    stderr: err,
    stdin: Readable.from(opts.stdin === undefined ? [] : [opts.stdin]),
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? {},
    now: () => new Date(opts.now ?? '2026-03-10T15:00:00Z'),
  });
  const stdout = Buffer.concat(chunks.out).toString('utf8');
  const stderr = Buffer.concat(chunks.err).toString('utf8');
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}
