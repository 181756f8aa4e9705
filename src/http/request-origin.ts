import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * Where a browser reached the App. Behind a reverse proxy the `Host` header and the socket
 * are the proxy's business, so the App believes `X-Forwarded-Host`, `X-Forwarded-Proto` and
 * `X-Forwarded-For` only when its operator says every request comes through a proxy that
 * sets them (`TRUST_PROXY=true`): anyone else can write those headers.
 */
export interface OriginSettings {
  /** `CONSOLE_URL`'s origin (`https://gate.example.com`): the App's public address, when the operator gave one. */
  publicUrl: string | null;
  /** `TRUST_PROXY=true`: every request comes through a reverse proxy that sets the `X-Forwarded-*` headers. */
  trustProxy: boolean;
}

/** Reads CONSOLE_URL and TRUST_PROXY; `problems` says what to set when they cannot be read. */
export function readOriginSettings(env: { CONSOLE_URL?: string | undefined; TRUST_PROXY?: string | undefined }): {
  settings: OriginSettings;
  problems: string[];
} {
  const problems: string[] = [];
  let publicUrl: string | null = null;
  if (env.CONSOLE_URL) {
    try {
      const u = new URL(env.CONSOLE_URL);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('protocol');
      publicUrl = u.origin;
    } catch {
      problems.push(
        `CONSOLE_URL must be the App's public address like https://gate.example.com, not "${env.CONSOLE_URL.slice(0, 80)}".`,
      );
    }
  }
  const raw = (env.TRUST_PROXY ?? '').trim().toLowerCase();
  if (raw !== '' && raw !== 'true' && raw !== 'false')
    problems.push(
      `TRUST_PROXY must be true (every request comes through a reverse proxy that sets X-Forwarded-Host and X-Forwarded-Proto) or false, not "${String(env.TRUST_PROXY).slice(0, 40)}".`,
    );
  return { settings: { publicUrl, trustProxy: raw === 'true' }, problems };
}

function firstValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const first = text?.split(',')[0]?.trim();
  return first ? first : undefined;
}

/** A `Host` value as URLs spell it (lower case, default port dropped), or null when it is not a host. */
export function normalHost(host: string, protocol: 'http' | 'https'): string | null {
  if (!/^[A-Za-z0-9.\-[\]:]{1,300}$/.test(host)) return null;
  try {
    const u = new URL(`${protocol}://${host}`);
    return u.host === '' || u.username !== '' || u.pathname !== '/' ? null : u.host;
  } catch {
    return null;
  }
}

/** The scheme and host a request was made to, from its socket and `Host`, or the proxy's headers when trusted. */
export function requestOrigin(
  req: IncomingMessage,
  settings: Pick<OriginSettings, 'trustProxy'>,
): { protocol: 'http' | 'https'; host: string | null; origin: string | null } {
  const forwardedProto = settings.trustProxy ? firstValue(req.headers['x-forwarded-proto'])?.toLowerCase() : undefined;
  const tls = Boolean((req.socket as TLSSocket).encrypted);
  const protocol = forwardedProto === 'https' || (forwardedProto === undefined && tls) ? 'https' : 'http';
  const given = (settings.trustProxy ? firstValue(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host;
  const host = given ? normalHost(given, protocol) : null;
  return { protocol, host, origin: host ? `${protocol}://${host}` : null };
}

/** The client's address: the socket's, or the one the trusted proxy appended last to `X-Forwarded-For`. */
export function clientAddress(req: IncomingMessage, settings: Pick<OriginSettings, 'trustProxy'>): string {
  if (settings.trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const list = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    const last = list.at(-1)?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
