/**
 * Near-miss suggestions for misspelt keys and values (`minAprovals` -> `minApprovals`).
 */

/** Optimal-string-alignment Damerau-Levenshtein distance (a swap of two neighbours costs 1). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  for (let i = 0; i < rows; i++) d[i]![0] = i;
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `word` (case-insensitive Damerau-Levenshtein), or undefined when
 * none is close enough. A candidate is close enough when at most a third of the longer
 * word's letters (at least one) must change; ties go to the earlier candidate.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    if (Math.abs(c.length - w.length) >= bestDistance) continue;
    const limit = Math.max(1, Math.floor(Math.max(w.length, c.length) / 3));
    const distance = editDistance(w, c);
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Letters of other scripts that look like Latin ones (Cyrillic, Greek), and digits that look
 * like letters: enough to tell `prоd` (with a Cyrillic о) from `prod` at a glance, which is
 * what matters for a name a person reads in a deployment list.
 */
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  в: 'b',
  с: 'c',
  ԁ: 'd',
  е: 'e',
  ё: 'e',
  һ: 'h',
  н: 'h',
  і: 'i',
  ї: 'i',
  ј: 'j',
  к: 'k',
  м: 'm',
  о: 'o',
  р: 'p',
  ԛ: 'q',
  ѕ: 's',
  т: 't',
  у: 'y',
  х: 'x',
  ԝ: 'w',
  ү: 'y',
  ɡ: 'g',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  '0': 'o',
  '1': 'l',
  ı: 'i',
};

/**
 * The form of a name that look-alikes share: NFKC (full-width and compatibility forms),
 * lower case, look-alike letters mapped to Latin, and spaces, separators and invisible
 * characters dropped. `Prod`, `ｐｒｏｄ`, `prоd` (Cyrillic) and ` pro-d ` all give `prod`.
 */
export function nameSkeleton(name: string): string {
  let out = '';
  for (const ch of name.normalize('NFKC').toLowerCase()) {
    if (/[\s\p{Cf}\-_.]/u.test(ch)) continue;
    out += CONFUSABLES[ch] ?? ch;
  }
  return out;
}

/**
 * Whether `name` looks like `target` without being equal to it as GitHub compares names
 * (case-insensitively): the same skeleton, or a skeleton one edit away (two for names of six
 * letters or more), such as `PRDO`, `production `, `prоd` or `stagign` for `staging`.
 */
export function resemblesName(name: string, target: string): boolean {
  if (name.toLowerCase() === target.toLowerCase()) return false;
  const a = nameSkeleton(name);
  const b = nameSkeleton(target);
  if (a === '' || b === '') return false;
  if (a === b) return true;
  const limit = b.length >= 6 ? 2 : b.length >= 3 ? 1 : 0;
  if (limit === 0 || Math.abs(a.length - b.length) > limit) return false;
  return editDistance(a, b) <= limit;
}
