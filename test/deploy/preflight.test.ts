import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes.js';
import { PG_URL } from '../store/targets.js';

/** `npm test` starts with scripts/test-preflight.mjs: what the suite needs from the machine. */
function preflight(env: Record<string, string>) {
  return spawnSync(process.execPath, [join(ROOT, 'scripts/test-preflight.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

describe("npm test's preflight", () => {
  it('is the first step of npm test, and the README says what it needs before the command', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test!.startsWith('node scripts/test-preflight.mjs && ')).toBe(true);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const command = readme.indexOf('npm test      # everything');
    for (const needed of [
      'apt-get install -y postgresql chromium prometheus',
      'TEST_DATABASE_URL',
      'CHROMIUM_PATH',
      'PROMTOOL',
    ])
      expect(readme.indexOf(needed), needed).toBeGreaterThan(0);
    expect(readme.indexOf('apt-get install -y postgresql chromium prometheus')).toBeLessThan(command);
  });

  it('passes quietly on a machine that has everything', () => {
    const run = preflight({ TEST_DATABASE_URL: PG_URL });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('says in one line each what cannot be had and how to get it, and fails', () => {
    const run = preflight({
      TEST_DATABASE_URL: 'postgresql://postgres:secret@127.0.0.1:1/test',
      CHROMIUM_PATH: '/nonexistent/chromium',
      PROMTOOL: '/nonexistent/promtool',
    });
    expect(run.status).toBe(1);
    expect(run.stderr.split('\n')).toEqual([
      'npm test: PostgreSQL is not reachable at postgresql://postgres:***@127.0.0.1:1/test (connect ECONNREFUSED 127.0.0.1:1): start it (Debian: apt-get install -y postgresql), or set TEST_DATABASE_URL to a server where the tests may create schemas',
      'npm test: no Chromium at /nonexistent/chromium: install it (Debian, as root: apt-get install -y chromium), or set CHROMIUM_PATH to its path',
      'npm test: no promtool at /nonexistent/promtool: install it (Debian, as root: apt-get install -y prometheus), or set PROMTOOL to its path',
      '',
    ]);
  });

  it('creates the test database when the server answers without it', async () => {
    const name = `rg_preflight_${Math.random().toString(36).slice(2, 8)}`;
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    try {
      const run = preflight({ TEST_DATABASE_URL: url.toString() });
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(`npm test: created the PostgreSQL test database "${name}" at ${url.toString()}\n`);
      expect(run.status).toBe(0);
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      await client.end();
    } finally {
      const admin = new URL(PG_URL);
      admin.pathname = '/postgres';
      const client = new pg.Client({ connectionString: admin.toString() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}"`);
      await client.end();
    }
  });

  it('.ci/run installs Chromium and Prometheus only when they are missing, then runs the README commands', () => {
    const script = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(script).toContain('\nnpm ci --no-audit --no-fund\n');
    expect(script).toMatch(/\nnpm test -- --reporter=default --reporter=json/);
    // The part before the install, with apt-get replaced by a stub that records what it was asked.
    const dir = mkdtempSync(join(tmpdir(), 'rg-ci-run-'));
    try {
      writeFileSync(join(dir, 'apt-get'), `#!/bin/sh\necho "apt-get $*" >> "${join(dir, 'calls')}"\n`);
      chmodSync(join(dir, 'apt-get'), 0o755);
      writeFileSync(
        join(dir, 'setup.sh'),
        script.slice(0, script.indexOf('\nnpm ci ')).replace('cd "$(dirname "$0")/.."', ''),
      );
      const run = (env: Record<string, string>) => {
        writeFileSync(join(dir, 'calls'), '');
        const r = spawnSync('bash', [join(dir, 'setup.sh')], {
          encoding: 'utf8',
          env: { PATH: `${dir}:${process.env.PATH ?? ''}`, ...env },
        });
        expect(r.status, r.stderr).toBe(0);
        return readFileSync(join(dir, 'calls'), 'utf8');
      };
      expect(run({ CHROMIUM_PATH: '/bin/sh', PROMTOOL: '/bin/sh' })).toBe('');
      expect(run({ CHROMIUM_PATH: '/nonexistent/chromium', PROMTOOL: '/bin/sh' })).toBe(
        'apt-get update\napt-get install -y --no-install-recommends chromium\n',
      );
      expect(run({ CHROMIUM_PATH: '/nonexistent/chromium', PROMTOOL: '/nonexistent/promtool' })).toBe(
        'apt-get update\napt-get install -y --no-install-recommends chromium prometheus\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
