import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hashId } from './json.js';
import type { GitHubModel } from './model.js';
import type { FakeRepo, FakeRequest, ManifestApp } from './types.js';

/**
 * The parts of the simulated GitHub that speak for users rather than for the App: the OAuth
 * web flow (authorize, code exchange, `GET /user`), the "new GitHub App" page of the manifest
 * flow, the OAuth check of a user token (`POST /applications/{client_id}/token`, answered only
 * for tokens issued to that client), and what a user token can reach (`GET /user/installations`
 * and their repositories, with the user's permission on each).
 */

/** The routes that need request headers (user and installation tokens) or live on GitHub's web host. */
export function answerSignInRoute(
  gh: GitHubModel,
  req: IncomingMessage,
  res: ServerResponse,
  entry: FakeRequest,
): boolean {
  const { method, path, query: q, body } = entry;
  const reply = (status: number, out: unknown, template: string | null) => {
    entry.template = template;
    entry.status = status;
    entry.at = Date.now();
    gh.requestCount++;
    if (gh.keepRequests) gh.requests.push(entry);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(out));
    return true;
  };
  const check = () => gh.check(method, path, body);
  const auth = String(req.headers.authorization ?? '');
  const token = auth.replace(/^(bearer|token)\s+/i, '');
  if (method === 'GET' && path === '/login/oauth/authorize') {
    // The user has authorized the App before: GitHub redirects back at once, with a token of the App's client.
    const client = gh.oauthClient.id;
    const signedIn = gh.browserUser;
    const back = q.get('redirect_uri');
    if (!signedIn || !back || q.get('client_id') !== client) return reply(404, { message: 'Not Found' }, 'oauth');
    if (gh.callbackUrls && !redirectAllowed(back, gh.callbackUrls)) {
      gh.violations.push(`GET /login/oauth/authorize: redirect_uri ${back} is not under a callback URL of the App`);
      return reply(
        400,
        {
          error: 'redirect_uri_mismatch',
          message: 'The redirect_uri MUST match the registered callback URL for this application.',
        },
        'oauth',
      );
    }
    const token =
      [...gh.userTokens.entries()].find(([, u]) => u.login === signedIn && (u.clientId ?? client) === client)?.[0] ??
      gh.addUser(signedIn).token;
    const target = new URL(back);
    target.searchParams.set('code', gh.oauthCode(token));
    target.searchParams.set('state', q.get('state') ?? '');
    gh.requestCount++;
    res.writeHead(302, { location: target.toString() });
    res.end();
    return true;
  }
  if (method === 'POST' && path === '/login/oauth/access_token') {
    // GitHub answers 200 with an `error` field for a bad code or client.
    const b = (body ?? {}) as Record<string, unknown>;
    if (String(req.headers.accept ?? '').indexOf('application/json') < 0)
      gh.violations.push('POST /login/oauth/access_token without Accept: application/json');
    if (b.client_id !== gh.oauthClient.id || b.client_secret !== gh.oauthClient.secret)
      return reply(
        200,
        {
          error: 'incorrect_client_credentials',
          error_description: 'The client_id and/or client_secret passed are incorrect.',
        },
        'oauth',
      );
    const user = gh.oauthCodes.get(String(b.code));
    if (!user)
      return reply(
        200,
        { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' },
        'oauth',
      );
    gh.oauthCodes.delete(String(b.code));
    return reply(200, { access_token: user, token_type: 'bearer', scope: '' }, 'oauth');
  }
  if (method === 'GET' && path === '/user') {
    const template = check();
    const user = gh.userTokens.get(token);
    return user
      ? reply(200, { login: user.login, id: user.id, type: 'User' }, template)
      : reply(401, { message: 'Bad credentials' }, template);
  }
  const basic = /^basic\s+(\S+)$/i.exec(auth);
  const user = answerUserRoute(gh, {
    method,
    path,
    query: q,
    body,
    token,
    basic: basic ? Buffer.from(basic[1]!, 'base64').toString('utf8') : null,
  });
  if (user) {
    const template = check();
    entry.template = template;
    entry.status = user.status;
    entry.at = Date.now();
    gh.requestCount++;
    if (gh.keepRequests) gh.requests.push(entry);
    res.writeHead(user.status, { 'content-type': 'application/json; charset=utf-8', ...(user.headers ?? {}) });
    res.end(user.body === undefined ? undefined : JSON.stringify(user.body));
    return true;
  }
  if (method === 'GET' && path === '/app/installations') {
    const template = check();
    if (!/^bearer\s+ey/i.test(auth)) return reply(401, { message: 'A JSON web token could not be decoded' }, template);
    return reply(
      200,
      [...gh.installationRepos().keys()].map((id) => ({
        id,
        account: { login: 'acme', id: hashId('acme') },
        app_id: 4242,
        target_type: 'Organization',
      })),
      template,
    );
  }
  if (method === 'GET' && path === '/installation/repositories') {
    const template = check();
    const m = /^ghs_test(\d+)$/.exec(token);
    const names = m ? gh.installationRepos().get(Number(m[1])) : undefined;
    if (!names) return reply(401, { message: 'Bad credentials' }, template);
    const repositories = names
      .map((n) => gh.repo(n))
      .map((r) => ({
        id: r.id,
        name: r.name,
        full_name: `${r.owner}/${r.name}`,
        owner: { login: r.owner, id: hashId(r.owner) },
        private: true,
        default_branch: r.defaultBranch,
        html_url: `https://github.example/${r.owner}/${r.name}`,
      }));
    return reply(200, { total_count: repositories.length, repositories }, template);
  }
  return false;
}

/** A person's permission on a repository as `permissions` in GitHub's repository objects. */
export function permissionFlags(permission: FakeRepo['permissions'][string] | undefined): Record<string, boolean> {
  const rank = { none: 0, read: 1, triage: 2, write: 3, maintain: 4, admin: 5 }[permission ?? 'read'];
  return { admin: rank >= 5, maintain: rank >= 4, push: rank >= 3, triage: rank >= 2, pull: rank >= 1 };
}

/**
 * GitHub's rule for a `redirect_uri`: the scheme, host and port of one of the App's callback
 * URLs, and its path or a path under it.
 * https://docs.github.com/en/apps/creating-github-apps/writing-code-for-a-github-app/building-a-login-with-github-button-with-a-github-app
 */
export function redirectAllowed(redirectUri: string, callbackUrls: string[]): boolean {
  let asked: URL;
  try {
    asked = new URL(redirectUri);
  } catch {
    return false;
  }
  return callbackUrls.some((c) => {
    const cb = new URL(c);
    const base = cb.pathname.endsWith('/') ? cb.pathname : `${cb.pathname}/`;
    return (
      cb.protocol === asked.protocol &&
      cb.host === asked.host &&
      (asked.pathname === cb.pathname || asked.pathname.startsWith(base))
    );
  });
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `POST /settings/apps/new?state=...` (or `/organizations/{org}/settings/apps/new`), as a
 * browser sends GitHub's form: the App is created from the manifest at once (the person
 * agrees) and the browser is sent to the manifest's `redirect_url` with a one-time code and
 * the state. Returns false for any other request.
 */
export async function answerNewAppPage(fake: GitHubModel, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://github.invalid');
  if (!/^(\/organizations\/[^/]+)?\/settings\/apps\/new$/.test(url.pathname)) return false;
  const fail = (status: number, message: string) => {
    fake.violations.push(`${req.method} ${url.pathname}: ${message}`);
    res.writeHead(status, { 'content-type': 'text/plain' }).end(message);
    return true;
  };
  if (req.method !== 'POST') return fail(405, 'the new App page is posted to with a manifest');
  const form = new URLSearchParams(await readText(req));
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(form.get('manifest') ?? '') as Record<string, unknown>;
  } catch {
    return fail(400, 'the manifest is not JSON');
  }
  const hook = manifest.hook_attributes as { url?: unknown } | undefined;
  if (typeof manifest.redirect_url !== 'string' || typeof hook?.url !== 'string')
    return fail(422, 'the manifest needs hook_attributes.url and redirect_url');
  const callbackUrls = Array.isArray(manifest.callback_urls) ? manifest.callback_urls.map(String) : [];
  const id = fake.newId();
  const name = typeof manifest.name === 'string' ? manifest.name : 'app';
  const app: ManifestApp = {
    id,
    name,
    slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    clientId: `Iv1.${randomBytes(8).toString('hex')}`,
    clientSecret: randomBytes(20).toString('hex'),
    webhookSecret: randomBytes(16).toString('hex'),
    manifest,
    callbackUrls,
  };
  fake.manifestApps.push(app);
  const code = randomBytes(20).toString('hex');
  fake.manifestCodes.set(code, {
    id,
    slug: app.slug,
    name,
    pem: fake.manifestPem,
    webhook_secret: app.webhookSecret,
    client_id: app.clientId,
    client_secret: app.clientSecret,
  });
  const back = new URL(manifest.redirect_url);
  back.searchParams.set('code', code);
  const state = url.searchParams.get('state');
  if (state !== null) back.searchParams.set('state', state);
  res.writeHead(302, { location: back.toString() }).end();
  return true;
}

/** A JSON answer of the user routes: the status and body, and the REST template it was checked against. */
export type UserRouteReply = { status: number; body?: unknown; headers?: Record<string, string> } | null;

/**
 * The user routes: the token check of the App's OAuth client, its deletion, and what a user
 * token reaches. `token` is the request's bearer token, `basic` its basic credentials.
 */
export function answerUserRoute(
  fake: GitHubModel,
  request: { method: string; path: string; query: URLSearchParams; body: unknown; token: string; basic: string | null },
): UserRouteReply {
  const { method, path, query } = request;
  let m = /^\/applications\/([^/]+)\/token$/.exec(path);
  if (m && (method === 'POST' || method === 'DELETE')) {
    const client = fake.oauthClient;
    if (m[1] !== client.id || request.basic !== `${client.id}:${client.secret}`)
      return { status: 401, body: { message: 'Bad credentials' } };
    const token = String((request.body as { access_token?: unknown } | undefined)?.access_token ?? '');
    const user = fake.userTokens.get(token);
    if (!user || (user.clientId ?? client.id) !== client.id) return { status: 404, body: { message: 'Not Found' } };
    if (method === 'DELETE') {
      fake.userTokens.delete(token);
      return { status: 204 };
    }
    return {
      status: 200,
      body: {
        id: fake.newId(),
        url: `${fake.baseUrl}/authorizations/1`,
        scopes: null,
        token,
        token_last_eight: token.slice(-8),
        hashed_token: null,
        app: { client_id: client.id, name: 'Release Gate', url: 'https://github.com/apps/release-gate' },
        note: null,
        note_url: null,
        updated_at: '2026-01-01T00:00:00Z',
        created_at: '2026-01-01T00:00:00Z',
        fingerprint: null,
        user: { login: user.login, id: user.id, type: 'User' },
        expires_at: null,
      },
    };
  }
  if (method !== 'GET' || !path.startsWith('/user/installations')) return null;
  const user = fake.userTokens.get(request.token);
  // Only a token of the App itself lists the App's installations.
  if (!user || (user.clientId ?? fake.oauthClient.id) !== fake.oauthClient.id)
    return { status: 401, body: { message: 'Bad credentials' } };
  const reachable = (names: string[]) =>
    names.map((n) => fake.repo(n)).filter((r) => permissionFlags(r.permissions[user.login]).pull);
  if (path === '/user/installations') {
    const installations = [...fake.installationRepos()]
      .filter(([, names]) => reachable(names).length > 0)
      .map(([id]) => ({
        id,
        account: { login: 'acme', id: 1 },
        app_id: fake.appId,
        target_type: 'Organization',
        repository_selection: 'selected',
      }));
    return { status: 200, body: { total_count: installations.length, installations } };
  }
  m = /^\/user\/installations\/(\d+)\/repositories$/.exec(path);
  const names = m ? fake.installationRepos().get(Number(m[1])) : undefined;
  if (!names) return { status: 404, body: { message: 'Not Found' } };
  const all = reachable(names);
  const per = Math.min(100, Number(query.get('per_page') ?? 30));
  const page = Number(query.get('page') ?? 1);
  const repositories = all.slice((page - 1) * per, page * per).map((r) => ({
    id: r.id,
    name: r.name,
    full_name: `${r.owner}/${r.name}`,
    owner: { login: r.owner, id: 1 },
    private: true,
    default_branch: r.defaultBranch,
    html_url: `https://github.example/${r.owner}/${r.name}`,
    permissions: permissionFlags(r.permissions[user.login]),
  }));
  const headers: Record<string, string> = {};
  if (page * per < all.length) {
    const next = new URL(`${fake.baseUrl}${path}`);
    for (const [k, v] of query) next.searchParams.set(k, v);
    next.searchParams.set('page', String(page + 1));
    headers.link = `<${next.toString()}>; rel="next"`;
  }
  return { status: 200, body: { total_count: all.length, repository_selection: 'selected', repositories }, headers };
}
