import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const security = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8');
/** Every promise: `### <letter><number> <title>`, in the order of the page. */
const anchors = [...security.matchAll(/^### ([A-Z]\d+) (.+)$/gm)].map((m) => ({ id: m[1]!, title: m[2]! }));
const sections = [...security.matchAll(/^## (.+)$/gm)].map((m) => m[1]!);

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? testFiles(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

/** Anchor -> the test files that cite it (`SECURITY.md T7`). */
function citations(): Map<string, string[]> {
  const cited = new Map<string, string[]>();
  for (const file of testFiles(join(ROOT, 'test'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/SECURITY\.md ([A-Z]\d+)/g))
      cited.set(m[1]!, [...(cited.get(m[1]!) ?? []), file]);
  }
  return cited;
}

describe('SECURITY.md', () => {
  it('states the invariant first, then who can do what, then what the gate trusts', () => {
    expect(sections.slice(0, 3)).toEqual(['The invariant', 'Who can do what', 'What the gate trusts, and why']);
    expect(anchors[0]).toEqual({ id: 'I1', title: "A stage is proven only by the gate's own word" });
  });

  it('numbers the promises of each section from 1, in order, without gaps or reuse (T1 to T13 at least)', () => {
    const byLetter = new Map<string, number[]>();
    for (const a of anchors) {
      const letter = a.id[0]!;
      byLetter.set(letter, [...(byLetter.get(letter) ?? []), Number(a.id.slice(1))]);
    }
    for (const [letter, numbers] of byLetter)
      expect(numbers, `the ${letter} anchors`).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
    expect(byLetter.get('T')!.length).toBeGreaterThanOrEqual(13);
  });

  it('has a test for every promise, and every paragraph a test cites exists', () => {
    const cited = citations();
    const ids = new Set(anchors.map((a) => a.id));
    for (const a of anchors) expect(cited.get(a.id), `no test cites SECURITY.md ${a.id} (${a.title})`).toBeDefined();
    for (const id of cited.keys()) expect(ids.has(id), `${id} is cited by a test but not in SECURITY.md`).toBe(true);
  });

  it('says how to report a vulnerability, and the README links it', () => {
    expect(security).toContain('private security advisory');
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toMatch(/\]\(SECURITY\.md\)/);
  });
});
