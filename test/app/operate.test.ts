import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@libsql/client';
import { AppConfigError, readAppConfig } from '../../src/app/config.js';
import { TEST_PRIVATE_KEY, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';

function problems(env: NodeJS.ProcessEnv, cwd = '/'): string[] {
  try {
    readAppConfig(env, cwd);
  } catch (error) {
    if (error instanceof AppConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('startup configuration', () => {
  it('says what is missing and how to fix it', () => {
    expect(problems({})).toEqual([
      'APP_ID is not set: use the "App ID" number from the GitHub App\'s settings page.',
      'No private key: set PRIVATE_KEY (the PEM text, or base64 of it) or PRIVATE_KEY_PATH (the .pem file from "Generate a private key" on the GitHub App\'s settings page).',
      'WEBHOOK_SECRET is not set: use the same "Webhook secret" as in the GitHub App\'s settings, so the App can check that deliveries come from GitHub.',
    ]);
  });

  it('refuses a bad key without printing it, and an unreadable key file', () => {
    const secretKey =
      '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----';
    const p = problems({ APP_ID: '12', PRIVATE_KEY: secretKey, WEBHOOK_SECRET: 's' });
    expect(p).toEqual([
      'PRIVATE_KEY is not a PEM private key (it must start with "-----BEGIN RSA PRIVATE KEY-----" or "-----BEGIN PRIVATE KEY-----"). Use the .pem file GitHub generated, unchanged, or its base64.',
    ]);
    expect(p.join('\n')).not.toContain('MIIBOgIBAAJBAKj34');
    expect(problems({ APP_ID: '12', PRIVATE_KEY_PATH: 'missing.pem', WEBHOOK_SECRET: 's' }, '/nonexistent')).toEqual([
      "PRIVATE_KEY_PATH points at missing.pem, which cannot be read (ENOENT). Give the path of the .pem file downloaded from the GitHub App's settings page.",
    ]);
    expect(problems({ APP_ID: 'x1', PRIVATE_KEY: TEST_PRIVATE_KEY, WEBHOOK_SECRET: 'development' })).toEqual([
      'APP_ID must be the App\'s numeric id (like 123456), not "x1".',
      'WEBHOOK_SECRET is Probot\'s placeholder "development": set the App\'s real webhook secret.',
    ]);
  });

  it('reads a key from a file, a base64 key, and GitHub Enterprise settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-key-'));
    try {
      writeFileSync(join(dir, 'app.pem'), TEST_PRIVATE_KEY);
      const fromFile = readAppConfig(
        {
          APP_ID: '7',
          PRIVATE_KEY_PATH: 'app.pem',
          WEBHOOK_SECRET: 's',
          GHE_HOST: '127.0.0.1:9999',
          GHE_PROTOCOL: 'http',
        },
        dir,
      );
      expect(fromFile.baseUrl).toBe('http://127.0.0.1:9999/api/v3');
      expect(fromFile.appId).toBe(7);
      const b64 = readAppConfig(
        { APP_ID: '7', PRIVATE_KEY: Buffer.from(TEST_PRIVATE_KEY).toString('base64'), WEBHOOK_SECRET: 's' },
        dir,
      );
      expect(b64.privateKey).toBe(TEST_PRIVATE_KEY);
      expect(b64.baseUrl).toBe('https://api.github.com');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('health and metrics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: 'version: 1\nenvironments:\n  - name: DEV\n    github: development\n' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('/health reports the database and its migrations', async () => {
    const res = await fetch(`${h.app.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      database: string;
      migrations: { applied: number; expected: number };
    };
    expect(body.status).toBe('ok');
    expect(body.database).toBe('up');
    expect(body.migrations.applied).toBe(body.migrations.expected);
  });

  it('/health/ready is /health; /health/live answers without the database', async () => {
    const ready = await fetch(`${h.app.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual(await (await fetch(`${h.app.url}/health`)).json());
    const live = await fetch(`${h.app.url}/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
  });

  it('/metrics has no rate-limit sample before any GitHub response (0 would read as exhausted)', async () => {
    const text = await (await fetch(`${h.app.url}/metrics`)).text();
    expect(h.github.requestCount).toBe(0);
    expect(text).not.toContain('release_gate_github_rate_limit_remaining');
    expect(text).toContain('release_gate_pending_gates');
  });

  it('/metrics counts decisions, API calls by route, calls per decision and rate-limit headroom', async () => {
    expect(
      await h.askGate({
        id: 1,
        runId: 5,
        sha: 'e'.repeat(40),
        ref: 'main',
        environment: 'development',
        creator: 'dev',
        createdAt: '2026-03-10T15:00:00Z',
      }),
    ).toBe(200);
    const text = await (await fetch(`${h.app.url}/metrics`)).text();
    expect(text).toContain('release_gate_decisions_total{environment="DEV",outcome="allow"} 1');
    expect(text).toContain(
      'release_gate_github_api_calls_total{route="POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",status="204"} 1',
    );
    expect(text).toMatch(/release_gate_github_api_calls_per_decision_count\{environment="DEV"\} 1/);
    // The fake answers x-ratelimit-remaining: 5000 minus the requests it has seen.
    expect(text).toContain(`release_gate_github_rate_limit_remaining ${5000 - h.github.requestCount}\n`);
    expect(text).toContain('release_gate_evaluation_seconds_bucket');
    expect(text).toContain('release_gate_pending_gates');
    expect(h.github.violations).toEqual([]);
  });

  it('refuses a delivery with a wrong signature', async () => {
    const res = await fetch(`${h.app.url}/api/github/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'deployment',
        'x-github-delivery': 'forged',
        'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      },
      body: '{"action":"created"}',
    });
    expect(res.status).toBe(400);
    expect(await h.store.getDelivery('forged')).toBeNull();
  });
});

describe('health when the record is not usable', () => {
  it('answers 503 on /health and /health/ready, and still 200 on /health/live', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-gate-health-'));
    const file = join(dir, 'gate.db');
    const h = await startHarness({ policy: 'version: 1\nenvironments:\n  - name: DEV\n', databaseUrl: `file:${file}` });
    try {
      expect((await fetch(`${h.app.url}/health`)).status).toBe(200);
      // Someone rolls the schema back behind the App's back: its migrations are no longer all applied.
      const db = createClient({ url: `file:${file}` });
      await db.execute('DELETE FROM _prisma_migrations');
      db.close();
      const health = await fetch(`${h.app.url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'unavailable', migrations: { applied: 0 } });
      expect((await fetch(`${h.app.url}/health/ready`)).status).toBe(503);
      const live = await fetch(`${h.app.url}/health/live`);
      expect(live.status).toBe(200);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('health when the SQLite file is deleted under the App', () => {
  it('answers 503 on /health/ready with the reason and refuses to store webhooks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-gate-lost-'));
    const file = join(dir, 'gate.db');
    const h = await startHarness({ policy: 'version: 1\nenvironments:\n  - name: DEV\n', databaseUrl: `file:${file}` });
    try {
      expect((await fetch(`${h.app.url}/health/ready`)).status).toBe(200);
      rmSync(file);
      const ready = await fetch(`${h.app.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        status: 'unavailable',
        database: 'down',
        error: `The SQLite file ${file} was deleted while the App had it open: writes would be lost. Restore it from a backup and restart the App.`,
      });
      expect(
        await h.askGate({
          id: 1,
          runId: 1,
          sha: 'a'.repeat(40),
          ref: 'v1',
          environment: 'development',
          creator: 'dev',
          createdAt: h.clock.now().toISOString(),
        }),
      ).toBe(503);
      expect(h.repo.answers).toEqual([]);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
