import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseEnv } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest, createAppUrl } from '../../src/app/app-manifest.js';
import { TEST_PRIVATE_KEY } from '../support/app-harness.js';
import { FakeGitHub } from '../support/fake-github.js';
import { ROOT, freePort, startAppProcess, waitForStatus } from '../support/processes.js';
import type { Started } from '../support/processes.js';
import { signature } from '../support/webhooks.js';

const APP_YML = readFileSync(join(ROOT, 'app.yml'), 'utf8');
const yml = parse(APP_YML) as { name: string; default_permissions: Record<string, string>; default_events: string[] };

function formOf(html: string): { action: string; manifest: Record<string, unknown> } {
  const action = /<form action="([^"]+)" method="post">/.exec(html)?.[1];
  const value = /<input type="hidden" name="manifest" value="([^"]+)">/.exec(html)?.[1];
  if (!action || !value) throw new Error(`no registration form in:\n${html}`);
  const unescape = (t: string) =>
    t
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  return { action: unescape(action), manifest: JSON.parse(unescape(value)) as Record<string, unknown> };
}

describe('the manifest app.yml gives GitHub', () => {
  it('has the webhook URL of the request, WEBHOOK_URL, or the smee channel, never a placeholder', () => {
    const base = buildManifest(APP_YML, { baseUrl: 'https://gate.example.com', env: {} });
    expect(base).toMatchObject({
      name: yml.name,
      hook_attributes: { url: 'https://gate.example.com/api/github/webhooks', active: true },
      redirect_url: 'https://gate.example.com/registered',
      callback_urls: ['https://gate.example.com/auth/callback'],
    });
    expect(base.default_permissions).toEqual(yml.default_permissions);
    expect(base.default_events).toEqual(yml.default_events);
    expect(JSON.stringify(base)).not.toContain('example.invalid');
    expect(
      buildManifest(APP_YML, { baseUrl: 'http://localhost:3000', env: { WEBHOOK_URL: 'https://hooks.acme.io/gate' } })
        .hook_attributes,
    ).toEqual({ url: 'https://hooks.acme.io/gate', active: true });
    expect(
      buildManifest(APP_YML, {
        baseUrl: 'http://localhost:3000',
        env: { WEBHOOK_URL: 'https://x', WEBHOOK_PROXY_URL: 'https://smee.io/abc' },
      }).hook_attributes,
    ).toEqual({ url: 'https://smee.io/abc', active: true });
    // Registered on a workstation for use behind a proxy: GitHub may send users back to either address.
    const behind = buildManifest(APP_YML, {
      baseUrl: 'http://localhost:3000',
      publicUrl: 'http://localhost:8080',
      env: {},
    });
    expect(behind).toMatchObject({
      hook_attributes: { url: 'http://localhost:8080/api/github/webhooks', active: true },
      redirect_url: 'http://localhost:3000/registered',
      callback_urls: ['http://localhost:8080/auth/callback', 'http://localhost:3000/auth/callback'],
    });
  });

  it('is posted to github.com, an organization, or GitHub Enterprise Server', () => {
    expect(createAppUrl({})).toBe('https://github.com/settings/apps/new');
    expect(createAppUrl({ GH_ORG: 'acme' })).toBe('https://github.com/organizations/acme/settings/apps/new');
    expect(createAppUrl({ GHE_HOST: 'ghe.acme.io', GH_ORG: 'ops' })).toBe(
      'https://ghe.acme.io/organizations/ops/settings/apps/new',
    );
  });
});

describe('npm start without APP_ID: registering the App from app.yml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-register-'));
  const github = new FakeGitHub();
  let port: number;
  let app: Started;

  beforeAll(async () => {
    await github.start();
    port = await freePort();
    // A .env with a setting of the operator's own, kept when the credentials are added.
    writeFileSync(join(dir, '.env'), `PORT=${port}\nHOST=127.0.0.1\n`, { mode: 0o644 });
    app = startAppProcess(dir, { GHE_HOST: github.host, GHE_PROTOCOL: 'http', LOG_FORMAT: 'json' });
    expect(await waitForStatus(`http://127.0.0.1:${port}/health/live`, 200, app), app.output()).not.toBeNull();
  });

  afterAll(async () => {
    await app?.stop();
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says where to go, and is not ready until registered', async () => {
    expect(app.output()).toContain(`Open http://127.0.0.1:${port}/ in a browser to register it from app.yml`);
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(503);
  });

  it('serves a page whose form posts the manifest to GitHub, with the webhook and callback URLs the browser reached', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    const { action, manifest } = formOf(await res.text());
    expect(action).toMatch(
      new RegExp(`^http://${github.host.replace('.', '\\.')}/settings/apps/new\\?state=[0-9a-f]{32}$`),
    );
    expect(manifest.hook_attributes).toEqual({ url: `http://127.0.0.1:${port}/api/github/webhooks`, active: true });
    expect(manifest.redirect_url).toBe(`http://127.0.0.1:${port}/registered`);
    expect(manifest.callback_urls).toEqual([`http://127.0.0.1:${port}/auth/callback`]);
    expect(manifest.default_permissions).toEqual(yml.default_permissions);
  });

  it('refuses a return that this page did not start', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/registered?code=abc&state=0123`);
    expect(res.status).toBe(400);
    expect(github.find('POST', /app-manifests/)).toEqual([]);
  });

  it('exchanges the code, writes the credentials to .env (mode 0600), and says to restart; the restarted App is ready', async () => {
    github.manifestCodes.set('code-1', {
      id: 31337,
      slug: 'release-gate-acme',
      name: 'Release Gate (acme)',
      pem: TEST_PRIVATE_KEY,
      webhook_secret: 'wh-secret-from-github',
      client_id: 'Iv1.abc',
      client_secret: 'client-secret-xyz',
    });
    const started = await fetch(`http://127.0.0.1:${port}/`);
    const state = /state=([0-9a-f]{32})/.exec(await started.text())![1]!;
    // The browser that loaded the page sends its cookie back with GitHub's code.
    const cookie = started.headers.getSetCookie()[0]!.split(';')[0]!;
    const res = await fetch(`http://127.0.0.1:${port}/registered?code=code-1&state=${state}`, { headers: { cookie } });
    const html = await res.text();
    expect(res.status, html).toBe(200);
    expect(html).toContain('Restart Release Gate');
    expect(html).toContain('href="https://github.com/apps/release-gate-acme/installations/new"');
    expect(github.find('POST', /^\/app-manifests\/code-1\/conversions$/)).toHaveLength(1);
    expect(github.violations).toEqual([]);

    const file = join(dir, '.env');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const values = parseEnv(readFileSync(file, 'utf8'));
    expect(values).toMatchObject({
      PORT: String(port),
      HOST: '127.0.0.1',
      APP_ID: '31337',
      WEBHOOK_SECRET: 'wh-secret-from-github',
      GITHUB_CLIENT_ID: 'Iv1.abc',
      GITHUB_CLIENT_SECRET: 'client-secret-xyz',
    });
    expect(Buffer.from(values.PRIVATE_KEY!, 'base64').toString('utf8')).toBe(TEST_PRIVATE_KEY);
    expect(app.output()).toContain('Restart Release Gate to run it');
    expect(app.output()).not.toContain('client-secret-xyz');
    expect(app.output()).not.toContain('wh-secret-from-github');

    // A state is good once.
    const again = await fetch(`http://127.0.0.1:${port}/registered?code=code-1&state=${state}`, {
      headers: { cookie },
    });
    expect(again.status).toBe(400);

    await app.stop();
    app = startAppProcess(dir, { GHE_HOST: github.host, GHE_PROTOCOL: 'http', LOG_FORMAT: 'json' });
    const ready = await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, app);
    expect(ready, app.output()).not.toBeNull();
    expect(app.output()).toContain('Release Gate is listening on');
  }, 60_000);
});

describe('WEBHOOK_PROXY_URL', () => {
  it("forwards what the channel sends to the App's webhook endpoint, signature checked", async () => {
    // A channel played on 127.0.0.1: smee.io sends each delivery as a server-sent event.
    const body = { zen: 'Design for failure.', hook_id: 1 };
    const signed = {
      'x-github-event': 'ping',
      'x-github-delivery': 'proxied-1',
      'x-hub-signature-256': signature('s3cret', JSON.stringify(body)),
      'content-type': 'application/json',
      body,
      query: {},
    };
    const forged = { ...signed, 'x-github-delivery': 'proxied-2', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` };
    const channel = createServer((req, res) => {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.write('event: ready\ndata: {}\n\n');
      setTimeout(() => res.write(`data: ${JSON.stringify(signed)}\n\n`), 200);
      setTimeout(() => res.write(`data: ${JSON.stringify(forged)}\n\n`), 300);
    });
    await new Promise<void>((r) => channel.listen(0, '127.0.0.1', r));
    const source = `http://127.0.0.1:${(channel.address() as AddressInfo).port}/channel`;
    const dir = mkdtempSync(join(tmpdir(), 'release-gate-smee-'));
    const port = await freePort();
    const app = startAppProcess(dir, {
      APP_ID: '1',
      PRIVATE_KEY: Buffer.from(TEST_PRIVATE_KEY).toString('base64'),
      WEBHOOK_SECRET: 's3cret',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_FORMAT: 'json',
      WEBHOOK_PROXY_URL: source,
    });
    try {
      const deadline = Date.now() + 15_000;
      while (!app.output().includes('"deliveryId":"proxied-2"') && Date.now() < deadline && app.child.exitCode === null)
        await new Promise((r) => setTimeout(r, 100));
      const lines = app
        .output()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; msg: string; deliveryId?: string });
      expect(
        lines.some((l) => l.msg === `POST http://127.0.0.1:${port}/api/github/webhooks - 200`),
        app.output(),
      ).toBe(true);
      expect(lines.filter((l) => l.deliveryId === 'proxied-2').map((l) => [l.level, l.msg])).toEqual([
        ['warn', 'Webhook refused: the signature does not match WEBHOOK_SECRET'],
      ]);
    } finally {
      await app.stop();
      channel.closeAllConnections();
      await new Promise<void>((r) => channel.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('starts the App without a network and says it cannot reach the channel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-gate-smee-'));
    const port = await freePort();
    const unused = await freePort();
    const app = startAppProcess(dir, {
      APP_ID: '1',
      PRIVATE_KEY: Buffer.from(TEST_PRIVATE_KEY).toString('base64'),
      WEBHOOK_SECRET: 's3cret',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_FORMAT: 'json',
      WEBHOOK_PROXY_URL: `http://127.0.0.1:${unused}/channel`,
    });
    try {
      expect(await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, app), app.output()).not.toBeNull();
      const deadline = Date.now() + 5_000;
      while (!app.output().includes('Cannot connect to the webhook proxy') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(app.output()).toContain(
        `Forwarding webhooks from http://127.0.0.1:${unused}/channel to http://127.0.0.1:${port}/api/github/webhooks`,
      );
      expect(app.output()).toContain(`Cannot connect to the webhook proxy http://127.0.0.1:${unused}/channel`);
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    } finally {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
