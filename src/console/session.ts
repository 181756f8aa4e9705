import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Who is signed in, until when. */
export interface Session {
  /** Random id: the CSRF token is bound to it. */
  sid: string;
  login: string;
  userId: number;
  /** Expiry, ms since the epoch. */
  exp: number;
}

export const SESSION_COOKIE = 'rg_session';
export const OAUTH_STATE_COOKIE = 'rg_oauth';

function mac(secret: string, purpose: string, text: string): string {
  return createHmac('sha256', secret).update(`${purpose}\u0000${text}`).digest('base64url');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `<base64url JSON>.<HMAC-SHA256>`: readable by nobody but checked by the server only. */
export function sign(secret: string, purpose: string, value: unknown): string {
  const body = Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${body}.${mac(secret, purpose, body)}`;
}

/** The value signed by {@link sign} for the same purpose, or null when the text was not. */
export function unsign<T>(secret: string, purpose: string, text: string | undefined): T | null {
  if (!text) return null;
  const dot = text.lastIndexOf('.');
  if (dot <= 0) return null;
  const body = text.slice(0, dot);
  if (!same(text.slice(dot + 1), mac(secret, purpose, body))) return null;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  } catch {
    return null;
  }
}

export function newSession(login: string, userId: number, now: Date, ttlMs: number): Session {
  return { sid: randomBytes(16).toString('base64url'), login, userId, exp: now.getTime() + ttlMs };
}

/** The signed-in session of a cookie, or null (absent, forged or expired at `now`). */
export function readSession(secret: string, cookie: string | undefined, now: Date): Session | null {
  const s = unsign<Session>(secret, 'session', cookie);
  if (!s || typeof s.login !== 'string' || typeof s.sid !== 'string' || typeof s.exp !== 'number') return null;
  return s.exp > now.getTime() ? s : null;
}

/** The CSRF token of a session: bound to its id, so it cannot be reused across sessions. */
export function csrfToken(secret: string, session: Session): string {
  return mac(secret, 'csrf', session.sid);
}

export function checkCsrf(secret: string, session: Session, token: string | undefined | null): boolean {
  return typeof token === 'string' && same(token, csrfToken(secret, session));
}

/** Cookies of a request header. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!(name in out)) out[name] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

/** A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure when served over TLS. */
export function cookie(name: string, value: string, options: { maxAgeSeconds: number; secure: boolean }): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
