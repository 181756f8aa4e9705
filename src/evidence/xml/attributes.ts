import { EMPTY, sameAscii, sameBytes } from './bytes.js';
import { decodeEntities } from './entities.js';

/** Attributes per tag checked for duplicates by a linear scan; beyond, with a Set. */
const LINEAR_DUPLICATES = 16;
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const next = new Int32Array(a.length * 2);
  next.set(a);
  return next;
}

/**
 * The attributes of the start tag being read, as ranges of one buffer: name, name hash,
 * value, flags (1 non-ASCII, 2 '&'). Names and values become strings only when someone
 * asks for one.
 */
export class TagAttributes {
  count = 0;
  nameStart = new Int32Array(16);
  nameEnd = new Int32Array(16);
  hash = new Int32Array(16);
  start = new Int32Array(16);
  end = new Int32Array(16);
  flags = new Uint8Array(16);
  buf: Buffer = EMPTY;
  private set: Set<string> | null = null;

  /** Start the attributes of a new tag read from `b`. */
  reset(b: Buffer): void {
    this.count = 0;
    this.set = null;
    this.buf = b;
  }

  /** Let go of the buffer. */
  release(): void {
    this.buf = EMPTY;
  }

  name(k: number): string {
    return this.buf.toString('utf8', this.nameStart[k], this.nameEnd[k]);
  }

  value(k: number): string {
    const b = this.buf;
    const flags = this.flags[k]!;
    const v = b.toString(flags & 1 ? 'utf8' : 'latin1', this.start[k], this.end[k]);
    return flags & 2 ? decodeEntities(v) : v;
  }

  /** Record an attribute; false when the tag already has one of that name. */
  push(b: Buffer, ns: number, ne: number, hash: number, vs: number, ve: number, flags: number): boolean {
    const k = this.count;
    if (k < LINEAR_DUPLICATES) {
      const hashes = this.hash;
      for (let j = 0; j < k; j++) {
        if (hashes[j] === hash && sameBytes(b, this.nameStart[j]!, this.nameEnd[j]!, ns, ne)) return false;
      }
    } else {
      if (this.set === null) {
        this.set = new Set<string>();
        for (let j = 0; j < k; j++) this.set.add(this.name(j));
      }
      const name = b.toString('utf8', ns, ne);
      if (this.set.has(name)) return false;
      this.set.add(name);
    }
    if (k === this.start.length) {
      this.nameStart = grow(this.nameStart);
      this.nameEnd = grow(this.nameEnd);
      this.hash = grow(this.hash);
      this.start = grow(this.start);
      this.end = grow(this.end);
      const f = new Uint8Array(this.flags.length * 2);
      f.set(this.flags);
      this.flags = f;
    }
    this.nameStart[k] = ns;
    this.nameEnd[k] = ne;
    this.hash[k] = hash;
    this.start[k] = vs;
    this.end[k] = ve;
    this.flags[k] = flags;
    this.count = k + 1;
    return true;
  }

  /** The index of the attribute named `name`, or -1. */
  find(name: string): number {
    const count = this.count;
    if (count === 0) return -1;
    let hash = 0;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c >= 0x80) {
        for (let k = 0; k < count; k++) if (this.name(k) === name) return k;
        return -1;
      }
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    const b = this.buf;
    const hashes = this.hash;
    for (let k = 0; k < count; k++) {
      if (hashes[k] === hash && sameAscii(b, this.nameStart[k]!, this.nameEnd[k]!, name)) return k;
    }
    return -1;
  }

  /**
   * The value of attribute `k` written as plain decimal digits with at most one '.' (up to
   * 15 digits), as a number equal to `Number(value)`, read without making a string; -2
   * when written any other way.
   */
  decimal(k: number): number {
    const b = this.buf;
    const s = this.start[k]!;
    const e = this.end[k]!;
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
}
