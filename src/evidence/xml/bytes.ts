/** Byte values and byte-range helpers of the XML tokenizer. */

export const LT = 0x3c;
export const GT = 0x3e;
export const SLASH = 0x2f;
export const QMARK = 0x3f;
export const BANG = 0x21;
export const EQ = 0x3d;
export const DQ = 0x22;
export const SQ = 0x27;
export const NL = 0x0a;
export const DASH = 0x2d;

export const EMPTY = Buffer.alloc(0);

/**
 * Byte classes inside an attribute value: 0 ordinary, 1 a character XML forbids,
 * 2 '<', 3 '&', 4 a quote, 5 0xEF (may start U+FFFE/U+FFFF), 6 another non-ASCII byte.
 */
export const VALUE_CLASS = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) if (c !== 0x09 && c !== 0x0a && c !== 0x0d) VALUE_CLASS[c] = 1;
VALUE_CLASS[LT] = 2;
VALUE_CLASS[0x26] = 3;
VALUE_CLASS[DQ] = 4;
VALUE_CLASS[SQ] = 4;
for (let c = 0x80; c < 0x100; c++) VALUE_CLASS[c] = 6;
VALUE_CLASS[0xef] = 5;

/** 1 where a name ends: whitespace, '/', '>', '='. */
export const NAME_END = new Uint8Array(256);
for (const c of [0x20, 0x0a, 0x0d, 0x09, SLASH, GT, EQ]) NAME_END[c] = 1;

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function isAscii(b: Buffer, s: number, e: number): boolean {
  for (let k = s; k < e; k++) if (b[k]! >= 0x80) return false;
  return true;
}

/** Whether b[s1, e1) and b[s2, e2) hold the same bytes. */
export function sameBytes(b: Buffer, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let k = 0; k < e1 - s1; k++) if (b[s1 + k] !== b[s2 + k]) return false;
  return true;
}

/** Whether b[s, e) holds exactly the characters of `str` (compared as single bytes). */
export function sameAscii(b: Buffer, s: number, e: number, str: string): boolean {
  if (e - s !== str.length) return false;
  for (let k = 0; k < str.length; k++) {
    const c = str.charCodeAt(k);
    if (c >= 0x80 || b[s + k] !== c) return false;
  }
  return true;
}
