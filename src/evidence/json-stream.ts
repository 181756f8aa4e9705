import { ParseError } from './errors.js';
import type { ByteSource } from './read-helpers.js';
import { pathText, type JsonStreamHandler, type JsonStreamOptions } from './json-stream-types.js';

export type { JsonPath, JsonStreamHandler, JsonStreamOptions } from './json-stream-types.js';

/**
 * A streaming JSON reader for large reports (SARIF logs, Istanbul summaries).
 *
 * The document is read chunk by chunk. Values are built as usual, except the items of the
 * containers the caller marks as streamed (`runs[*].results` in SARIF): each item is handed
 * to the caller as soon as it is complete and then dropped, so memory is bounded by the
 * largest item and by what is kept outside the streamed containers, not by the file size.
 * Whatever is kept is bounded too ({@link JsonStreamOptions.maxKeptValues}), so a hostile
 * file of 80 million empty objects is an error, not 8 GB of heap.
 *
 * Stricter than `JSON.parse` where a report could be forged: a key given twice in one
 * object is an error (`JSON.parse` keeps the last one silently).
 */

interface Frame {
  kind: 'object' | 'array';
  /** The container being built (null when its items are streamed). */
  value: Record<string, unknown> | unknown[] | null;
  path: Array<string | number>;
  streamed: boolean;
  /** Keys seen in a streamed object (a built one is its own record of them). */
  keys: Set<string> | null;
  index: number;
  /** The key whose value is being read (objects). */
  key: string | null;
  /** Values and characters kept inside this container (to release when it is streamed away). */
  kept: number;
  chars: number;
  state: 'start' | 'key' | 'colon' | 'value' | 'comma';
}

const enum Mode {
  Value,
  String,
  Number,
  Literal,
}

const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;
const NUMBER_CHAR = new Uint8Array(256);
for (const c of '0123456789+-.eE') NUMBER_CHAR[c.charCodeAt(0)] = 1;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Short text of a value for a message. */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Read one JSON document from `source`, streaming the containers `handler.streamed` names.
 * Returns the root value (streamed containers in it are left empty).
 */
export async function readJsonStream(
  source: ByteSource,
  handler: JsonStreamHandler,
  options: JsonStreamOptions,
): Promise<unknown> {
  const p = new JsonStreamParser(handler, options);
  for await (const chunk of source) p.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return p.end();
}

export class JsonStreamParser {
  private readonly stack: Frame[] = [];
  private root: unknown = undefined;
  private hasRoot = false;
  private mode = Mode.Value;
  /** Pieces of the string or number being read (copied out of chunks). */
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private escaped = false;
  private stringHasEscape = false;
  private literal = '';
  private line = 1;
  private col = 0;
  private bytes = 0;
  private first = true;
  private kept = 0;
  private keptChars = 0;
  private readonly maxDepth: number;
  private readonly maxKept: number;
  private readonly maxChars: number;
  private readonly maxString: number;

  constructor(
    private readonly handler: JsonStreamHandler,
    private readonly options: JsonStreamOptions,
  ) {
    this.maxDepth = options.maxDepth ?? 512;
    this.maxKept = options.maxKeptValues ?? 600_000;
    this.maxChars = options.maxKeptChars ?? 32 * 1024 * 1024;
    this.maxString = options.maxStringBytes ?? 16 * 1024 * 1024;
  }

  private fail(message: string): never {
    throw new ParseError(
      `not valid JSON: ${message} (line ${this.line}, column ${Math.max(1, this.col)})`,
      this.line,
      Math.max(1, this.col),
    );
  }

  /** A limit of this reader, not a syntax error. */
  private limit(message: string): never {
    throw new ParseError(
      `${message} (line ${this.line}, column ${Math.max(1, this.col)})`,
      this.line,
      Math.max(1, this.col),
    );
  }

  write(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes > this.options.maxBytes) {
      throw new ParseError(
        `the file is larger than ${Math.round(this.options.maxBytes / 1024 / 1024)} MiB, the most read for a JSON report`,
      );
    }
    let i = 0;
    if (this.first && chunk.length > 0) {
      this.first = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    const n = chunk.length;
    while (i < n) {
      switch (this.mode) {
        case Mode.String: {
          // Find the closing quote, skipping escaped characters.
          const start = i;
          let escaped = this.escaped;
          let c: number;
          for (; i < n; i++) {
            c = chunk[i]!;
            if (escaped) escaped = false;
            else if (c === 0x5c) {
              escaped = true;
              this.stringHasEscape = true;
            } else if (c === 0x22) break;
            else if (c < 0x20) {
              this.col += i - start;
              this.fail('a control character inside a string (write it as \\n, \\t or \\u00XX)');
            }
          }
          this.escaped = escaped;
          this.col += i - start;
          if (i === n) {
            this.addPiece(chunk.subarray(start, n));
            break;
          }
          const text = this.takeString(chunk, start, i);
          i++;
          this.col++;
          this.mode = Mode.Value;
          this.stringDone(text);
          break;
        }
        case Mode.Number: {
          const start = i;
          while (i < n && NUMBER_CHAR[chunk[i]!]) i++;
          this.col += i - start;
          if (i === n) {
            this.addPiece(chunk.subarray(start, n));
            break;
          }
          const raw = this.takeText(chunk, start, i);
          this.mode = Mode.Value;
          if (!NUMBER.test(raw)) this.fail(`${show(raw)} is not a number`);
          this.scalar(Number(raw));
          break;
        }
        case Mode.Literal: {
          const c = chunk[i]!;
          if (c >= 0x61 && c <= 0x7a) {
            this.literal += String.fromCharCode(c);
            i++;
            this.col++;
            if (this.literal.length > 5) this.fail(`unexpected "${this.literal}"`);
            break;
          }
          this.mode = Mode.Value;
          this.finishLiteral();
          break;
        }
        case Mode.Value: {
          const c = chunk[i]!;
          if (WS[c]) {
            if (c === 0x0a) {
              this.line++;
              this.col = 0;
            } else this.col++;
            i++;
            break;
          }
          i++;
          this.col++;
          this.structural(c);
          break;
        }
      }
    }
  }

  end(): unknown {
    if (this.mode === Mode.Number) {
      const raw = this.takeText(Buffer.alloc(0), 0, 0);
      this.mode = Mode.Value;
      if (!NUMBER.test(raw)) this.fail(`${show(raw)} is not a number`);
      this.scalar(Number(raw));
    } else if (this.mode === Mode.Literal) {
      this.mode = Mode.Value;
      this.finishLiteral();
    }
    if (this.mode === Mode.String) this.fail('the file ends inside a string');
    if (this.bytes === 0 || (!this.hasRoot && this.stack.length === 0)) {
      if (this.bytes === 0 || this.line === 1) throw new ParseError('the file is empty');
      throw new ParseError('the file is empty');
    }
    if (this.stack.length > 0)
      this.fail(
        `the file ends inside ${pathText(this.stack.at(-1)!.path)}: a closing ${this.stack.at(-1)!.kind === 'object' ? '}' : ']'} is missing`,
      );
    return this.root;
  }

  private addPiece(b: Buffer): void {
    if (b.length === 0) return;
    this.pieceBytes += b.length;
    if (this.mode === Mode.String && this.pieceBytes > this.maxString)
      this.limit(`a string longer than ${this.maxString} bytes`);
    if (this.mode === Mode.Number && this.pieceBytes > 400) this.fail('a number longer than 400 characters');
    this.pieces.push(Buffer.from(b));
  }

  private takeText(chunk: Buffer, start: number, end: number): string {
    if (this.pieces.length === 0) return chunk.toString('utf8', start, end);
    this.addPiece(chunk.subarray(start, end));
    const all = Buffer.concat(this.pieces, this.pieceBytes);
    this.pieces = [];
    this.pieceBytes = 0;
    return all.toString('utf8');
  }

  private takeString(chunk: Buffer, start: number, end: number): string {
    if (this.pieceBytes + (end - start) > this.maxString) this.limit(`a string longer than ${this.maxString} bytes`);
    const raw = this.takeText(chunk, start, end);
    if (!this.stringHasEscape) return raw;
    this.stringHasEscape = false;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return this.fail('a bad escape sequence in a string');
    }
  }

  private finishLiteral(): void {
    const l = this.literal;
    this.literal = '';
    if (l === 'true') this.scalar(true);
    else if (l === 'false') this.scalar(false);
    else if (l === 'null') this.scalar(null);
    else this.fail(`unexpected "${l}": expected a value`);
  }

  private structural(c: number): void {
    const top = this.stack.at(-1);
    const state = top?.state;
    if (top === undefined && this.hasRoot)
      this.fail(`unexpected ${show(String.fromCharCode(c))} after the end of the document`);
    if (state === 'colon') {
      if (c !== 0x3a) this.fail(`expected ":" after the key ${show(top!.key)}`);
      top!.state = 'value';
      return;
    }
    if (state === 'comma') {
      if (c === 0x2c) {
        top!.state = top!.kind === 'object' ? 'key' : 'value';
        return;
      }
      if ((c === 0x7d && top!.kind === 'object') || (c === 0x5d && top!.kind === 'array')) return this.close();
      this.fail(`expected "," or "${top!.kind === 'object' ? '}' : ']'}" in ${pathText(top!.path)}`);
    }
    if (state === 'key' || (state === 'start' && top!.kind === 'object')) {
      if (c === 0x7d && state === 'start') return this.close();
      if (c !== 0x22) this.fail(`expected a key in double quotes in ${pathText(top!.path)}`);
      this.mode = Mode.String;
      this.escaped = false;
      return;
    }
    if (state === 'start' && c === 0x5d) return this.close();
    // A value.
    if (c === 0x22) {
      this.mode = Mode.String;
      this.escaped = false;
    } else if (c === 0x7b || c === 0x5b) {
      this.open(c === 0x7b ? 'object' : 'array');
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      this.mode = Mode.Number;
      this.pieces = [Buffer.from([c])];
      this.pieceBytes = 1;
    } else if (c >= 0x61 && c <= 0x7a) {
      this.mode = Mode.Literal;
      this.literal = String.fromCharCode(c);
    } else {
      this.fail(`unexpected ${show(String.fromCharCode(c))}: expected a value`);
    }
  }

  /** The path of the value about to be read. */
  private childPath(top: Frame | undefined): Array<string | number> {
    if (top === undefined) return [];
    return [...top.path, top.kind === 'object' ? top.key! : top.index];
  }

  private count(values: number, chars: number): void {
    this.kept += values;
    this.keptChars += chars;
    for (const f of this.stack) {
      f.kept += values;
      f.chars += chars;
    }
    if (this.kept > this.maxKept) {
      this.limit(
        `more than ${this.maxKept} values to keep outside the streamed results: the report is too large or not the kind expected`,
      );
    }
    if (this.keptChars > this.maxChars)
      this.limit(
        `more than ${this.maxChars} characters of text to keep: the report is too large or not the kind expected`,
      );
  }

  private open(kind: 'object' | 'array'): void {
    const top = this.stack.at(-1);
    if (this.stack.length >= this.maxDepth) this.limit(`values nested more than ${this.maxDepth} deep`);
    const path = this.childPath(top);
    const streamed = this.handler.streamed(path);
    const frame: Frame = {
      kind,
      // Plain objects: a null-prototype object is a dictionary in V8, several times larger.
      value: streamed ? null : kind === 'object' ? {} : [],
      path,
      streamed,
      keys: streamed && kind === 'object' ? new Set() : null,
      index: 0,
      key: null,
      kept: 0,
      chars: 0,
      state: 'start',
    };
    this.count(1, 0);
    this.stack.push(frame);
  }

  private close(): void {
    const frame = this.stack.pop()!;
    if (frame.streamed) this.handler.end?.(frame.path, frame.kind === 'array' ? frame.index : frame.keys!.size);
    const value = frame.value ?? (frame.kind === 'object' ? {} : []);
    this.attach(value, frame.kept + 1, frame.chars);
  }

  private stringDone(text: string): void {
    const top = this.stack.at(-1);
    if (top !== undefined && top.kind === 'object' && (top.state === 'key' || top.state === 'start')) {
      const seen = top.keys !== null ? top.keys.has(text) : Object.hasOwn(top.value as Record<string, unknown>, text);
      if (seen)
        this.limit(
          `the key ${show(text)} is given twice in ${pathText(top.path)}: a report with duplicate keys is ambiguous`,
        );
      top.keys?.add(text);
      top.key = text;
      top.state = 'colon';
      return;
    }
    this.count(1, text.length);
    this.attach(text, 1, text.length);
  }

  private scalar(v: unknown): void {
    this.count(1, 0);
    this.attach(v, 1, 0);
  }

  /** A complete value: into its parent, to the handler, or as the root. `kept`/`chars` are what it holds. */
  private attach(value: unknown, kept: number, chars: number): void {
    const top = this.stack.at(-1);
    if (top === undefined) {
      this.root = value;
      this.hasRoot = true;
      return;
    }
    if (top.state !== 'value' && top.state !== 'start') this.fail(`unexpected value in ${pathText(top.path)}`);
    const key = top.kind === 'object' ? top.key! : top.index;
    if (top.streamed) {
      const parent = this.stack.length >= 2 ? this.stack[this.stack.length - 2]!.value : null;
      // Handed over and dropped: release what it held.
      this.kept -= kept;
      this.keptChars -= chars;
      for (const f of this.stack) {
        f.kept -= kept;
        f.chars -= chars;
      }
      this.handler.item(top.path, key, value, parent, this.stack[0]!.value);
    } else if (top.kind === 'object') {
      // `__proto__` is a key like any other in a report: an own property, never the prototype.
      if (key === '__proto__')
        Object.defineProperty(top.value, key, { value, enumerable: true, writable: true, configurable: true });
      else (top.value as Record<string, unknown>)[key as string] = value;
    } else {
      (top.value as unknown[]).push(value);
    }
    if (top.kind === 'array') top.index++;
    top.state = 'comma';
  }
}
