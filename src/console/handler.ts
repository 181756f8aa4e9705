import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Probot } from 'probot';
import { clientAddress, requestOrigin } from '../http/request-origin.js';
import { describeError, repoKey } from '../github/types.js';
import { auditExportChunks } from '../store/audit-export.js';
import type { AuditRecord } from '../store/audit-export.js';
import { RELEASE_EVENT_TYPES } from '../store/types.js';
import type { ReleaseEventType } from '../store/types.js';
import type { ConsoleConfig } from './config.js';
import { GitHubDirectory, IdentityError } from './github-directory.js';
import {
  checkRepoName,
  checkSha,
  localReturnPath,
  parseInstant,
  RateLimiter,
  readBody,
  redirect,
  sendHtml,
  sendJson,
  writeChunks,
} from './http-kit.js';
import { matchApiRoute, openApiDocument } from './openapi.js';
import type { ApiRoute } from './openapi.js';
import {
  CONSOLE_CSS,
  renderApiDocs,
  renderAudit,
  renderBoard,
  renderError,
  renderRelease,
  renderRepository,
  renderSignIn,
} from './pages.js';
import type { PageContext } from './pages.js';
import {
  checkCsrf,
  ConsoleSessions,
  cookie,
  csrfToken,
  OAUTH_STATE_COOKIE,
  parseCookies,
  SESSION_COOKIE,
  sign,
  unsign,
} from './session.js';
import type { Session } from './session.js';
import { checkViewerTimeZone, ConsoleError, ConsoleService, decodeCursor } from './service.js';
import type { AuditQuery, ConsoleDeps, Viewer } from './service.js';

export interface ConsoleHandlerOptions {
  config: ConsoleConfig;
  gate: ConsoleDeps;
  probot: Probot;
}

interface Caller {
  login: string;
  via: 'session' | 'token';
  session: Session | null;
}

const TZ_COOKIE = 'rg_tz';

/** GitHub's web address for an API root: `https://api.github.com` -> `https://github.com`, `<GHE>/api/v3` -> `<GHE>`. */
export function webBaseUrl(apiBaseUrl: string): string {
  if (/^https:\/\/api\.github\.com\/?$/.test(apiBaseUrl)) return 'https://github.com';
  if (/^https:\/\/api\.[^/]+\.ghe\.com\/?$/.test(apiBaseUrl))
    return apiBaseUrl.replace('://api.', '://').replace(/\/$/, '');
  return apiBaseUrl.replace(/\/api\/v3\/?$/, '');
}

/**
 * The release console and its API, as one handler for the App's HTTP server: pages at
 * `/`, `/repos/...`, `/audit`, sign-in at `/auth/...`, JSON at `/api/v1/...`. Returns false
 * for any other path, so the App's other handlers answer it.
 */
export function createConsoleHandler(
  options: ConsoleHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { config, gate } = options;
  const clock = gate.clock;
  const directory = new GitHubDirectory(options.probot, config, clock);
  const service = new ConsoleService(gate, directory, webBaseUrl(config.apiBaseUrl));
  const limiter = new RateLimiter(config.rateLimit.limit, config.rateLimit.windowMs);
  const sessions = new ConsoleSessions(gate.store, config.sessionSecret, config.sessionTtlMs, clock);
  /** Who made each request, for the request log. */
  const users = new WeakMap<ServerResponse, string>();

  // X-Forwarded-* only when the operator said a proxy sets them (TRUST_PROXY); CONSOLE_URL wins over both.
  const isSecure = (req: IncomingMessage) =>
    config.publicUrl ? config.publicUrl.startsWith('https:') : requestOrigin(req, config).protocol === 'https';
  const origin = (req: IncomingMessage) => {
    if (config.publicUrl) return config.publicUrl;
    const seen = requestOrigin(req, config);
    if (!seen.origin)
      throw new ConsoleError(400, 'invalid_host', 'The request has no Host header this console can answer under.');
    return seen.origin;
  };

  /**
   * Who makes the request: a bearer token GitHub says this App issued, or a session cookie the
   * record knows; then what they can reach is made sure of (one listing per cache period).
   */
  async function identify(req: IncomingMessage): Promise<Caller | null> {
    const auth = req.headers.authorization;
    if (auth) {
      const m = /^(?:bearer|token)\s+(\S+)$/i.exec(auth);
      if (!m)
        throw new ConsoleError(
          401,
          'unauthenticated',
          'The Authorization header must be "Bearer <GitHub user token of this App>".',
        );
      try {
        const user = await directory.verifyToken(m[1]!);
        await directory.reach(user.login, m[1]!);
        return { login: user.login, via: 'token', session: null };
      } catch (error) {
        throw identityRefused(error);
      }
    }
    const session = await sessions.read(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
    if (!session) return null;
    try {
      await directory.reach(session.login, session.token);
    } catch (error) {
      if (error instanceof IdentityError && error.status === 401) {
        // GitHub ended the user's authorization (revoked, expired): so ends the session.
        await sessions.end(session);
        return null;
      }
      throw identityRefused(error);
    }
    return { login: session.login, via: 'session', session };
  }

  function identityRefused(error: unknown): unknown {
    if (!(error instanceof IdentityError)) return error;
    return new ConsoleError(
      error.status === 502 ? 502 : 401,
      error.status === 502 ? 'github_unavailable' : 'unauthenticated',
      error.message,
    );
  }

  function viewerOf(req: IncomingMessage, url: URL, login: string, api: boolean): Viewer {
    const asked = url.searchParams.get('tz');
    if (asked !== null) {
      const zone = checkViewerTimeZone(asked);
      if (!zone && api)
        throw new ConsoleError(
          400,
          'invalid_parameter',
          `tz: "${asked.slice(0, 60)}" is not an IANA time zone (like Europe/Berlin).`,
        );
      if (zone) return { login, timeZone: zone };
    }
    const fromCookie = parseCookies(req.headers.cookie)[TZ_COOKIE];
    return { login, timeZone: (fromCookie && checkViewerTimeZone(fromCookie)) || 'UTC' };
  }

  function checkQuery(url: URL, allowed: string[]): void {
    for (const key of url.searchParams.keys()) {
      if (!allowed.includes(key))
        throw new ConsoleError(
          400,
          'invalid_parameter',
          `${key}: unknown parameter (allowed: ${allowed.join(', ') || 'none'}).`,
        );
    }
  }

  function auditQuery(url: URL, limitDefault: number): AuditQuery {
    const p = url.searchParams;
    const now = clock();
    const q: AuditQuery = { limit: limitDefault };
    const repo = p.get('repo');
    if (repo) q.repo = checkRepoName(repo, 'repo');
    for (const key of ['stage', 'actor'] as const) {
      const v = p.get(key);
      if (v === null || v === '') continue;
      if (v.length > 100) throw new ConsoleError(400, 'invalid_parameter', `${key}: at most 100 characters.`);
      q[key] = v;
    }
    const decision = p.get('decision');
    if (decision) {
      if (!['allow', 'wait', 'block'].includes(decision))
        throw new ConsoleError(
          400,
          'invalid_parameter',
          `decision: "${decision.slice(0, 40)}" is not allow, wait or block.`,
        );
      q.decision = decision;
    }
    const type = p.get('type');
    if (type) {
      if (!(RELEASE_EVENT_TYPES as readonly string[]).includes(type))
        throw new ConsoleError(
          400,
          'invalid_parameter',
          `type: "${type.slice(0, 40)}" is not an event type (${RELEASE_EVENT_TYPES.join(', ')}).`,
        );
      q.type = type as ReleaseEventType;
    }
    const since = p.get('since');
    if (since) q.since = parseInstant(since, 'since', now);
    const until = p.get('until');
    if (until) q.until = parseInstant(until, 'until', now);
    if (q.since && q.until && q.since >= q.until)
      throw new ConsoleError(400, 'invalid_parameter', 'until: must be later than since.');
    const cursor = p.get('cursor');
    if (cursor) {
      const c = decodeCursor(cursor);
      if (!c)
        throw new ConsoleError(
          400,
          'invalid_parameter',
          'cursor: not a cursor this API gave (use nextCursor of the previous page, unchanged).',
        );
      q.cursor = c;
    }
    const limit = p.get('limit');
    if (limit !== null) {
      const n = Number(limit);
      if (!/^\d+$/.test(limit) || n < 1 || n > 200)
        throw new ConsoleError(
          400,
          'invalid_parameter',
          `limit: "${limit.slice(0, 20)}" is not a whole number from 1 to 200.`,
        );
      q.limit = n;
    }
    return q;
  }

  /** Pages of the filtered audit, oldest first, read as they are written. */
  async function* auditPages(login: string, url: URL): AsyncGenerator<AuditRecord[]> {
    const q = auditQuery(url, 500);
    q.limit = 500;
    q.order = 'asc';
    for (;;) {
      const page = await service.audit(login, q);
      yield page.items;
      if (!page.nextCursor) return;
      q.cursor = decodeCursor(page.nextCursor);
    }
  }

  function requireCsrf(caller: Caller, token: unknown): void {
    if (caller.via !== 'session') return; // a bearer token is not sent by a browser on its own
    if (!checkCsrf(config.sessionSecret, caller.session!, typeof token === 'string' ? token : null)) {
      throw new ConsoleError(
        403,
        'csrf',
        'The CSRF token is missing or wrong: reload the page and try again (API clients: send X-CSRF-Token from GET /api/v1/me).',
      );
    }
  }

  function stringField(body: Record<string, unknown>, name: string, required: boolean, max = 2000): string | undefined {
    const v = body[name];
    if (v === undefined || v === null || v === '') {
      if (required) throw new ConsoleError(422, 'invalid_field', `${name}: required.`);
      return undefined;
    }
    if (typeof v !== 'string') throw new ConsoleError(422, 'invalid_field', `${name}: must be a string.`);
    const t = v.trim();
    if (required && t === '') throw new ConsoleError(422, 'invalid_field', `${name}: required.`);
    if (t.length > max) throw new ConsoleError(422, 'invalid_field', `${name}: at most ${max} characters.`);
    return t;
  }

  async function act(
    caller: Caller,
    action: string,
    fullName: string,
    sha: string,
    body: Record<string, unknown>,
  ): Promise<unknown> {
    if (action === 'approve')
      return service.approve(caller.login, fullName, sha, stringField(body, 'environment', false, 100));
    if (action === 'promote')
      return service.promote(caller.login, fullName, sha, stringField(body, 'stage', false, 100));
    if (action === 'reject') {
      const environment = stringField(body, 'environment', false, 100);
      return service.reject(caller.login, fullName, sha, {
        reason: stringField(body, 'reason', true, 500)!,
        ...(environment ? { environment } : {}),
      });
    }
    const rules =
      body.rules === undefined || body.rules === ''
        ? []
        : typeof body.rules === 'string'
          ? body.rules.split(/[\s,]+/).filter(Boolean)
          : body.rules;
    if (!Array.isArray(rules) || rules.some((r) => typeof r !== 'string' || r.length > 100))
      throw new ConsoleError(422, 'invalid_field', 'rules: must be a list of rule codes.');
    return service.override(caller.login, fullName, sha, {
      stage: stringField(body, 'stage', true, 100)!,
      reason: stringField(body, 'reason', true)!,
      risk: stringField(body, 'risk', true)!,
      rules: rules as string[],
    });
  }

  async function api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    path: string,
    requestId: string,
  ): Promise<void> {
    const match = matchApiRoute(req.method ?? 'GET', path);
    if (!match)
      throw new ConsoleError(404, 'not_found', `No API route ${req.method} /api/v1${path}; see /api/v1/openapi.json.`);
    if ('allowed' in match)
      throw new ConsoleError(
        404,
        'not_found',
        `${req.method} is not an operation of /api/v1${path} (it answers ${match.allowed.join(', ')}).`,
      );
    const { route, params } = match;
    if (route.operationId === 'getOpenApi') return sendJson(res, 200, openApiDocument());
    const address = `addr:${clientAddress(req, config)}`;
    const caller = await identify(req).catch((error: unknown) => {
      limit(address);
      throw error;
    });
    if (!caller) {
      limit(address);
      throw new ConsoleError(
        401,
        'unauthenticated',
        'Sign in with GitHub at /auth/login, or send Authorization: Bearer <GitHub user token>.',
      );
    }
    limit(caller.login);
    users.set(res, caller.login);
    const fullName =
      params.owner && params.repo
        ? checkRepoName(repoKey({ owner: params.owner, repo: params.repo }), 'owner/repo')
        : '';
    switch (route.operationId as ApiRoute['operationId']) {
      case 'getMe':
        checkQuery(url, []);
        return sendJson(res, 200, {
          login: caller.login,
          via: caller.via,
          csrfToken: caller.session ? csrfToken(config.sessionSecret, caller.session) : null,
        });
      case 'getBoard':
        checkQuery(url, []);
        return sendJson(res, 200, await service.board(caller.login));
      case 'getRepository': {
        checkQuery(url, ['tz', 'cursor']);
        const cursor = url.searchParams.get('cursor');
        const c = cursor ? decodeCursor(cursor) : null;
        if (cursor && !c) throw new ConsoleError(400, 'invalid_parameter', 'cursor: not a cursor this API gave.');
        return sendJson(res, 200, await service.repository(viewerOf(req, url, caller.login, true), fullName, c));
      }
      case 'getRelease':
        checkQuery(url, ['tz']);
        return sendJson(
          res,
          200,
          await service.release(viewerOf(req, url, caller.login, true), fullName, checkSha(params.sha!)),
        );
      case 'getAudit':
        checkQuery(url, ['repo', 'stage', 'actor', 'decision', 'type', 'since', 'until', 'cursor', 'limit']);
        return sendJson(res, 200, await service.audit(caller.login, auditQuery(url, 50)));
      case 'exportAudit': {
        checkQuery(url, ['repo', 'stage', 'actor', 'decision', 'type', 'since', 'until', 'format']);
        const format = url.searchParams.get('format') ?? 'json';
        if (format !== 'json' && format !== 'csv')
          throw new ConsoleError(400, 'invalid_parameter', `format: "${format.slice(0, 20)}" is not json or csv.`);
        url.searchParams.delete('format');
        const pages = auditPages(caller.login, url);
        // The first page is read before the answer starts, so a refusal (a repository the
        // user cannot read) is still an error answer; the rest streams as it is read.
        const first = await pages.next();
        async function* all(): AsyncGenerator<AuditRecord[]> {
          if (!first.done) yield first.value;
          yield* pages;
        }
        res.writeHead(200, {
          'content-type': format === 'json' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="release-gate-audit.${format}"`,
          'cache-control': 'no-store',
        });
        await writeChunks(res, auditExportChunks(all(), format));
        return;
      }
      default: {
        // The three actions.
        checkQuery(url, []);
        const body = await readBody(req);
        requireCsrf(caller, req.headers['x-csrf-token'] ?? body._csrf);
        const action =
          route.operationId === 'approveRelease'
            ? 'approve'
            : route.operationId === 'overrideRelease'
              ? 'override'
              : route.operationId === 'rejectRelease'
                ? 'reject'
                : 'promote';
        const out = await act(caller, action, fullName, checkSha(params.sha!), body);
        gate.log.info({ requestId, user: caller.login, action, repo: fullName, sha: params.sha }, 'Console action');
        return sendJson(res, 200, out);
      }
    }
  }

  function limit(key: string): void {
    const wait = limiter.take(key, clock().getTime());
    if (wait !== null)
      throw new ConsoleError(
        429,
        'rate_limited',
        `Too many requests for ${key}: at most ${config.rateLimit.limit} per ${config.rateLimit.windowMs / 1000} s. Try again in ${wait} s.`,
        { retryAfter: wait },
      );
  }

  function pageContext(req: IncomingMessage, caller: Caller | null, viewer: Viewer | null, url: URL): PageContext {
    return {
      login: caller?.login ?? null,
      csrf: caller?.session ? csrfToken(config.sessionSecret, caller.session) : null,
      timeZone: viewer?.timeZone ?? 'UTC',
      path: url.pathname + url.search,
      notice: url.searchParams.get('done'),
      signInEnabled: directory.signInEnabled,
      banner: config.banner ?? null,
    };
  }

  async function page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/console.css' && method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' });
      res.end(CONSOLE_CSS);
      return true;
    }
    if (path === '/auth/login' && method === 'GET') {
      if (!directory.signInEnabled)
        throw new ConsoleError(
          404,
          'sign_in_off',
          "Sign-in with GitHub is not set up: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the GitHub App's client id and a client secret) and restart.",
        );
      const state = randomBytes(16).toString('base64url');
      const returnTo = localReturnPath(url.searchParams.get('return'));
      const signed = sign(config.sessionSecret, 'oauth', { state, returnTo, exp: clock().getTime() + 10 * 60_000 });
      redirect(res, directory.authorizeUrl(state, `${origin(req)}/auth/callback`), {
        'set-cookie': cookie(OAUTH_STATE_COOKIE, signed, { maxAgeSeconds: 600, secure: isSecure(req) }),
      });
      return true;
    }
    if (path === '/auth/callback' && method === 'GET') {
      const saved = unsign<{ state: string; returnTo: string; exp: number }>(
        config.sessionSecret,
        'oauth',
        parseCookies(req.headers.cookie)[OAUTH_STATE_COOKIE],
      );
      const state = url.searchParams.get('state');
      const code = url.searchParams.get('code');
      if (!saved || saved.exp <= clock().getTime() || !state || state !== saved.state)
        throw new ConsoleError(
          400,
          'invalid_state',
          'The sign-in answer does not match a sign-in started here (or it took over 10 minutes): sign in again.',
        );
      if (!code)
        throw new ConsoleError(
          400,
          'invalid_parameter',
          `code: GitHub sent no code${url.searchParams.get('error') ? ` (${url.searchParams.get('error')})` : ''}; sign in again.`,
        );
      let signedIn;
      try {
        signedIn = await directory.signIn(code, `${origin(req)}/auth/callback`);
      } catch (error) {
        if (error instanceof IdentityError)
          throw new ConsoleError(error.status === 502 ? 502 : 400, 'sign_in_failed', error.message);
        throw error;
      }
      const { key } = await sessions.start(signedIn.user, signedIn.token);
      const secure = isSecure(req);
      redirect(res, localReturnPath(saved.returnTo), {
        'set-cookie': [
          cookie(SESSION_COOKIE, key, { maxAgeSeconds: config.sessionTtlMs / 1000, secure }),
          cookie(OAUTH_STATE_COOKIE, '', { maxAgeSeconds: 0, secure }),
        ],
      });
      gate.log.info({ user: signedIn.user.login }, 'Console sign-in');
      return true;
    }
    if (path === '/api/v1/docs' && method === 'GET') {
      sendHtml(res, 200, renderApiDocs(pageContext(req, null, null, url), openApiDocument()));
      return true;
    }
    const caller = await identify(req);
    if (caller) {
      limit(caller.login);
      users.set(res, caller.login);
    }
    if (path === '/auth/logout' && method === 'POST') {
      const body = await readBody(req);
      if (caller?.session) {
        requireCsrf(caller, body._csrf);
        // Ended in the record (every replica, every copy of the cookie) and on GitHub.
        await sessions.end(caller.session);
        await directory.revoke(caller.session.token).catch((error: unknown) => {
          gate.log.warn(
            { user: caller.login, err: describeError(error) },
            'GitHub did not revoke the signed-out token',
          );
        });
        gate.log.info({ user: caller.login }, 'Console sign-out');
      }
      redirect(res, '/', { 'set-cookie': cookie(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: isSecure(req) }) });
      return true;
    }
    if (!caller) {
      sendHtml(res, path === '/' ? 200 : 401, renderSignIn(pageContext(req, null, null, url)));
      return true;
    }
    const viewer = viewerOf(req, url, caller.login, false);
    const extra: Record<string, string> = {};
    const tz = url.searchParams.get('tz');
    if (tz && checkViewerTimeZone(tz))
      extra['set-cookie'] = cookie(TZ_COOKIE, tz, { maxAgeSeconds: 365 * 86_400, secure: isSecure(req) });
    const ctx = pageContext(req, caller, viewer, url);
    if (path === '/' && method === 'GET') {
      sendHtml(res, 200, renderBoard(ctx, await service.board(caller.login)), extra);
      return true;
    }
    if (path === '/audit' && method === 'GET') {
      const filters = new URL(url);
      filters.searchParams.delete('done');
      for (const [k, v] of [...filters.searchParams]) if (v === '') filters.searchParams.delete(k);
      checkQuery(filters, ['repo', 'stage', 'actor', 'decision', 'type', 'since', 'until', 'cursor', 'limit']);
      const q = auditQuery(filters, 50);
      sendHtml(res, 200, renderAudit(ctx, await service.audit(caller.login, q), filters.searchParams), extra);
      return true;
    }
    let m = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const cursor = url.searchParams.get('cursor');
      const c = cursor ? decodeCursor(cursor) : null;
      if (cursor && !c) throw new ConsoleError(400, 'invalid_parameter', 'cursor: not a cursor this console gave.');
      sendHtml(
        res,
        200,
        renderRepository(
          ctx,
          await service.repository(
            viewer,
            checkRepoName(`${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`, 'repository'),
            c,
          ),
        ),
        extra,
      );
      return true;
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      sendHtml(
        res,
        200,
        renderRelease(
          ctx,
          await service.release(
            viewer,
            checkRepoName(`${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`, 'repository'),
            checkSha(m[3]!),
          ),
        ),
        extra,
      );
      return true;
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/releases\/([^/]+)\/(approve|override|promote|reject)$/.exec(path);
    if (m && method === 'POST') {
      const body = await readBody(req);
      requireCsrf(caller, body._csrf);
      const fullName = checkRepoName(`${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`, 'repository');
      const sha = checkSha(m[3]!);
      await act(caller, m[4]!, fullName, sha, body);
      redirect(res, `/repos/${fullName}/releases/${sha}?done=${m[4]}`);
      return true;
    }
    return false;
  }

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    const isApi = path === '/api/v1' || path.startsWith('/api/v1/');
    const isPage =
      path === '/' ||
      path === '/audit' ||
      path === '/console.css' ||
      path.startsWith('/auth/') ||
      path.startsWith('/repos/') ||
      path === '/api/v1/docs';
    if (!isApi && !isPage) return false;
    const incoming = String(req.headers['x-request-id'] ?? '');
    const requestId = /^[\w.-]{8,100}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    let handled = true;
    try {
      if (isApi && path !== '/api/v1/docs') {
        await api(req, res, url, path.slice('/api/v1'.length) || '/', requestId);
      } else {
        handled = await page(req, res, url);
      }
    } catch (error) {
      const known = error instanceof ConsoleError ? error : null;
      if (!known)
        gate.log.error(
          { requestId, err: error instanceof Error ? error.stack : String(error) },
          'Console request failed',
        );
      const status = known?.status ?? 500;
      const code = known?.code ?? 'internal';
      const message = known?.message ?? `Something went wrong on the server (request ${requestId}); it is logged.`;
      const headers: Record<string, string> = {};
      const retryAfter = (known?.details as { retryAfter?: number } | undefined)?.retryAfter;
      if (status === 429 && retryAfter) headers['retry-after'] = String(retryAfter);
      if (!res.headersSent) {
        if (isApi && path !== '/api/v1/docs')
          sendJson(
            res,
            status,
            { error: { code, message, ...(known?.details && status !== 429 ? { details: known.details } : {}) } },
            headers,
          );
        else
          sendHtml(
            res,
            status,
            renderError(
              {
                login: null,
                csrf: null,
                timeZone: 'UTC',
                path,
                notice: null,
                signInEnabled: directory.signInEnabled,
                banner: config.banner ?? null,
              },
              status,
              code,
              message,
            ),
            headers,
          );
      } else if (!res.writableEnded) {
        // A streamed answer (an export) failed part way: cut the connection, so the client
        // sees a failed download rather than a file that looks complete.
        res.destroy();
      }
    }
    if (handled) {
      gate.log.info(
        {
          requestId,
          method: req.method,
          path,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          user: users.get(res) ?? null,
        },
        'Console request',
      );
    }
    return handled;
  };
}
