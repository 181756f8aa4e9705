import { ParseError } from './errors.js';

/** Attributes of a start tag, entity references decoded. */
export type XmlAttrs = Record<string, string>;

export interface XmlHandler {
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

const enum Mode {
  Text,
  CData,
  Comment,
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isNameEnd(c: number): boolean {
  return isSpace(c) || c === SLASH || c === GT || c === EQ;
}

/** A short slice as a string: a JS loop beats the native call for short ASCII; else UTF-8. */
function ascii(b: Buffer, s: number, e: number): string {
  if (e - s > 32) return b.toString('utf8', s, e);
  let out = '';
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c >= 0x80) return b.toString('utf8', s, e);
    out += String.fromCharCode(c);
  }
  return out;
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ENTITY_RE = /&([^;&<\s]{0,40})(;?)/g;
// XML 1.0 forbids these code points anywhere in a document.
// eslint-disable-next-line no-control-regex
const INVALID_CHAR_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

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
      const valid = /^#(x[0-9a-fA-F]+|[0-9]+)$/.test(name) && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      if (!valid) throw new ParseError(`invalid character reference &${name};`);
      return String.fromCodePoint(code);
    }
    throw new ParseError(`entity '${name}' is not defined (only &lt; &gt; &amp; &quot; &apos; and character references are accepted)`);
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
 */
export class XmlStream {
  /** While true, text and CDATA inside elements is kept (bounded) for {@link takeText}. */
  captureText = false;

  private readonly handler: XmlHandler;
  private readonly maxDepth: number;
  private readonly maxMarkup: number;
  private readonly maxText: number;

  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private mode: Mode = Mode.Text;
  private readonly stack: string[] = [];
  private readonly openedAtLine: number[] = [];
  private seenRoot = false;
  private rootClosed = false;
  private started = false;
  private totalBytes = 0;

  // Position bookkeeping: absolute offset of buf[0]; lines counted up to buf[scanIdx].
  private absBase = 0;
  private scanIdx = 0;
  private line = 1;
  private lastNlAbs = -1;

  private textParts: Array<{ data: Buffer; cdata: boolean }> = [];
  private textBytes = 0;
  private textTruncated = false;

  constructor(handler: XmlHandler, options: XmlStreamOptions = {}) {
    this.handler = handler;
    this.maxDepth = options.maxDepth ?? 256;
    this.maxMarkup = options.maxMarkupBytes ?? 4 * 1024 * 1024;
    this.maxText = options.maxTextBytes ?? 64 * 1024;
  }

  /** Names of the open elements, outermost first. */
  get path(): readonly string[] {
    return this.stack;
  }

  /** Feed the next bytes of the document. Throws {@link ParseError} on malformed input. */
  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.totalBytes += chunk.length;
    if (this.pos < this.buf.length) {
      this.discardConsumed();
      this.buf = Buffer.concat([this.buf, chunk]);
    } else {
      this.discardConsumed();
      this.buf = chunk;
    }
    if (!this.started) {
      if (this.buf.length < 3) return;
      this.start();
    }
    this.parse();
  }

  /** Signal the end of the document; throws if it is empty, truncated or has no root element. */
  end(): void {
    if (this.totalBytes === 0) throw new ParseError('the file is empty');
    if (!this.started) {
      this.start();
      this.parse();
    }
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
      throw new ParseError(`invalid character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} in the text of <${this.stack[this.stack.length - 1] ?? '?'}>`);
    }
    return { text: out, truncated };
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

  private discardConsumed(): void {
    const p = this.pos;
    if (p === 0) return;
    this.advanceLines(p);
    this.scanIdx -= p;
    this.absBase += p;
    this.buf = this.buf.subarray(p);
    this.pos = 0;
  }

  /** Count the newlines of the buffer up to `at` (monotonic, so every byte is counted once). */
  private advanceLines(at: number): void {
    const b = this.buf;
    let i = b.indexOf(NL, this.scanIdx);
    while (i !== -1 && i < at) {
      this.line++;
      this.lastNlAbs = this.absBase + i;
      i = b.indexOf(NL, i + 1);
    }
    if (at > this.scanIdx) this.scanIdx = at;
  }

  private position(at: number): { line: number; column: number } {
    if (at >= this.scanIdx) {
      this.advanceLines(at);
      return { line: this.line, column: this.absBase + at - this.lastNlAbs };
    }
    const b = this.buf;
    let line = this.line;
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
          const lt = b.indexOf(LT, p);
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
          const close = b.indexOf(cdata ? ']]>' : '-->', p, 'latin1');
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
      const e = b.indexOf('?>', p + 2, 'latin1');
      return e === -1 ? -1 : e + 2;
    }
    if (c === BANG) {
      if (n - p < 9) {
        // Too short to tell a comment from CDATA or DOCTYPE unless it is a comment already.
        if (n - p >= 4 && b[p + 2] === 0x2d && b[p + 3] === 0x2d) {
          this.mode = Mode.Comment;
          return p + 4;
        }
        return -1;
      }
      if (b[p + 2] === 0x2d && b[p + 3] === 0x2d) {
        this.mode = Mode.Comment;
        return p + 4;
      }
      const head = b.toString('latin1', p, p + 9);
      if (head === '<![CDATA[') {
        if (this.stack.length === 0) this.fail('CDATA section outside the root element', p);
        this.mode = Mode.CData;
        return p + 9;
      }
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
    const e = b.indexOf(GT, p + 2);
    if (e === -1) return -1;
    let s = p + 2;
    let t = e;
    while (t > s && isSpace(b[t - 1]!)) t--;
    const name = b.toString('utf8', s, t);
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) this.fail(`end tag </${name}> without a start tag`, p);
    if (name !== top) this.fail(`mismatched end tag: expected </${top}>, found </${name}>`, p);
    for (s = p + 2; s < t; s++) if (isSpace(b[s]!)) this.fail(`malformed end tag </${name}>`, p);
    this.stack.pop();
    this.openedAtLine.pop();
    if (this.stack.length === 0) this.rootClosed = true;
    this.handler.close(name);
    return e + 1;
  }

  private startTag(b: Buffer, p: number): number {
    const n = b.length;
    let i = p + 1;
    while (i < n && !isNameEnd(b[i]!)) i++;
    if (i >= n) return -1;
    if (i === p + 1) this.fail("a tag name is expected after '<'", p);
    const name = ascii(b, p + 1, i);
    const first = name.charCodeAt(0);
    if (first === 0x2d || first === 0x2e || (first >= 0x30 && first <= 0x39)) this.fail(`invalid tag name "${name}"`, p);
    const attrs: XmlAttrs = Object.create(null) as XmlAttrs;
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
      while (i < n && !isNameEnd(b[i]!)) i++;
      if (i >= n) return -1;
      if (i === ns) this.fail(`attributes construct error in <${name}>`, i);
      const an = ascii(b, ns, i);
      while (i < n && isSpace(b[i]!)) i++;
      if (i >= n) return -1;
      if (b[i] !== EQ) this.fail(`attributes construct error in <${name}>: '=' expected after ${an}`, i);
      i++;
      while (i < n && isSpace(b[i]!)) i++;
      if (i >= n) return -1;
      const q = b[i]!;
      if (q !== DQ && q !== SQ) this.fail(`attributes construct error in <${name}>: quoted value expected for ${an}`, i);
      const ve = b.indexOf(q, i + 1);
      if (ve === -1) return -1;
      const lt = b.indexOf(LT, i + 1);
      if (lt !== -1 && lt < ve) this.fail(`'<' in the value of ${an}`, lt);
      let v = ve - i - 1 <= 32 ? ascii(b, i + 1, ve) : b.toString('utf8', i + 1, ve);
      const bad = INVALID_CHAR_RE.exec(v);
      if (bad) this.fail(`invalid character 0x${bad[0].charCodeAt(0).toString(16).padStart(2, '0')} in the value of ${an}`, i + 1 + bad.index);
      if (v.indexOf('&') !== -1) {
        try {
          v = decodeEntities(v);
        } catch (err) {
          if (err instanceof ParseError) this.fail(err.message, i);
          throw err;
        }
      }
      if (Object.hasOwn(attrs, an)) this.fail(`attribute ${an} given twice in <${name}>`, ns);
      attrs[an] = v;
      i = ve + 1;
    }
    if (this.rootClosed) this.fail(`element <${name}> after the root element`, p);
    if (this.stack.length >= this.maxDepth) this.fail(`elements nested deeper than ${this.maxDepth} levels`, p);
    this.seenRoot = true;
    if (selfClosing) {
      this.handler.open(name, attrs, true);
      if (this.stack.length === 0) this.rootClosed = true;
      this.handler.close(name);
    } else {
      this.stack.push(name);
      this.openedAtLine.push(this.position(p).line);
      this.handler.open(name, attrs, false);
    }
    return i;
  }
}
