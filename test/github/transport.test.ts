import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answeredStatus, describeGitHubError } from '../../src/github/request-errors.js';
import { githubFetch, undiciFetch } from '../../src/github/transport.js';
import { timedFetch } from '../../src/github/write-budget.js';

/**
 * The App's GitHub requests go through undici's `request` (src/github/transport.ts) instead of
 * Node's `fetch`. What Octokit gives the App must be the same either way: the same table of
 * requests runs on both, against a server that answers as GitHub's API does.
 */
const PULLS = [{ number: 7, head: { sha: 'a'.repeat(40) }, title: 'Ship it ✓' }];
const BYTES = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0x10, 0x80]);

let server: Server;
let base: string;
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];

function answer(req: IncomingMessage, res: ServerResponse, body: string): void {
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
  const json = (status: number, data: unknown, headers: Record<string, string | string[]> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(data));
  };
  const url = req.url ?? '';
  if (url.startsWith('/repos/acme/shop/commits/abc/pulls')) {
    if (req.headers['if-none-match'] === '"v1"') {
      res.writeHead(304, { etag: '"v1"' });
      res.end();
      return;
    }
    json(200, PULLS, {
      etag: '"v1"',
      'X-RateLimit-Remaining': '4999',
      link: '<http://127.0.0.1/next?page=2>; rel="next"',
      vary: ['Accept', 'Authorization'],
    });
  } else if (url.startsWith('/repos/acme/old-name/')) {
    // A renamed repository: GitHub answers 301 with the new address.
    res.writeHead(301, { location: url.replace('/old-name/', '/shop/') });
    res.end();
  } else if (url === '/repos/acme/shop/check-runs' && req.method === 'POST') {
    json(201, { id: 42, received: JSON.parse(body) as unknown });
  } else if (url.endsWith('/deployment_protection_rule')) {
    res.writeHead(204);
    res.end();
  } else if (url.endsWith('/zip')) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(BYTES);
  } else if (url.startsWith('/rate-limited')) {
    json(
      403,
      { message: 'API rate limit exceeded', documentation_url: 'https://docs.github.com/rest' },
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1800000000' },
    );
  } else if (url.startsWith('/silent')) {
    // Never answers: the App's time limit must end the request.
  } else {
    json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe.each([
  { transport: "Node's fetch", make: () => globalThis.fetch },
  { transport: "undici's request (the App's)", make: () => undiciFetch() },
])('GitHub requests through $transport', ({ make }) => {
  const octokit = (fetchImpl = make()) =>
    new Octokit({ baseUrl: base, auth: 'ghs_test', request: { fetch: timedFetch(fetchImpl, 300) } });

  it('reads JSON with its headers in lower case, sends the token, and gets 304 for an ETag it knows', async () => {
    const client = octokit();
    const r = await client.request('GET /repos/{owner}/{repo}/commits/{sha}/pulls', {
      owner: 'acme',
      repo: 'shop',
      sha: 'abc',
    });
    expect(r.status).toBe(200);
    expect(r.data).toEqual(PULLS);
    expect(r.headers.etag).toBe('"v1"');
    expect(r.headers['x-ratelimit-remaining']).toBe('4999');
    expect(r.headers.link).toContain('rel="next"');
    expect(r.headers.vary).toBe('Accept, Authorization');
    expect(r.url).toBe(`${base}/repos/acme/shop/commits/abc/pulls`);
    expect(seen.at(-1)?.headers.authorization).toBe('token ghs_test');
    const notModified = await client
      .request('GET /repos/{owner}/{repo}/commits/{sha}/pulls', {
        owner: 'acme',
        repo: 'shop',
        sha: 'abc',
        headers: { 'if-none-match': '"v1"' },
      })
      .catch((e: unknown) => e);
    expect(answeredStatus(notModified)).toBe(304);
  });

  it('follows a renamed repository to its new address', async () => {
    const r = await octokit().request('GET /repos/{owner}/{repo}/commits/{sha}/pulls', {
      owner: 'acme',
      repo: 'old-name',
      sha: 'abc',
    });
    expect(r.status).toBe(200);
    expect(r.data).toEqual(PULLS);
    expect(r.url).toBe(`${base}/repos/acme/shop/commits/abc/pulls`);
  });

  it('posts a JSON body and reads the answer; a 204 has no data', async () => {
    const client = octokit();
    const created = await client.request('POST /repos/{owner}/{repo}/check-runs', {
      owner: 'acme',
      repo: 'shop',
      name: 'release-gate / PROD',
      head_sha: 'a'.repeat(40),
      output: { title: 'Blocked ✗', summary: 'needs 2 approvals' },
    });
    expect(created.status).toBe(201);
    expect(created.data).toEqual({
      id: 42,
      received: {
        name: 'release-gate / PROD',
        head_sha: 'a'.repeat(40),
        output: { title: 'Blocked ✗', summary: 'needs 2 approvals' },
      },
    });
    expect(seen.at(-1)?.headers['content-type']).toBe('application/json; charset=utf-8');
    const review = await client.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule', {
      owner: 'acme',
      repo: 'shop',
      run_id: 7,
      environment_name: 'production',
      state: 'approved',
      comment: 'ok',
    });
    expect(review.status).toBe(204);
    expect(review.data).toBe('');
  });

  it('reads a binary answer as bytes', async () => {
    const r = await octokit().request('GET /repos/{owner}/{repo}/actions/artifacts/{id}/zip', {
      owner: 'acme',
      repo: 'shop',
      id: 1,
    });
    expect(Buffer.from(r.data as ArrayBuffer)).toEqual(BYTES);
  });

  it("reports GitHub's refusals with GitHub's message and headers", async () => {
    const client = octokit();
    const missing = await client.request('GET /repos/acme/shop/contents/nothing').catch((e: unknown) => e);
    expect(describeGitHubError(missing)).toBe('GitHub answered 404 Not Found (Not Found)');
    const limited = await client.request('GET /rate-limited').catch((e: unknown) => e);
    expect(describeGitHubError(limited)).toBe(
      "GitHub's rate limit is used up until 2027-01-15T08:00:00.000Z (403); wait for the reset",
    );
  });

  it('gives up on a GitHub that does not answer, and says so; and on one that is not there', async () => {
    const silent = await octokit()
      .request('GET /silent')
      .catch((e: unknown) => e);
    expect(answeredStatus(silent)).toBeNull();
    expect(describeGitHubError(silent)).toMatch(/^GitHub at 127\.0\.0\.1:\d+ did not answer in time \(ETIMEDOUT\)/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await new Octokit({ baseUrl: `http://127.0.0.1:${port}`, request: { fetch: make() } })
      .request('GET /repos/acme/shop')
      .catch((e: unknown) => e);
    expect(describeGitHubError(refused)).toBe(
      `cannot reach GitHub: nothing accepts connections at 127.0.0.1:${port} (ECONNREFUSED); check the API URL and that the server runs`,
    );
  });
});

describe("the App's GitHub fetch", () => {
  it("is Node's fetch when the environment asks for its proxy (NODE_USE_ENV_PROXY=1), undici's request otherwise", () => {
    const before = process.env.NODE_USE_ENV_PROXY;
    try {
      process.env.NODE_USE_ENV_PROXY = '1';
      expect(githubFetch()).toBe(globalThis.fetch);
      delete process.env.NODE_USE_ENV_PROXY;
      expect(githubFetch()).not.toBe(globalThis.fetch);
      expect(githubFetch()).toBe(githubFetch());
    } finally {
      if (before === undefined) delete process.env.NODE_USE_ENV_PROXY;
      else process.env.NODE_USE_ENV_PROXY = before;
    }
  });
});
