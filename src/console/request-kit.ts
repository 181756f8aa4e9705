import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Probot } from 'probot';
import { requestOrigin } from '../http/request-origin.js';
import type { ConsoleConfig } from './config.js';
import { GitHubDirectory, IdentityError } from './github-directory.js';
import { RateLimiter } from './http-kit.js';
import type { PageContext } from './pages.js';
import { checkCsrf, ConsoleSessions, csrfToken, parseCookies, SESSION_COOKIE } from './session.js';
import type { Session } from './session.js';
import { checkViewerTimeZone, ConsoleError, ConsoleService } from './service.js';
import type { ConsoleDeps, Viewer } from './service.js';

export interface ConsoleHandlerOptions {
  config: ConsoleConfig;
  gate: ConsoleDeps;
  probot: Probot;
}

/** Who makes a request: a browser session or a bearer token. */
export interface Caller {
  login: string;
  via: 'session' | 'token';
  session: Session | null;
}

export const TZ_COOKIE = 'rg_tz';

/** GitHub's web address for an API root: `https://api.github.com` -> `https://github.com`, `<GHE>/api/v3` -> `<GHE>`. */
export function webBaseUrl(apiBaseUrl: string): string {
  if (/^https:\/\/api\.github\.com\/?$/.test(apiBaseUrl)) return 'https://github.com';
  if (/^https:\/\/api\.[^/]+\.ghe\.com\/?$/.test(apiBaseUrl))
    return apiBaseUrl.replace('://api.', '://').replace(/\/$/, '');
  return apiBaseUrl.replace(/\/api\/v3\/?$/, '');
}

/** What every route of the console shares: the service, sessions, who asks, their time zone, the rate limit. */
export type ConsoleKit = ReturnType<typeof createKit>;

/** The console's shared parts for one App process. */
export function createKit(options: ConsoleHandlerOptions) {
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
      now: clock().toISOString(),
      banner: config.banner ?? null,
    };
  }

  return {
    config,
    gate,
    clock,
    directory,
    service,
    sessions,
    users,
    isSecure,
    origin,
    identify,
    viewerOf,
    checkQuery,
    requireCsrf,
    limit,
    pageContext,
  };
}
