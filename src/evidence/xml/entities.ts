import { ParseError } from '../errors.js';

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ENTITY_RE = /&([^;&<\s]{0,40})(;?)/g;
/** Code points XML 1.0 forbids anywhere in a document. */
// eslint-disable-next-line no-control-regex
export const INVALID_CHAR_RE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

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

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * Whether every '&' in b[s, e) starts a predefined entity or a valid character reference,
 * checked on the bytes. False sends the value to {@link decodeEntities}, which names the error.
 */
export function plainReferences(b: Buffer, s: number, e: number): boolean {
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
