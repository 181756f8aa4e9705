import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShop } from '../support/app-harness.js';
import type { FakeGitHub, FakeRepo } from '../support/fake-github.js';
import { DEV_PROD_APPROVALS } from '../support/policies.js';
import { ROOT, appProcessEnv, freePort, npm, startProcess, waitForStatus } from '../support/processes.js';
import type { Started } from '../support/processes.js';
import { protectionRuleRequested, sendWebhook } from '../support/webhooks.js';

/**
 * The runtime tree the Dockerfile builds, built the same way without Docker: `npm pack`
 * (which runs `prepare`), the tarball unpacked into an empty folder with the lockfile,
 * `npm ci --omit=dev --ignore-scripts`, then the App started from the package's own bin.
 */

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

describe('the packed package, installed with production dependencies only', () => {
  const work = mkdtempSync(join(tmpdir(), 'release-gate-pack-'));
  const app = join(work, 'app');
  let files: string[] = [];
  let github: FakeGitHub;
  let repo: FakeRepo;
  let running: Started | null = null;

  beforeAll(() => {
    const packed = npm(['pack', '--json', '--pack-destination', work], ROOT, 240_000);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    files = info!.files.map((f) => f.path);
    mkdirSync(app);
    const tar = spawnSync('tar', ['-xzf', join(work, info!.filename), '-C', app, '--strip-components=1'], {
      encoding: 'utf8',
    });
    expect(tar.status, tar.stderr).toBe(0);
    copyFileSync(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
    npm(['pkg', 'delete', 'devDependencies'], app);
    npm(['install', '--package-lock-only', '--ignore-scripts', '--prefer-offline'], app);
    npm(['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline'], app, 240_000);
  }, 480_000);

  afterAll(async () => {
    await running?.stop();
    await github?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('holds the bins, app.yml, LICENSE, the migrations and the build, and no sources or tests', () => {
    for (const bin of Object.values(pkg.bin)) expect(files).toContain(bin);
    expect(Object.keys(pkg.bin).sort()).toEqual(['release-gate', 'release-gate-app']);
    for (const f of [
      'app.yml',
      'LICENSE',
      'README.md',
      'package.json',
      'policy.schema.json',
      'dist/app/start.js',
      'dist/cli/main.js',
    ])
      expect(files).toContain(f);
    expect(files.some((f) => f.startsWith('prisma/sqlite/migrations/') && f.endsWith('migration.sql'))).toBe(true);
    expect(files.some((f) => f.startsWith('prisma/postgresql/migrations/') && f.endsWith('migration.sql'))).toBe(true);
    expect(
      files.filter(
        (f) =>
          f.startsWith('src/') ||
          f.startsWith('test/') ||
          f.startsWith('.env') ||
          f.endsWith('.pem') ||
          f.endsWith('.db'),
      ),
    ).toEqual([]);
  });

  it("installs every runtime dependency, at the lockfile's versions, and none of the build or test tools", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    for (const dep of Object.keys(pkg.dependencies)) {
      const installed = JSON.parse(readFileSync(join(app, 'node_modules', dep, 'package.json'), 'utf8')) as {
        version: string;
      };
      expect(installed.version, dep).toBe(lock.packages[`node_modules/${dep}`]!.version);
    }
    const installed = new Set(
      readdirSync(join(app, 'node_modules')).flatMap((d) =>
        d.startsWith('@') ? readdirSync(join(app, 'node_modules', d)).map((s) => `${d}/${s}`) : [d],
      ),
    );
    // Tools only the build and the tests use (some runtime packages need @types/node, @libsql/client
    // or Octokit's plugins themselves, so those may be there).
    const tools = [
      'prisma',
      'typescript',
      'tsx',
      'vitest',
      'eslint',
      'esbuild',
      'nock',
      'node',
      '@actions/core',
      '@actions/github',
      '@octokit/openapi',
      '@octokit/webhooks-examples',
      'ajv-formats',
      'date-fns-tz',
    ];
    expect(tools.filter((t) => installed.has(t))).toEqual([]);
  });

  it('the CLI runs from the installed tree', () => {
    const out = spawnSync(
      process.execPath,
      [join(app, pkg.bin['release-gate']!), 'validate', '--policy', join(work, 'policy.yml')],
      { cwd: app, encoding: 'utf8', input: '' },
    );
    expect(out.stderr).toContain('policy.yml');
    expect(out.status).toBe(1);
    const ok = spawnSync(
      process.execPath,
      [
        join(app, pkg.bin['release-gate']!),
        'evaluate',
        '--env',
        'DEV',
        '--policy',
        join(ROOT, 'examples/policies/quickstart.yml'),
        '--at',
        '2026-03-10T15:00:00Z',
      ],
      { cwd: app, encoding: 'utf8' },
    );
    expect(ok.stdout.split('\n')[0]).toBe('DEV: ALLOW: the release may go on');
    expect(ok.status).toBe(0);
    // setup (Octokit from probot) and db copy (@libsql/client, pg) load their modules from the tree.
    const setup = spawnSync(
      process.execPath,
      [
        join(app, pkg.bin['release-gate']!),
        'setup',
        '--repo',
        'acme/shop',
        '--token',
        't',
        '--api-url',
        'http://127.0.0.1:9',
        '--policy',
        join(ROOT, 'examples/policies/quickstart.yml'),
      ],
      { cwd: app, encoding: 'utf8' },
    );
    expect(setup.stdout).toContain('  FAILED  -  cannot list the environments of acme/shop');
    expect(setup.status).toBe(2);
    const copy = spawnSync(
      process.execPath,
      [
        join(app, pkg.bin['release-gate']!),
        'db',
        'copy',
        '--from',
        `file:${join(work, 'none.db')}`,
        '--to',
        'postgresql://127.0.0.1:9/x',
      ],
      { cwd: app, encoding: 'utf8' },
    );
    expect(copy.stderr).toBe(`release-gate db: copy: no SQLite file at ${join(work, 'none.db')}.\n`);
  });

  it('release-gate-app starts on a new SQLite file, is ready, and decides a signed webhook', async () => {
    const shop = await startShop(DEV_PROD_APPROVALS);
    ({ github, repo } = shop);
    const { ctx } = shop;
    const port = await freePort();
    const secret = 'packed-app-secret';
    running = startProcess(process.execPath, [pkg.bin['release-gate-app']!], {
      cwd: app,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: work,
        ...appProcessEnv(github.host, secret, {
          NODE_ENV: 'production',
          PORT: String(port),
          DATABASE_URL: `file:${join(work, 'data', 'release-gate.db')}`,
        }),
      },
    });
    const ready = await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, running);
    expect(ready, `not ready; the App wrote:\n${running.output()}`).not.toBeNull();
    expect(await ready!.json()).toMatchObject({ status: 'ok', database: 'up' });
    expect(existsSync(join(work, 'data', 'release-gate.db'))).toBe(true);

    repo.pendingRules.add('31/production');
    const status = await sendWebhook(
      `http://127.0.0.1:${port}`,
      secret,
      protectionRuleRequested(ctx, {
        id: 9,
        runId: 31,
        sha: 'a'.repeat(40),
        ref: 'v1.0.0',
        environment: 'production',
        creator: 'dev',
        createdAt: '2026-03-10T15:00:00Z',
      }),
    );
    expect(status).toBe(200);
    // PROD needs an approval and the previous stage: GitHub is told to wait (no answer yet)
    // or to reject; either way a check run names the rules and nothing is approved.
    // The check run is written after the answer (the audit never delays it): wait for it.
    for (
      let waited = 0;
      !repo.checkRuns.some((c) => c.name === 'Release gate / PROD') && waited < 15_000;
      waited += 100
    )
      await new Promise((r) => setTimeout(r, 100));
    const run = repo.checkRuns.find((c) => c.name === 'Release gate / PROD');
    expect(run, running.output()).toBeDefined();
    expect(repo.answers.filter((a) => a.state === 'approved')).toEqual([]);
    expect(JSON.stringify(run!.output)).toContain('APPROVAL_REQUIRED');
    expect(github.violations).toEqual([]);
  }, 60_000);
});
