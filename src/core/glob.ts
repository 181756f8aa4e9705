/**
 * Glob patterns for refs (`refs/tags/v*`) and changed files (`prisma/**`, `src/auth/**`).
 *
 * - `*` matches any run of characters except `/`;
 * - `**` matches any run of characters including `/` (and `dir/**` matches `dir` itself);
 * - `?` matches one character except `/`;
 * - `{a,b}` matches either alternative;
 * - `[abc]`, `[a-z]`, `[!abc]` match one character of (or not of) a class.
 * Everything else matches itself. Matching is case-sensitive, as git refs and paths are.
 */

const cache = new Map<string, RegExp>();

/** Compile a glob into an anchored regular expression (cached). */
export function globToRegExp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const re = new RegExp(`^${translate(pattern)}$`, 'u');
  if (cache.size > 2000) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** True when `value` matches `pattern`. */
export function matchGlob(pattern: string, value: string): boolean {
  return globToRegExp(pattern).test(value);
}

/** True when `value` matches any of `patterns`. */
export function matchAnyGlob(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => matchGlob(p, value));
}

function translate(pattern: string): string {
  let out = '';
  let i = 0;
  let braceDepth = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const atSegmentStart = i === 0 || pattern[i - 1] === '/';
        const followedBySlash = pattern[i + 2] === '/';
        if (atSegmentStart && followedBySlash) {
          // `**/` : zero or more whole directories.
          out += '(?:[^/]*(?:/|$))*';
          i += 3;
          continue;
        }
        if (atSegmentStart && i + 2 === pattern.length && i > 0) {
          // `dir/**` : the directory itself and everything below it.
          out = out.replace(/\\\/$|\/$/, '');
          out += '(?:/.*)?';
          i += 2;
          continue;
        }
        out += '.*';
        i += 2;
        continue;
      }
      out += '[^/]*';
      i += 1;
      continue;
    }
    if (c === '?') {
      out += '[^/]';
      i += 1;
      continue;
    }
    if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close > i) {
        let body = pattern.slice(i + 1, close);
        let negate = false;
        if (body.startsWith('!') || body.startsWith('^')) {
          negate = true;
          body = body.slice(1);
        }
        body = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
        out += negate ? `[^/${body}]` : `[${body}]`;
        i = close + 1;
        continue;
      }
    }
    if (c === '{') {
      braceDepth += 1;
      out += '(?:';
      i += 1;
      continue;
    }
    if (c === '}' && braceDepth > 0) {
      braceDepth -= 1;
      out += ')';
      i += 1;
      continue;
    }
    if (c === ',' && braceDepth > 0) {
      out += '|';
      i += 1;
      continue;
    }
    out += c.replace(/[.+^${}()|[\]\\/]/g, (m) => `\\${m}`);
    i += 1;
  }
  while (braceDepth-- > 0) out += ')';
  return out;
}
