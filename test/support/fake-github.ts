import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerNewAppPage, answerUserRoute, redirectAllowed } from './fake-github-users.js';
import type { ManifestApp } from './fake-github-users.js';
import { assertRequestMatchesGitHub, requestPath } from './openapi.js';

/**
 * A local HTTP server that plays GitHub's REST API for every test: for one or more
 * repositories, with just enough state for the App (files on the default branch and at
 * other refs, commits and trees, pull requests and reviews, check runs and statuses, teams,
 * collaborators, deployments and the protection rule callback), and with routes a test
 * answers itself (`on`). Every request is checked against GitHub's REST description; a
 * request GitHub would refuse, or a route nothing answers, is kept in `violations` (tests
 * assert it stays empty).
 */

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  template: string | null;
  body: unknown;
  status: number;
  at: number;
  /** The `METHOD /template` of the route given to `on` that answered, or null. */
  route: string | null;
  /** The path parameters of that route. */
  params: Record<string, string>;
}

/** A request as a route given to `on` sees it: the query as a plain object. */
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

/** What a route answers: a reply, or (anything else) the JSON body of a 200. */
export type Reply = { status?: number; body?: unknown; headers?: Record<string, string> };
export type Handler = (req: RecordedRequest) => Reply | unknown;

type Result = { status: number; body?: unknown; headers?: Record<string, string> };

interface Route {
  key: string;
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

function compileRoute(route: string, handler: Handler): Route {
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
  return {
    key: `${method.toUpperCase()} ${template}`,
    method: method.toUpperCase(),
    pattern: new RegExp(`^${source}$`),
    names,
    handler,
  };
}

function recorded(r: FakeRequest): RecordedRequest {
  return { method: r.method, path: r.path, query: Object.fromEntries(r.query), body: r.body, params: r.params };
}

export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  app: { slug: string };
  output: { title?: string; summary?: string; text?: string };
  started_at?: string;
  completed_at?: string | null;
  details_url?: string;
  external_id?: string;
  /** The check suite it belongs to (a workflow run's suite, for GitHub Actions). */
  check_suite?: { id: number };
}

export interface FakePull {
  number: number;
  user: string;
  headSha: string;
  headRef: string;
  body?: string;
  /** Every commit sha the PR contains (its head included): `commits/{sha}/pulls` finds it by any. */
  commits: string[];
  state?: 'open' | 'closed';
  /** Set when merged: the commit it became on the default branch (merge, squash or rebase). */
  mergeCommitSha?: string;
  mergedAt?: string;
  /** Commit sha -> its author's login (for `pulls/{n}/commits`); the PR's user when left out. */
  commitAuthors?: Record<string, string>;
  /** Commit sha -> its author date (for `pulls/{n}/commits`); 2026-01-01 when left out. */
  commitDates?: Record<string, string>;
}

export interface FakeReview {
  id: number;
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  /** Null when GitHub no longer has the reviewed commit (after a force-push). */
  commit_id: string | null;
  submitted_at: string;
}

export interface ProtectionAnswer {
  runId: number;
  environment: string;
  state?: 'approved' | 'rejected';
  comment?: string;
  status: number;
}

/** A job of a GitHub Actions workflow run. */
export interface FakeJob {
  run_id: number;
  head_sha: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting';
  conclusion: 'success' | 'failure' | 'cancelled' | null;
  name?: string;
}

export interface FakeRepo {
  owner: string;
  name: string;
  id: number;
  defaultBranch: string;
  files: Record<string, string>;
  /** Commits on the default branch that last touched each file (newest first). */
  fileCommits: Record<string, string>;
  trees: Record<string, string>;
  pulls: FakePull[];
  reviews: Record<number, FakeReview[]>;
  checkRuns: FakeCheckRun[];
  /** Commit statuses, oldest first; `creator` is who posted it (the login). */
  statuses: Array<{ context: string; state: string; sha: string; creator?: string }>;
  permissions: Record<string, 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none'>;
  deployments: Array<{
    id: number;
    sha: string;
    ref: string;
    environment: string;
    payload: unknown;
    creator: string;
    created_at: string;
    appId?: number;
  }>;
  deploymentStatuses: Array<{
    id: number;
    deploymentId: number;
    state: string;
    description?: string;
    creator?: string;
  }>;
  /** `tags/<name>` or `heads/<name>` -> the commit it points at. */
  refs: Record<string, string>;
  /** Check suite id -> the workflow run that made it (for `actions/runs?check_suite_id=`). */
  workflowRuns: Record<number, { id: number; path: string; head_sha: string }>;
  /** Job id -> the job of a workflow run, as GitHub Actions reports it (`actions/jobs/{job_id}`). */
  workflowJobs: Record<number, FakeJob>;
  /** Run id -> a workflow run (`actions/runs/{run_id}`); `headRepository` is `owner/name` of a fork's. */
  runs: Record<
    number,
    { path: string; head_sha: string; headRepository?: string; status?: string; conclusion?: string | null }
  >;
  /** `<path>@<ref>` -> file text at a commit or branch other than the default branch (see `serveFileAt`). */
  filesAt: Record<string, string>;
  compare: Record<string, string[]>;
  comments: Array<{ issue: number; body: string }>;
  /** `${runId}/${environment}` of protection rules GitHub still waits on. */
  pendingRules: Set<string>;
  answers: ProtectionAnswer[];
}

/** A GitHub environment of a repository, with its custom protection rules and deployment ref policies. */
export interface FakeEnvironment {
  id: number;
  name: string;
  rules: Array<{ id: number; appId: number; slug: string }>;
  branchPolicy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
  refPolicies: Array<{ id: number; name: string; type: 'branch' | 'tag' }>;
}

export class FakeGitHub {
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
  /** Check every request against GitHub's REST description (off in the benchmark, which measures the App). */
  checkRequests = true;
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

  private pullRequestHeadRoute(
    repo: FakeRepo,
    method: string,
    rest: string,
    q: URLSearchParams,
  ): { status: number; body?: unknown; headers?: Record<string, string> } | null {
    const full = `${repo.owner}/${repo.name}`.toLowerCase();
    let m: RegExpMatchArray | null;
    if (method === 'GET' && (m = rest.match(/^\/pulls\/(\d+)\/files$/))) {
      const files = (this.pullFiles.get(`${full}#${m[1]}`) ?? []).map((f) => ({
        sha: gitBlobSha(f.filename),
        filename: f.filename,
        status: f.status,
        additions: 1,
        deletions: 0,
        changes: 1,
        blob_url: `https://github.example/${full}/blob/${f.filename}`,
        raw_url: `https://github.example/${full}/raw/${f.filename}`,
        contents_url: `${this.baseUrl}/repos/${full}/contents/${f.filename}`,
        ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}),
      }));
      return paginate(files, q, `${this.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
    }
    return null;
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    if (this.answerConsoleRoute(req, res, entry)) return;
    if (this.checkRequests) {
      entry.template = this.check(method, path, entry.body);
      if (!entry.template && this.refuseInvalid)
        return this.send(req, res, entry, {
          status: 422,
          body: { message: 'Validation Failed (the request does not match GitHub REST API)' },
        });
    }
    if (await this.injectFault(entry, res)) return;
    let result: Result;
    try {
      result =
        this.answerRoute(entry) ??
        this.interceptor?.({ method, path, body: entry.body }) ??
        this.route(method, path, entry.query, entry.body, String(req.headers.authorization ?? ''));
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
  private check(method: string, path: string, body: unknown): string | null {
    try {
      return assertRequestMatchesGitHub(method, path, body);
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

  private route(
    method: string,
    path: string,
    q: URLSearchParams,
    body: unknown,
    authorization = '',
  ): { status: number; body?: unknown; headers?: Record<string, string> } {
    const b = (body ?? {}) as Record<string, unknown>;
    const setup = this.setupRoute(method, path, b, /\bghs_/.test(authorization));
    if (setup) return setup;
    let m: RegExpMatchArray | null;
    if (method === 'POST' && (m = path.match(/^\/app\/installations\/(\d+)\/access_tokens$/))) {
      return {
        status: 201,
        body: {
          token: `ghs_test${m[1]}`,
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          permissions: {},
          repository_selection: 'all',
        },
      };
    }
    if ((m = path.match(/^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/)) && method === 'GET') {
      const members = this.teams.get(m[1]!.toLowerCase())?.[m[2]!] ?? [];
      return members.some((l) => l.toLowerCase() === m![3]!.toLowerCase())
        ? { status: 200, body: { url: '', role: 'member', state: 'active' } }
        : { status: 404, body: { message: 'Not Found' } };
    }
    if ((m = path.match(/^\/orgs\/([^/]+)\/teams\/([^/]+)$/)) && method === 'GET') {
      const [org, slug] = [m[1]!.toLowerCase(), m[2]!];
      const members = this.teams.get(org)?.[slug];
      return members
        ? { status: 200, body: teamJson(org, slug, members.length) }
        : { status: 404, body: { message: 'Not Found' } };
    }
    m = path.match(/^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/);
    if (!m) return { status: 404, body: { message: 'Not Found' } };
    if (this.deniedRepos.has(`${m[1]}/${m[2]}`.toLowerCase())) {
      return {
        status: 403,
        body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' },
      };
    }
    const repo = this.repos.get(`${m[1]}/${m[2]}`.toLowerCase());
    if (!repo) return { status: 404, body: { message: 'Not Found' } };
    const rest = m[3] ?? '';
    const user = (login: string) => ({ login, id: hashId(login), type: 'User' });
    const head = this.pullRequestHeadRoute(repo, method, rest, q);
    if (head) return head;

    if (method === 'GET' && rest === '') {
      return {
        status: 200,
        body: {
          id: repo.id,
          name: repo.name,
          full_name: `${repo.owner}/${repo.name}`,
          default_branch: repo.defaultBranch,
          owner: user(repo.owner),
          private: true,
        },
      };
    }
    if (method === 'GET' && (m = rest.match(/^\/contents\/(.+)$/))) {
      const ref = q.get('ref') ?? repo.defaultBranch;
      const text = ref === repo.defaultBranch ? repo.files[m[1]!] : repo.filesAt[`${m[1]!}@${ref}`];
      if (text === undefined) return { status: 404, body: { message: 'Not Found' } };
      return {
        status: 200,
        body: {
          type: 'file',
          encoding: 'base64',
          size: text.length,
          name: m[1]!.split('/').pop(),
          path: m[1],
          content: Buffer.from(text).toString('base64'),
          sha: gitBlobSha(text),
        },
      };
    }
    if (method === 'GET' && rest === '/commits') {
      const file = q.get('path') ?? '';
      const sha = repo.fileCommits[file];
      return { status: 200, body: sha ? [{ sha, commit: { message: `change ${file}` } }] : [] };
    }
    if (method === 'GET' && (m = rest.match(/^\/commits\/([^/]+)\/pulls$/))) {
      const sha = m[1]!;
      // GitHub: the merged PR that introduced a default-branch commit; else open PRs containing it.
      const pulls = repo.pulls.filter((p) => p.commits.includes(sha) || p.headSha === sha || p.mergeCommitSha === sha);
      return { status: 200, body: pulls.map((p) => this.pullJson(repo, p)) };
    }
    if (method === 'GET' && (m = rest.match(/^\/pulls\/(\d+)$/))) {
      const p = repo.pulls.find((x) => x.number === Number(m![1]));
      return p ? { status: 200, body: this.pullJson(repo, p) } : { status: 404, body: { message: 'Not Found' } };
    }
    if (method === 'GET' && (m = rest.match(/^\/pulls\/(\d+)\/commits$/))) {
      const p = repo.pulls.find((x) => x.number === Number(m![1]));
      if (!p) return { status: 404, body: { message: 'Not Found' } };
      const list = p.commits.map((sha) => {
        const login = p.commitAuthors?.[sha] ?? p.user;
        return {
          sha,
          commit: {
            message: 'commit',
            author: {
              name: login,
              email: `${login}@example.com`,
              date: p.commitDates?.[sha] ?? '2026-01-01T00:00:00Z',
            },
          },
          author: user(login),
          committer: user('web-flow'),
          parents: [],
        };
      });
      return paginate(list, q, `${this.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
    }
    if (method === 'GET' && (m = rest.match(/^\/git\/ref\/(.+)$/))) {
      const sha = repo.refs[m[1]!];
      return sha
        ? {
            status: 200,
            body: { ref: `refs/${m[1]}`, node_id: 'R', url: '', object: { sha, type: 'commit', url: '' } },
          }
        : { status: 404, body: { message: 'Not Found' } };
    }
    if (method === 'GET' && rest === '/actions/runs') {
      const suite = Number(q.get('check_suite_id'));
      const run = repo.workflowRuns[suite];
      return {
        status: 200,
        body: {
          total_count: run ? 1 : 0,
          workflow_runs: run
            ? [{ id: run.id, path: run.path, head_sha: run.head_sha, check_suite_id: suite, name: run.path }]
            : [],
        },
      };
    }
    if (method === 'GET' && (m = rest.match(/^\/actions\/runs\/(\d+)$/))) {
      const id = Number(m[1]);
      const run = repo.runs[id];
      if (!run) return { status: 404, body: { message: 'Not Found' } };
      const full = `${repo.owner}/${repo.name}`;
      const repository = { id: repo.id, name: repo.name, full_name: full, owner: user(repo.owner), private: false };
      const head = run.headRepository ?? full;
      return {
        status: 200,
        body: {
          id,
          name: run.path,
          node_id: 'WR',
          head_branch: 'main',
          head_sha: run.head_sha,
          path: run.path,
          run_number: 1,
          run_attempt: 1,
          event: 'push',
          status: run.status ?? 'completed',
          conclusion: run.conclusion === undefined ? 'success' : run.conclusion,
          workflow_id: 1,
          check_suite_id: id * 10,
          url: `${this.baseUrl}/repos/${full}/actions/runs/${id}`,
          html_url: `https://github.example/${full}/actions/runs/${id}`,
          created_at: '2026-03-10T00:00:00Z',
          updated_at: '2026-03-10T00:00:00Z',
          repository,
          head_repository: {
            ...repository,
            full_name: head,
            name: head.split('/')[1],
            owner: user(head.split('/')[0]!),
          },
        },
      };
    }
    if (method === 'GET' && (m = rest.match(/^\/commits\/([^/]+)\/statuses$/))) {
      const list = repo.statuses
        .filter((s) => s.sha === m![1])
        .map((s, i) => ({
          id: i + 1,
          node_id: 'S',
          url: '',
          avatar_url: null,
          context: s.context,
          state: s.state,
          description: null,
          target_url: null,
          created_at: '2026-03-10T00:00:00Z',
          updated_at: '2026-03-10T00:00:00Z',
          creator: s.creator ? user(s.creator) : null,
        }))
        .reverse();
      return paginate(list, q, `${this.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
    }
    if (method === 'GET' && (m = rest.match(/^\/actions\/jobs\/(\d+)$/))) {
      const id = Number(m[1]);
      const job = repo.workflowJobs[id];
      if (!job) return { status: 404, body: { message: 'Not Found' } };
      return {
        status: 200,
        body: {
          id,
          run_id: job.run_id,
          run_attempt: 1,
          node_id: 'J',
          head_sha: job.head_sha,
          url: `${this.baseUrl}/repos/${repo.owner}/${repo.name}/actions/jobs/${id}`,
          html_url: `https://github.example/${repo.owner}/${repo.name}/actions/runs/${job.run_id}/job/${id}`,
          status: job.status,
          conclusion: job.conclusion,
          created_at: '2026-03-10T00:00:00Z',
          started_at: '2026-03-10T00:00:00Z',
          completed_at: job.status === 'completed' ? '2026-03-10T00:01:00Z' : null,
          name: job.name ?? 'deploy',
          steps: [],
          check_run_url: `${this.baseUrl}/repos/${repo.owner}/${repo.name}/check-runs/${id}`,
          labels: ['ubuntu-latest'],
          runner_id: 1,
          runner_name: 'GitHub Actions 1',
          runner_group_id: 1,
          runner_group_name: 'GitHub Actions',
          workflow_name: 'deploy',
          head_branch: 'main',
        },
      };
    }
    if (method === 'GET' && (m = rest.match(/^\/pulls\/(\d+)\/reviews$/))) {
      const all = (repo.reviews[Number(m[1])] ?? []).map((r) => ({
        id: r.id,
        user: user(r.user),
        state: r.state,
        commit_id: r.commit_id,
        submitted_at: r.submitted_at,
        body: '',
      }));
      return paginate(all, q, `${this.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
    }
    if (method === 'GET' && (m = rest.match(/^\/git\/commits\/([^/]+)$/))) {
      const tree = repo.trees[m[1]!];
      return tree
        ? { status: 200, body: { sha: m[1], tree: { sha: tree }, message: 'commit', parents: [] } }
        : { status: 404, body: { message: 'Not Found' } };
    }
    if (method === 'GET' && (m = rest.match(/^\/commits\/([^/]+)\/check-runs$/))) {
      const name = q.get('check_name');
      const runs = repo.checkRuns.filter((c) => c.head_sha === m![1] && (!name || c.name === name)).reverse();
      const page = paginate(runs, q, `${this.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
      return { ...page, body: { total_count: runs.length, check_runs: page.body } };
    }
    if (method === 'GET' && (m = rest.match(/^\/commits\/([^/]+)\/status$/))) {
      const statuses = repo.statuses.filter((s) => s.sha === m![1]);
      const state = statuses.some((s) => s.state === 'failure' || s.state === 'error')
        ? 'failure'
        : statuses.some((s) => s.state === 'pending')
          ? 'pending'
          : 'success';
      return {
        status: 200,
        body: {
          state,
          sha: m[1],
          total_count: statuses.length,
          statuses: statuses.map((s) => ({ context: s.context, state: s.state })),
        },
      };
    }
    if (method === 'POST' && rest === '/check-runs') {
      const run: FakeCheckRun = {
        id: this.newId(),
        name: String(b.name),
        head_sha: String(b.head_sha),
        status: String(b.status ?? 'queued'),
        conclusion: (b.conclusion as string | undefined) ?? null,
        app: { slug: 'release-gate' },
        output: (b.output as FakeCheckRun['output']) ?? {},
        external_id: b.external_id as string | undefined,
      };
      repo.checkRuns.push(run);
      return { status: 201, body: { ...run, html_url: `https://github.example/checks/${run.id}` } };
    }
    if (method === 'PATCH' && (m = rest.match(/^\/check-runs\/(\d+)$/))) {
      const run = repo.checkRuns.find((c) => c.id === Number(m![1]));
      if (!run) return { status: 404, body: { message: 'Not Found' } };
      if (b.status) run.status = String(b.status);
      if (b.conclusion !== undefined) run.conclusion = b.conclusion as string;
      if (b.output) run.output = b.output as FakeCheckRun['output'];
      return { status: 200, body: run };
    }
    if (method === 'GET' && (m = rest.match(/^\/compare\/([^.]+)\.\.\.(.+)$/))) {
      const files = repo.compare[`${m[1]}...${m[2]}`] ?? [];
      return {
        status: 200,
        body: {
          status: 'ahead',
          ahead_by: 1,
          behind_by: 0,
          total_commits: 1,
          commits: [],
          files: files.map((f) => ({ filename: f, status: 'modified' })),
        },
      };
    }
    if (method === 'POST' && (m = rest.match(/^\/actions\/runs\/(\d+)\/deployment_protection_rule$/))) {
      const runId = Number(m[1]);
      const env = String(b.environment_name);
      const key = `${runId}/${env}`;
      const answer: ProtectionAnswer = { runId, environment: env, status: 204 };
      if (b.state !== undefined) answer.state = b.state as 'approved' | 'rejected';
      if (b.comment !== undefined) answer.comment = String(b.comment);
      if (!repo.pendingRules.has(key)) {
        answer.status = 422;
        repo.answers.push(answer);
        return { status: 422, body: { message: 'No pending deployment protection rule' } };
      }
      if (answer.state) repo.pendingRules.delete(key);
      repo.answers.push(answer);
      return { status: 204 };
    }
    if (method === 'POST' && rest === '/deployments') {
      const d = {
        id: this.newId(),
        sha: String(b.ref),
        ref: String(b.ref),
        environment: String(b.environment ?? 'production'),
        payload: b.payload ?? {},
        creator: 'release-gate[bot]',
        created_at: new Date().toISOString(),
        appId: this.appId,
      };
      repo.deployments.push(d);
      return {
        status: 201,
        body: {
          url: '',
          id: d.id,
          node_id: 'D',
          sha: d.sha,
          ref: d.ref,
          task: 'deploy',
          payload: d.payload,
          environment: d.environment,
          creator: user('release-gate[bot]'),
          created_at: d.created_at,
          performed_via_github_app: { id: this.appId, slug: 'release-gate' },
        },
      };
    }
    if (method === 'GET' && rest === '/deployments') {
      const sha = q.get('sha');
      const environment = q.get('environment');
      const list = repo.deployments
        .filter((d) => (!sha || d.sha === sha) && (!environment || d.environment === environment))
        .reverse();
      return {
        status: 200,
        body: list.map((d) => ({
          id: d.id,
          sha: d.sha,
          ref: d.ref,
          environment: d.environment,
          payload: d.payload,
          created_at: d.created_at,
          creator: user(d.creator),
          performed_via_github_app: d.appId
            ? { id: d.appId, slug: d.appId === this.appId ? 'release-gate' : 'app' }
            : null,
        })),
      };
    }
    if (method === 'POST' && (m = rest.match(/^\/deployments\/(\d+)\/statuses$/))) {
      const s = {
        id: this.newId(),
        deploymentId: Number(m[1]),
        state: String(b.state),
        description: b.description as string | undefined,
        creator: 'release-gate[bot]',
      };
      repo.deploymentStatuses.push(s);
      return { status: 201, body: { id: s.id, state: s.state, description: s.description ?? '' } };
    }
    if (method === 'GET' && (m = rest.match(/^\/deployments\/(\d+)\/statuses$/))) {
      return {
        status: 200,
        body: repo.deploymentStatuses
          .filter((s) => s.deploymentId === Number(m![1]))
          .reverse()
          .map((s) => ({
            id: s.id,
            state: s.state,
            created_at: new Date().toISOString(),
            ...(s.creator ? { creator: user(s.creator) } : {}),
          })),
      };
    }
    if (method === 'GET' && (m = rest.match(/^\/collaborators\/([^/]+)\/permission$/))) {
      const permission = repo.permissions[m[1]!] ?? 'read';
      return { status: 200, body: { permission, role_name: permission, user: user(m[1]!) } };
    }
    if (method === 'POST' && (m = rest.match(/^\/issues\/(\d+)\/comments$/))) {
      repo.comments.push({ issue: Number(m[1]), body: String(b.body) });
      return { status: 201, body: { id: this.newId(), body: b.body } };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

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

  private setupRoute(
    method: string,
    path: string,
    b: Record<string, unknown>,
    installation: boolean,
  ): { status: number; body?: unknown } | null {
    let m: RegExpMatchArray | null;
    if (method === 'POST' && (m = path.match(/^\/app-manifests\/([^/]+)\/conversions$/))) {
      const app = this.manifestCodes.get(m[1]!);
      if (!app)
        return {
          status: 404,
          body: {
            message: 'Not Found',
            documentation_url: 'https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest',
          },
        };
      this.manifestCodes.delete(m[1]!);
      const created = this.manifestApps.find((a) => a.id === app.id);
      if (created) {
        // From now on this fake GitHub is the App's: its OAuth client, its callback URLs.
        this.oauthClient = { id: created.clientId, secret: created.clientSecret };
        this.callbackUrls = created.callbackUrls;
        this.appId = created.id;
      }
      const owner = { login: 'acme', id: 1, type: 'Organization' };
      return {
        status: 201,
        body: {
          ...app,
          node_id: 'A',
          owner,
          description: '',
          external_url: 'https://example.com',
          html_url: `https://github.com/apps/${app.slug}`,
          created_at: '2026-01-01T00:00:00Z',
          updated_at: '2026-01-01T00:00:00Z',
          permissions: {},
          events: [],
        },
      };
    }
    m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/environments(?:\/([^/]+)(\/.*)?)?$/);
    if (!m) return null;
    const key = `${m[1]}/${m[2]}`.toLowerCase();
    if (!this.repos.has(key)) return { status: 404, body: { message: 'Not Found' } };
    const envs = this.environments.get(key) ?? [];
    this.environments.set(key, envs);
    const name = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
    const rest = m[4] ?? '';
    const env = name === undefined ? undefined : envs.find((e) => e.name.toLowerCase() === name.toLowerCase());
    const denied = method !== 'GET' && this.environmentWritesDenied.has(key);
    if (denied)
      return {
        status: 403,
        body: {
          message: installation ? 'Resource not accessible by integration' : 'Must have admin rights to Repository.',
          documentation_url: 'https://docs.github.com/rest/deployments/environments',
        },
      };
    const envJson = (e: FakeEnvironment) => ({
      id: e.id,
      node_id: `E${e.id}`,
      name: e.name,
      url: '',
      html_url: '',
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      protection_rules: e.rules.map((r) => ({ id: r.id, node_id: `R${r.id}`, type: 'custom' })),
      deployment_branch_policy: e.branchPolicy,
    });
    const ruleJson = (r: FakeEnvironment['rules'][number]) => ({
      id: r.id,
      node_id: `R${r.id}`,
      enabled: true,
      app: {
        id: r.appId,
        slug: r.slug,
        integration_url: `https://api.github.com/apps/${r.slug}`,
        node_id: `A${r.appId}`,
      },
    });
    if (method === 'GET' && name === undefined)
      return { status: 200, body: { total_count: envs.length, environments: envs.map(envJson) } };
    if (method === 'PUT' && rest === '') {
      let e = env;
      if (!e) {
        e = { id: this.newId(), name: name!, rules: [], branchPolicy: null, refPolicies: [] };
        envs.push(e);
      }
      if (b.deployment_branch_policy !== undefined)
        e.branchPolicy = b.deployment_branch_policy as FakeEnvironment['branchPolicy'];
      return { status: 200, body: envJson(e) };
    }
    if (!env) return { status: 404, body: { message: 'Not Found' } };
    if (method === 'GET' && rest === '') return { status: 200, body: envJson(env) };
    if (method === 'GET' && rest === '/deployment_protection_rules')
      return {
        status: 200,
        body: { total_count: env.rules.length, custom_deployment_protection_rules: env.rules.map(ruleJson) },
      };
    if (method === 'GET' && rest === '/deployment_protection_rules/apps') {
      const offered = this.noCustomRules.has(key) ? [] : this.ruleIntegrations;
      return {
        status: 200,
        body: {
          total_count: offered.length,
          available_custom_deployment_protection_rule_integrations: offered.map((a) => ({
            id: a.id,
            slug: a.slug,
            integration_url: `https://api.github.com/apps/${a.slug}`,
            node_id: `A${a.id}`,
          })),
        },
      };
    }
    if (method === 'POST' && rest === '/deployment_protection_rules') {
      const app = this.ruleIntegrations.find((a) => a.id === b.integration_id);
      if (!app || this.noCustomRules.has(key))
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [{ message: 'The integration is not available for this environment' }],
          },
        };
      const rule = { id: this.newId(), appId: app.id, slug: app.slug };
      env.rules.push(rule);
      return { status: 201, body: ruleJson(rule) };
    }
    if (method === 'GET' && rest === '/deployment-branch-policies')
      return {
        status: 200,
        body: {
          total_count: env.refPolicies.length,
          branch_policies: env.refPolicies.map((p) => ({ id: p.id, node_id: `P${p.id}`, name: p.name, type: p.type })),
        },
      };
    if (method === 'POST' && rest === '/deployment-branch-policies') {
      if (!env.branchPolicy?.custom_branch_policies) return { status: 404, body: { message: 'Not Found' } };
      const policy = {
        id: this.newId(),
        name: String(b.name),
        type: (b.type as 'branch' | 'tag' | undefined) ?? 'branch',
      };
      env.refPolicies.push(policy);
      return { status: 200, body: { id: policy.id, node_id: `P${policy.id}`, name: policy.name, type: policy.type } };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  private pullJson(repo: FakeRepo, p: FakePull): unknown {
    return {
      number: p.number,
      state: p.state ?? 'open',
      user: { login: p.user, id: hashId(p.user), type: 'User' },
      body: p.body ?? '',
      head: { sha: p.headSha, ref: p.headRef },
      base: { ref: repo.defaultBranch, sha: '0'.repeat(40) },
      merged_at: p.mergedAt ?? null,
      merge_commit_sha: p.mergeCommitSha ?? null,
    };
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
  private answerConsoleRoute(req: IncomingMessage, res: ServerResponse, entry: FakeRequest): boolean {
    const { method, path, query: q, body } = entry;
    const reply = (status: number, out: unknown, template: string | null) => {
      entry.template = template;
      entry.status = status;
      entry.at = Date.now();
      this.requestCount++;
      if (this.keepRequests) this.requests.push(entry);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(out));
      return true;
    };
    const check = () => this.check(method, path, body);
    const auth = String(req.headers.authorization ?? '');
    const token = auth.replace(/^(bearer|token)\s+/i, '');
    if (method === 'GET' && path === '/login/oauth/authorize') {
      // The user has authorized the App before: GitHub redirects back at once, with a token of the App's client.
      const client = this.oauthClient.id;
      const signedIn = this.browserUser;
      const back = q.get('redirect_uri');
      if (!signedIn || !back || q.get('client_id') !== client) return reply(404, { message: 'Not Found' }, 'oauth');
      if (this.callbackUrls && !redirectAllowed(back, this.callbackUrls)) {
        this.violations.push(`GET /login/oauth/authorize: redirect_uri ${back} is not under a callback URL of the App`);
        return reply(
          400,
          {
            error: 'redirect_uri_mismatch',
            message: 'The redirect_uri MUST match the registered callback URL for this application.',
          },
          'oauth',
        );
      }
      const token =
        [...this.userTokens.entries()].find(
          ([, u]) => u.login === signedIn && (u.clientId ?? client) === client,
        )?.[0] ?? this.addUser(signedIn).token;
      const target = new URL(back);
      target.searchParams.set('code', this.oauthCode(token));
      target.searchParams.set('state', q.get('state') ?? '');
      this.requestCount++;
      res.writeHead(302, { location: target.toString() });
      res.end();
      return true;
    }
    if (method === 'POST' && path === '/login/oauth/access_token') {
      // GitHub answers 200 with an `error` field for a bad code or client.
      const b = (body ?? {}) as Record<string, unknown>;
      if (String(req.headers.accept ?? '').indexOf('application/json') < 0)
        this.violations.push('POST /login/oauth/access_token without Accept: application/json');
      if (b.client_id !== this.oauthClient.id || b.client_secret !== this.oauthClient.secret)
        return reply(
          200,
          {
            error: 'incorrect_client_credentials',
            error_description: 'The client_id and/or client_secret passed are incorrect.',
          },
          'oauth',
        );
      const user = this.oauthCodes.get(String(b.code));
      if (!user)
        return reply(
          200,
          { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' },
          'oauth',
        );
      this.oauthCodes.delete(String(b.code));
      return reply(200, { access_token: user, token_type: 'bearer', scope: '' }, 'oauth');
    }
    if (method === 'GET' && path === '/user') {
      const template = check();
      const user = this.userTokens.get(token);
      return user
        ? reply(200, { login: user.login, id: user.id, type: 'User' }, template)
        : reply(401, { message: 'Bad credentials' }, template);
    }
    const basic = /^basic\s+(\S+)$/i.exec(auth);
    const user = answerUserRoute(this, {
      method,
      path,
      query: q,
      body,
      token,
      basic: basic ? Buffer.from(basic[1]!, 'base64').toString('utf8') : null,
    });
    if (user) {
      const template = check();
      entry.template = template;
      entry.status = user.status;
      entry.at = Date.now();
      this.requestCount++;
      if (this.keepRequests) this.requests.push(entry);
      res.writeHead(user.status, { 'content-type': 'application/json; charset=utf-8', ...(user.headers ?? {}) });
      res.end(user.body === undefined ? undefined : JSON.stringify(user.body));
      return true;
    }
    if (method === 'GET' && path === '/app/installations') {
      const template = check();
      if (!/^bearer\s+ey/i.test(auth))
        return reply(401, { message: 'A JSON web token could not be decoded' }, template);
      return reply(
        200,
        [...this.installationRepos().keys()].map((id) => ({
          id,
          account: { login: 'acme', id: hashId('acme') },
          app_id: 4242,
          target_type: 'Organization',
        })),
        template,
      );
    }
    if (method === 'GET' && path === '/installation/repositories') {
      const template = check();
      const m = /^ghs_test(\d+)$/.exec(token);
      const names = m ? this.installationRepos().get(Number(m[1])) : undefined;
      if (!names) return reply(401, { message: 'Bad credentials' }, template);
      const repositories = names
        .map((n) => this.repo(n))
        .map((r) => ({
          id: r.id,
          name: r.name,
          full_name: `${r.owner}/${r.name}`,
          owner: { login: r.owner, id: hashId(r.owner) },
          private: true,
          default_branch: r.defaultBranch,
          html_url: `https://github.example/${r.owner}/${r.name}`,
        }));
      return reply(200, { total_count: repositories.length, repositories }, template);
    }
    return false;
  }

  // ---- Fault injection: GitHub failing, limiting or hanging on chosen requests ----

  /** Decides per request whether GitHub fails it (see `Fault`); null: no faults. */
  fault: ((req: { method: string; path: string; body: unknown }) => Fault | undefined) | null = null;
  /** Faults injected so far, in order (`<kind> <METHOD> <path>`). */
  readonly injected: string[] = [];
  private readonly held = new Set<ServerResponse>();

  /** Hung requests still held open (the client gave up or is still waiting). */
  get hungRequests(): number {
    return this.held.size;
  }

  /** Drops the connections of hung requests. */
  releaseHung(): void {
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  private async injectFault(entry: FakeRequest, res: ServerResponse): Promise<boolean> {
    const { method, path, body } = entry;
    const fault = this.fault?.({ method, path, body });
    if (!fault) return false;
    this.injected.push(`${fault} ${method} ${path}`);
    this.requestCount++;
    if (this.keepRequests)
      this.requests.push({ ...entry, template: `fault:${fault}`, status: FAULT_STATUS[fault], at: Date.now() });
    if (fault === 'hang') {
      // Never answered: the connection stays open until the client gives up or the test ends.
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return true;
    }
    const reset = String(Math.floor(Date.now() / 1000) + 1);
    const replies: Record<Exclude<Fault, 'hang'>, { body: unknown; headers: Record<string, string> }> = {
      500: { body: { message: 'Server Error' }, headers: {} },
      502: { body: { message: 'Bad Gateway' }, headers: {} },
      429: {
        body: { message: 'API rate limit exceeded for installation.' },
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset, 'retry-after': '1' },
      },
      'secondary-limit': {
        body: {
          message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          documentation_url:
            'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
        },
        headers: { 'retry-after': '1' },
      },
    };
    const r = replies[fault];
    res.writeHead(FAULT_STATUS[fault], {
      'content-type': 'application/json; charset=utf-8',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4000',
      'x-ratelimit-reset': reset,
      ...r.headers,
    });
    res.end(JSON.stringify(r.body));
    return true;
  }
}

/** What GitHub does instead of answering: 500, 502, 429 (rate limit), 403 (secondary limit) or nothing (hang). */
export type Fault = 500 | 502 | 429 | 'secondary-limit' | 'hang';
const FAULT_STATUS: Record<Fault, number> = { 500: 500, 502: 502, 429: 429, 'secondary-limit': 403, hang: 0 };

function paginate(
  all: unknown[],
  q: URLSearchParams,
  url: string,
): { status: number; body: unknown[]; headers?: Record<string, string> } {
  const per = Math.min(100, Number(q.get('per_page') ?? 30));
  const page = Number(q.get('page') ?? 1);
  const slice = all.slice((page - 1) * per, page * per);
  const headers: Record<string, string> = {};
  if (page * per < all.length) {
    const next = new URL(url);
    for (const [k, v] of q) next.searchParams.set(k, v);
    next.searchParams.set('page', String(page + 1));
    headers.link = `<${next.toString()}>; rel="next"`;
  }
  return { status: 200, body: slice, headers };
}

/** A team as `GET /orgs/{org}/teams/{team_slug}` answers it (GitHub's `team-full`). */
export function teamJson(org: string, slug: string, members: number): Record<string, unknown> {
  const id = hashId(`${org}/${slug}`);
  return {
    id,
    node_id: `T${id}`,
    url: `https://api.github.com/organizations/${hashId(org)}/team/${id}`,
    html_url: `https://github.com/orgs/${org}/teams/${slug}`,
    name: slug,
    slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'pull',
    members_url: `https://api.github.com/organizations/${hashId(org)}/team/${id}/members{/member}`,
    repositories_url: `https://api.github.com/organizations/${hashId(org)}/team/${id}/repos`,
    parent: null,
    members_count: members,
    repos_count: 1,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    organization: { login: org, id: hashId(org), node_id: `O${hashId(org)}` },
  };
}

function hashId(login: string): number {
  let h = 7;
  for (const c of login) h = (h * 31 + c.charCodeAt(0)) % 1_000_000;
  return h + 1;
}

/** Git's blob id of a text: sha1("blob <len>\0<content>"). */
export function gitBlobSha(text: string): string {
  const buf = Buffer.from(text);
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

/** The fake GitHub with the routes of one test: the request view a route gets, and only the routes it was given. */
export interface GitHubServer {
  /** The base URL to give as `GITHUB_API_URL`. */
  url: string;
  readonly requests: RecordedRequest[];
  violations: string[];
  /** Answer `METHOD /template` (e.g. `GET /repos/{owner}/{repo}/deployments`); later routes win. */
  on(route: string, handler: Handler): void;
  /** Requests whose route matched `route` (same `METHOD /template` form). */
  calls(route: string): RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a fake GitHub that answers only the routes the test gives it and refuses what
 * GitHub would refuse: a request outside GitHub's REST description gets a 422, one no route
 * answers a 404, and both land in `violations`.
 */
export async function startGitHubServer(): Promise<GitHubServer> {
  const github = new FakeGitHub();
  github.routesOnly = true;
  github.refuseInvalid = true;
  await github.start();
  return {
    url: github.url,
    get requests() {
      return github.requests.map(recorded);
    },
    violations: github.violations,
    on: (route, handler) => github.on(route, handler),
    calls: (route) => github.calls(route).map(recorded),
    close: () => github.close(),
  };
}
