import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const security = readFileSync(join(ROOT, 'SECURITY.md'), 'utf8');
const anchors = new Map([...security.matchAll(/^### (T\d+) (.+)$/gm)].map((m) => [m[1]!, m[2]!]));

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? testFiles(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

describe('SECURITY.md', () => {
  it('gives each promise a stable anchor, T1 to T13, in order', () => {
    expect([...anchors.keys()]).toEqual(Array.from({ length: 13 }, (_, i) => `T${i + 1}`));
  });

  it('every paragraph a test cites exists', () => {
    const cited = new Set<string>();
    for (const file of testFiles(join(ROOT, 'test'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/SECURITY\.md (T\d+)/g)) cited.add(m[1]!);
    }
    expect(cited.size).toBeGreaterThan(0);
    for (const t of cited) expect(anchors.has(t), `${t} is cited by a test but not in SECURITY.md`).toBe(true);
  });

  it('says how to report a vulnerability, and the README links it', () => {
    expect(security).toContain('private security advisory');
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toMatch(/\]\(SECURITY\.md\)/);
  });
});
