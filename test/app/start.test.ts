import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_PRIVATE_KEY } from '../support/app-harness.js';

const ROOT = resolve(import.meta.dirname, '../..');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
}

describe('npm start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-start-'));
  let child: ChildProcess | null = null;
  let output = '';

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exitOf(child);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from a .env file on SQLite, says it is healthy with its migrations applied, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const database = join(dir, 'data', 'gate.db');
    writeFileSync(
      join(dir, '.env'),
      [
        'APP_ID=123456',
        `PRIVATE_KEY=${Buffer.from(TEST_PRIVATE_KEY).toString('base64')}`,
        'WEBHOOK_SECRET=start-test-secret',
        // A GitHub Enterprise host nobody answers on: starting must not need GitHub.
        'GHE_HOST=127.0.0.1:9',
        'GHE_PROTOCOL=http',
        `PORT=${port}`,
        'HOST=127.0.0.1',
        `DATABASE_URL=file:${database}`,
        'LOG_LEVEL=info',
        '',
      ].join('\n'),
    );
    // What bin/release-gate-app.js does, on the TypeScript sources (the bin runs the built dist/).
    const script = `import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/app/start.ts')).href)}).then((m) => m.start()).catch((e) => { console.error(e instanceof Error ? e.message : String(e)); process.exitCode = 1; });`;
    const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    child = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
      cwd: dir,
      // Only what Node needs: the App's settings come from the .env file.
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));

    const deadline = Date.now() + 40_000;
    let health: { status: string; database: string; migrations: { applied: number; expected: number } } | null = null;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        if (res.status === 200) {
          health = (await res.json()) as typeof health;
          break;
        }
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(health, `the App did not become healthy; its output:\n${output}`).toEqual({ status: 'ok', database: 'up', migrations: { applied: 4, expected: 4 } });
    expect(existsSync(database)).toBe(true);
    // Probot's webhook route is there and checks signatures.
    const unsigned = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': 'x' }, body: '{}' });
    expect(unsigned.status).toBe(400);

    child.kill('SIGTERM');
    const exit = await Promise.race([exitOf(child), new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
    expect(exit, `the App did not stop within 5 s of SIGTERM; its output:\n${output}`).toEqual({ code: 0, signal: null });
    expect(output).not.toContain(TEST_PRIVATE_KEY.split('\n')[1]!);
  }, 60_000);
});
