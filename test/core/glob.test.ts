import { describe, expect, it } from 'vitest';
import { matchGlob, matchGlobBySimulation } from '../../src/core/glob.js';

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATTERN_PARTS = ['a', 'b', '/', '*', '**', '**/', '/**', '?', '[ab]', '[!a]', '[a-c]', '{a,b/}', '.', 'é', '😀'];
const VALUE_PARTS = ['a', 'b', 'c', '/', '.', 'é', '😀'];

function pick<T>(next: () => number, list: readonly T[]): T {
  return list[Math.floor(next() * list.length)]!;
}

describe('glob matching shortcuts agree with the plain simulation', () => {
  it('on 20,000 random patterns and values, short and longer than 30 positions', () => {
    const next = random(20261207);
    const disagreements: string[] = [];
    for (let n = 0; n < 20_000; n++) {
      const parts = n % 10 === 0 ? 20 + Math.floor(next() * 20) : 1 + Math.floor(next() * 7);
      const pattern = Array.from({ length: parts }, () => pick(next, PATTERN_PARTS)).join('');
      const value = Array.from({ length: Math.floor(next() * 12) }, () => pick(next, VALUE_PARTS)).join('');
      if (matchGlob(pattern, value) !== matchGlobBySimulation(pattern, value))
        disagreements.push(`${pattern} ~ ${value}`);
    }
    expect(disagreements).toEqual([]);
  });

  it.each([
    ['src/auth/**', 'src/auth', true],
    ['src/auth/**', 'src/auth/login.ts', true],
    ['src/auth/**', 'src/authz/login.ts', false],
    ['refs/tags/v*', 'refs/tags/v', true],
    ['refs/tags/v*', 'refs/tags/v1/x', false],
    ['README.md', 'README.md', true],
    ['README.md', 'README.mdx', false],
    ['docs**', 'docs/a/b', true],
    [`${'a?'.repeat(20)}*`, `${'ab'.repeat(20)}/`, false],
    [`${'a?'.repeat(20)}*`, `${'ab'.repeat(20)}zz`, true],
  ])('%s against %s: %s', (pattern, value, want) => {
    expect(matchGlob(pattern, value)).toBe(want);
    expect(matchGlobBySimulation(pattern, value)).toBe(want);
  });
});
