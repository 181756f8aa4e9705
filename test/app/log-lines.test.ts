import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShop } from '../support/app-harness.js';
import type { FakeGitHub, FakeRepo } from '../support/fake-github.js';
import { DEV_PROD_APPROVALS } from '../support/policies.js';
import { appProcessEnv, exitOf, freePort, startAppProcess, waitForStatus } from '../support/processes.js';
import type { Started } from '../support/processes.js';
import { protectionRuleRequested, sendWebhook } from '../support/webhooks.js';
import type { RepoContext } from '../support/webhooks.js';

const SECRET = 'log-lines-secret';

/** The keys of every object in a JSON text that appear more than once in that object. */
function repeatedKeys(text: string): string[] {
  const repeated: string[] = [];
  const stack: Array<Set<string> | null> = [];
  let i = 0;
  const readString = (): string => {
    let out = '';
    for (i++; text[i] !== '"'; i++) {
      if (text[i] === '\\') i++;
      out += text[i];
    }
    i++;
    return out;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    if (c === '"') {
      const s = readString();
      let j = i;
      while (text[j] === ' ') j++;
      const keys = stack.at(-1);
      if (text[j] === ':' && keys) {
        if (keys.has(s)) repeated.push(s);
        keys.add(s);
      }
      continue;
    }
    i++;
  }
  return repeated;
}

async function occupy(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('what the App writes, started as `npm start` starts it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-log-lines-'));
  let github: FakeGitHub;
  let repo: FakeRepo;
  let ctx: RepoContext;

  beforeAll(async () => {
    ({ github, repo, ctx } = await startShop(DEV_PROD_APPROVALS));
  });

  afterAll(async () => {
    await github?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('JSON lines never repeat a key (name included), down to the debug lines of a delivery', async () => {
    expect(repeatedKeys('{"name":"a","x":{"name":"b"},"name":"c"}')).toEqual(['name']);
    const port = await freePort();
    const app = startAppProcess(
      dir,
      appProcessEnv(github.host, SECRET, { PORT: String(port), LOG_FORMAT: 'json', LOG_LEVEL: 'debug' }),
    );
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, app), app.output()).not.toBeNull();
      repo.pendingRules.add('31/development');
      const delivery = protectionRuleRequested(ctx, {
        id: 31,
        runId: 31,
        sha: 'd'.repeat(40),
        ref: 'main',
        environment: 'development',
        creator: 'dev',
        createdAt: '2026-03-10T15:00:00Z',
      });
      expect(await sendWebhook(`http://127.0.0.1:${port}`, SECRET, delivery)).toBe(200);
      for (let waited = 0; !repo.answers.some((a) => a.runId === 31) && waited < 15_000; waited += 50)
        await new Promise((r) => setTimeout(r, 50));
      expect(repo.answers.filter((a) => a.runId === 31)).toMatchObject([{ state: 'approved' }]);
    } finally {
      await app.stop();
    }
    const lines = app
      .stdout()
      .split('\n')
      .filter((l) => l !== '');
    // Probot's own loggers (probot, server, event, github, octokit) each add a name.
    const named = lines.map((l) => JSON.parse(l) as { name?: string }).filter((l) => l.name !== undefined);
    expect(named.length).toBeGreaterThan(0);
    expect(lines.filter((l) => repeatedKeys(l).length > 0)).toEqual([]);
  });

  it('a busy port stops the start with one JSON line saying which port and what to do', async () => {
    const { server, port } = await occupy();
    try {
      const app = startAppProcess(
        dir,
        appProcessEnv(github.host, SECRET, { PORT: String(port), LOG_FORMAT: 'json', LOG_LEVEL: 'warn' }),
      );
      expect(await exitOf(app.child)).toEqual({ code: 1, signal: null });
      const lines = app.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        level: 'fatal',
        msg: `Release Gate cannot start: port ${port} on 127.0.0.1 is already in use (EADDRINUSE). Stop what listens there, or set PORT to a free port.`,
      });
    } finally {
      server.close();
    }
  });

  it('a busy port in the pretty format is one line too, without a stack trace', async () => {
    const { server, port } = await occupy();
    try {
      const app = startAppProcess(dir, appProcessEnv(github.host, SECRET, { PORT: String(port) }));
      expect(await exitOf(app.child)).toEqual({ code: 1, signal: null });
      expect(app.output().replace(/^\[[^\]]+\] INFO .*\n/gm, '')).toBe(
        `Release Gate cannot start: port ${port} on 127.0.0.1 is already in use (EADDRINUSE). Stop what listens there, or set PORT to a free port.\n`,
      );
    } finally {
      server.close();
    }
  });

  it('the registration page on a busy port says so in one line', async () => {
    const { server, port } = await occupy();
    try {
      const app = startAppProcess(dir, { PORT: String(port), HOST: '127.0.0.1', LOG_FORMAT: 'json' });
      expect(await exitOf(app.child)).toEqual({ code: 1, signal: null });
      const lines = app.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        level: 'fatal',
        msg: `Release Gate cannot start: port ${port} on 127.0.0.1 is already in use (EADDRINUSE). Stop what listens there, or set PORT to a free port.`,
      });
    } finally {
      server.close();
    }
  });

  it('with LOG_LEVEL=warn the registration page still says where to open it', async () => {
    const port = await freePort();
    const app: Started = startAppProcess(dir, {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    });
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/`, 200, app), app.output()).not.toBeNull();
      const lines = app
        .output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { msg: string });
      expect(lines.map((l) => l.msg)).toEqual([
        `Release Gate is not registered on GitHub yet (no APP_ID). Open http://127.0.0.1:${port}/ in a browser to register it from app.yml, or set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET.`,
      ]);
    } finally {
      await app.stop();
    }
  });

  it('the pretty log starts every line with the local date and time', async () => {
    const port = await freePort();
    const app = startAppProcess(dir, appProcessEnv(github.host, SECRET, { PORT: String(port) }));
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, app), app.output()).not.toBeNull();
    } finally {
      await app.stop();
    }
    // A line's fields follow it, indented.
    const lines = app
      .stdout()
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('    '));
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] (INFO|WARN) /);
    expect(lines.some((l) => l.includes(`Release Gate is listening on http://127.0.0.1:${port}`))).toBe(true);
  });
});
