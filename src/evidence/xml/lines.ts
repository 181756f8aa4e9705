import { EMPTY, NL } from './bytes.js';

/**
 * Lines and columns of positions in the buffer being parsed. Newlines are counted once,
 * up to the furthest position asked for, so a position error costs nothing until it happens.
 */
export class LineCounter {
  private buf: Buffer = EMPTY;
  /** Absolute offset of buf[0]. */
  private absBase = 0;
  /** Newlines are counted up to buf[scanIdx]. */
  private scanIdx = 0;
  /** The first newline at or after scanIdx in buf: -1 none, -2 not searched yet. */
  private nextNl = -2;
  private lineCount = 1;
  private lastNlAbs = -1;

  /** Count in `b`, whose first byte is at `absBase`, from `counted` on. */
  setBuf(b: Buffer, absBase: number, counted: number): void {
    this.buf = b;
    this.absBase = absBase;
    this.scanIdx = counted;
    this.nextNl = -2;
  }

  /** Count up to `at`, then let go of the buffer: the next one starts at `at`. Returns that absolute offset. */
  release(at: number): number {
    this.advance(at);
    const abs = this.absBase + at;
    this.setBuf(EMPTY, abs, 0);
    return abs;
  }

  /** Count the newlines of the buffer before `at` (monotonic, so every byte is counted once). */
  advance(at: number): void {
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
  lineAt(at: number): number {
    this.advance(at);
    return this.lineCount;
  }

  position(at: number): { line: number; column: number } {
    if (at >= this.scanIdx) {
      this.advance(at);
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
}
