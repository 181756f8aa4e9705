import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';

export const EXTERNAL = join(import.meta.dirname, '../fixtures/external');

/** Every file under `dir`, relative to it, sorted. */
export function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) visit(p);
      else out.push(relative(dir, p));
    }
  };
  visit(dir);
  return out.sort();
}

export function fileStream(path: string): AsyncIterable<Buffer> {
  return createReadStream(path, { highWaterMark: 64 * 1024 });
}

/** A byte stream from strings or buffers, optionally re-chunked into `size`-byte pieces. */
export function streamOf(parts: Array<string | Buffer>, size?: number): AsyncIterable<Buffer> {
  const bufs = parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
  if (size === undefined) return Readable.from(bufs, { objectMode: true });
  const all = Buffer.concat(bufs);
  const pieces: Buffer[] = [];
  for (let i = 0; i < all.length; i += size) pieces.push(all.subarray(i, i + size));
  return Readable.from(pieces, { objectMode: true });
}

/** A generated stream: `head`, then `body(i)` for i < count, then `tail`, without building it whole. */
export async function* generated(
  head: string,
  count: number,
  body: (i: number) => string,
  tail: string,
  batch = 256,
): AsyncGenerator<Buffer> {
  yield Buffer.from(head);
  for (let i = 0; i < count; i += batch) {
    let s = '';
    for (let j = i; j < Math.min(count, i + batch); j++) s += body(j);
    yield Buffer.from(s);
  }
  yield Buffer.from(tail);
}

export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`non-Error thrown: ${String(err)}`, { cause: err });
  }
  throw new Error('expected a rejection, got a result');
}
