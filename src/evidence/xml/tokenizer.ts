import { ParseError } from '../errors.js';
import { TagAttributes } from './attributes.js';
import {
  BANG,
  DASH,
  DQ,
  EMPTY,
  EQ,
  GT,
  isAscii,
  isSpace,
  LT,
  NAME_END,
  QMARK,
  sameAscii,
  SLASH,
  SQ,
  VALUE_CLASS,
} from './bytes.js';
import { decodeEntities, plainReferences } from './entities.js';
import { LineCounter } from './lines.js';
import { TextCapture } from './text-capture.js';

/** Attributes of a start tag, entity references decoded. */
export type XmlAttrs = Record<string, string>;

export interface XmlHandler {
  /**
   * A start tag. `attrs` holds its attributes unless the stream was made with `lazyAttrs`:
   * then it is an empty object and the handler reads the ones it needs with
   * {@link XmlTokenizer.attr} during this call.
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
   * one with {@link XmlTokenizer.attr}.
   */
  lazyAttrs?: boolean;
}

export const enum Mode {
  Text,
  CData,
  Comment,
}

/** Shared by every element of a lazy stream; frozen so that no handler can fill it. */
const NO_ATTRS: XmlAttrs = Object.freeze(Object.create(null) as XmlAttrs);
const CDATA_END = Buffer.from(']]>', 'latin1');
const COMMENT_END = Buffer.from('-->', 'latin1');
const PI_END = Buffer.from('?>', 'latin1');
/** Slots of the cache of element names as strings (they repeat endlessly). */
const NAME_SLOTS = 1024;

/**
 * The markup of one buffer (`buf` from `pos`): text, CDATA, comments, processing
 * instructions, DOCTYPE and tags, checked and handed to the handler. {@link XmlStream}
 * feeds it chunks; what is left unread at the end of a buffer (from `pos`) is unfinished
 * markup, read again once more bytes have come.
 */
export class XmlTokenizer {
  /** While true, text and CDATA inside elements is kept (bounded) for {@link takeText}. */
  captureText = false;

  protected readonly handler: XmlHandler;
  protected readonly maxDepth: number;
  protected readonly maxMarkup: number;
  protected readonly lazyAttrs: boolean;

  /** The bytes being parsed, and where parsing stands in them. */
  protected buf: Buffer = EMPTY;
  protected pos = 0;
  protected mode: Mode = Mode.Text;
  protected readonly stack: string[] = [];
  protected readonly openedAtLine: number[] = [];
  protected seenRoot = false;
  protected rootClosed = false;
  protected readonly lines = new LineCounter();
  protected readonly attrs = new TagAttributes();
  private readonly text: TextCapture;
  private readonly names: Array<string | undefined> = new Array<string | undefined>(NAME_SLOTS).fill(undefined);
  private openLine = 1;

  constructor(handler: XmlHandler, options: XmlStreamOptions = {}) {
    this.handler = handler;
    this.maxDepth = options.maxDepth ?? 256;
    this.maxMarkup = options.maxMarkupBytes ?? 4 * 1024 * 1024;
    this.text = new TextCapture(options.maxTextBytes ?? 64 * 1024);
    this.lazyAttrs = options.lazyAttrs ?? false;
  }

  /** The line of the start tag being delivered to `open`. */
  get line(): number {
    return this.openLine;
  }

  /** Names of the open elements, outermost first. */
  get path(): readonly string[] {
    return this.stack;
  }

  /**
   * The value of an attribute of the start tag being delivered to `open`, entity
   * references decoded; undefined when absent or when called outside `open`.
   */
  attr(name: string): string | undefined {
    const k = this.attrs.find(name);
    return k === -1 ? undefined : this.attrs.value(k);
  }

  /**
   * An attribute of the start tag being delivered to `open` written as plain decimal
   * digits with at most one '.' (up to 15 digits), as a number equal to `Number(value)`,
   * read without making a string; -1 when absent, -2 when written any other way (read
   * it with {@link attr} then).
   */
  attrDecimal(name: string): number {
    const k = this.attrs.find(name);
    return k === -1 ? -1 : this.attrs.decimal(k);
  }

  /** The text captured since the last call, entity references decoded, and whether it was cut. */
  takeText(): { text: string; truncated: boolean } {
    return this.text.take(this.stack[this.stack.length - 1] ?? '?');
  }

  protected fail(message: string, at: number): never {
    const { line, column } = this.lines.position(at);
    throw new ParseError(`${message} (line ${line}, column ${column})`, line, column);
  }

  protected parse(): void {
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
            else if (this.captureText) this.text.keep(b, p, end, false);
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
            if (cdata && this.captureText) this.text.keep(b, p, safe, true);
            p = safe;
            break;
          }
          if (cdata && this.captureText) this.text.keep(b, p, close, true);
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
    const attrs = this.attrs;
    attrs.reset(b);
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
      if (!attrs.push(b, ns, ne, hash, vs, ve, flags))
        this.fail(`attribute ${b.toString('utf8', ns, ne)} given twice in <${name}>`, ns);
      i = ve + 1;
    }
    if (this.rootClosed) this.fail(`element <${name}> after the root element`, p);
    if (this.stack.length >= this.maxDepth) this.fail(`elements nested deeper than ${this.maxDepth} levels`, p);
    this.seenRoot = true;
    let given = NO_ATTRS;
    if (!this.lazyAttrs && attrs.count > 0) {
      given = Object.create(null) as XmlAttrs;
      for (let k = 0; k < attrs.count; k++) {
        const ns = attrs.nameStart[k]!;
        const ne = attrs.nameEnd[k]!;
        given[this.intern(b, ns, ne, attrs.hash[k]!, isAscii(b, ns, ne))] = attrs.value(k);
      }
    }
    this.openLine = this.lines.lineAt(p);
    if (selfClosing) {
      this.handler.open(name, given, true);
      attrs.count = 0;
      if (this.stack.length === 0) this.rootClosed = true;
      this.handler.close(name);
    } else {
      this.stack.push(name);
      this.openedAtLine.push(this.openLine);
      this.handler.open(name, given, false);
      attrs.count = 0;
    }
    return i;
  }
}
