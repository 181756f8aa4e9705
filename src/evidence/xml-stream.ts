import { ParseError } from './errors.js';
import { EMPTY } from './xml/bytes.js';
import { Mode, XmlTokenizer } from './xml/tokenizer.js';

export type { XmlAttrs, XmlHandler, XmlStreamOptions } from './xml/tokenizer.js';

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
export class XmlStream extends XmlTokenizer {
  /** Unparsed bytes carried to the next write (owned copy), and the offset of its first byte. */
  private tail: Buffer | null = null;
  private tailAbs = 0;
  /** Chunks (copies) that arrived after the tail, held back until the tail is worth reading again. */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private started = false;
  private totalBytes = 0;

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
          this.lines.advance(this.pos);
          from = this.pos - tailLen;
          break;
        }
        // Still inside the tail: drop what was read of it and try with more of the chunk.
        this.lines.advance(this.pos);
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

  /** Append the chunks held back for an unfinished tag to its tail. */
  private foldWaiting(): void {
    if (this.waiting.length === 0) return;
    this.tail = Buffer.concat([this.tail ?? EMPTY, ...this.waiting]);
    this.waiting = [];
    this.waitingBytes = 0;
  }

  private setBuf(b: Buffer, absBase: number, counted: number): void {
    this.buf = b;
    this.lines.setBuf(b, absBase, counted);
    this.pos = 0;
  }

  /** Keep a copy of the unparsed end of the buffer for the next write, and let go of the buffer. */
  private keepTail(): void {
    const b = this.buf;
    const p = this.pos;
    this.tailAbs = this.lines.release(p);
    this.tail = p < b.length ? Buffer.from(b.subarray(p)) : null;
    this.buf = EMPTY;
    this.pos = 0;
    this.attrs.release();
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
}
