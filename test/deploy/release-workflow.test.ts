import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../support/processes.js';

/**
 * The release workflow, tested where it can be without GitHub: the YAML, the tag pattern
 * (GitHub's filter pattern syntax), least permissions, actions pinned to commits whose
 * action.yml (test/fixtures/actions) declares every input given, references between steps,
 * jobs and outputs, and the shell of its steps run here against a git repository.
 */

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: { push: { tags: string[] } };
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

const FILE = join(ROOT, '.github/workflows/release.yml');
const TEXT = readFileSync(FILE, 'utf8');
const WORKFLOW = parse(TEXT) as Workflow;
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  repository: { url: string };
};

/** GitHub's filter pattern (`*`, `**`, `+`, `?`, `[...]`) as a regular expression over the whole name. */
function filterPattern(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        out += '.*';
        i++;
      } else out += '[^/]*';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i);
      out += pattern.slice(i, end + 1);
      i = end;
    } else if (c === '+' || c === '?') out += c;
    else out += c.replace(/[.^$(){}|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

const tagMatches = (tag: string) => WORKFLOW.on.push.tags.some((p) => filterPattern(p).test(tag));

function step(job: string, name: string): Step {
  const found = WORKFLOW.jobs[job]!.steps.find((s) => s.name === name);
  expect(found, `${job}: a step named "${name}"`).toBeDefined();
  return found!;
}

/** Runs a step's script the way GitHub Actions runs `run:` (bash -eo pipefail), with `env`. */
function runStep(script: string, cwd: string, env: Record<string, string>) {
  const file = join(cwd, '.step.sh');
  writeFileSync(file, script);
  return spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', ...env },
  });
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

describe('.github/workflows/release.yml', () => {
  const dirs: string[] = [];
  const temp = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `rg-release-${name}-`));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('runs on version tags, pre-releases included, and on nothing else', () => {
    for (const tag of ['v0.1.0', 'v1.2.3', 'v10.20.30', 'v1.2.3-rc.1', 'v2.0.0-beta'])
      expect(tagMatches(tag), tag).toBe(true);
    for (const tag of ['v1', 'v1.2', '1.2.3', 'v1.2.3.4', 'release-1.2.3', 'v1.x.0', 'vv1.2.3'])
      expect(tagMatches(tag), tag).toBe(false);
    expect(Object.keys(WORKFLOW.on)).toEqual(['push']);
    expect(Object.keys(WORKFLOW.on.push)).toEqual(['tags']);
  });

  it('publishes under the names package.json gives: the repository, the image, the npm package', () => {
    const repo = /github\.com\/([\w.-]+\/[\w.-]+?)(\.git)?$/.exec(PACKAGE.repository.url)![1]!;
    expect(repo).toBe('release-gate/release-gate');
    expect(WORKFLOW.env.IMAGE).toBe(`ghcr.io/${repo}`);
    expect(PACKAGE.name).toBe('release-gate');
    // The names used across the repository are the same, and no placeholder is left.
    for (const file of [
      'README.md',
      'Dockerfile',
      'app.yml',
      'scripts/action-docs.ts',
      'examples/.github/workflows/release.yml',
    ])
      expect(readFileSync(join(ROOT, file), 'utf8'), file).not.toMatch(/<owner>\/release-gate/);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`uses: ${repo}@v1`);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toContain(
      `org.opencontainers.image.source="https://github.com/${repo}"`,
    );
  });

  it('gives each job only the permissions it needs', () => {
    expect(WORKFLOW.permissions).toEqual({});
    expect(Object.fromEntries(Object.entries(WORKFLOW.jobs).map(([name, job]) => [name, job.permissions]))).toEqual({
      check: { contents: 'read' },
      image: { contents: 'read', packages: 'write', 'id-token': 'write', attestations: 'write' },
      npm: { contents: 'read', 'id-token': 'write' },
      release: { contents: 'write' },
    });
  });

  it('pins every action to a commit, whose action.yml declares every input given', () => {
    const lines = TEXT.split('\n');
    for (const [name, job] of Object.entries(WORKFLOW.jobs))
      for (const s of job.steps.filter((x) => x.uses)) {
        const m = /^([\w.-]+)\/([\w.-]+)@([0-9a-f]{40})$/.exec(s.uses!);
        expect(m, `${name}: ${s.uses} is pinned to a commit`).not.toBeNull();
        expect(
          lines.find((l) => l.includes(s.uses!)),
          'with its version in a comment',
        ).toMatch(/ # v\d+\.\d+\.\d+$/);
        const actionYml = join(ROOT, 'test/fixtures/actions', m![1]!, m![2]!, m![3]!, 'action.yml');
        expect(existsSync(actionYml), `${s.uses}: test/fixtures/actions holds its action.yml`).toBe(true);
        const inputs = Object.keys((parse(readFileSync(actionYml, 'utf8')) as { inputs?: object }).inputs ?? {});
        for (const key of Object.keys(s.with ?? {})) expect(inputs, `${name}: ${s.uses} input ${key}`).toContain(key);
      }
  });

  it('every reference to a step, a job or an output points at one that exists', () => {
    for (const [name, job] of Object.entries(WORKFLOW.jobs)) {
      const needs = [job.needs ?? []].flat();
      for (const need of needs) expect(Object.keys(WORKFLOW.jobs), `${name} needs ${need}`).toContain(need);
      const text = JSON.stringify(job);
      for (const m of text.matchAll(/needs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        expect(needs, `${name} uses needs.${m[1]} without needing it`).toContain(m[1]);
        expect(Object.keys(WORKFLOW.jobs[m[1]!]!.outputs ?? {}), `${m[1]} has output ${m[2]}`).toContain(m[2]);
      }
      for (const m of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        const target = job.steps.find((s) => s.id === m[1]);
        expect(target, `${name}: steps.${m[1]}`).toBeDefined();
        if (target!.run) expect(target!.run, `${m[1]} writes ${m[2]}`).toMatch(new RegExp(`echo "${m[2]}=`));
        else {
          const [, owner, repo, sha] = /^([\w.-]+)\/([\w.-]+)@(\w+)$/.exec(target!.uses!)!;
          const outputs = (
            parse(readFileSync(join(ROOT, 'test/fixtures/actions', owner!, repo!, sha!, 'action.yml'), 'utf8')) as {
              outputs: object;
            }
          ).outputs;
          expect(Object.keys(outputs), `${target!.uses} outputs ${m[2]}`).toContain(m[2]);
        }
      }
      // Expressions reach scripts through env, never pasted into them.
      for (const s of job.steps) expect(s.run ?? '', `${name}: ${s.name ?? s.uses}`).not.toMatch(/\$\{\{/);
    }
  });

  it('the version check passes on the package version with its CHANGELOG section, and stops otherwise', () => {
    const script = step('check', "The tag is the package's version, with its CHANGELOG section").run!;
    const dir = temp('version');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ version: '1.4.0' }));
    writeFileSync(join(dir, 'CHANGELOG.md'), '# Changelog\n\n## [1.4.0] - 2026-12-01\n\n- a change (abc1234)\n');
    const output = join(dir, 'github-output');
    const run = (tag: string) => {
      writeFileSync(output, '');
      const r = runStep(script, dir, { TAG: tag, GITHUB_OUTPUT: output });
      return { ...r, outputs: readFileSync(output, 'utf8') };
    };
    const ok = run('v1.4.0');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.outputs).toBe('version=1.4.0\nprerelease=false\n');
    const wrong = run('v1.5.0');
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toBe(
      "::error::tag v1.5.0 is not package.json's version 1.4.0: set the version (npm version 1.5.0 --no-git-tag-version), commit, and tag that commit\n",
    );
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ version: '1.5.0-rc.1' }));
    const missing = run('v1.5.0-rc.1');
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain('::error::CHANGELOG.md has no section for 1.5.0-rc.1');
    writeFileSync(join(dir, 'CHANGELOG.md'), '# Changelog\n\n## [1.5.0-rc.1] - 2026-12-02\n\n- b (def5678)\n');
    expect(run('v1.5.0-rc.1').outputs).toBe('version=1.5.0-rc.1\nprerelease=true\n');
  });

  it("moves the Action's major tag to the release, on the remote, and only for releases", () => {
    const moveStep = step('release', "Move the Action's major tag to this release");
    expect(moveStep.if).toBe("needs.check.outputs.prerelease == 'false'");
    const remote = temp('remote');
    git(remote, 'init', '-q', '--bare');
    const clone = temp('clone');
    git(clone, 'init', '-q', '-b', 'main');
    git(clone, 'config', 'user.email', 'ci@example.com');
    git(clone, 'config', 'user.name', 'ci');
    git(clone, 'remote', 'add', 'origin', remote);
    const release = (version: string) => {
      git(clone, 'commit', '-q', '--allow-empty', '-m', `release ${version}`);
      const sha = git(clone, 'rev-parse', 'HEAD');
      git(clone, 'tag', `v${version}`);
      git(clone, 'push', '-q', 'origin', 'main', `v${version}`);
      const r = runStep(moveStep.run!, clone, { TAG: `v${version}`, GITHUB_SHA: sha });
      expect(r.status, r.stderr).toBe(0);
      return sha;
    };
    const first = release('1.0.0');
    expect(git(remote, 'rev-parse', 'v1^{commit}')).toBe(first);
    const second = release('1.1.0');
    expect(git(remote, 'rev-parse', 'v1^{commit}')).toBe(second);
    expect(git(remote, 'rev-parse', 'v1.0.0^{commit}')).toBe(first);
    const third = release('2.0.0');
    expect(git(remote, 'rev-parse', 'v2^{commit}')).toBe(third);
    expect(git(remote, 'rev-parse', 'v1^{commit}')).toBe(second);
  });

  it("the GitHub release's notes are the version's CHANGELOG section", () => {
    const notes = step('release', 'The GitHub release, with the CHANGELOG section as its notes').run!;
    expect(notes).toContain('npm run -s changelog -- --notes "$VERSION"');
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.changelog).toBe(
      'tsx scripts/changelog.ts',
    );
  });
});
