import { ParseError } from './errors.js';

/** Attributes of a start tag, entity references decoded. */
export type XmlAttrs = Record<string, string>;

export interface XmlHandler {
  /**
   * A start tag. `attrs` holds its attributes unless the stream was made with `lazyAttrs`:
   * then it is an empty object and the handler reads the ones it needs with
   * {@link XmlStream.attr} during this call.
   */
  open(name: string, attrs: XmlAttrs, selfClosing: boolean): void;
  close(name: string): void;
}

export interface XmlStreamOptions {
  /** Deepest element nesting accepted (default 256). */
  maxDepth?: number;
  /** Longest start tag, end tag, processing instruction or DOCTYPE, in bytes (default 4 MiB). */
  maxMarkupBytes?: number;
  /** Most text bytes kept per capture (default 64 KiB); the rest is counted, not kept. */
  maxTextBytes?: number;
  /**
   * Do not build an attribute object per element: attributes are still checked (syntax,
   * characters, entity references, duplicates) but only decoded when the handler asks for
   * one with {@link XmlStream.attr}.
   */
  lazyAttrs?: boolean;
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QMARK = 0x3f;
const BANG = 0x21;
const EQ = 0x3d;
const DQ = 0x22;
const SQ = 0x27;
const NL = 0x0a;
const DASH = 0x2d;

const enum Mode {
  Text,
  CData,
  Comment,
}

// Byte classes inside an attribute value: 0 ordinary, 1 a character XML forbids,
// 2 '<', 3 '&', 4 a quote, 5 0xEF (may start U+FFFE/U+FFFF), 6 another non-ASCII byte.
const VALUE_CLASS = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) if (c !== 0x09 && c !== 0x0a && c !== 0x0d) VALUE_CLASS[c] = 1;
VALUE_CLASS[LT] = 2;
VALUE_CLASS[0x26] = 3;
VALUE_CLASS[DQ] = 4;
VALUE_CLASS[SQ] = 4;
for (let c = 0x80; c < 0x100; c++) VALUE_CLASS[c] = 6;
VALUE_CLASS[0xef] = 5;

// 1 where a name ends: whitespace, '/', '>', '='.
const NAME_END = new Uint8Array(256);
for (const c of [0x20, 0x0a, 0x0d, 0x09, SLASH, GT, EQ]) NAME_END[c] = 1;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ENTITY_RE = /&([^;&<\s]{0,40})(;?)/g;
// XML 1.0 forbids these code points anywhere in a document.
// eslint-disable-next-line no-control-regex
const INVALID_CHAR_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

/** Shared by every element of a lazy stream; frozen so that no handler can fill it. */
const NO_ATTRS: XmlAttrs = Object.freeze(Object.create(null) as XmlAttrs);
const EMPTY = Buffer.alloc(0);
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
const CDATA_END = Buffer.from(']]>', 'latin1');
const COMMENT_END = Buffer.from('-->', 'latin1');
const PI_END = Buffer.from('?>', 'latin1');
/** Slots of the cache of element names as strings (they repeat endlessly). */
const NAME_SLOTS = 1024;
/** Attributes per tag checked for duplicates by a linear scan; beyond, with a Set. */
const LINEAR_DUPLICATES = 16;

/**
 * Decode the five predefined entities and character references. Any other entity is an
 * error: documents never get to declare their own (DTD internal subsets are rejected),
 * so nothing can expand. With `lenient`, a reference cut off at the end is dropped.
 */
export function decodeEntities(s: string, lenient = false): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(ENTITY_RE, (whole, name: string, semi: string, offset: number) => {
    if (semi !== ';') {
      if (lenient && offset + whole.length === s.length) return '';
      throw new ParseError(`'&' must start an entity reference such as &amp; (found "${whole.slice(0, 20)}")`);
    }
    const pre = PREDEFINED[name];
    if (pre !== undefined) return pre;
    if (name.startsWith('#')) {
      const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      const valid =
        /^#(x[0-9a-fA-F]+|[0-9]+)$/.test(name) && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      if (!valid) throw new ParseError(`invalid character reference &${name};`);
      return String.fromCodePoint(code);
    }
    throw new ParseError(
      `entity '${name}' is not defined (only &lt; &gt; &amp; &quot; &apos; and character references are accepted)`,
    );
  });
}

/**
 * A streaming, non-validating XML tokenizer over bytes (UTF-8). It keeps only the markup
 * being read and the text a handler asks for, so memory stays bounded whatever the file
 * size. It never expands entities beyond the predefined ones and never reads a DTD:
 * a DOCTYPE with an internal subset is rejected, a DOCTYPE without one is skipped.
 *
 * Text is not delivered unless the handler sets {@link captureText} (typically in `open`)
 * and collects it with {@link takeText} (typically in `close`): most of a test report is
 * text nobody needs, and skipping it with `indexOf` is what makes this fast.
 *
 * The chunks given to {@link write} are not kept after it returns (an unfinished tag at
 * the end of a chunk is copied), so a reader may reuse its buffer.
 */
export class XmlStream {
  /** While true, text and CDATA inside elements is kept (bounded) for {@link takeText}. */
  captureText = false;

  private readonly handler: XmlHandler;
  private readonly maxDepth: number;
  private readonly maxMarkup: number;
  private readonly maxText: number;
  private readonly lazyAttrs: boolean;

  /** The bytes being parsed: a chunk, or the unfinished tail of the last one joined to the start of the next. */
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Unparsed bytes carried to the next write (owned copy), and the offset of its first byte. */
  private tail: Buffer | null = null;
  private tailAbs = 0;
  /** Chunks (copies) that arrived after the tail, held back until the tail is worth reading again. */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private mode: Mode = Mode.Text;
  private readonly stack: string[] = [];
  private readonly openedAtLine: number[] = [];
  private seenRoot = false;
  private rootClosed = false;
  private started = false;
  private totalBytes = 0;

  // Position bookkeeping: absolute offset of buf[0]; newlines counted up to buf[scanIdx].
  private absBase = 0;
  private scanIdx = 0;
  /** The first newline at or after scanIdx in buf: -1 none, -2 not searched yet. */
  private nextNl = -2;
  private lineCount = 1;
  private lastNlAbs = -1;

  private textParts: Array<{ data: Buffer; cdata: boolean }> = [];
  private textBytes = 0;
  private textTruncated = false;

  // The attributes of the start tag being read, as ranges of attrBuf: name, name hash,
  // value, flags (1 non-ASCII, 2 '&'). Names become strings only when someone needs one.
  private attrCount = 0;
  private attrNameStart = new Int32Array(16);
  private attrNameEnd = new Int32Array(16);
  private attrHash = new Int32Array(16);
  private attrStart = new Int32Array(16);
  private attrEnd = new Int32Array(16);
  private attrFlags = new Uint8Array(16);
  private attrBuf: Buffer = EMPTY;
  private attrSet: Set<string> | null = null;
  private readonly names: Array<string | undefined> = new Array<string | undefined>(NAME_SLOTS).fill(undefined);

  constructor(handler: XmlHandler, options: XmlStreamOptions = {}) {
    this.handler = handler;
    this.maxDepth = options.maxDepth ?? 256;
    this.maxMarkup = options.maxMarkupBytes ?? 4 * 1024 * 1024;
    this.maxText = options.maxTextBytes ?? 64 * 1024;
    this.lazyAttrs = options.lazyAttrs ?? false;
  }

  /** The line of the start tag being delivered to `open`. */
  get line(): number {
    return this.openLine;
  }
  private openLine = 1;

  /** Names of the open elements, outermost first. */
  get path(): readonly string[] {
    return this.stack;
  }

  /**
   * The value of an attribute of the start tag being delivered to `open`, entity
   * references decoded; undefined when absent or when called outside `open`.
   */
  attr(name: string): string | undefined {
    const k = this.findAttr(name);
    return k === -1 ? undefined : this.attrValue(k);
  }

  /**
   * An attribute of the start tag being delivered to `open` written as plain decimal
   * digits with at most one '.' (up to 15 digits), as a number equal to `Number(value)`,
   * read without making a string; -1 when absent, -2 when written any other way (read
   * it with {@link attr} then).
   */
  attrDecimal(name: string): number {
    const k = this.findAttr(name);
    if (k === -1) return -1;
    const b = this.attrBuf;
    const s = this.attrStart[k]!;
    const e = this.attrEnd[k]!;
    if (e - s > 16) return -2;
    let m = 0;
    let digits = 0;
    let frac = -1;
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c >= 0x30 && c <= 0x39) {
        m = m * 10 + (c - 0x30);
        digits++;
        if (frac >= 0) frac++;
      } else if (c === 0x2e && frac === -1) {
        frac = 0;
      } else {
        return -2;
      }
    }
    if (digits === 0 || digits > 15) return -2;
    // Both exact, so the division is the correctly rounded value, as Number() gives.
    return frac > 0 ? m / POW10[frac]! : m;
  }

  private findAttr(name: string): number {
    const count = this.attrCount;
    if (count === 0) return -1;
    let hash = 0;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c >= 0x80) {
        for (let k = 0; k < count; k++) if (this.attrName(k) === name) return k;
        return -1;
      }
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    const b = this.attrBuf;
    const hashes = this.attrHash;
    for (let k = 0; k < count; k++) {
      if (hashes[k] === hash && sameAscii(b, this.attrNameStart[k]!, this.attrNameEnd[k]!, name)) return k;
    }
    return -1;
  }

  /** Feed the next bytes of the document. Throws {@link ParseError} on malformed input. */
  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const chunkAbs = this.totalBytes;
    this.totalBytes += chunk.length;
    if (!this.started) {
      const head = this.tail !== null ? Buffer.concat([this.tail, chunk]) : chunk;
      this.tail = null;
      if (head.length < 3) {
        this.tail = Buffer.from(head);
        this.tailAbs = 0;
        return;
      }
      this.setBuf(head, 0, 0);
      this.start();
      this.parse();
      this.keepTail();
      return;
    }
    if (this.tail !== null) {
      // An unfinished tag is read again only once as many new bytes as it has arrived (or
      // it passes the markup bound): a long tag fed in small chunks costs linear time.
      const waiting = this.waitingBytes + chunk.length;
      if (waiting < this.tail.length && this.tail.length + waiting <= this.maxMarkup) {
        this.waiting.push(Buffer.from(chunk));
        this.waitingBytes = waiting;
        return;
      }
      this.foldWaiting();
    }
    let from = 0;
    let tail = this.tail;
    if (tail !== null) {
      // Finish what the last chunk left unfinished on a copy of the tail and a growing
      // prefix of this chunk, never a copy of the whole chunk.
      this.tail = null;
      let take = Math.min(chunk.length, Math.max(4096, tail.length));
      for (;;) {
        const joined = Buffer.concat([tail, chunk.subarray(0, take)]);
        const tailLen = tail.length;
        this.setBuf(joined, chunkAbs - tailLen, 0);
        this.parse();
        if (this.pos >= tailLen || take === chunk.length) {
          if (this.pos < tailLen || take === chunk.length) {
            this.keepTail();
            return;
          }
          this.advanceLines(this.pos);
          from = this.pos - tailLen;
          break;
        }
        // Still inside the tail: drop what was read of it and try with more of the chunk.
        this.advanceLines(this.pos);
        tail = tail.subarray(this.pos);
        take = Math.min(chunk.length, take * 2);
      }
    }
    this.setBuf(chunk, chunkAbs, from);
    this.pos = from;
    this.parse();
    this.keepTail();
  }

  /** Signal the end of the document; throws if it is empty, truncated or has no root element. */
  end(): void {
    if (this.totalBytes === 0) throw new ParseError('the file is empty');
    const held = this.waitingBytes > 0;
    this.foldWaiting();
    const tail = this.tail ?? EMPTY;
    this.tail = null;
    this.setBuf(tail, this.tailAbs, 0);
    const wasStarted = this.started;
    if (!wasStarted) this.start();
    // The held-back bytes have not been read with the tail yet.
    if (!wasStarted || held) this.parse();
    const n = this.buf.length;
    if (this.mode === Mode.CData) this.fail('unexpected end of file inside a CDATA section', n);
    if (this.mode === Mode.Comment) this.fail('unexpected end of file inside a comment', n);
    if (this.pos < n) this.fail('unexpected end of file inside a tag', n);
    if (!this.seenRoot) this.fail('no XML element found', n);
    if (this.stack.length > 0) {
      const top = this.stack[this.stack.length - 1];
      const at = this.openedAtLine[this.openedAtLine.length - 1];
      this.fail(`unexpected end of file: <${top}> opened at line ${at} is not closed`, n);
    }
  }

  /** The text captured since the last call, entity references decoded, and whether it was cut. */
  takeText(): { text: string; truncated: boolean } {
    const parts = this.textParts;
    const truncated = this.textTruncated;
    this.textParts = [];
    this.textBytes = 0;
    this.textTruncated = false;
    if (parts.length === 0) return { text: '', truncated };
    let out = '';
    let i = 0;
    while (i < parts.length) {
      const cdata = parts[i]!.cdata;
      let j = i;
      while (j < parts.length && parts[j]!.cdata === cdata) j++;
      const bytes = j - i === 1 ? parts[i]!.data : Buffer.concat(parts.slice(i, j).map((p) => p.data));
      const s = bytes.toString('utf8');
      out += cdata ? s : decodeEntities(s, truncated && j === parts.length);
      i = j;
    }
    const bad = INVALID_CHAR_RE.exec(out);
    if (bad) {
      throw new ParseError(
        `invalid character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} in the text of <${this.stack[this.stack.length - 1] ?? '?'}>`,
      );
    }
    return { text: out, truncated };
  }

  /** Append the chunks held back for an unfinished tag to its tail. */
  private foldWaiting(): void {
    if (this.waiting.length === 0) return;
    this.tail = Buffer.concat([this.tail ?? EMPTY, ...this.waiting]);
    this.waiting = [];
    this.waitingBytes = 0;
  }

  private setBuf(b: Buffer, absBase: number, counted: number): void {
    this.buf = b;
    this.absBase = absBase;
    this.scanIdx = counted;
    this.nextNl = -2;
    this.pos = 0;
  }

  /** Keep a copy of the unparsed end of the buffer for the next write, and let go of the buffer. */
  private keepTail(): void {
    const b = this.buf;
    const p = this.pos;
    this.advanceLines(p);
    this.tailAbs = this.absBase + p;
    this.tail = p < b.length ? Buffer.from(b.subarray(p)) : null;
    this.buf = EMPTY;
    this.absBase = this.tailAbs;
    this.scanIdx = 0;
    this.nextNl = -2;
    this.pos = 0;
    this.attrBuf = EMPTY;
  }

  private start(): void {
    this.started = true;
    const b = this.buf;
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) {
      this.pos = 3;
    } else if (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) {
      throw new ParseError('the file is UTF-16; save the report as UTF-8', 1, 1);
    }
  }

  /** Count the newlines of the buffer before `at` (monotonic, so every byte is counted once). */
  private advanceLines(at: number): void {
    if (at <= this.scanIdx) return;
    const b = this.buf;
    let i = this.nextNl;
    if (i === -2) i = b.indexOf(NL, this.scanIdx);
    while (i !== -1 && i < at) {
      this.lineCount++;
      this.lastNlAbs = this.absBase + i;
      i = b.indexOf(NL, i + 1);
    }
    this.nextNl = i;
    this.scanIdx = at;
  }

  /** The line of a position at or after the counted point. */
  private lineAt(at: number): number {
    this.advanceLines(at);
    return this.lineCount;
  }

  private position(at: number): { line: number; column: number } {
    if (at >= this.scanIdx) {
      this.advanceLines(at);
      return { line: this.lineCount, column: this.absBase + at - this.lastNlAbs };
    }
    const b = this.buf;
    let line = this.lineCount;
    let i = b.indexOf(NL, at);
    while (i !== -1 && i < this.scanIdx) {
      line--;
      i = b.indexOf(NL, i + 1);
    }
    const prev = at > 0 ? b.lastIndexOf(NL, at - 1) : -1;
    // Behind the counted point with no newline in the buffer: the column is counted from the buffer start.
    const lastNl = prev !== -1 ? this.absBase + prev : this.absBase - 1;
    return { line, column: this.absBase + at - lastNl };
  }

  private fail(message: string, at: number): never {
    const { line, column } = this.position(at);
    throw new ParseError(`${message} (line ${line}, column ${column})`, line, column);
  }

  private keep(b: Buffer, s: number, e: number, cdata: boolean): void {
    if (this.textTruncated || e <= s) return;
    const room = this.maxText - this.textBytes;
    if (e - s > room) {
      e = s + room;
      this.textTruncated = true;
    }
    if (e > s) {
      this.textParts.push({ data: Buffer.from(b.subarray(s, e)), cdata });
      this.textBytes += e - s;
    }
  }

  private parse(): void {
    const b = this.buf;
    const n = b.length;
    let p = this.pos;
    try {
      while (p < n) {
        if (this.mode === Mode.Text) {
          // Text between tags is mostly a little indentation: look at a few bytes in
          // JavaScript before calling into memchr.
          let lt = -1;
          const stop = p + 16 < n ? p + 16 : n;
          for (let i = p; i < stop; i++) {
            if (b[i] === LT) {
              lt = i;
              break;
            }
          }
          if (lt === -1 && stop < n) lt = b.indexOf(LT, stop);
          const end = lt === -1 ? n : lt;
          if (end > p) {
            if (this.stack.length === 0) this.checkOutsideText(b, p, end);
            else if (this.captureText) this.keep(b, p, end, false);
          }
          if (lt === -1) {
            p = n;
            break;
          }
          const next = this.markup(b, lt);
          if (next < 0) {
            p = lt;
            if (n - lt > this.maxMarkup) this.fail(`markup longer than ${this.maxMarkup} bytes`, lt);
            break;
          }
          p = next;
        } else {
          const cdata = this.mode === Mode.CData;
          const close = b.indexOf(cdata ? CDATA_END : COMMENT_END, p);
          if (close === -1) {
            // Keep the last two bytes: they may start the terminator.
            const safe = Math.max(p, n - 2);
            if (cdata && this.captureText) this.keep(b, p, safe, true);
            p = safe;
            break;
          }
          if (cdata && this.captureText) this.keep(b, p, close, true);
          p = close + 3;
          this.mode = Mode.Text;
        }
      }
    } finally {
      this.pos = p;
    }
  }

  private checkOutsideText(b: Buffer, s: number, e: number): void {
    for (let i = s; i < e; i++) {
      if (!isSpace(b[i]!)) {
        if (this.rootClosed) this.fail('text after the root element', i);
        this.fail("not an XML document: '<' expected", i);
      }
    }
  }

  /** Read the markup starting at `p` (a '<'); return the position after it, or -1 if incomplete. */
  private markup(b: Buffer, p: number): number {
    const n = b.length;
    if (p + 1 >= n) return -1;
    const c = b[p + 1]!;
    if (c === SLASH) return this.endTag(b, p);
    if (c === QMARK) {
      const e = b.indexOf(PI_END, p + 2);
      return e === -1 ? -1 : e + 2;
    }
    if (c === BANG) {
      if (n - p >= 4 && b[p + 2] === DASH && b[p + 3] === DASH) {
        this.mode = Mode.Comment;
        return p + 4;
      }
      // Too short to tell CDATA from DOCTYPE yet.
      if (n - p < 9) return -1;
      if (
        b[p + 2] === 0x5b &&
        b[p + 3] === 0x43 &&
        b[p + 4] === 0x44 &&
        b[p + 5] === 0x41 &&
        b[p + 6] === 0x54 &&
        b[p + 7] === 0x41 &&
        b[p + 8] === 0x5b
      ) {
        // <![CDATA[
        if (this.stack.length === 0) this.fail('CDATA section outside the root element', p);
        this.mode = Mode.CData;
        return p + 9;
      }
      const head = b.toString('latin1', p, p + 9);
      if (head === '<!DOCTYPE') return this.doctype(b, p);
      this.fail(`unexpected markup "${head}"`, p);
    }
    return this.startTag(b, p);
  }

  private doctype(b: Buffer, p: number): number {
    if (this.seenRoot) this.fail('DOCTYPE after the root element', p);
    const n = b.length;
    let quote = 0;
    for (let i = p + 9; i < n; i++) {
      const c = b[i]!;
      if (quote !== 0) {
        if (c === quote) quote = 0;
      } else if (c === DQ || c === SQ) {
        quote = c;
      } else if (c === 0x5b /* [ */) {
        this.fail(
          'DOCTYPE with an internal subset is not accepted: entity declarations can expand without bound or read files and URLs (XXE). Remove the <!DOCTYPE ... [ ... ]> block',
          p,
        );
      } else if (c === GT) {
        return i + 1; // An external DTD is never fetched; the declaration is skipped.
      }
    }
    return -1;
  }

  private endTag(b: Buffer, p: number): number {
    const n = b.length;
    let e = -1;
    // End tags are short: a JavaScript loop first, memchr for a long one.
    const stop = p + 64 < n ? p + 64 : n;
    for (let i = p + 2; i < stop; i++) {
      if (b[i] === GT) {
        e = i;
        break;
      }
    }
    if (e === -1) {
      if (stop === n) return -1;
      e = b.indexOf(GT, stop);
      if (e === -1) return -1;
    }
    const s = p + 2;
    let t = e;
    while (t > s && isSpace(b[t - 1]!)) t--;
    const top = this.stack[this.stack.length - 1];
    let name: string;
    if (top !== undefined && sameAscii(b, s, t, top)) {
      name = top;
    } else {
      name = b.toString('utf8', s, t);
      if (top === undefined) this.fail(`end tag </${name}> without a start tag`, p);
      if (name !== top) this.fail(`mismatched end tag: expected </${top}>, found </${name}>`, p);
      for (let k = s; k < t; k++) if (isSpace(b[k]!)) this.fail(`malformed end tag </${name}>`, p);
    }
    this.stack.pop();
    this.openedAtLine.pop();
    if (this.stack.length === 0) this.rootClosed = true;
    this.handler.close(name);
    return e + 1;
  }

  /** The name in b[s, e) as a string, the same string each time it repeats. */
  private intern(b: Buffer, s: number, e: number, hash: number, ascii: boolean): string {
    if (!ascii) return b.toString('utf8', s, e);
    const slot = (hash ^ (hash >>> 10) ^ (e - s)) & (NAME_SLOTS - 1);
    const known = this.names[slot];
    if (known !== undefined && sameAscii(b, s, e, known)) return known;
    const str = b.toString('latin1', s, e);
    this.names[slot] = str;
    return str;
  }

  private attrName(k: number): string {
    return this.attrBuf.toString('utf8', this.attrNameStart[k], this.attrNameEnd[k]);
  }

  private attrValue(k: number): string {
    const b = this.attrBuf;
    const flags = this.attrFlags[k]!;
    const v = b.toString(flags & 1 ? 'utf8' : 'latin1', this.attrStart[k], this.attrEnd[k]);
    return flags & 2 ? decodeEntities(v) : v;
  }

  /** Record an attribute; false when the tag already has one of that name. */
  private pushAttr(b: Buffer, ns: number, ne: number, hash: number, vs: number, ve: number, flags: number): boolean {
    const k = this.attrCount;
    if (k < LINEAR_DUPLICATES) {
      const hashes = this.attrHash;
      for (let j = 0; j < k; j++) {
        if (hashes[j] === hash && sameBytes(b, this.attrNameStart[j]!, this.attrNameEnd[j]!, ns, ne)) return false;
      }
    } else {
      if (this.attrSet === null) {
        this.attrSet = new Set<string>();
        for (let j = 0; j < k; j++) this.attrSet.add(this.attrName(j));
      }
      const name = b.toString('utf8', ns, ne);
      if (this.attrSet.has(name)) return false;
      this.attrSet.add(name);
    }
    if (k === this.attrStart.length) {
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const next = new Int32Array(a.length * 2);
        next.set(a);
        return next;
      };
      this.attrNameStart = grow(this.attrNameStart);
      this.attrNameEnd = grow(this.attrNameEnd);
      this.attrHash = grow(this.attrHash);
      this.attrStart = grow(this.attrStart);
      this.attrEnd = grow(this.attrEnd);
      const f = new Uint8Array(this.attrFlags.length * 2);
      f.set(this.attrFlags);
      this.attrFlags = f;
    }
    this.attrNameStart[k] = ns;
    this.attrNameEnd[k] = ne;
    this.attrHash[k] = hash;
    this.attrStart[k] = vs;
    this.attrEnd[k] = ve;
    this.attrFlags[k] = flags;
    this.attrCount = k + 1;
    return true;
  }

  private startTag(b: Buffer, p: number): number {
    const n = b.length;
    let i = p + 1;
    let hash = 0;
    let ascii = true;
    for (; i < n; i++) {
      const c = b[i]!;
      if (NAME_END[c] === 1) break;
      if (c >= 0x80) ascii = false;
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    if (i >= n) return -1;
    if (i === p + 1) this.fail("a tag name is expected after '<'", p);
    const first = b[p + 1]!;
    if (first === 0x2d || first === 0x2e || (first >= 0x30 && first <= 0x39))
      this.fail(`invalid tag name "${b.toString('utf8', p + 1, i)}"`, p);
    const name = this.intern(b, p + 1, i, hash, ascii);
    this.attrCount = 0;
    this.attrSet = null;
    this.attrBuf = b;
    let selfClosing = false;
    for (;;) {
      const sawSpace = i < n && isSpace(b[i]!);
      while (i < n && isSpace(b[i]!)) i++;
      if (i >= n) return -1;
      const c = b[i]!;
      if (c === GT) {
        i++;
        break;
      }
      if (c === SLASH) {
        if (i + 1 >= n) return -1;
        if (b[i + 1] !== GT) this.fail(`'/>' expected in <${name}>`, i);
        selfClosing = true;
        i += 2;
        break;
      }
      if (!sawSpace) this.fail(`attributes construct error in <${name}>: whitespace expected between attributes`, i);
      const ns = i;
      hash = 0;
      for (; i < n; i++) {
        const d = b[i]!;
        if (NAME_END[d] === 1) break;
        hash = (Math.imul(hash, 31) + d) | 0;
      }
      if (i >= n) return -1;
      if (i === ns) this.fail(`attributes construct error in <${name}>`, i);
      const ne = i;
      while (i < n && isSpace(b[i]!)) i++;
      if (i >= n) return -1;
      if (b[i] !== EQ)
        this.fail(`attributes construct error in <${name}>: '=' expected after ${b.toString('utf8', ns, ne)}`, i);
      i++;
      while (i < n && isSpace(b[i]!)) i++;
      if (i >= n) return -1;
      const q = b[i]!;
      if (q !== DQ && q !== SQ)
        this.fail(
          `attributes construct error in <${name}>: quoted value expected for ${b.toString('utf8', ns, ne)}`,
          i,
        );
      const vs = i + 1;
      let ve = -1;
      let flags = 0;
      let bad = -1;
      let lt = -1;
      for (let j = vs; j < n; j++) {
        const k = VALUE_CLASS[b[j]!]!;
        if (k === 0) continue;
        if (k === 4) {
          if (b[j] === q) {
            ve = j;
            break;
          }
        } else if (k === 6) {
          flags |= 1;
        } else if (k === 3) {
          flags |= 2;
        } else if (k === 2) {
          if (lt === -1) lt = j;
        } else if (k === 1) {
          if (bad === -1) bad = j;
        } else {
          // 0xEF: U+FFFE and U+FFFF are EF BF BE and EF BF BF.
          flags |= 1;
          if (bad === -1 && j + 2 < n && b[j + 1] === 0xbf && (b[j + 2] === 0xbe || b[j + 2] === 0xbf)) bad = j;
        }
      }
      if (ve === -1) return -1;
      if (lt !== -1) this.fail(`'<' in the value of ${b.toString('utf8', ns, ne)}`, lt);
      if (bad !== -1) {
        const code = b[bad] === 0xef ? (b[bad + 2] === 0xbe ? 0xfffe : 0xffff) : b[bad]!;
        this.fail(
          `invalid character 0x${code.toString(16).padStart(2, '0')} in the value of ${b.toString('utf8', ns, ne)}`,
          bad,
        );
      }
      if (flags & 2 && !plainReferences(b, vs, ve)) {
        try {
          decodeEntities(b.toString('utf8', vs, ve));
        } catch (err) {
          if (err instanceof ParseError) this.fail(err.message, i);
          throw err;
        }
      }
      if (!this.pushAttr(b, ns, ne, hash, vs, ve, flags))
        this.fail(`attribute ${b.toString('utf8', ns, ne)} given twice in <${name}>`, ns);
      i = ve + 1;
    }
    if (this.rootClosed) this.fail(`element <${name}> after the root element`, p);
    if (this.stack.length >= this.maxDepth) this.fail(`elements nested deeper than ${this.maxDepth} levels`, p);
    this.seenRoot = true;
    let attrs = NO_ATTRS;
    if (!this.lazyAttrs && this.attrCount > 0) {
      attrs = Object.create(null) as XmlAttrs;
      for (let k = 0; k < this.attrCount; k++) {
        const ns = this.attrNameStart[k]!;
        const ne = this.attrNameEnd[k]!;
        attrs[this.intern(b, ns, ne, this.attrHash[k]!, isAscii(b, ns, ne))] = this.attrValue(k);
      }
    }
    this.openLine = this.lineAt(p);
    if (selfClosing) {
      this.handler.open(name, attrs, true);
      this.attrCount = 0;
      if (this.stack.length === 0) this.rootClosed = true;
      this.handler.close(name);
    } else {
      this.stack.push(name);
      this.openedAtLine.push(this.openLine);
      this.handler.open(name, attrs, false);
      this.attrCount = 0;
    }
    return i;
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * Whether every '&' in b[s, e) starts a predefined entity or a valid character reference,
 * checked on the bytes. False sends the value to {@link decodeEntities}, which names the error.
 */
function plainReferences(b: Buffer, s: number, e: number): boolean {
  let i = b.indexOf(0x26, s);
  while (i !== -1 && i < e) {
    let j = i + 1;
    while (j < e && j - i <= 8 && b[j] !== 0x3b) j++;
    if (j >= e || b[j] !== 0x3b) return false;
    const len = j - i - 1;
    const c1 = b[i + 1];
    if (c1 === 0x23 /* # */) {
      let code = 0;
      if (b[i + 2] === 0x78 /* x */) {
        if (len < 2 || len > 7) return false;
        for (let k = i + 3; k < j; k++) {
          const c = b[k]!;
          if (!isHex(c)) return false;
          code = code * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
        }
      } else {
        if (len < 2 || len > 8) return false;
        for (let k = i + 2; k < j; k++) {
          const c = b[k]!;
          if (c < 0x30 || c > 0x39) return false;
          code = code * 10 + (c - 0x30);
        }
      }
      if (code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    } else {
      const c2 = b[i + 2];
      const ok =
        len === 2
          ? (c1 === 0x6c || c1 === 0x67) && c2 === 0x74 // lt gt
          : len === 3
            ? c1 === 0x61 && c2 === 0x6d && b[i + 3] === 0x70 // amp
            : len === 4 &&
              ((c1 === 0x71 && c2 === 0x75 && b[i + 3] === 0x6f && b[i + 4] === 0x74) ||
                (c1 === 0x61 && c2 === 0x70 && b[i + 3] === 0x6f && b[i + 4] === 0x73)); // quot apos
      if (!ok) return false;
    }
    i = b.indexOf(0x26, j + 1);
  }
  return true;
}

function isAscii(b: Buffer, s: number, e: number): boolean {
  for (let k = s; k < e; k++) if (b[k]! >= 0x80) return false;
  return true;
}

/** Whether b[s1, e1) and b[s2, e2) hold the same bytes. */
function sameBytes(b: Buffer, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let k = 0; k < e1 - s1; k++) if (b[s1 + k] !== b[s2 + k]) return false;
  return true;
}

/** Whether b[s, e) holds exactly the characters of `str` (compared as single bytes). */
function sameAscii(b: Buffer, s: number, e: number, str: string): boolean {
  if (e - s !== str.length) return false;
  for (let k = 0; k < str.length; k++) {
    const c = str.charCodeAt(k);
    if (c >= 0x80 || b[s + k] !== c) return false;
  }
  return true;
}
