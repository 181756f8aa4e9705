/**
 * Conditional requests: every GET remembers GitHub's `ETag` and asks again with
 * `If-None-Match`; GitHub answers `304 Not Modified` without counting it against the rate
 * limit, and the remembered response is used
 * (https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
 *
 * The cache is kept per installation (a response one installation may read is never served to
 * another) and bounded: the least recently used entry goes first.
 */

interface CachedResponse {
  etag: string;
  response: { status: number; url: string; headers: Record<string, unknown>; data: unknown };
}

/** A bounded least-recently-used map. */
export class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(readonly maxEntries: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }
  get size(): number {
    return this.map.size;
  }
  clear(): void {
    this.map.clear();
  }
}

/** ETags of GET responses for the whole process: 5,000 entries (a few MB). */
export const etagCache = new LruCache<CachedResponse>(5_000);

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
        etagCache.set(key, {
          etag,
          response: { status: response.status, url: response.url, headers: response.headers, data: response.data },
        });
      return response;
    } catch (error) {
      if (hit && statusOf(error) === 304) return { ...hit.response, headers: { ...hit.response.headers } };
      throw error;
    }
  });
  return {};
}
