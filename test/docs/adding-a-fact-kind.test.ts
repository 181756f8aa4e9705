import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes.js';

/**
 * docs/adding-a-fact-kind.md shows a new kind of fact as a diff against the repository. The
 * diff must still apply: when the fact tables move, the page is out of date and says so here.
 */

const DOC = readFileSync(join(ROOT, 'docs/adding-a-fact-kind.md'), 'utf8');

/** The bodies of the page's fenced blocks in a language. */
function blocks(language: string): string[] {
  return [...DOC.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!);
}

const [diff] = blocks('diff');
/** The files the diff touches (`diff --git a/X b/X`). */
const touched = [...(diff ?? '').matchAll(/^diff --git a\/(\S+) b\/\S+$/gm)].map((m) => m[1]!);

describe('docs/adding-a-fact-kind.md', () => {
  it('holds one diff, which applies to the repository as it is', () => {
    expect(blocks('diff')).toHaveLength(1);
    const dir = mkdtempSync(join(tmpdir(), 'fact-kind-doc-'));
    try {
      const patch = join(dir, 'worked-example.diff');
      writeFileSync(patch, diff!);
      const check = spawnSync('git', ['apply', '--check', patch], { cwd: ROOT, encoding: 'utf8' });
      expect(
        check.status,
        `The worked example no longer applies:\n${check.stderr}\nApply it on a branch, bring it up to date with the tables, and put the new diff and its --stat in the page.`,
      ).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('touches at most 4 source files, the tables it names among them, and lists them in its --stat', () => {
    const sources = touched.filter((f) => f.startsWith('src/') || f.startsWith('action/src/'));
    expect(sources.length).toBeLessThanOrEqual(4);
    expect(sources).toEqual(
      expect.arrayContaining(['src/core/fact-kinds.ts', 'src/github/facts.ts', 'action/src/ci-facts.ts']),
    );
    const stat = blocks('text').find((b) => /\d+ files? changed/.test(b)) ?? '';
    const listed = [...stat.matchAll(/^ (\S+)\s+\|/gm)].map((m) => m[1]!);
    expect(listed.sort()).toEqual([...touched].sort());
  });
});
