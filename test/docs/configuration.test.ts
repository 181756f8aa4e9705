import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes.js';

/**
 * The README's configuration reference and `.env.example` against the sources: every
 * environment variable the code reads is documented, and nothing documented is read by
 * nobody. Reads are found as `process.env.NAME`, `env.NAME`, `env['NAME']` and a helper
 * given the environment and a literal name (`positive(env, 'NAME', ...)`).
 */

const READS = [
  /\b(?:process\.env|env)\.([A-Z][A-Z0-9_]*)\b/g,
  /\b(?:process\.env|env)\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g,
  /\benv\s*,\s*['"]([A-Z][A-Z0-9_]*)['"]/g,
];
/**
 * Reads by a computed name: only in these files, where the names come as literals to a
 * helper (the last pattern above), the keys are the `.env` file's (start.ts), `env` is a
 * stage of the policy, not the process's environment (build.ts), or the names are those a
 * policy's `notify:` gives (channels.ts).
 */
const COMPUTED = /\benv\[(?!\s*['"])/;
const COMPUTED_ALLOWED = [
  'action/src/input-helper.ts',
  'src/app/start.ts',
  'src/console/config.ts',
  'src/core/policy/build.ts',
  // Notification channels: the variable names a policy's notify: gives (documented as such).
  'src/notify/channels.ts',
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : files(path);
    return /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

const SOURCES = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'bin')), ...files(join(ROOT, 'action/src'))];

/** Variable -> the source files (relative) that read it. */
function variablesRead(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const file of SOURCES) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of READS)
      for (const m of text.matchAll(pattern)) {
        const set = found.get(m[1]!) ?? new Set<string>();
        set.add(relative(ROOT, file));
        found.set(m[1]!, set);
      }
  }
  return found;
}

/** The variables named in the first column of the README's configuration reference. */
function documented(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Configuration reference');
  expect(start, 'README.md has a "Configuration reference" section').toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...l.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!));
}

describe('the configuration reference', () => {
  const read = variablesRead();

  it('finds the reads it knows of (the scanner works)', () => {
    expect(read.get('SESSION_TTL_HOURS')).toEqual(new Set(['src/console/config.ts']));
    expect(read.get('RELEASE_GATE_REPLICA_ID')).toEqual(new Set(['src/app/start.ts']));
    expect(read.size).toBeGreaterThan(25);
  });

  it('reads by a computed name only where the names are literals the scanner sees', () => {
    const computed = SOURCES.filter((f) => COMPUTED.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    expect(computed.sort()).toEqual(COMPUTED_ALLOWED);
  });

  it('documents every variable the code reads, and no variable nobody reads', () => {
    const table = documented();
    const missing = [...read.keys()].filter((v) => !table.includes(v)).map((v) => `${v} (${[...read.get(v)!].join(', ')})`);
    expect(missing, 'read by the code, missing from the README table').toEqual([]);
    expect(
      table.filter((v) => !read.has(v)),
      'in the README table, read by no code',
    ).toEqual([]);
    expect(new Set(table).size, 'each variable once').toBe(table.length);
  });

  it(".env.example names every variable of the App (not the CLI's or the Action's)", () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const named = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    const app = [...read.entries()]
      .filter(([, where]) => [...where].some((f) => f.startsWith('src/app/') || f.startsWith('src/console/')))
      .map(([v]) => v);
    expect(app.length).toBeGreaterThan(20);
    expect(app.filter((v) => !named.has(v))).toEqual([]);
  });
});
