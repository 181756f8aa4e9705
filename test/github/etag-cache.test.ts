import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appOctokit } from '../../src/app/server.js';
import { LruCache, etagCache } from '../../src/github/conditional-requests.js';
import { undiciFetch } from '../../src/github/transport.js';

/**
 * The App remembers GitHub's answers to ask again conditionally (src/github/conditional-requests.ts):
 * bounded in entries and in bytes, so answers of GitHub's sizes (a pull request's commits and
 * reviews, hundreds of KB a page) cannot hold the process's memory as releases go by.
 */

describe('LruCache', () => {
  it('keeps at most its budget of bytes, the least recently used going first', () => {
    const cache = new LruCache<string>(100, 25);
    cache.set('a', 'A', 10);
    cache.set('b', 'B', 10);
    expect(cache.get('a')).toBe('A'); // a is now the most recently used
    cache.set('c', 'C', 10);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.get('c')).toBe('C');
    expect(cache.bytes).toBe(20);
  });

  it('does not keep an entry larger than the whole budget, and counts a replaced entry once', () => {
    const cache = new LruCache<string>(100, 25);
    cache.set('a', 'A', 10);
    cache.set('huge', 'H', 26);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    cache.set('a', 'A2', 5);
    expect(cache.bytes).toBe(5);
    expect(cache.size).toBe(1);
  });

  it('still keeps at most its number of entries', () => {
    const cache = new LruCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
  });
});

describe("the App's conditional requests at GitHub's sizes", () => {
  /** A page of about 1 MiB: what 250 commits of a pull request weigh as GitHub sends them. */
  const PAGE_BYTES = 1024 * 1024;
  const page = (n: number) =>
    JSON.stringify(
      Array.from({ length: 256 }, (_, i) => ({ sha: `${n}-${i}`, pad: 'x'.repeat(PAGE_BYTES / 256 - 40) })),
    );
  let server: Server;
  let base: string;
  const conditional: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const n = Number(new URL(req.url ?? '/', 'http://x').pathname.split('/').at(-2));
      const etag = `"page-${n}"`;
      if (req.headers['if-none-match'] === etag) {
        conditional.push(`${n}`);
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', etag });
      res.end(page(n));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    etagCache.clear();
    conditional.length = 0;
  });

  it('keeps at most 32 MiB of answers however many large pages are read, and still asks again conditionally for the recent ones', async () => {
    const Octokit = appOctokit(false);
    const octokit = new Octokit({ baseUrl: base, request: { fetch: undiciFetch() } });
    for (let n = 1; n <= 48; n++) await octokit.request('GET /repos/acme/shop/pulls/{n}/commits', { n });
    expect(etagCache.bytes).toBeGreaterThan(16 * PAGE_BYTES);
    expect(etagCache.bytes).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(etagCache.size).toBeLessThan(48);
    // The most recent page is answered 304 and read from the cache, whole.
    const again = await octokit.request('GET /repos/acme/shop/pulls/{n}/commits', { n: 48 });
    expect(conditional).toEqual(['48']);
    expect(again.status).toBe(200);
    expect((again.data as Array<{ sha: string }>)[255]!.sha).toBe('48-255');
    // The first ones went out of it: asked again without an ETag.
    await octokit.request('GET /repos/acme/shop/pulls/{n}/commits', { n: 1 });
    expect(conditional).toEqual(['48']);
  });
});
