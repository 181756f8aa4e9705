import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_PRIVATE_KEY } from '../support/app-identity.js';
import { MIGRATIONS } from '../support/migrations.js';
import { exitOf, freePort, startAppProcess, waitForStatus } from '../support/processes.js';
import type { Started } from '../support/processes.js';

describe('npm start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-start-'));
  let app: Started | null = null;

  afterAll(async () => {
    const child = app?.child;
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
    // What bin/release-gate-app.js does, on the TypeScript sources (the bin runs the built dist/);
    // only what Node needs: the App's settings come from the .env file.
    app = startAppProcess(dir, {});
    const { child } = app;
    const res = await waitForStatus(`http://127.0.0.1:${port}/health`, 200, app);
    const health = res
      ? ((await res.json()) as { status: string; database: string; migrations: { applied: number; expected: number } })
      : null;
    const output = () => app!.output();
    expect(health, `the App did not become healthy; its output:\n${output()}`).toEqual({
      status: 'ok',
      database: 'up',
      migrations: { applied: MIGRATIONS.length, expected: MIGRATIONS.length },
    });
    expect(existsSync(database)).toBe(true);
    // Probot's webhook route is there and checks signatures.
    const unsigned = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': 'x' },
      body: '{}',
    });
    expect(unsigned.status).toBe(400);

    child.kill('SIGTERM');
    const exit = await Promise.race([exitOf(child), new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
    expect(exit, `the App did not stop within 5 s of SIGTERM; its output:\n${output()}`).toEqual({
      code: 0,
      signal: null,
    });
    expect(output()).not.toContain(TEST_PRIVATE_KEY.split('\n')[1]!);
  }, 60_000);
});
