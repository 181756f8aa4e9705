import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { injectFault } from './faults.js';
import { compileRoute, hashId, recorded, requestPath } from './json.js';
import type { Route } from './json.js';
import { answerRepoRoute } from './repo-routes.js';
import { answerNewAppPage, answerSignInRoute } from './user-routes.js';
import type { FakeEnvironment, FakeRepo, FakeRequest, Fault, Handler, ManifestApp, Reply, Result } from './types.js';

export type * from './types.js';

/** How the simulated GitHub checks a request: the REST template it matched, or a thrown error saying why GitHub would refuse it. */
export type RequestCheck = (method: string, path: string, body: unknown) => string;

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
export class SimulatedGitHub {
  constructor(options: { checkRequest?: RequestCheck; manifestPem?: string } = {}) {
    this.checkRequest = options.checkRequest ?? null;
    this.checkRequests = this.checkRequest !== null;
    this.manifestPem = options.manifestPem ?? '';
  }

  /** Checks requests against GitHub's REST description (given by the tests); null: not checked. */
  readonly checkRequest: RequestCheck | null;
  /** The private key an App created from a manifest gets (`POST /app-manifests/{code}/conversions`). */
  manifestPem: string;
  readonly repos = new Map<string, FakeRepo>();
  /** org -> team slug -> member logins. */
  readonly teams = new Map<string, Record<string, string[]>>();
  readonly requests: FakeRequest[] = [];
  readonly violations: string[] = [];
  /** Override a route: return a response to short-cut the model. */
  interceptor:
    ((req: { method: string; path: string; body: unknown }) => { status: number; body?: unknown } | undefined) | null =
    null;
  /** Delay before every response (ms), to model network latency. */
  latencyMs = 0;
  /** Check every request with `checkRequest` (off in the benchmark, which measures the App). */
  checkRequests: boolean;
  /** Keep request bodies (tests) or only count them (benchmark). */
  keepRequests = true;
  requestCount = 0;
  /** Repositories (`owner/name`, in lower case) the installation may not read: every request to them answers 403. */
  readonly deniedRepos = new Set<string>();
  /** Answer conditional GETs (`If-None-Match` with the ETag sent) with 304, as GitHub does. */
  etags = true;
  /** The App's id: deployments and statuses it creates say so (`performed_via_github_app`). */
  appId = 4242;
  /** Refuse what GitHub would refuse: a body that is not JSON (400) or a request outside its REST description (422). */
  refuseInvalid = false;
  /** Answer only the routes given to `on`; any other request is a violation (404). */
  routesOnly = false;
  private server: Server | null = null;
  private nextId = 1000;
  private readonly routes: Route[] = [];
  baseUrl = '';

  /** `owner/name#number` (in lower case) -> the files the pull request changes. */
  readonly pullFiles = new Map<
    string,
    Array<{ filename: string; status: 'added' | 'modified' | 'removed' | 'renamed'; previous_filename?: string }>
  >();

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
      id: this.nextId++,
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

  repo(fullName: string): FakeRepo {
    const r = this.repos.get(fullName.toLowerCase());
    if (!r) throw new Error(`fake GitHub has no repository ${fullName}`);
    return r;
  }

  newId(): number {
    return this.nextId++;
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

  /** Checks a request against GitHub's REST description: its path template, or null (a violation). */
  check(method: string, path: string, body: unknown): string | null {
    try {
      return this.checkRequest ? this.checkRequest(method, path, body) : 'unchecked';
    } catch (error) {
      this.violations.push(error instanceof Error ? error.message : String(error));
      return null;
    }
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

  // Console: the OAuth web flow of the App, its users and its installations.

  /** The App's OAuth client; the token exchange refuses other credentials. */
  oauthClient = { id: 'Iv1.consoletest', secret: 'console-client-secret' };
  /** One-time codes GitHub would send back to the callback: code -> user token. */
  readonly oauthCodes = new Map<string, string>();
  /** User tokens: token -> user, and the OAuth client it was issued to (the App's when left out). */
  readonly userTokens = new Map<string, { login: string; id: number; clientId?: string }>();
  /** Apps created from a manifest on the "new GitHub App" page (see fake-github-users.ts). */
  readonly manifestApps: ManifestApp[] = [];
  /** The App's callback URLs once it was created from a manifest: `redirect_uri` must be under one of them. */
  callbackUrls: string[] | null = null;
  /** Who is signed in to GitHub in the browser: the authorize page sends them back with a code at once. */
  browserUser: string | null = null;
  /** Installation id -> repositories (`owner/name`); none set: installation 77 holds every repository. */
  readonly installations = new Map<number, string[]>();

  /**
   * A user who can sign in: their token, and a fresh one-time code that exchanges for it.
   * `clientId`: the token was issued to another OAuth app (GET /user accepts it; the App's token check does not).
   */
  addUser(login: string, options: { clientId?: string } = {}): { token: string; code: string } {
    const token = `ghu_${login}_${this.newId()}`;
    this.userTokens.set(token, {
      login,
      id: hashId(login),
      ...(options.clientId ? { clientId: options.clientId } : {}),
    });
    return { token, code: this.oauthCode(token) };
  }

  /** A new one-time code for a user token. */
  oauthCode(token: string): string {
    const code = `code${this.newId()}`;
    this.oauthCodes.set(code, token);
    return code;
  }

  /** Installation id -> its repositories (`owner/name`). */
  installationRepos(): Map<number, string[]> {
    if (this.installations.size > 0) return this.installations;
    return new Map([
      [77, [...this.repos.values()].filter((r) => r.name !== '.github').map((r) => `${r.owner}/${r.name}`)],
    ]);
  }

  /** The routes that need request headers (user and installation tokens) or live on GitHub's web host. */

  // --- Registration (App manifest conversions) and environment setup -------------------

  /** One-time codes GitHub gives the browser after creating an App from a manifest, and the App each one converts to. */
  readonly manifestCodes = new Map<
    string,
    {
      id: number;
      slug: string;
      name: string;
      pem: string;
      webhook_secret: string;
      client_id: string;
      client_secret: string;
    }
  >();
  /** Environments per repository (`owner/name` in lower case), as GitHub keeps them. */
  readonly environments = new Map<string, FakeEnvironment[]>();
  /**
   * Repositories where the token may read environments but not change them (403 on writes):
   * an installation without Administration: write, or a person's token without admin rights.
   */
  readonly environmentWritesDenied = new Set<string>();
  /** Repositories whose plan has no custom deployment protection rules (private repositories outside Enterprise). */
  readonly noCustomRules = new Set<string>();
  /** Integrations (GitHub Apps) installed on every repository, offered as custom protection rules. */
  readonly ruleIntegrations: Array<{ id: number; slug: string }> = [];

  // ---- Fault injection: GitHub failing, limiting or hanging on chosen requests ----

  /** Decides per request whether GitHub fails it (see `Fault`); null: no faults. */
  fault: ((req: { method: string; path: string; body: unknown }) => Fault | undefined) | null = null;
  /** Faults injected so far, in order (`<kind> <METHOD> <path>`). */
  readonly injected: string[] = [];
  readonly held = new Set<ServerResponse>();

  /** Hung requests still held open (the client gave up or is still waiting). */
  get hungRequests(): number {
    return this.held.size;
  }

  /** Drops the connections of hung requests. */
  releaseHung(): void {
    for (const res of this.held) res.destroy();
    this.held.clear();
  }
}
