import { mkdtempSync, rmSync } from 'node:fs';
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

const SECRET = 'logs-test-secret';

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${l.slice(0, 300)}`);
      }
    });
}

describe("the App's log with LOG_FORMAT=json", () => {
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-logs-'));
  let github: FakeGitHub;
  let repo: FakeRepo;
  let ctx: RepoContext;
  let app: Started;
  let url: string;

  beforeAll(async () => {
    ({ github, repo, ctx } = await startShop(DEV_PROD_APPROVALS));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    app = startAppProcess(
      dir,
      appProcessEnv(github.host, SECRET, { PORT: String(port), LOG_FORMAT: 'json', LOG_LEVEL: 'info' }),
    );
    expect(await waitForStatus(`${url}/health/ready`, 200, app), app.output()).not.toBeNull();
  });

  afterAll(async () => {
    await app?.stop();
    await github?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one JSON object per line from the first line on, migrations and startup included', () => {
    const lines = jsonLines(app.output());
    expect(
      lines.every((l) => typeof l.level === 'string' && typeof l.time === 'number' && typeof l.msg === 'string'),
    ).toBe(true);
    expect(lines[0]!.msg).toMatch(/^Database file:\.\/data\/release-gate\.db: applied migrations 0001_init/);
    expect(lines.some((l) => String(l.msg).startsWith(`Release Gate is listening on ${url}`))).toBe(true);
  });

  it('every line a webhook writes carries its delivery id', async () => {
    const before = app.output().length;
    repo.pendingRules.add('7/development');
    const delivery = protectionRuleRequested(ctx, {
      id: 3,
      runId: 7,
      sha: 'b'.repeat(40),
      ref: 'main',
      environment: 'development',
      creator: 'dev',
      createdAt: '2026-03-10T15:00:00Z',
    });
    expect(await sendWebhook(url, SECRET, delivery)).toBe(200);
    // The inbox acknowledged at once; the answer and the check run follow.
    for (
      let waited = 0;
      (repo.answers.length === 0 || !repo.checkRuns.some((c) => c.head_sha === 'b'.repeat(40))) && waited < 15_000;
      waited += 50
    )
      await new Promise((r) => setTimeout(r, 50));
    expect(repo.answers).toMatchObject([{ runId: 7, state: 'approved' }]);
    const lines = jsonLines(app.output().slice(before));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.id ?? line.deliveryId, JSON.stringify(line)).toBe(delivery.id);
  });

  it('a delivery with a bad or missing signature is one WARN line with its id, event and size, never the payload', async () => {
    const junk = 'x'.repeat(1024 * 1024);
    for (const [id, signature] of [
      ['forged-1', `sha256=${'0'.repeat(64)}`],
      ['unsigned-1', null],
    ] as const) {
      const before = app.output().length;
      const res = await fetch(`${url}/api/github/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'deployment',
          'x-github-delivery': id,
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
        body: junk,
      });
      expect(res.status).toBe(400);
      await new Promise((r) => setTimeout(r, 100));
      const written = app.output().slice(before);
      expect(written.length).toBeLessThan(400);
      const lines = jsonLines(written);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'warn', deliveryId: id, event: 'deployment', size: junk.length });
      expect(lines[0]!.msg).toBe(
        signature
          ? 'Webhook refused: the signature does not match WEBHOOK_SECRET'
          : 'Webhook refused: no X-Hub-Signature-256 header',
      );
    }
  });

  it('LOG_LEVEL=warn leaves out the info lines', async () => {
    const port = await freePort();
    const quiet = startAppProcess(
      dir,
      appProcessEnv(github.host, SECRET, { PORT: String(port), LOG_FORMAT: 'json', LOG_LEVEL: 'warn' }),
    );
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, quiet), quiet.output()).not.toBeNull();
      expect(quiet.output()).toBe('');
      await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'q1' },
        body: '{}',
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(jsonLines(quiet.output()).map((l) => l.level)).toEqual(['warn']);
    } finally {
      await quiet.stop();
    }
  });

  it('a bad LOG_FORMAT stops the start with what to set, as JSON when asked for JSON', async () => {
    const bad = startAppProcess(dir, { LOG_FORMAT: 'xml' });
    expect(await exitOf(bad.child)).toEqual({ code: 1, signal: null });
    expect(bad.output()).toBe(
      'Release Gate cannot start:\n  - LOG_FORMAT must be json (one JSON object per line) or pretty, not "xml".\n',
    );
    const missing = startAppProcess(dir, { LOG_FORMAT: 'json', NODE_ENV: 'production' });
    expect(await exitOf(missing.child)).toEqual({ code: 1, signal: null });
    const [line] = jsonLines(missing.output());
    expect(line).toMatchObject({ level: 'fatal', msg: 'Release Gate cannot start:' });
    expect(line!.problems).toContain(
      'APP_ID is not set: use the "App ID" number from the GitHub App\'s settings page.',
    );
  });
});
