import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { injectFault } from './faults.js';
import { GitHubModel } from './model.js';
import { compileRoute, recorded, requestPath } from './json.js';
import type { Route } from './json.js';
import { answerRepoRoute } from './repo-routes.js';
import { answerNewAppPage, answerSignInRoute } from './user-routes.js';
import type { FakeRepo, FakeRequest, Handler, Reply, Result } from './types.js';

export type * from './types.js';
export type { RequestCheck } from './model.js';

/**
 * A local HTTP server that plays GitHub's REST API (and the few pages of its web host the
 * App's flows visit: OAuth sign-in, the "new GitHub App" page) for one or more repositories,
 * with just enough state for the App: files on the default branch and at other refs, commits
 * and trees, pull requests and reviews, check runs and statuses, teams, collaborators,
 * deployments and the protection rule callback, environments, installations and users.
 * The demo (`npm run demo`) runs the App against it; the tests use it through
 * `test/support/fake-github.ts`, which checks every request against GitHub's REST
 * description (`checkRequest`) and adds routes a test answers itself (`on`). A request GitHub
 * would refuse, or a route nothing answers, is kept in `violations`.
 */
export class SimulatedGitHub extends GitHubModel {
  private server: Server | null = null;
  private readonly routes: Route[] = [];
  /** Answers `METHOD /template` (e.g. `GET /repos/{owner}/{repo}/deployments`) before the repository model; later routes win. */
  on(route: string, handler: Handler): void {
    this.routes.push(compileRoute(route, handler));
  }

  /** Requests a route given to `on` as `route` (same `METHOD /template` form) answered. */
  calls(route: string): FakeRequest[] {
    const [method, template] = route.split(' ');
    const key = `${method!.toUpperCase()} ${template}`;
    return this.requests.filter((r) => r.route === key);
  }

  /** Serves `path` of `fullName` at `ref` (a commit or branch other than the default branch, e.g. a pull request's head). */
  serveFileAt(fullName: string, ref: string, path: string, text: string): void {
    this.repoOrNew(fullName).filesAt[`${path}@${ref}`] = text;
  }

  /** Sets the files pull request `number` of `fullName` changes. */
  setPullFiles(
    fullName: string,
    number: number,
    files: Array<{
      filename: string;
      status: 'added' | 'modified' | 'removed' | 'renamed';
      previous_filename?: string;
    }>,
  ): void {
    this.pullFiles.set(`${fullName.toLowerCase()}#${number}`, files);
  }

  addRepo(owner: string, name: string, init: Partial<FakeRepo> = {}): FakeRepo {
    const repo: FakeRepo = {
      owner,
      name,
      id: this.newId(),
      defaultBranch: 'main',
      files: {},
      fileCommits: {},
      trees: {},
      pulls: [],
      reviews: {},
      checkRuns: [],
      statuses: [],
      permissions: {},
      deployments: [],
      deploymentStatuses: [],
      compare: {},
      refs: {},
      workflowRuns: {},
      workflowJobs: {},
      runs: {},
      filesAt: {},
      comments: [],
      pendingRules: new Set(),
      answers: [],
      ...init,
    };
    this.repos.set(`${owner}/${name}`.toLowerCase(), repo);
    return repo;
  }

  /**
   * Serves a file on the default branch of any repository (made on first use), e.g. the org
   * default `.github/release-policy.yml` of `acme/.github`; `commit` is the last commit to touch it.
   */
  serveFile(fullName: string, path: string, text: string, commit?: string): FakeRepo {
    const repo = this.repoOrNew(fullName);
    repo.files[path] = text;
    if (commit !== undefined) repo.fileCommits[path] = commit;
    return repo;
  }

  private repoOrNew(fullName: string): FakeRepo {
    const [owner, name] = fullName.split('/') as [string, string];
    return this.repos.get(fullName.toLowerCase()) ?? this.addRepo(owner, name);
  }

  /** Starts listening on 127.0.0.1 (random port); `baseUrl` is then `http://127.0.0.1:<port>/api/v3`. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.baseUrl = `http://127.0.0.1:${port}/api/v3`;
    return this.baseUrl;
  }

  /** The server's root URL (GitHub.com's form, without `/api/v3`), e.g. for `GITHUB_API_URL`. */
  get url(): string {
    return new URL(this.baseUrl).origin;
  }

  get host(): string {
    return new URL(this.baseUrl).host;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  /** Requests matching a method and a path pattern. */
  find(method: string, path: RegExp): FakeRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  /** Answers one HTTP request (the server's handler; the demo also serves it from the App's own port). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await answerNewAppPage(this, req, res)) return;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = requestPath(url.pathname);
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: FakeRequest = {
      method,
      path,
      query: url.searchParams,
      template: this.checkRequests ? null : 'unchecked',
      body: undefined,
      status: 0,
      at: 0,
      route: null,
      params: {},
    };
    if (raw.length > 0) {
      try {
        entry.body = JSON.parse(raw);
      } catch (error) {
        this.violations.push(
          `${method} ${path}: body is not JSON (${error instanceof Error ? error.message : String(error)}): ${raw.slice(0, 200)}`,
        );
        if (this.refuseInvalid)
          return this.send(req, res, entry, { status: 400, body: { message: 'Problems parsing JSON' } });
      }
    }
    if (answerSignInRoute(this, req, res, entry)) return;
    if (this.checkRequests) {
      entry.template = this.check(method, path, entry.body);
      if (!entry.template && this.refuseInvalid)
        return this.send(req, res, entry, {
          status: 422,
          body: { message: 'Validation Failed (the request does not match GitHub REST API)' },
        });
    }
    if (await injectFault(this, entry, res)) return;
    let result: Result;
    try {
      result =
        this.answerRoute(entry) ??
        this.interceptor?.({ method, path, body: entry.body }) ??
        answerRepoRoute(this, method, path, entry.query, entry.body, String(req.headers.authorization ?? ''));
    } catch (error) {
      this.violations.push(
        `${method} ${path}: fake GitHub failed: ${error instanceof Error ? error.stack : String(error)}`,
      );
      result = { status: 500, body: { message: 'fake failure' } };
    }
    if (result.status === 404 && !entry.template) this.violations.push(`${method} ${path}: no such route`);
    return this.send(req, res, entry, result);
  }

  /** Counts and keeps the request, then answers it (304 to a conditional GET whose ETag still matches). */
  private async send(req: IncomingMessage, res: ServerResponse, entry: FakeRequest, reply: Result): Promise<void> {
    let result = reply;
    entry.status = result.status;
    entry.at = Date.now();
    this.requestCount++;
    if (this.keepRequests) this.requests.push(entry);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    let etag: string | undefined;
    if (this.etags && entry.method === 'GET' && result.status === 200 && result.body !== undefined) {
      etag = `W/"${createHash('sha1').update(JSON.stringify(result.body)).digest('hex')}"`;
      if (req.headers['if-none-match'] === etag) {
        result = { status: 304 };
        entry.status = 304;
      }
    }
    const headers: Record<string, string> = {
      ...(etag ? { etag } : {}),
      'content-type': 'application/json; charset=utf-8',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(0, 5000 - this.requestCount)),
      'x-ratelimit-reset': '4102444800',
      ...(result.headers ?? {}),
    };
    res.writeHead(result.status, headers);
    res.end(result.status === 204 || result.body === undefined ? undefined : JSON.stringify(result.body));
  }

  /** The answer of the latest route given to `on` that matches; with `routesOnly`, a 404 and a violation when none does. */
  private answerRoute(entry: FakeRequest): Result | null {
    for (let i = this.routes.length - 1; i >= 0; i -= 1) {
      const r = this.routes[i]!;
      if (r.method !== entry.method) continue;
      const m = r.pattern.exec(entry.path);
      if (!m) continue;
      r.names.forEach((n, k) => (entry.params[n] = m[k + 1]!));
      entry.route = r.key;
      const out = r.handler(recorded(entry));
      if (typeof out !== 'object' || out === null || !('status' in out || 'body' in out))
        return { status: 200, body: out };
      const reply = out as Reply;
      return { status: reply.status ?? 200, body: reply.body, ...(reply.headers ? { headers: reply.headers } : {}) };
    }
    if (!this.routesOnly) return null;
    this.violations.push(
      `no route answers ${entry.method} ${entry.path}${entry.query.size > 0 ? `?${entry.query.toString()}` : ''}`,
    );
    return { status: 404, body: { message: 'Not Found' } };
  }
}
