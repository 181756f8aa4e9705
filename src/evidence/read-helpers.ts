import { open } from 'node:fs/promises';
import { ParseError } from './errors.js';

export type ByteSource = AsyncIterable<Buffer | string>;

/** Default chunk size of {@link readFileChunks}. */
export const FILE_CHUNK_BYTES = 256 * 1024;

/**
 * The bytes of a file, read ahead into two buffers used in turn: no new buffer per chunk,
 * so memory stays flat whatever the file size (a stream's fresh buffer per chunk piles up
 * as garbage between collections: tens of MB on a large file).
 *
 * Each chunk is only valid until the next one is requested: give it to a consumer that
 * copies what it keeps (`parseJunit`, `parseCobertura`, `readLines`), not to one that
 * holds chunks (`readJsonBounded`, `peek`).
 */
export async function* readFileChunks(path: string, chunkBytes = FILE_CHUNK_BYTES): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  const bufs = [Buffer.allocUnsafeSlow(chunkBytes), Buffer.allocUnsafeSlow(chunkBytes)] as const;
  let which = 0;
  let pending: Promise<{ bytesRead: number }> | null = null;
  const readInto = (b: Buffer): Promise<{ bytesRead: number }> => {
    const p = fh.read(b, 0, chunkBytes, null);
    // Handled where it is awaited; this only keeps a failure while the consumer works from counting as unhandled.
    p.catch(() => undefined);
    return p;
  };
  try {
    pending = readInto(bufs[0]);
    for (;;) {
      const { bytesRead } = await pending;
      pending = null;
      if (bytesRead === 0) return;
      const current = bufs[which]!;
      which ^= 1;
      // The consumer is done with the other buffer once it asks for this chunk.
      pending = readInto(bufs[which]!);
      yield current.subarray(0, bytesRead);
    }
  } finally {
    if (pending !== null) await pending.catch(() => undefined);
    await fh.close();
  }
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}

/**
 * The lines of a text stream, one at a time, without holding the whole text. A line
 * longer than `maxLine` bytes is an error (a 3 GB single line fails fast instead of
 * filling memory). Strips a UTF-8 BOM and `\r\n` endings. Line numbers are 1-based.
 */
export async function* readLines(
  source: ByteSource,
  maxLine = 1024 * 1024,
): AsyncGenerator<{ line: string; number: number }> {
  let pending: Buffer | null = null;
  let number = 0;
  let first = true;
  for await (const raw of source) {
    let chunk = toBuffer(raw);
    if (first && chunk.length > 0) {
      first = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    let start = 0;
    let nl = chunk.indexOf(0x0a);
    while (nl !== -1) {
      let piece = chunk.subarray(start, nl);
      if (pending) {
        piece = Buffer.concat([pending, piece]);
        pending = null;
      }
      if (piece.length > maxLine)
        throw new ParseError(`line ${number + 1} is longer than ${maxLine} bytes`, number + 1, null);
      number++;
      const end = piece.length > 0 && piece[piece.length - 1] === 0x0d ? piece.length - 1 : piece.length;
      yield { line: piece.toString('utf8', 0, end), number };
      start = nl + 1;
      nl = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      pending = pending ? Buffer.concat([pending, rest]) : Buffer.from(rest);
      if (pending.length > maxLine)
        throw new ParseError(`line ${number + 1} is longer than ${maxLine} bytes`, number + 1, null);
    }
  }
  if (pending && pending.length > 0) {
    number++;
    const end = pending[pending.length - 1] === 0x0d ? pending.length - 1 : pending.length;
    yield { line: pending.toString('utf8', 0, end), number };
  }
}

/**
 * Read a JSON document of at most `maxBytes` and parse it. JSON reports (SARIF, Istanbul
 * summaries) are read whole; the bound turns a huge or endless input into a clear error.
 */
export async function readJsonBounded(source: ByteSource, maxBytes: number): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const raw of source) {
    const chunk = toBuffer(raw);
    size += chunk.length;
    if (size > maxBytes)
      throw new ParseError(
        `the file is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB, the most read for a JSON report`,
      );
    parts.push(chunk);
  }
  if (size === 0) throw new ParseError('the file is empty');
  let text = Buffer.concat(parts, size).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new ParseError('the file is empty');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new ParseError(`not valid JSON: ${msg}`);
  }
}

/** Peek at the first bytes of a source, returning them and a source that replays them. */
export async function peek(source: ByteSource, want = 512): Promise<{ head: Buffer; source: ByteSource }> {
  const it = source[Symbol.asyncIterator]();
  const got: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < want) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = toBuffer(r.value);
    got.push(b);
    size += b.length;
  }
  const head = Buffer.concat(got);
  async function* replay(): AsyncGenerator<Buffer> {
    // Let go of each peeked chunk once it is handed on, so that the parse does not hold it.
    while (got.length > 0) yield got.shift()!;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield toBuffer(r.value);
    }
  }
  return { head, source: replay() };
}

/** The first byte that is not whitespace or a BOM, as a character, or '' for blank input. */
export function firstSignificantChar(head: Buffer): string {
  let i = 0;
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  return i < head.length ? String.fromCharCode(head[i]!) : '';
}
