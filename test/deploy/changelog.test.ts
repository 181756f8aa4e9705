import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGELOG_HEADER, releaseNotes, releaseSection, withSection } from '../../scripts/changelog.js';
import { ROOT } from '../support/processes.js';

/** Each commit a minute after the one before, on 2026-11-30, so their order is the order made. */
let minute = 0;
const git = (cwd: string, ...args: string[]) => {
  const at = `2026-11-30T12:${String(minute++).padStart(2, '0')}:00Z`;
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_COMMITTER_DATE: at, GIT_AUTHOR_DATE: at },
  }).trim();
};

describe('the changelog, written from the commits between version tags', () => {
  let repo: string;
  const sha: Record<string, string> = {};

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'rg-changelog-'));
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'config', 'user.email', 'dev@example.com');
    git(repo, 'config', 'user.name', 'dev');
    const commit = (message: string) => {
      git(repo, 'commit', '-q', '--allow-empty', '-m', message);
      sha[message.split(':')[0]!] = git(repo, 'rev-parse', '--short', 'HEAD');
    };
    commit('one: the first feature');
    commit('two: a fix');
    git(repo, 'tag', 'v0.1.0');
    git(repo, 'tag', 'not-a-version');
    commit('three: the gate answers sooner');
    git(repo, 'checkout', '-q', '-b', 'topic');
    commit('four: a branch of work,\n\nwith a body that is not listed');
    git(repo, 'checkout', '-q', 'main');
    git(repo, 'merge', '-q', '--no-ff', '-m', 'Merge topic', 'topic');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it("a release's section: the commits since the previous version tag, newest first, without merges", () => {
    expect(releaseSection(repo, { version: '0.2.0' })).toBe(
      [
        '## [0.2.0] - 2026-11-30',
        '',
        'Since v0.1.0.',
        '',
        `- four: a branch of work, (${sha.four})`,
        `- three: the gate answers sooner (${sha.three})`,
        '',
      ].join('\n'),
    );
    expect(releaseSection(repo, { version: '0.1.0', to: 'v0.1.0' })).toBe(
      [
        '## [0.1.0] - 2026-11-30',
        '',
        'The first release.',
        '',
        `- two: a fix (${sha.two})`,
        `- one: the first feature (${sha.one})`,
        '',
      ].join('\n'),
    );
  });

  it('goes on top of CHANGELOG.md, replacing the section of the same version; the notes are the section', () => {
    const first = withSection(null, releaseSection(repo, { version: '0.1.0', to: 'v0.1.0' }));
    expect(first.startsWith(CHANGELOG_HEADER)).toBe(true);
    const second = withSection(first, releaseSection(repo, { version: '0.2.0' }));
    expect([...second.matchAll(/^## \[([^\]]+)\]/gm)].map((m) => m[1])).toEqual(['0.2.0', '0.1.0']);
    const again = withSection(second, releaseSection(repo, { version: '0.2.0' }));
    expect(again).toBe(second);
    expect(releaseNotes(second, '0.2.0')).toBe(
      `Since v0.1.0.\n\n- four: a branch of work, (${sha.four})\n- three: the gate answers sooner (${sha.three})`,
    );
    expect(releaseNotes(second, '9.9.9')).toBeNull();
  });

  it('npm run changelog writes it, and --notes prints a section or says which is missing', () => {
    const tsx = join(ROOT, 'node_modules/.bin/tsx');
    const script = join(ROOT, 'scripts/changelog.ts');
    writeFileSync(join(repo, 'package.json'), JSON.stringify({ version: '0.2.0' }));
    const write = spawnSync(tsx, [script, '--cwd', repo, '--write'], { encoding: 'utf8' });
    expect(write.stdout).toBe('CHANGELOG.md: wrote the section of 0.2.0\n');
    expect(readFileSync(join(repo, 'CHANGELOG.md'), 'utf8')).toContain(
      `- three: the gate answers sooner (${sha.three})`,
    );
    const notes = spawnSync(tsx, [script, '--cwd', repo, '--notes', 'v0.2.0'], { encoding: 'utf8' });
    expect(notes.stdout.split('\n')[0]).toBe('Since v0.1.0.');
    const missing = spawnSync(tsx, [script, '--cwd', repo, '--notes', '0.3.0'], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      'changelog: CHANGELOG.md has no section for 0.3.0: run npm run changelog -- --version 0.3.0 --write\n',
    );
  });

  it("CHANGELOG.md has the current version's section", () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
    expect(changelog.startsWith(CHANGELOG_HEADER)).toBe(true);
    const notes = releaseNotes(changelog, version);
    expect(notes).not.toBeNull();
    expect(notes!.split('\n').filter((l) => /^- .+ \([0-9a-f]{7,}\)$/.test(l)).length).toBeGreaterThan(10);
  });
});
