import { ParseError } from '../errors.js';
import { decodeEntities, INVALID_CHAR_RE } from './entities.js';

/** The text and CDATA a handler asked for, kept as byte copies up to a bound. */
export class TextCapture {
  private parts: Array<{ data: Buffer; cdata: boolean }> = [];
  private bytes = 0;
  private truncated = false;

  constructor(private readonly maxBytes: number) {}

  /** Keep a copy of b[s, e), up to the bound; the rest is dropped and the text marked cut. */
  keep(b: Buffer, s: number, e: number, cdata: boolean): void {
    if (this.truncated || e <= s) return;
    const room = this.maxBytes - this.bytes;
    if (e - s > room) {
      e = s + room;
      this.truncated = true;
    }
    if (e > s) {
      this.parts.push({ data: Buffer.from(b.subarray(s, e)), cdata });
      this.bytes += e - s;
    }
  }

  /** The text kept since the last call, entity references decoded, and whether it was cut. */
  take(element: string): { text: string; truncated: boolean } {
    const parts = this.parts;
    const truncated = this.truncated;
    this.parts = [];
    this.bytes = 0;
    this.truncated = false;
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
        `invalid character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()} in the text of <${element}>`,
      );
    }
    return { text: out, truncated };
  }
}
