import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionId } from '../../src/console/session.js';
import { startConsoleHarness } from './harness.js';
import type { ConsoleHarness } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field and checked by the assertions
type Json = Record<string, any>;

/** Signs `person` in with `/auth/login?return=<value>` (raw, as a link would carry it); returns where the callback sends them. */
async function signInReturning(h: ConsoleHarness, rawReturn: string): Promise<string> {
  const start = await h.call(`/auth/login?return=${rawReturn}`);
  expect(start.status).toBe(303);
  const state = new URL(start.headers.get('location')!).searchParams.get('state');
  const stateCookie = start.headers.getSetCookie()[0]!.split(';')[0]!;
  const back = await h.call(`/auth/callback?code=${h.github.oauthCode(h.tokens.vic)}&state=${state}`, {
    cookie: stateCookie,
  });
  expect(back.status).toBe(303);
  return back.headers.get('location')!;
}

// SECURITY.md C6
describe('console sessions end on the server', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsoleHarness();
  });
  afterAll(async () => h?.close());

  it('signing out ends the session for every copy of the cookie and revokes the token on GitHub', async () => {
    const cookie = await h.signIn('bob');
    const copy = cookie;
    const other = await h.signIn('vic');
    expect((await h.call('/api/v1/me', { cookie: copy })).status).toBe(200);
    const csrf = await h.csrf(cookie);
    const out = await h.call('/auth/logout', {
      cookie,
      body: `_csrf=${encodeURIComponent(csrf)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie()[0]).toMatch(/^rg_session=; .*Max-Age=0/);
    // The browser forgot it; a copy made before still reaches nothing.
    const replayed = await h.call('/api/v1/me', { cookie: copy });
    expect(replayed.status).toBe(401);
    expect(await (await h.call('/', { cookie: copy })).text()).toContain('Sign in with GitHub');
    expect((await h.call('/api/v1/board', { cookie: copy })).status).toBe(401);
    const revoked = h.github.find('DELETE', new RegExp(`^/applications/${h.github.oauthClient.id}/token$`));
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!.body).toEqual({ access_token: expect.stringMatching(/^ghu_bob_/) });
    // Another person's session is untouched.
    expect((await h.call('/api/v1/me', { cookie: other })).status).toBe(200);
    expect(h.github.violations).toEqual([]);
  });

  it("keeps only the hash of the cookie's key and the user's token encrypted in the record", async () => {
    const cookie = await h.signIn('tess');
    const key = decodeURIComponent(cookie.slice('rg_session='.length));
    const now = h.clock.now();
    expect(await h.store.findSession(key, now)).toBeNull();
    const row = await h.store.findSession(sessionId(key), now);
    expect(row).toMatchObject({ login: 'tess', endedAt: null });
    expect(row!.token).not.toContain(h.tokens.tess);
    expect(row!.token).not.toContain(Buffer.from(h.tokens.tess).toString('base64url'));
  });

  it('refuses a sign-out without the CSRF token, and the session stays', async () => {
    const cookie = await h.signIn('maria');
    const out = await h.call('/auth/logout', {
      cookie,
      body: '_csrf=wrong',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(out.status).toBe(403);
    expect((await h.call('/api/v1/me', { cookie })).status).toBe(200);
  });

  it('a session signed out on one replica is refused by every replica', async () => {
    const replica = await h.startReplica('replica-b');
    try {
      const cookie = await h.signIn('ada');
      const onReplica = (path: string) => fetch(`${replica.app.url}${path}`, { headers: { cookie } });
      expect((await onReplica('/api/v1/me')).status).toBe(200);
      await h.call('/auth/logout', {
        cookie,
        body: `_csrf=${encodeURIComponent(await h.csrf(cookie))}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect((await onReplica('/api/v1/me')).status).toBe(401);
    } finally {
      await replica.close();
    }
  });

  it('ends a session whose GitHub authorization was revoked on GitHub', async () => {
    const cookie = await h.signIn('carol');
    expect((await h.call('/api/v1/board', { cookie })).status).toBe(200);
    for (const [token, user] of h.github.userTokens) if (user.login === 'carol') h.github.userTokens.delete(token);
    // Within the cache period the listing made with the token stands; after it, GitHub is asked again.
    h.clock.advance(5 * 60_000 + 1000);
    expect((await h.call('/api/v1/board', { cookie })).status).toBe(401);
    expect((await h.call('/api/v1/me', { cookie })).status).toBe(401);
  });
});

// SECURITY.md C7
describe('?return= sends a browser back only to this site', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsoleHarness();
  });
  afterAll(async () => h?.close());

  it('refuses //host, /\\host, /<TAB>/host, their encoded forms and other schemes', async () => {
    const refused = [
      '//evil.example',
      '/%2Fevil.example',
      '%2F%2Fevil.example',
      '/%5Cevil.example',
      '/\\evil.example',
      '%2F%5Cevil.example',
      '/%09/evil.example',
      '/%0A/evil.example',
      '/%0D%0A/evil.example',
      '%2F%252Fevil.example',
      '/%252F%252Fevil.example',
      'javascript:alert(1)',
      'javascript%3Aalert(1)',
      'https://evil.example/',
      'https:evil.example',
      'evil.example',
      '/%E0%A4%A',
    ];
    for (const value of refused) expect(await signInReturning(h, value), value).toBe('/');
  });

  it('keeps a path of this site, with its query', async () => {
    expect(await signInReturning(h, encodeURIComponent('/repos/acme/shop?tz=Asia/Tokyo'))).toBe(
      '/repos/acme/shop?tz=Asia/Tokyo',
    );
    expect(await signInReturning(h, encodeURIComponent('/audit?actor=bob&type=APPROVED'))).toBe(
      '/audit?actor=bob&type=APPROVED',
    );
  });
});

// SECURITY.md C8
describe('bearer tokens', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsoleHarness();
  });
  afterAll(async () => h?.close());

  it("refuses a token the user gave another OAuth app, though GitHub's GET /user accepts it", async () => {
    const { token } = h.github.addUser('bob', { clientId: 'Iv1.someoneelse' });
    const user = await fetch(`${h.github.baseUrl}/user`, { headers: { authorization: `bearer ${token}` } });
    expect(user.status).toBe(200);
    for (const path of ['/api/v1/me', '/api/v1/board', '/api/v1/audit', '/api/v1/repos/acme/shop']) {
      const r = await h.call(path, { token });
      expect(r.status, path).toBe(401);
      expect(((await r.json()) as Json).error).toEqual({
        code: 'unauthenticated',
        message:
          "GitHub does not know this token as one of this App: send a user token issued to the Release Gate App (its OAuth web or device flow), not a personal access token or another app's token.",
      });
    }
    // No state-changing request goes through with it either.
    const approve = await h.call(`/api/v1/repos/acme/shop/releases/${'a'.repeat(40)}/approve`, { token, body: {} });
    expect(approve.status).toBe(401);
    expect(h.github.find('GET', /^\/user\/installations/)).toEqual([]);
  });
});

// SECURITY.md C12
describe('every answer of the App says nosniff', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsoleHarness();
  });
  afterAll(async () => h?.close());

  it('console pages, the API, its errors, exports, webhooks, health, metrics and unknown paths', async () => {
    const cookie = await h.signIn('ada');
    const answers: Array<[string, Response]> = [
      ['sign-in page', await h.call('/')],
      ['board page', await h.call('/', { cookie })],
      ['audit page', await h.call('/audit', { cookie })],
      ['stylesheet', await h.call('/console.css')],
      ['sign-in redirect', await h.call('/auth/login')],
      ['bad callback', await h.call('/auth/callback?state=x&code=y')],
      ['API document', await h.call('/api/v1/openapi.json')],
      ['API docs page', await h.call('/api/v1/docs')],
      ['API board', await h.call('/api/v1/board', { cookie })],
      ['API 401', await h.call('/api/v1/board')],
      ['API 404', await h.call('/api/v1/nothing', { cookie })],
      ['CSV export', await h.call('/api/v1/audit/export?format=csv', { cookie })],
      ['JSON export', await h.call('/api/v1/audit/export?format=json', { cookie })],
      ['health', await h.call('/health')],
      ['liveness', await h.call('/health/live')],
      ['metrics', await h.call('/metrics')],
      ['unknown path', await h.call('/nothing/here')],
      ['webhook without signature', await h.call('/api/github/webhooks', { body: { zen: 'x' } })],
    ];
    for (const [what, res] of answers) {
      expect(res.headers.get('x-content-type-options'), `${what} (${res.status})`).toBe('nosniff');
      await res.arrayBuffer();
    }
  });
});
