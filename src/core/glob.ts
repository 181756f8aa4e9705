/**
 * Glob patterns for refs (`refs/tags/v*`) and changed files (`prisma/**`, `src/auth/**`).
 *
 * - `*` matches any run of characters except `/`;
 * - `**` matches any run of characters including `/` (and `dir/**` matches `dir` itself);
 * - `?` matches one character except `/`;
 * - `{a,b}` matches either alternative;
 * - `[abc]`, `[a-z]`, `[!abc]` match one character of (or not of) a class.
 * Everything else matches itself. Matching is case-sensitive, as git refs and paths are.
 *
 * Matching runs in time linear in the value for a given pattern (a set of pattern positions
 * is carried along the value, as a Thompson NFA does), never by backtracking: a pattern
 * of twelve stars against a 40-character ref is as quick as one star. A regular
 * expression (ours before, or picomatch's) takes minutes on that pattern.
 */

/** How one position of a compiled pattern reads the value. */
type Step =
  | { kind: 'char'; c: string }
  | { kind: 'one' }
  | { kind: 'class'; test: (c: string) => boolean }
  /** `*`: stays on any character but `/`, or moves on without reading. */
  | { kind: 'star' }
  /** `**`: stays on any character, or moves on without reading. */
  | { kind: 'globstar' }
  /** `**` then `/`: moves on without reading, or reads any characters up to and including a `/`. */
  | { kind: 'dirs' }
  /** `/**` at the end: matches nothing, or a `/` and anything after it. */
  | { kind: 'below' };

/** A compiled pattern: one sequence of steps per brace alternative. */
interface Compiled {
  alternatives: Step[][];
}

/** Brace alternatives expanded from one pattern at most (`{a,b}{c,d}` is 4). */
const MAX_ALTERNATIVES = 1024;

const cache = new Map<string, Compiled>();

/** True when `value` matches `pattern`. */
export function matchGlob(pattern: string, value: string): boolean {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    compiled = { alternatives: expandBraces(pattern).map(compile) };
    if (cache.size > 2000) cache.clear();
    cache.set(pattern, compiled);
  }
  return compiled.alternatives.some((steps) => run(steps, value));
}

/** True when `value` matches any of `patterns`. */
export function matchAnyGlob(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => matchGlob(p, value));
}

/** `a{b,c}d` -> `abd`, `acd`; nested braces too. Unclosed braces are literal. At most {@link MAX_ALTERNATIVES}. */
function expandBraces(pattern: string): string[] {
  const open = findBrace(pattern);
  if (open === null) return [pattern];
  const { start, end, parts } = open;
  const out: string[] = [];
  const head = pattern.slice(0, start);
  const tails = expandBraces(pattern.slice(end + 1));
  for (const part of parts) {
    for (const mid of expandBraces(part)) {
      for (const tail of tails) {
        out.push(head + mid + tail);
        if (out.length > MAX_ALTERNATIVES)
          throw new RangeError(
            `the pattern "${pattern.slice(0, 80)}" expands to more than ${MAX_ALTERNATIVES} alternatives`,
          );
      }
    }
  }
  return out;
}

/** The first top-level `{...}` with its comma-separated parts (outside `[...]`), or null. */
function findBrace(p: string): { start: number; end: number; parts: string[] } | null {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '[') {
      const close = p.indexOf(']', i + 2);
      if (close > i) i = close;
      continue;
    }
    if (p[i] !== '{') continue;
    let depth = 0;
    const parts: string[] = [];
    let from = i + 1;
    for (let j = i; j < p.length; j++) {
      const c = p[j];
      if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) {
          parts.push(p.slice(from, j));
          return { start: i, end: j, parts };
        }
      } else if (c === ',' && depth === 1) {
        parts.push(p.slice(from, j));
        from = j + 1;
      }
    }
    // An unclosed brace reads as the alternatives up to the end (as a regex group closed at the end would).
    parts.push(p.slice(from));
    return { start: i, end: p.length - 1, parts };
  }
  return null;
}

function compile(pattern: string): Step[] {
  const steps: Step[] = [];
  const chars = [...pattern];
  let i = 0;
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === '*') {
      if (chars[i + 1] === '*') {
        const atSegmentStart = i === 0 || chars[i - 1] === '/';
        if (atSegmentStart && chars[i + 2] === '/') {
          steps.push({ kind: 'dirs' });
          i += 3;
          continue;
        }
        if (atSegmentStart && i + 2 === chars.length && i > 0) {
          // `dir/**`: the directory itself and everything below it.
          steps.pop();
          steps.push({ kind: 'below' });
          i += 2;
          continue;
        }
        while (chars[i] === '*') i++;
        steps.push({ kind: 'globstar' });
        continue;
      }
      // Stars in a row are one star.
      if (steps.at(-1)?.kind !== 'star') steps.push({ kind: 'star' });
      i += 1;
      continue;
    }
    if (c === '?') {
      steps.push({ kind: 'one' });
      i += 1;
      continue;
    }
    if (c === '[') {
      const close = chars.indexOf(']', i + 2);
      if (close > i) {
        steps.push({ kind: 'class', test: classTest(chars.slice(i + 1, close)) });
        i = close + 1;
        continue;
      }
    }
    steps.push({ kind: 'char', c });
    i += 1;
  }
  return steps;
}

function classTest(body: string[]): (c: string) => boolean {
  let negate = false;
  if (body[0] === '!' || body[0] === '^') {
    negate = true;
    body = body.slice(1);
  }
  const singles = new Set<string>();
  const ranges: Array<[number, number]> = [];
  for (let k = 0; k < body.length; k++) {
    const a = body[k]!;
    if (body[k + 1] === '-' && k + 2 < body.length) {
      ranges.push([a.codePointAt(0)!, body[k + 2]!.codePointAt(0)!]);
      k += 2;
    } else {
      singles.add(a);
    }
  }
  const inClass = (c: string): boolean => {
    if (singles.has(c)) return true;
    const cp = c.codePointAt(0)!;
    return ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
  };
  // A class never matches `/` (as `*` does not cross directories).
  return negate ? (c) => c !== '/' && !inClass(c) : (c) => c !== '/' && inClass(c);
}

/** Simulates the pattern on the value: O(value length x pattern length). */
function run(steps: Step[], value: string): boolean {
  const m = steps.length;
  // `on[k]`: the pattern is at step k; `inside[k]`: inside the characters a `dirs` or `below` step reads.
  let on = new Uint8Array(m + 1);
  let inside = new Uint8Array(m + 1);
  let nextOn = new Uint8Array(m + 1);
  let nextInside = new Uint8Array(m + 1);
  const close = (set: Uint8Array): void => {
    // Steps that move on without reading.
    for (let k = 0; k < m; k++) {
      if (!set[k]) continue;
      const kind = steps[k]!.kind;
      if (kind === 'star' || kind === 'globstar' || kind === 'dirs' || kind === 'below') set[k + 1] = 1;
    }
  };
  on[0] = 1;
  close(on);
  for (const c of value) {
    nextOn.fill(0);
    nextInside.fill(0);
    let any = false;
    for (let k = 0; k < m; k++) {
      const step = steps[k]!;
      if (inside[k]) {
        // In `dirs`: any characters, then a `/` moves on. In `below`: anything, to the end.
        if (step.kind === 'dirs') {
          nextInside[k] = 1;
          if (c === '/') nextOn[k + 1] = 1;
        } else {
          nextInside[k] = 1;
          nextOn[k + 1] = 1;
        }
        any = true;
      }
      if (!on[k]) continue;
      switch (step.kind) {
        case 'char':
          if (c === step.c) nextOn[k + 1] = 1;
          break;
        case 'one':
          if (c !== '/') nextOn[k + 1] = 1;
          break;
        case 'class':
          if (step.test(c)) nextOn[k + 1] = 1;
          break;
        case 'star':
          if (c !== '/') nextOn[k] = 1;
          break;
        case 'globstar':
          nextOn[k] = 1;
          break;
        case 'dirs':
          nextInside[k] = 1;
          if (c === '/') nextOn[k + 1] = 1;
          break;
        case 'below':
          if (c === '/') {
            nextInside[k] = 1;
            nextOn[k + 1] = 1;
          }
          break;
      }
      any = true;
    }
    if (!any) return false;
    close(nextOn);
    [on, nextOn] = [nextOn, on];
    [inside, nextInside] = [nextInside, inside];
  }
  return on[m] === 1;
}
