import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger.js';
import { startRegistrationServer } from '../../src/app/manifest.js';
import type { RegistrationServer } from '../../src/app/manifest.js';
import { TEST_PRIVATE_KEY } from '../support/app-harness.js';
import { FakeGitHub } from '../support/fake-github.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A GET with the headers given as they are, `Host` included (fetch would not send a foreign one). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A browser: it keeps the cookies the page sets and sends them back. */
class Browser {
  private readonly jar = new Map<string, string>();
  constructor(
    private readonly port: number,
    private readonly host = `127.0.0.1:${port}`,
  ) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const answer = await get(this.port, path, { host: this.host, ...(cookie ? { cookie } : {}), ...headers });
    const set = answer.headers['set-cookie'] ?? [];
    for (const line of Array.isArray(set) ? set : [set]) {
      const [pair, ...attributes] = line.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (attributes.some((a) => a.trim() === 'Max-Age=0')) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return answer;
  }

  /** Loads the registration page and returns the state its form gives GitHub. */
  async start(): Promise<string> {
    const page = await this.get('/');
    expect(page.status, page.text).toBe(200);
    return /state=([0-9a-f]{32})/.exec(page.text)![1]!;
  }
}

const credentials = (id: number, secret: string) => ({
  id,
  slug: `release-gate-${id}`,
  name: `Release Gate ${id}`,
  pem: TEST_PRIVATE_KEY,
  webhook_secret: secret,
  client_id: `Iv1.${id}`,
  client_secret: `client-secret-${id}`,
});

// SECURITY.md C1, SECURITY.md C2, SECURITY.md C3, SECURITY.md C12
describe('the registration page is as strict as the gate', () => {
  const github = new FakeGitHub();
  let dir: string;
  let server: RegistrationServer;

  beforeAll(async () => {
    await github.start();
  });
  afterAll(async () => github.close());

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'release-gate-registration-'));
    writeFileSync(join(dir, '.env'), 'LOG_LEVEL=info\n');
    github.requests.length = 0;
    server = await startRegistrationServer({
      env: { GHE_HOST: github.host, GHE_PROTOCOL: 'http' },
      cwd: dir,
      log: await createLogger({ level: 'fatal', format: 'json' }),
      port: 0,
      host: '127.0.0.1',
    });
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const conversions = () => github.find('POST', /^\/app-manifests\/[^/]+\/conversions$/);

  it('answers only under the host it was configured for: a rebound name gets 421, health probes still answer', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, `localhost.evil.example:${server.port}`]) {
      const page = await get(server.port, '/', { host });
      expect(page.status, host).toBe(421);
      expect(page.text).toContain(`This registration page answers only at http://localhost:${server.port}/`);
      expect(page.text).not.toContain('<form');
      expect(page.headers['set-cookie']).toBeUndefined();
      expect((await get(server.port, '/registered?code=c&state=s', { host })).status).toBe(421);
    }
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`])
      expect((await get(server.port, '/', { host })).status, host).toBe(200);
    // The proxy's headers are not believed without TRUST_PROXY.
    const forwarded = await get(server.port, '/', {
      host: `localhost:${server.port}`,
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    });
    expect(forwarded.status).toBe(200);
    expect(forwarded.text).toContain(`http://localhost:${server.port}/registered`);
    expect(forwarded.text).not.toContain('evil.example');
    expect((await get(server.port, '/health/live', { host: 'evil.example' })).status).toBe(200);
    expect((await get(server.port, '/health/ready', { host: '10.0.0.7:3000' })).status).toBe(503);
  });

  it('finishes only in the browser that started it: a state from another browser is refused', async () => {
    github.manifestCodes.set('code-a', credentials(101, 'secret-a'));
    const alice = new Browser(server.port);
    const mallory = new Browser(server.port);
    const state = await alice.start();
    await mallory.start();
    const stolen = await mallory.get(`/registered?code=code-a&state=${state}`);
    expect(stolen.status).toBe(400);
    expect(stolen.text).toContain('does not finish a registration started in this browser');
    const cookieless = await get(server.port, `/registered?code=code-a&state=${state}`, {
      host: `127.0.0.1:${server.port}`,
    });
    expect(cookieless.status).toBe(400);
    expect(conversions()).toEqual([]);
    expect(parseEnv(readFileSync(join(dir, '.env'), 'utf8')).APP_ID).toBeUndefined();
    // The state was not spent by the others: its own browser finishes.
    expect((await alice.get(`/registered?code=code-a&state=${state}`)).status).toBe(200);
  });

  it('spends a state once: a replayed return is refused and not exchanged again', async () => {
    const alice = new Browser(server.port);
    const state = await alice.start();
    const cookie = `rg_registration=${state}`;
    const first = await alice.get(`/registered?code=unknown-code&state=${state}`);
    expect(first.status).toBe(502);
    github.manifestCodes.set('code-b', credentials(102, 'secret-b'));
    // The same state again, with the cookie it was bound to (a replay by whoever saw both).
    const replay = await get(server.port, `/registered?code=code-b&state=${state}`, {
      host: `127.0.0.1:${server.port}`,
      cookie,
    });
    expect(replay.status).toBe(400);
    expect(conversions().map((r) => r.path)).toEqual(['/app-manifests/unknown-code/conversions']);
  });

  it('never lets a second code overwrite .env once registered, even when both arrive together', async () => {
    github.manifestCodes.set('code-1', credentials(201, 'secret-1'));
    github.manifestCodes.set('code-2', credentials(202, 'secret-2'));
    github.manifestCodes.set('code-3', credentials(203, 'secret-3'));
    const first = new Browser(server.port);
    const second = new Browser(server.port);
    const third = new Browser(server.port);
    const [s1, s2, s3] = [await first.start(), await second.start(), await third.start()];
    const answers = await Promise.all([
      first.get(`/registered?code=code-1&state=${s1}`),
      second.get(`/registered?code=code-2&state=${s2}`),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(conversions()).toHaveLength(1);
    const written = readFileSync(join(dir, '.env'), 'utf8');
    const appId = parseEnv(written).APP_ID;
    expect(['201', '202']).toContain(appId);

    // A browser that started before and comes back after: its state is good, its code is not exchanged.
    const late = await third.get(`/registered?code=code-3&state=${s3}`);
    expect(late.status).toBe(409);
    expect(late.text).toContain('Release Gate is registered');
    // After the registration the page hands out no form and no state.
    const page = await new Browser(server.port).get('/');
    expect(page.text).toContain('Release Gate is registered');
    expect(page.text).not.toContain('<form');
    expect(page.headers['set-cookie']).toBeUndefined();
    expect(conversions()).toHaveLength(1);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(written);
  });

  it('leaves a .env that received an APP_ID from elsewhere as it is', async () => {
    github.manifestCodes.set('code-x', credentials(301, 'secret-x'));
    const alice = new Browser(server.port);
    const state = await alice.start();
    const theirs = 'APP_ID=999\nPRIVATE_KEY=theirs\nWEBHOOK_SECRET=theirs\n';
    writeFileSync(join(dir, '.env'), theirs);
    const back = await alice.get(`/registered?code=code-x&state=${state}`);
    expect(back.status).toBe(409);
    expect(back.text).toContain('already holds an <code>APP_ID</code>');
    expect(conversions()).toEqual([]);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(theirs);
  });

  it('sends nosniff and no-store on every answer', async () => {
    for (const [path, host] of [
      ['/', `127.0.0.1:${server.port}`],
      ['/registered', `127.0.0.1:${server.port}`],
      ['/nothing', `127.0.0.1:${server.port}`],
      ['/', 'evil.example'],
      ['/health/live', 'evil.example'],
      ['/health/ready', `127.0.0.1:${server.port}`],
    ] as const) {
      const answer = await get(server.port, path, { host });
      expect(answer.headers['x-content-type-options'], `${path} ${host}`).toBe('nosniff');
    }
    const page = await get(server.port, '/', { host: `127.0.0.1:${server.port}` });
    expect(page.headers['cache-control']).toBe('no-store');
    expect(String(page.headers['set-cookie'])).toMatch(
      /^rg_registration=[0-9a-f]{32}; Path=\/; HttpOnly; SameSite=Lax/,
    );
  });
});

// SECURITY.md C4
describe('the registration page behind a reverse proxy', () => {
  it('believes X-Forwarded-Host and -Proto only with TRUST_PROXY=true, and answers only for CONSOLE_URL there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-gate-registration-'));
    const server = await startRegistrationServer({
      env: { CONSOLE_URL: 'https://gate.acme.io', TRUST_PROXY: 'true' },
      cwd: dir,
      log: await createLogger({ level: 'fatal', format: 'json' }),
      port: 0,
      host: '127.0.0.1',
    });
    try {
      const proxied = await get(server.port, '/', {
        host: `127.0.0.1:${server.port}`,
        'x-forwarded-host': 'gate.acme.io',
        'x-forwarded-proto': 'https',
      });
      expect(proxied.status).toBe(200);
      expect(proxied.text).toContain('https://gate.acme.io/registered');
      expect(String(proxied.headers['set-cookie'])).toMatch(/; Secure$/);
      const foreign = await get(server.port, '/', {
        host: `127.0.0.1:${server.port}`,
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
      });
      expect(foreign.status).toBe(421);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with a TRUST_PROXY or CONSOLE_URL it cannot read', async () => {
    const log = await createLogger({ level: 'fatal', format: 'json' });
    await expect(
      startRegistrationServer({ env: { TRUST_PROXY: 'yes' }, cwd: tmpdir(), log, port: 0, host: '127.0.0.1' }),
    ).rejects.toThrow('TRUST_PROXY must be true');
    await expect(
      startRegistrationServer({ env: { CONSOLE_URL: 'gate.acme.io' }, cwd: tmpdir(), log, port: 0, host: '127.0.0.1' }),
    ).rejects.toThrow('CONSOLE_URL must be');
  });
});
