import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ProbotOctokit } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GateOctokit } from '../../src/github/gate-octokit.js';
import { undiciFetch } from '../../src/github/transport.js';

/**
 * The App reads GitHub's JSON answers with `JSON.parse` (src/github/json-responses.ts) instead
 * of Octokit's `json-with-bigint`: what a request gives the App must be what Octokit gives, for
 * every kind of answer, over the App's own transport against a real HTTP server.
 */

/** GitHub's own example of a pull request (its webhook examples): a page of ten, as GitHub lists them. */
const examples = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve('@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'),
) as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
const PULL = examples.find((e) => e.name === 'pull_request')!.examples[0]!.pull_request;
const PULLS_PAGE = JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ ...(PULL as object), number: i + 1 })));

/** path -> [status, content type (none when null), body] */
const ANSWERS: Record<string, [number, string | null, string | Buffer]> = {
  '/pulls': [200, 'application/json; charset=utf-8', PULLS_PAGE],
  '/unicode': [200, 'application/json; charset=utf-8', JSON.stringify({ title: 'Ship it ✓ — déjà vu 🚀' })],
  '/scim': [200, 'application/scim+json', JSON.stringify({ schemas: ['urn:ietf:params:scim'] })],
  '/not-json': [200, 'application/json', 'this is not JSON'],
  '/empty-json': [200, 'application/json', ''],
  '/text': [200, 'text/plain; charset=utf-8', 'plain text ✓'],
  '/diff': [200, 'application/vnd.github.diff; charset=utf-8', 'diff --git a/x b/x\n'],
  '/bytes': [200, 'application/octet-stream', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0x10, 0x80])],
  '/bytes-utf8': [200, 'application/octet-stream; charset=utf-8', Buffer.from([0x00, 0xff, 0x10])],
  '/no-type': [200, null, 'untyped'],
  '/big-id': [200, 'application/json', '{"id": 12345678901234567890, "small": 42}'],
  '/created': [201, 'application/json; charset=utf-8', JSON.stringify({ id: 9, status: 'queued' })],
  '/no-content': [204, null, ''],
  '/missing': [404, 'application/json; charset=utf-8', JSON.stringify({ message: 'Not Found' })],
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/api/, '');
    const answer = ANSWERS[path];
    if (!answer) {
      res.writeHead(500).end();
      return;
    }
    const [status, type, body] = answer;
    res.writeHead(status, type ? { 'content-type': type } : {});
    res.end(status === 204 ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

type Client = InstanceType<typeof ProbotOctokit>;

function client(Class: typeof ProbotOctokit): Client {
  return new Class({
    baseUrl: base,
    request: { fetch: undiciFetch() },
    retry: { enabled: false },
    throttle: { enabled: false },
  });
}

/** What a GET of `path` gives: the response's status and data, or the error's status and data. */
async function get(octokit: Client, path: string, options: Record<string, unknown> = {}) {
  try {
    const { status, data } = await octokit.request(`GET ${path}`, options);
    return { status, data: data as unknown };
  } catch (error) {
    const e = error as { status: number; response?: { data: unknown } };
    return { error: e.status, data: e.response?.data };
  }
}

describe("GitHub's JSON answers read with JSON.parse", () => {
  const ours = () => client(GateOctokit);
  // Probot's own class: Octokit's reading, json-with-bigint included.
  const octokits = () => client(ProbotOctokit);

  for (const path of Object.keys(ANSWERS).filter((p) => p !== '/big-id')) {
    it(`gives what Octokit gives for ${path}`, async () => {
      const a = await get(ours(), path);
      const b = await get(octokits(), path);
      expect(a).toEqual(b);
      if (b.data instanceof ArrayBuffer) expect(Buffer.from(a.data as ArrayBuffer)).toEqual(Buffer.from(b.data));
    });
  }

  it('reads a page of pull requests as GitHub sends them, every field', async () => {
    const { status, data } = await get(ours(), '/pulls');
    expect(status).toBe(200);
    expect(data).toEqual(JSON.parse(PULLS_PAGE));
    expect((data as Array<{ head: { sha: string } }>)[3]!.head.sha).toBe((PULL as { head: { sha: string } }).head.sha);
  });

  it('reads an integer past 2^53 as a number the record can write (Octokit would make it a BigInt, which JSON.stringify cannot write)', async () => {
    const a = await get(ours(), '/big-id');
    const b = await get(octokits(), '/big-id');
    expect(typeof (b.data as { id: unknown }).id).toBe('bigint');
    expect(typeof (a.data as { id: unknown }).id).toBe('number');
    // As JSON.parse reads it: the nearest double.
    expect(a.data).toEqual(JSON.parse('{"id": 12345678901234567890, "small": 42}'));
    expect(JSON.parse(JSON.stringify(a.data))).toEqual(a.data);
  });

  it('gives the body as a stream to a caller that asks for it, as Octokit does', async () => {
    const { data } = await get(ours(), '/pulls', { request: { parseSuccessResponseBody: false } });
    expect(data).toBeInstanceOf(ReadableStream);
    const text = await new Response(data as ReadableStream).text();
    expect(text).toBe(PULLS_PAGE);
  });

  it('pages through a list as before (paginate reads each page through the plugin)', async () => {
    const pages = await ours().paginate('GET /pulls', { per_page: 10 });
    expect(pages).toHaveLength(10);
    expect((pages as Array<{ number: number }>).map((p) => p.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
