/**
 * Conditional requests: every GET remembers GitHub's `ETag` and asks again with
 * `If-None-Match`; GitHub answers `304 Not Modified` without counting it against the rate
 * limit, and the remembered response is used
 * (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
 *
 * The cache is kept per installation (a response one installation may read is never served to
 * another) and bounded, in entries and in bytes: the least recently used entry goes first.
 */
import { bodyBytesOf } from './json-responses.js';

interface CachedResponse {
  etag: string;
  response: { status: number; url: string; headers: Record<string, unknown>; data: unknown };
}

/**
 * A bounded least-recently-used map: at most `maxEntries` entries, and at most `maxBytes` of
 * the sizes given with them (an entry larger than that alone is not kept).
 */
export class LruCache<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private total = 0;
  constructor(
    readonly maxEntries: number,
    readonly maxBytes = Infinity,
  ) {}
  get(key: string): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }
  set(key: string, value: V, bytes = 0): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.map.set(key, { value, bytes });
    this.total += bytes;
    while (this.map.size > this.maxEntries || this.total > this.maxBytes) this.delete(this.map.keys().next().value!);
  }
  private delete(key: string): void {
    const entry = this.map.get(key);
    if (entry === undefined) return;
    this.map.delete(key);
    this.total -= entry.bytes;
  }
  get size(): number {
    return this.map.size;
  }
  /** The sum of the sizes of the entries kept. */
  get bytes(): number {
    return this.total;
  }
  clear(): void {
    this.map.clear();
    this.total = 0;
  }
}

/**
 * ETags of GET responses for the whole process: at most 5,000, and at most 32 MiB of bodies as
 * GitHub sent them (the parsed answers take two to four times that in memory). Bounded by
 * entries alone, answers of GitHub's sizes (a pull request's reviews and commits, 100-700 KB a
 * page) held the cache at hundreds of MB, growing with every release decided
 * (bench/README.md, "Eighth round").
 */
export const etagCache = new LruCache<CachedResponse>(5_000, 32 * 1024 * 1024);

/** What a response weighs in the cache: its body's bytes as GitHub sent them, else its Content-Length, else 64 KiB. */
function weightOf(response: CachedResponse['response']): number {
  const read = bodyBytesOf(response);
  if (read !== undefined) return read;
  const length = Number(response.headers?.['content-length']);
  return Number.isFinite(length) && length >= 0 ? length : 64 * 1024;
}

interface RequestOptions {
  method?: string;
  url?: string;
  headers?: Record<string, string | undefined>;
  [key: string]: unknown;
}

interface HookedOctokit {
  hook: {
    wrap(
      name: 'request',
      fn: (
        request: (options: RequestOptions) => Promise<CachedResponse['response']>,
        options: RequestOptions,
      ) => Promise<unknown>,
    ): void;
  };
}

/** The request's identity: its route and parameters, without headers or transport options. */
function cacheKey(scope: string, options: RequestOptions): string {
  const params: Record<string, unknown> = {};
  for (const k of Object.keys(options).sort()) {
    if (k === 'headers' || k === 'request' || k === 'method' || k === 'baseUrl' || k === 'mediaType') continue;
    params[k] = options[k];
  }
  return `${scope} ${options.headers?.accept ?? ''} ${JSON.stringify(params)}`;
}

function statusOf(error: unknown): number {
  return typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
    ? error.status
    : 0;
}

/** The Octokit plugin: `ProbotOctokit.plugin(countApiCalls, conditionalRequests)` (after the counter, so the counter sees the 304s). */
export function conditionalRequests(
  octokit: unknown,
  options: { auth?: { installationId?: number | string } } = {},
): Record<string, never> {
  const scope = options.auth?.installationId !== undefined ? `installation:${options.auth.installationId}` : 'app';
  (octokit as HookedOctokit).hook.wrap('request', async (request, opts) => {
    if ((opts.method ?? 'GET').toUpperCase() !== 'GET') return request(opts);
    const key = cacheKey(scope, opts);
    const hit = etagCache.get(key);
    // The hook chain hands every wrap the same options object: the header is set on it.
    if (hit) opts.headers = { ...opts.headers, 'if-none-match': hit.etag };
    try {
      const response = await request(opts);
      const etag = response.headers?.etag;
      if (typeof etag === 'string' && response.status === 200)
        etagCache.set(
          key,
          {
            etag,
            response: { status: response.status, url: response.url, headers: response.headers, data: response.data },
          },
          weightOf(response),
        );
      return response;
    } catch (error) {
      if (hit && statusOf(error) === 304) return { ...hit.response, headers: { ...hit.response.headers } };
      throw error;
    }
  });
  return {};
}
