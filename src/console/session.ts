import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SessionStore } from '../store/types.js';

export { cookie, parseCookies } from '../http/cookies.js';

/** Who is signed in, until when, and with which GitHub token (what they can reach is listed with it). */
export interface Session {
  /** SHA-256 of the key the browser holds: the record's id of the session; the CSRF token is bound to it. */
  id: string;
  login: string;
  userId: number;
  /** The user's GitHub token of this App, from the sign-in. */
  token: string;
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

/** `<base64url JSON>.<HMAC-SHA256>`: readable by anyone, but made by the server only. */
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
    // Signed by this server, so never seen in practice; an unreadable value is no value.
    return null;
  }
}

/** The record's id of a session key: a database that leaks gives no cookie that works. */
export function sessionId(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function tokenKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('release-gate console session token').digest();
}

/** The token encrypted (AES-256-GCM) for the record, bound to its session id. */
export function sealToken(secret: string, id: string, token: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', tokenKey(secret), iv);
  cipher.setAAD(Buffer.from(id));
  const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return [iv, sealed, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.');
}

/** The token sealed by {@link sealToken} for this session, or null (another secret, another session, altered). */
export function openToken(secret: string, id: string, sealed: string): string | null {
  const [iv, data, tag] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !data || !tag || iv.length !== 12 || tag.length !== 16) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', tokenKey(secret), iv);
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    // The authentication tag does not match: not a token this secret sealed for this session.
    return null;
  }
}

/**
 * Console sessions kept in the record: the browser holds a random key (256 bits), the record
 * its hash, the user and their token, sealed. A session is good until it expires or its user
 * signs out, on every replica at once.
 */
export class ConsoleSessions {
  constructor(
    private readonly store: SessionStore,
    private readonly secret: string,
    private readonly ttlMs: number,
    private readonly clock: () => Date,
  ) {}

  /** Starts a session; returns the key for the browser's cookie. */
  async start(user: { login: string; id: number }, token: string): Promise<{ key: string; session: Session }> {
    const key = randomBytes(32).toString('base64url');
    const id = sessionId(key);
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    await this.store.createSession({
      id,
      login: user.login,
      userId: user.id,
      token: sealToken(this.secret, id, token),
      createdAt: now,
      expiresAt,
    });
    return { key, session: { id, login: user.login, userId: user.id, token, exp: expiresAt.getTime() } };
  }

  /** The session of a cookie's key, or null (absent, unknown, ended or expired). */
  async read(key: string | undefined): Promise<Session | null> {
    if (!key || !/^[\w-]{43}$/.test(key)) return null;
    const id = sessionId(key);
    const row = await this.store.findSession(id, this.clock());
    if (!row) return null;
    const token = openToken(this.secret, id, row.token);
    if (!token) return null;
    return { id, login: row.login, userId: row.userId, token, exp: row.expiresAt.getTime() };
  }

  /** Ends a session for good (sign-out, or GitHub no longer accepts its token). */
  async end(session: Pick<Session, 'id'>): Promise<void> {
    await this.store.endSession(session.id, this.clock());
  }
}

/** The CSRF token of a session: bound to its id, so it cannot be reused across sessions. */
export function csrfToken(secret: string, session: Pick<Session, 'id'>): string {
  return mac(secret, 'csrf', session.id);
}

export function checkCsrf(secret: string, session: Pick<Session, 'id'>, token: string | undefined | null): boolean {
  return typeof token === 'string' && same(token, csrfToken(secret, session));
}
