import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleApi } from './api-routes.js';
import { handleSignIn, handleSignOut } from './auth-routes.js';
import { sendHtml, sendJson } from './http-kit.js';
import { openApiDocument } from './openapi.js';
import { PAGE_ROUTES } from './page-routes.js';
import type { PageRoute } from './page-routes.js';
import { CONSOLE_CSS, CONSOLE_JS, renderApiDocs, renderError, renderSignIn } from './pages.js';
import { createKit, TZ_COOKIE } from './request-kit.js';
import type { ConsoleHandlerOptions } from './request-kit.js';
import { cookie } from './session.js';
import { checkViewerTimeZone, ConsoleError } from './service.js';

export type { ConsoleHandlerOptions } from './request-kit.js';
export { webBaseUrl } from './request-kit.js';

/** Files the pages load, served as they are. */
const ASSETS: Record<string, { type: string; body: string }> = {
  '/console.css': { type: 'text/css; charset=utf-8', body: CONSOLE_CSS },
  '/console.js': { type: 'text/javascript; charset=utf-8', body: CONSOLE_JS },
};

/**
 * The release console and its API, as one handler for the App's HTTP server: pages at
 * `/`, `/queue`, `/search`, `/repos/...`, `/audit` (the routes of `page-routes.ts`, tried
 * in order), sign-in at `/auth/...`, JSON at `/api/v1/...`. Returns false for any other
 * path, so the App's other handlers answer it.
 */
export function createConsoleHandler(
  options: ConsoleHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const kit = createKit(options);
  const routes: PageRoute[] = [...PAGE_ROUTES];

  async function page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const asset = ASSETS[path];
    if (asset && method === 'GET') {
      res.writeHead(200, {
        'content-type': asset.type,
        'cache-control': 'public, max-age=3600',
        'x-content-type-options': 'nosniff',
      });
      res.end(asset.body);
      return true;
    }
    if (await handleSignIn(kit, req, res, url)) return true;
    if (path === '/api/v1/docs' && method === 'GET') {
      sendHtml(res, 200, renderApiDocs(kit.pageContext(req, null, null, url), openApiDocument()));
      return true;
    }
    const caller = await kit.identify(req);
    if (caller) {
      kit.limit(caller.login);
      kit.users.set(res, caller.login);
    }
    if (path === '/auth/logout' && method === 'POST') {
      await handleSignOut(kit, req, res, caller);
      return true;
    }
    if (!caller) {
      sendHtml(res, path === '/' ? 200 : 401, renderSignIn(kit.pageContext(req, null, null, url)));
      return true;
    }
    const viewer = kit.viewerOf(req, url, caller.login, false);
    const headers: Record<string, string> = {};
    const tz = url.searchParams.get('tz');
    if (tz && checkViewerTimeZone(tz))
      headers['set-cookie'] = cookie(TZ_COOKIE, tz, { maxAgeSeconds: 365 * 86_400, secure: kit.isSecure(req) });
    const ctx = kit.pageContext(req, caller, viewer, url);
    let allowed: string[] = [];
    for (const route of routes) {
      const m = route.path.exec(path);
      if (!m) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params = m.slice(1).map((p) => decodeURIComponent(p ?? ''));
      await route.handle({ kit, req, res, url, caller, viewer, ctx, params, headers });
      return true;
    }
    allowed = [...new Set(allowed)];
    if (allowed.length > 0)
      throw new ConsoleError(
        405,
        'method_not_allowed',
        `${method} is not allowed on ${path} (it answers ${allowed.join(', ')}).`,
        {
          allow: allowed,
        },
      );
    return false;
  }

  const isPage = (path: string) =>
    path in ASSETS || path.startsWith('/auth/') || path === '/api/v1/docs' || routes.some((r) => r.path.test(path));

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    const isApi = (path === '/api/v1' || path.startsWith('/api/v1/')) && path !== '/api/v1/docs';
    if (!isApi && !isPage(path)) return false;
    const incoming = String(req.headers['x-request-id'] ?? '');
    const requestId = /^[\w.-]{8,100}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = performance.now();
    let handled = true;
    try {
      if (isApi) await handleApi(kit, req, res, url, path.slice('/api/v1'.length) || '/', requestId);
      else handled = await page(req, res, url);
    } catch (error) {
      const known = error instanceof ConsoleError ? error : null;
      if (!known)
        kit.gate.log.error(
          { requestId, err: error instanceof Error ? error.stack : String(error) },
          'Console request failed',
        );
      const status = known?.status ?? 500;
      const code = known?.code ?? 'internal';
      const message = known?.message ?? `Something went wrong on the server (request ${requestId}); it is logged.`;
      const headers: Record<string, string> = {};
      const retryAfter = (known?.details as { retryAfter?: number } | undefined)?.retryAfter;
      if (status === 429 && retryAfter) headers['retry-after'] = String(retryAfter);
      const allow = (known?.details as { allow?: string[] } | undefined)?.allow;
      if (status === 405 && allow) headers.allow = allow.join(', ');
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
                signInEnabled: kit.directory.signInEnabled,
                now: kit.clock().toISOString(),
                banner: kit.config.banner ?? null,
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
      kit.gate.log.info(
        {
          requestId,
          method: req.method,
          path,
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          user: kit.users.get(res) ?? null,
        },
        'Console request',
      );
    }
    return handled;
  };
}
