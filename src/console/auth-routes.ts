import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../github/types.js';
import { IdentityError } from './github-directory.js';
import { localReturnPath, readBody, redirect } from './http-kit.js';
import type { Caller, ConsoleKit } from './request-kit.js';
import { cookie, OAUTH_STATE_COOKIE, parseCookies, SESSION_COOKIE, sign, unsign } from './session.js';
import { ConsoleError } from './service.js';

/** Sign-in with GitHub (the OAuth web flow of the App) and sign-out; false for any other request. */
export async function handleSignIn(
  kit: ConsoleKit,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path === '/auth/login' && method === 'GET') {
    if (!kit.directory.signInEnabled)
      throw new ConsoleError(
        404,
        'sign_in_off',
        "Sign-in with GitHub is not set up: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the GitHub App's client id and a client secret) and restart.",
      );
    const state = randomBytes(16).toString('base64url');
    const returnTo = localReturnPath(url.searchParams.get('return'));
    const signed = sign(kit.config.sessionSecret, 'oauth', {
      state,
      returnTo,
      exp: kit.clock().getTime() + 10 * 60_000,
    });
    redirect(res, kit.directory.authorizeUrl(state, `${kit.origin(req)}/auth/callback`), {
      'set-cookie': cookie(OAUTH_STATE_COOKIE, signed, { maxAgeSeconds: 600, secure: kit.isSecure(req) }),
    });
    return true;
  }
  if (path === '/auth/callback' && method === 'GET') {
    const saved = unsign<{ state: string; returnTo: string; exp: number }>(
      kit.config.sessionSecret,
      'oauth',
      parseCookies(req.headers.cookie)[OAUTH_STATE_COOKIE],
    );
    const state = url.searchParams.get('state');
    const code = url.searchParams.get('code');
    if (!saved || saved.exp <= kit.clock().getTime() || !state || state !== saved.state)
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
      signedIn = await kit.directory.signIn(code, `${kit.origin(req)}/auth/callback`);
    } catch (error) {
      if (error instanceof IdentityError)
        throw new ConsoleError(error.status === 502 ? 502 : 400, 'sign_in_failed', error.message);
      throw error;
    }
    const { key } = await kit.sessions.start(signedIn.user, signedIn.token);
    const secure = kit.isSecure(req);
    redirect(res, localReturnPath(saved.returnTo), {
      'set-cookie': [
        cookie(SESSION_COOKIE, key, { maxAgeSeconds: kit.config.sessionTtlMs / 1000, secure }),
        cookie(OAUTH_STATE_COOKIE, '', { maxAgeSeconds: 0, secure }),
      ],
    });
    kit.gate.log.info({ user: signedIn.user.login }, 'Console sign-in');
    return true;
  }
  return false;
}

/** Ends the session in the record (every replica, every copy of the cookie) and on GitHub. */
export async function handleSignOut(
  kit: ConsoleKit,
  req: IncomingMessage,
  res: ServerResponse,
  caller: Caller | null,
): Promise<void> {
  const body = await readBody(req);
  if (caller?.session) {
    kit.requireCsrf(caller, body._csrf);
    await kit.sessions.end(caller.session);
    await kit.directory.revoke(caller.session.token).catch((error: unknown) => {
      kit.gate.log.warn(
        { user: caller.login, err: describeError(error) },
        'GitHub did not revoke the signed-out token',
      );
    });
    kit.gate.log.info({ user: caller.login }, 'Console sign-out');
  }
  redirect(res, '/', { 'set-cookie': cookie(SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: kit.isSecure(req) }) });
}
