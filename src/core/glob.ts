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
 *
 * The common shapes are answered without simulation (`refs/tags/v*` is a prefix and no
 * `/` after it, `prisma/**` a directory and what is below it, a literal an equality), and
 * a pattern of up to 30 positions carries its set of positions as the bits of one integer,
 * so a match costs a few integer operations per character and allocates nothing: the gate
 * matches every changed file of a release against every `requiredReviewers` pattern.
 */

/** How one position of a compiled pattern reads the value. */
type Step =
  | { kind: 'char'; c: number }
  | { kind: 'one' }
  | { kind: 'class'; test: (c: number) => boolean }
  /** `*`: stays on any character but `/`, or moves on without reading. */
  | { kind: 'star' }
  /** `**`: stays on any character, or moves on without reading. */
  | { kind: 'globstar' }
  /** `**` then `/`: moves on without reading, or reads any characters up to and including a `/`. */
  | { kind: 'dirs' }
  /** `/**` at the end: matches nothing, or a `/` and anything after it. */
  | { kind: 'below' };

/** One brace alternative, compiled to the cheapest matcher its shape allows. */
type Matcher = (value: string) => boolean;

/** Brace alternatives expanded from one pattern at most (`{a,b}{c,d}` is 4). */
const MAX_ALTERNATIVES = 1024;
/** Patterns with more positions than this are simulated with arrays instead of the bits of one integer. */
const MAX_BIT_STEPS = 30;
const SLASH = 0x2f;

const cache = new Map<string, Matcher[]>();

function compiled(pattern: string): Matcher[] {
  let matchers = cache.get(pattern);
  if (matchers === undefined) {
    matchers = expandBraces(pattern).map((alternative) => matcherFor(compile(alternative)));
    if (cache.size > 2000) cache.clear();
    cache.set(pattern, matchers);
  }
  return matchers;
}

/** True when `value` matches `pattern`. */
export function matchGlob(pattern: string, value: string): boolean {
  const matchers = compiled(pattern);
  for (let i = 0; i < matchers.length; i++) if (matchers[i]!(value)) return true;
  return false;
}

/** True when `value` matches any of `patterns`. */
export function matchAnyGlob(patterns: readonly string[], value: string): boolean {
  for (let i = 0; i < patterns.length; i++) if (matchGlob(patterns[i]!, value)) return true;
  return false;
}

/**
 * `matchGlob` by the plain simulation alone (one array of positions, no shortcut): the
 * reference the faster matchers are tested against.
 */
export function matchGlobBySimulation(pattern: string, value: string): boolean {
  return expandBraces(pattern).some((alternative) => arraySimulation(compile(alternative))(value));
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
    steps.push({ kind: 'char', c: c.codePointAt(0)! });
    i += 1;
  }
  return steps;
}

function classTest(body: string[]): (c: number) => boolean {
  let negate = false;
  if (body[0] === '!' || body[0] === '^') {
    negate = true;
    body = body.slice(1);
  }
  const singles = new Set<number>();
  const ranges: Array<[number, number]> = [];
  for (let k = 0; k < body.length; k++) {
    const a = body[k]!.codePointAt(0)!;
    if (body[k + 1] === '-' && k + 2 < body.length) {
      ranges.push([a, body[k + 2]!.codePointAt(0)!]);
      k += 2;
    } else {
      singles.add(a);
    }
  }
  const inClass = (cp: number): boolean => singles.has(cp) || ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
  // A class never matches `/` (as `*` does not cross directories).
  return negate ? (c) => c !== SLASH && !inClass(c) : (c) => c !== SLASH && inClass(c);
}

/** The text of steps that are all plain characters, or null. */
function literal(steps: readonly Step[]): string | null {
  let text = '';
  for (const step of steps) {
    if (step.kind !== 'char') return null;
    text += String.fromCodePoint(step.c);
  }
  return text;
}

/** The matcher for one alternative: a shortcut for the common shapes, else a simulation. */
function matcherFor(steps: Step[]): Matcher {
  const last = steps.at(-1);
  const whole = literal(steps);
  if (whole !== null) return (value) => value === whole;
  const prefix = last === undefined ? null : literal(steps.slice(0, -1));
  if (prefix !== null && last?.kind === 'below') {
    // `dir/**`: the directory itself, or a `/` right after it.
    return (value) =>
      value.startsWith(prefix) && (value.length === prefix.length || value.charCodeAt(prefix.length) === SLASH);
  }
  if (prefix !== null && last?.kind === 'star') {
    // `refs/tags/v*`: the prefix, then anything without a `/`.
    return (value) => value.startsWith(prefix) && value.indexOf('/', prefix.length) === -1;
  }
  if (prefix !== null && last?.kind === 'globstar') return (value) => value.startsWith(prefix);
  return steps.length <= MAX_BIT_STEPS ? bitSimulation(steps) : arraySimulation(steps);
}

/** Whether step `step` reads code point `c` and moves on. */
function advances(step: Step, c: number): boolean {
  switch (step.kind) {
    case 'char':
      return step.c === c;
    case 'one':
      return c !== SLASH;
    case 'class':
      return step.test(c);
    default:
      return false;
  }
}

/**
 * The position set as the bits of one integer (bit k: the pattern is at step k), as in the
 * shift-and algorithm; a second integer holds the `dirs` and `below` steps reading inside
 * their characters. O(value length) integer operations.
 */
function bitSimulation(steps: Step[]): Matcher {
  const m = steps.length;
  const bit = (kind: Step['kind']): number =>
    steps.reduce((mask, step, k) => (step.kind === kind ? mask | (1 << k) : mask), 0);
  const star = bit('star');
  const globstar = bit('globstar');
  const dirs = bit('dirs');
  const below = bit('below');
  /** Steps that move on without reading. */
  const skip = star | globstar | dirs | below;
  const advanceMask = (c: number): number =>
    steps.reduce((mask, step, k) => (advances(step, c) ? mask | (1 << k) : mask), 0);
  const ascii = Int32Array.from({ length: 128 }, (_, c) => advanceMask(c));
  const closure = (set: number): number => {
    let grown = set | ((set & skip) << 1);
    while (grown !== set) {
      set = grown;
      grown = set | ((set & skip) << 1);
    }
    return set;
  };
  const startSet = closure(1);
  const accept = 1 << m;
  return (value) => {
    let on = startSet;
    let inside = 0;
    for (let i = 0; i < value.length; i++) {
      let c = value.charCodeAt(i);
      let advance: number;
      if (c < 128) advance = ascii[c]!;
      else {
        c = value.codePointAt(i)!;
        if (c > 0xffff) i++;
        advance = advanceMask(c);
      }
      let nextOn: number;
      let nextInside = (on & dirs) | (inside & (dirs | below));
      if (c === SLASH) {
        nextOn = ((on & advance) << 1) | (on & globstar) | (((on | inside) & (dirs | below)) << 1);
        nextInside |= on & below;
      } else {
        nextOn = ((on & advance) << 1) | (on & (star | globstar)) | ((inside & below) << 1);
      }
      if ((nextOn | nextInside) === 0) return false;
      on = nextOn & skip ? closure(nextOn) : nextOn;
      inside = nextInside;
    }
    return (on & accept) !== 0;
  };
}

/** The position set as arrays, for patterns longer than an integer has bits: O(value length x pattern length). */
function arraySimulation(steps: Step[]): Matcher {
  const m = steps.length;
  const close = (set: Uint8Array): void => {
    // Steps that move on without reading.
    for (let k = 0; k < m; k++) {
      if (!set[k]) continue;
      const kind = steps[k]!.kind;
      if (kind === 'star' || kind === 'globstar' || kind === 'dirs' || kind === 'below') set[k + 1] = 1;
    }
  };
  return (value) => {
    // `on[k]`: the pattern is at step k; `inside[k]`: inside the characters a `dirs` or `below` step reads.
    let on = new Uint8Array(m + 1);
    let inside = new Uint8Array(m + 1);
    let nextOn = new Uint8Array(m + 1);
    let nextInside = new Uint8Array(m + 1);
    on[0] = 1;
    close(on);
    for (const char of value) {
      const c = char.codePointAt(0)!;
      nextOn.fill(0);
      nextInside.fill(0);
      let any = false;
      for (let k = 0; k < m; k++) {
        const step = steps[k]!;
        if (inside[k]) {
          // In `dirs`: any characters, then a `/` moves on. In `below`: anything, to the end.
          nextInside[k] = 1;
          if (step.kind !== 'dirs' || c === SLASH) nextOn[k + 1] = 1;
          any = true;
        }
        if (!on[k]) continue;
        any = true;
        switch (step.kind) {
          case 'star':
            if (c !== SLASH) nextOn[k] = 1;
            break;
          case 'globstar':
            nextOn[k] = 1;
            break;
          case 'dirs':
            nextInside[k] = 1;
            if (c === SLASH) nextOn[k + 1] = 1;
            break;
          case 'below':
            if (c === SLASH) {
              nextInside[k] = 1;
              nextOn[k + 1] = 1;
            }
            break;
          default:
            if (advances(step, c)) nextOn[k + 1] = 1;
        }
      }
      if (!any) return false;
      close(nextOn);
      [on, nextOn] = [nextOn, on];
      [inside, nextInside] = [nextInside, inside];
    }
    return on[m] === 1;
  };
}
