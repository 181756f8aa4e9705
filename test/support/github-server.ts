import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertRequestMatchesGitHub } from './openapi.js';

/**
 * A local HTTP server on 127.0.0.1 that plays GitHub's REST API for a test: it answers
 * the routes the test registers, records every request, and checks each one against
 * GitHub's REST description. A request GitHub would not accept, or one no route answers,
 * lands in `violations` and gets a 422 or 404, so a test that asserts `violations` is
 * empty fails on it.
 */

export interface RecordedRequest {
  method: string;
  /** The path without the query, e.g. `/repos/o/r/check-runs`. */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body, or undefined without one. */
  body: unknown;
  /** The path parameters of the route that answered. */
  params: Record<string, string>;
}

export type Reply = { status?: number; body?: unknown; headers?: Record<string, string> };
export type Handler = (req: RecordedRequest) => Reply | unknown;

export interface GitHubServer {
  /** The base URL to give as `GITHUB_API_URL`. */
  url: string;
  requests: RecordedRequest[];
  violations: string[];
  /** Answer `method template` (e.g. `GET /repos/{owner}/{repo}/deployments`); later routes win. */
  on(route: string, handler: Handler): void;
  /** Requests whose route matched `route` (same `METHOD /template` form). */
  calls(route: string): RecordedRequest[];
  close(): Promise<void>;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

function compile(route: string, handler: Handler): Route {
  const [method, template] = route.split(' ') as [string, string];
  const names: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      if (!part.startsWith('{')) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(part.slice(1, -1));
      return '([^/]+)';
    })
    .join('');
  return { method: method.toUpperCase(), template, pattern: new RegExp(`^${source}$`), names, handler };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

/** Start a server on a random port of 127.0.0.1. */
export async function startGitHubServer(): Promise<GitHubServer> {
  const routes: Route[] = [];
  const requests: RecordedRequest[] = [];
  const byRoute = new Map<string, RecordedRequest[]>();
  const violations: string[] = [];

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = (req.method ?? 'GET').toUpperCase();
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        violations.push(`${method} ${url.pathname}: the body is not JSON: ${raw.slice(0, 200)}`);
        send(res, 400, { message: 'Problems parsing JSON' });
        return;
      }
      const recorded: RecordedRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, params: {} };
      requests.push(recorded);
      try {
        assertRequestMatchesGitHub(method, url.pathname + url.search, body);
      } catch (error) {
        violations.push(error instanceof Error ? error.message : String(error));
        send(res, 422, { message: 'Validation Failed (the request does not match GitHub REST API)' });
        return;
      }
      for (let i = routes.length - 1; i >= 0; i -= 1) {
        const r = routes[i]!;
        if (r.method !== method) continue;
        const m = r.pattern.exec(url.pathname);
        if (!m) continue;
        r.names.forEach((n, k) => (recorded.params[n] = decodeURIComponent(m[k + 1]!)));
        const key = `${r.method} ${r.template}`;
        byRoute.set(key, [...(byRoute.get(key) ?? []), recorded]);
        const out = r.handler(recorded);
        const reply: Reply = typeof out === 'object' && out !== null && ('status' in out || 'body' in out) ? (out as Reply) : { body: out };
        send(res, reply.status ?? 200, reply.body, reply.headers);
        return;
      }
      violations.push(`no route answers ${method} ${url.pathname}${url.search}`);
      send(res, 404, { message: 'Not Found' });
    })().catch((error: unknown) => {
      violations.push(`server error: ${error instanceof Error ? error.stack : String(error)}`);
      if (!res.headersSent) send(res, 500, { message: 'test server error' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    violations,
    on(route, handler) {
      routes.push(compile(route, handler));
    },
    calls(route) {
      const [method, template] = route.split(' ');
      return byRoute.get(`${method!.toUpperCase()} ${template}`) ?? [];
    },
    close() {
      return new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}
