import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsoleError } from './service.js';

/** The most a console request body may hold. */
export const BODY_LIMIT = 64 * 1024;

/** Reads a JSON or form body (at most {@link BODY_LIMIT} bytes) into a plain object. */
export async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > BODY_LIMIT)
      throw new ConsoleError(400, 'body_too_large', `The request body is over ${BODY_LIMIT} bytes.`);
    chunks.push(c as Buffer);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw.trim() === '') return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
    return out;
  }
  if (type !== 'application/json' && type !== '')
    throw new ConsoleError(
      400,
      'unsupported_media_type',
      `Send the body as application/json or application/x-www-form-urlencoded, not ${type}.`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConsoleError(
      400,
      'invalid_json',
      `The body is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConsoleError(400, 'invalid_json', 'The body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The console's own script and stylesheet only; the script reads this site alone.
    'content-security-policy':
      "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    ...headers,
  });
  res.end(html);
}

/**
 * Where `?return=` may send a browser after sign-in: a path on this site, else `/`. Browsers
 * read `//host`, `/\host` and `/<TAB>/host` (tabs and line breaks are dropped) as another
 * site, and `javascript:` or `https://host` are not paths at all; nor are their
 * percent-encoded forms, should anything decode them once more.
 */
export function localReturnPath(value: string | null | undefined): string {
  if (!value || value.length > 2000 || !value.startsWith('/')) return '/';
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    // Not percent-encoded text: not a path this console made.
    return '/';
  }
  for (const text of [value, decoded]) {
    if (/^\/[/\\]/.test(text) || text.includes('\\') || [...text].some((c) => c < ' ' || c === '\u007f')) return '/';
  }
  const base = new URL('http://console.invalid/');
  const resolved = new URL(value, base);
  if (resolved.origin !== base.origin) return '/';
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}

/**
 * Writes text pieces to the answer as they come, waiting whenever the client reads slower
 * than they are made (the socket's buffer is full), so memory holds a piece or two, not the
 * whole answer. Stops reading pieces when the client goes away.
 */
export async function writeChunks(res: ServerResponse, chunks: AsyncIterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (res.destroyed) return;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end();
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', ...headers });
  res.end();
}

/** Fixed-window request counts per user (or per address before sign-in). */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Null when the request may go on, else the seconds to wait. */
  take(key: string, now: number): number | null {
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      if (this.windows.size > 50_000) this.windows.clear();
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count += 1;
    if (w.count <= this.limit) return null;
    return Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000));
  }
}

const REPO_NAME = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
const SHA = /^[0-9a-f]{7,40}$/i;

export function checkRepoName(value: string, param: string): string {
  if (!REPO_NAME.test(value))
    throw new ConsoleError(
      400,
      'invalid_parameter',
      `${param}: "${value.slice(0, 80)}" is not a repository name like owner/name.`,
    );
  return value;
}

export function checkSha(value: string): string {
  if (!SHA.test(value))
    throw new ConsoleError(
      400,
      'invalid_parameter',
      `sha: "${value.slice(0, 80)}" is not a commit SHA (7 to 40 hexadecimal digits).`,
    );
  return value.toLowerCase();
}

/** An instant: ISO-8601, or a span back from now like `30d`, `12h`. */
export function parseInstant(value: string, param: string, now: Date): Date {
  const rel = /^(\d{1,5})([dhm])$/.exec(value);
  if (rel) {
    const unit = rel[2] === 'd' ? 86_400_000 : rel[2] === 'h' ? 3_600_000 : 60_000;
    return new Date(now.getTime() - Number(rel[1]) * unit);
  }
  const t = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)?)?$/.test(value)
    ? Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value)
    : Number.NaN;
  if (Number.isNaN(t))
    throw new ConsoleError(
      400,
      'invalid_parameter',
      `${param}: "${value.slice(0, 80)}" is not a time: give an ISO-8601 date or date-time (2026-03-10, 2026-03-10T15:00:00Z) or a span back from now (30d, 12h, 90m).`,
    );
  return new Date(t);
}

export function escapeHtml(text: unknown): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
