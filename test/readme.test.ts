import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/processes.js';

/**
 * Every fenced `sh` example of the README runs as shown and prints what it shows: lines
 * starting with `$ ` are commands (a line ending in `\` continues on the next), the other
 * lines are their output (stdout and stderr, in order). Examples that need GitHub or a
 * server are fenced `console` or `text` and are not run. `release-gate` is the built CLI,
 * as `npm install` puts it on PATH; commands run from the repository root, against the
 * example policies under examples/.
 */

interface Example {
  line: number;
  commands: string[];
  expected: string;
}

function examples(markdown: string): Example[] {
  const out: Example[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue;
    const start = i + 1;
    const body: string[] = [];
    for (i = start; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    const commands: string[] = [];
    const expected: string[] = [];
    for (let k = 0; k < body.length; k++) {
      if (!body[k]!.startsWith('$ ')) {
        expected.push(body[k]!);
        continue;
      }
      let command = body[k]!.slice(2);
      while (command.endsWith('\\') && k + 1 < body.length) command = `${command}\n${body[++k]!}`;
      commands.push(command);
    }
    out.push({ line: start, commands, expected: expected.map((l) => `${l}\n`).join('') });
  }
  return out;
}

describe('the README examples', () => {
  const bin = mkdtempSync(join(tmpdir(), 'release-gate-readme-'));
  const shim = join(bin, 'release-gate');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin/release-gate.js')}" "$@"\n`);
  chmodSync(shim, 0o755);
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  const found = examples(readFileSync(join(ROOT, 'README.md'), 'utf8'));

  it('has runnable examples, each with a command', () => {
    expect(found.length).toBeGreaterThanOrEqual(3);
    for (const e of found) expect(e.commands.length, `README.md line ${e.line}`).toBeGreaterThan(0);
  });

  for (const example of found) {
    it(`README.md line ${example.line}: ${example.commands[0]!.split('\n')[0]}`, () => {
      const script = `exec 2>&1\n${example.commands.join('\n')}\n`;
      const run = spawnSync('sh', ['-c', script], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: [bin, process.env.PATH ?? ''].join(delimiter), HOME: bin, TZ: 'UTC' },
        timeout: 30_000,
      });
      expect(run.stdout).toBe(example.expected);
    });
  }
});
