import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import fg from 'fast-glob';
import { EvidenceError, ParseError, type EvidenceFileKind } from './errors.js';
import { readFileChunks, type ByteSource } from './read-helpers.js';

/** The stdin marker among inputs. */
export const STDIN = '-';

/** What a directory given as input is searched for, per kind. */
const DIRECTORY_PATTERNS: Record<EvidenceFileKind, string[]> = {
  junit: ['**/*.xml'],
  coverage: ['**/lcov.info', '**/*.lcov', '**/coverage-summary.json', '**/cobertura*.xml', '**/coverage.xml'],
  sarif: ['**/*.sarif', '**/*.sarif.json'],
  checklist: ['**/*.md'],
  input: ['**/*'],
};

const IGNORE = ['**/node_modules/**', '**/.git/**'];

/** A file (absolute path) or stdin, with the name to show in messages. */
export interface EvidenceSource {
  path: string | typeof STDIN;
  display: string;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    if (code === 'EISDIR') return 'is a directory';
    return err.message;
  }
  return String(err);
}

/**
 * Expand the inputs of one kind into files: `-` is stdin, an existing directory is searched
 * (`**\/*.xml` for JUnit...), an existing file is itself, anything else is a glob relative
 * to `cwd`. A glob or directory that matches no file is an error: a gate must not pass
 * because a path was mistyped.
 */
export async function resolveSources(
  patterns: string[],
  cwd: string,
  kind: EvidenceFileKind,
): Promise<EvidenceSource[]> {
  const seen = new Set<string>();
  const out: EvidenceSource[] = [];
  const add = (abs: string): void => {
    if (seen.has(abs)) return;
    seen.add(abs);
    const rel = relative(cwd, abs);
    out.push({ path: abs, display: rel === '' || rel.startsWith('..') || isAbsolute(rel) ? abs : rel });
  };
  for (const pattern of patterns) {
    if (pattern === STDIN) {
      if (!seen.has(STDIN)) out.push({ path: STDIN, display: '<stdin>' });
      seen.add(STDIN);
      continue;
    }
    const abs = resolve(cwd, pattern);
    const st = await stat(abs).catch(() => null);
    if (st?.isFile()) {
      add(abs);
      continue;
    }
    const matches = st?.isDirectory()
      ? await fg(DIRECTORY_PATTERNS[kind], {
          cwd: abs,
          absolute: true,
          onlyFiles: true,
          ignore: IGNORE,
          followSymbolicLinks: false,
        })
      : await fg(pattern, { cwd, absolute: true, onlyFiles: true, ignore: IGNORE, followSymbolicLinks: false });
    if (matches.length === 0) {
      const what = st?.isDirectory()
        ? `the directory holds no ${DIRECTORY_PATTERNS[kind].join(' or ')} file`
        : 'no file matches this path or glob';
      throw new EvidenceError({ file: pattern, kind, detail: what });
    }
    matches.sort().forEach(add);
  }
  return out;
}

/**
 * Open a source as a byte stream. With `reuseBuffers` (for parsers that keep no chunk once
 * they have consumed it, like the JUnit parser) a file is read into two reused buffers,
 * which keeps memory flat on reports of any size; otherwise in fresh 1 MiB reads.
 */
export function openSource(src: EvidenceSource, stdin?: NodeJS.ReadableStream, reuseBuffers = false): ByteSource {
  if (src.path === STDIN) {
    if (!stdin) throw new EvidenceError({ file: src.display, kind: 'input', detail: 'no stdin available' });
    return stdin as unknown as ByteSource;
  }
  if (reuseBuffers) return readFileChunks(src.path);
  return createReadStream(src.path, { highWaterMark: 1024 * 1024 });
}

/** Turn whatever a parser threw into an {@link EvidenceError} naming the file. */
export function toEvidenceError(err: unknown, src: EvidenceSource, kind: EvidenceFileKind): EvidenceError {
  if (err instanceof EvidenceError) return err;
  if (err instanceof ParseError)
    return new EvidenceError({ file: src.display, kind, detail: err.message, line: err.line, column: err.column });
  return new EvidenceError({ file: src.display, kind, detail: `cannot read: ${describe(err)}` });
}

/** Parse one source, mapping every failure to an {@link EvidenceError}. */
export async function parseSource<T>(
  src: EvidenceSource,
  kind: EvidenceFileKind,
  parse: (s: ByteSource) => Promise<T>,
  stdin?: NodeJS.ReadableStream,
  reuseBuffers = false,
): Promise<T> {
  let stream: ByteSource | null = null;
  try {
    stream = openSource(src, stdin, reuseBuffers);
    return await parse(stream);
  } catch (err) {
    throw toEvidenceError(err, src, kind);
  } finally {
    if (stream && src.path !== STDIN && 'destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
  }
}

/**
 * Run `fn` over `items` with at most `limit` at a time; results keep the input order.
 * The first failure is thrown once every started task has settled.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  const n = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: n }, () => worker()));
  if (failure !== null) throw (failure as { err: unknown }).err;
  return results;
}
