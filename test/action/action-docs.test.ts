import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { END, START, renderActionDocs, updateReadme } from '../../scripts/action-docs.js';
import { ROOT } from './helpers.js';

describe("the README's Action section", () => {
  it('is what action.yml renders (run npm run docs:action after changing action.yml)', async () => {
    const [actionYml, readme] = await Promise.all([
      readFile(join(ROOT, 'action.yml'), 'utf8'),
      readFile(join(ROOT, 'README.md'), 'utf8'),
    ]);
    const section = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim();
    expect(section).toBe(renderActionDocs(actionYml).trim());
  });

  it('names every input and output of action.yml, with its default', async () => {
    const actionYml = await readFile(join(ROOT, 'action.yml'), 'utf8');
    const doc = parse(actionYml) as { inputs: Record<string, { default?: string }>; outputs: Record<string, unknown> };
    const docs = renderActionDocs(actionYml);
    expect(Object.keys(doc.inputs)).toEqual([
      'environment',
      'policy',
      'junit',
      'coverage',
      'sarif',
      'checklist',
      'evidence-url',
      'rollback-plan',
      'backup',
      'migrations',
      'mode',
      'token',
      'check-name',
      'github-retries',
    ]);
    expect(Object.keys(doc.outputs)).toEqual(['decision', 'score', 'breakdown', 'blocked-by', 'clears-at']);
    for (const name of [...Object.keys(doc.inputs), ...Object.keys(doc.outputs)])
      expect(docs).toContain(`| \`${name}\` |`);
    expect(docs).toContain('| `mode` | no | `enforce` |');
    expect(docs).toContain('| `check-name` | no | `Release evidence` |');
    expect(docs).toContain('| `environment` | yes |  |');
  });

  it('changes when an input changes, and is replaced only between the markers', () => {
    const before = 'name: x\ninputs:\n  a:\n    description: one\n    default: "1"\n';
    const after = before.replace('one', 'two | three');
    const readme = `# Title\n\nText.\n\n${START}\n${renderActionDocs(before)}\n${END}\n\nAfter.\n`;
    const updated = updateReadme(readme, renderActionDocs(after));
    expect(updated).not.toBe(readme);
    expect(updated).toContain('| `a` | no | `1` | two \\| three |');
    expect(updated.startsWith('# Title\n\nText.\n\n')).toBe(true);
    expect(updated.endsWith(`${END}\n\nAfter.\n`)).toBe(true);
    expect(updateReadme('# Title\n', 'DOCS')).toBe(`# Title\n\n## The Action\n\n${START}\nDOCS\n${END}\n`);
  });
});
