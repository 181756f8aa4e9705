import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertRequestMatchesGitHub } from './openapi.js';

/**
 * A local HTTP server that plays GitHub's REST API for one or more repositories, with
 * just enough state for the App: files on the default branch, commits and trees, pull
 * requests and reviews, check runs and statuses, teams, collaborators, deployments and
 * the protection rule callback. Every request is checked against GitHub's REST
 * description; a request GitHub would refuse, or a route the fake does not know, is kept
 * in `violations` (tests assert it stays empty).
 */

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  template: string | null;
  body: unknown;
  status: number;
  at: number;
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
}

export interface FakeReview {
  id: number;
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  commit_id: string;
  submitted_at: string;
}

export interface ProtectionAnswer {
  runId: number;
  environment: string;
  state?: 'approved' | 'rejected';
  comment?: string;
  status: number;
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
  statuses: Array<{ context: string; state: string; sha: string }>;
  permissions: Record<string, 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none'>;
  deployments: Array<{ id: number; sha: string; ref: string; environment: string; payload: unknown; creator: string; created_at: string }>;
  deploymentStatuses: Array<{ id: number; deploymentId: number; state: string; description?: string }>;
  compare: Record<string, string[]>;
  comments: Array<{ issue: number; body: string }>;
  /** `${runId}/${environment}` of protection rules GitHub still waits on. */
  pendingRules: Set<string>;
  answers: ProtectionAnswer[];
}

export class FakeGitHub {
  readonly repos = new Map<string, FakeRepo>();
  /** org -> team slug -> member logins. */
  readonly teams = new Map<string, Record<string, string[]>>();
  readonly requests: FakeRequest[] = [];
  readonly violations: string[] = [];
  /** Override a route: return a response to short-cut the model. */
  interceptor: ((req: { method: string; path: string; body: unknown }) => { status: number; body?: unknown } | undefined) | null = null;
  /** Delay before every response (ms), to model network latency. */
  latencyMs = 0;
  /** Check every request against GitHub's REST description (off in the benchmark, which measures the App). */
  checkRequests = true;
  /** Keep request bodies (tests) or only count them (benchmark). */
  keepRequests = true;
  requestCount = 0;
  /** Repositories (`owner/name`, in lower case) the installation may not read: every request to them answers 403. */
  readonly deniedRepos = new Set<string>();
  private server: Server | null = null;
  private nextId = 1000;
  baseUrl = '';

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
    const [owner, name] = fullName.split('/') as [string, string];
    const repo = this.repos.get(fullName.toLowerCase()) ?? this.addRepo(owner, name);
    repo.files[path] = text;
    if (commit !== undefined) repo.fileCommits[path] = commit;
    return repo;
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
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let path = decodeURIComponent(url.pathname);
    if (path.startsWith('/api/v3/')) path = path.slice('/api/v3'.length);
    const method = (req.method ?? 'GET').toUpperCase();
    let body: unknown = undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch (error) {
        this.violations.push(`${method} ${path}: body is not JSON (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    let template: string | null = this.checkRequests ? null : 'unchecked';
    if (this.checkRequests) {
      try {
        template = assertRequestMatchesGitHub(method, path, body);
      } catch (error) {
        this.violations.push(error instanceof Error ? error.message : String(error));
      }
    }
    if (await this.injectFault(method, path, body, res)) return;
    let result: { status: number; body?: unknown; headers?: Record<string, string> };
    try {
      result = this.interceptor?.({ method, path, body }) ?? this.route(method, path, url.searchParams, body);
    } catch (error) {
      this.violations.push(`${method} ${path}: fake GitHub failed: ${error instanceof Error ? error.stack : String(error)}`);
      result = { status: 500, body: { message: 'fake failure' } };
    }
    if (result.status === 404 && !template) this.violations.push(`${method} ${path}: no such route`);
    this.requestCount++;
    if (this.keepRequests) this.requests.push({ method, path, query: url.searchParams, template, body, status: result.status, at: Date.now() });
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(0, 5000 - this.requestCount)),
      'x-ratelimit-reset': '4102444800',
      ...(result.headers ?? {}),
    };
    res.writeHead(result.status, headers);
    res.end(result.status === 204 || result.body === undefined ? undefined : JSON.stringify(result.body));
  }

  private route(method: string, path: string, q: URLSearchParams, body: unknown): { status: number; body?: unknown; headers?: Record<string, string> } {
    const b = (body ?? {}) as Record<string, unknown>;
    let m: RegExpMatchArray | null;
    if (method === 'POST' && (m = path.match(/^\/app\/installations\/(\d+)\/access_tokens$/))) {
      return { status: 201, body: { token: `ghs_test${m[1]}`, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {}, repository_selection: 'all' } };
    }
    if ((m = path.match(/^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/)) && method === 'GET') {
      const members = this.teams.get(m[1]!.toLowerCase())?.[m[2]!] ?? [];
      return members.some((l) => l.toLowerCase() === m![3]!.toLowerCase())
        ? { status: 200, body: { url: '', role: 'member', state: 'active' } }
        : { status: 404, body: { message: 'Not Found' } };
    }
    m = path.match(/^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/);
    if (!m) return { status: 404, body: { message: 'Not Found' } };
    if (this.deniedRepos.has(`${m[1]}/${m[2]}`.toLowerCase())) {
      return { status: 403, body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' } };
    }
    const repo = this.repos.get(`${m[1]}/${m[2]}`.toLowerCase());
    if (!repo) return { status: 404, body: { message: 'Not Found' } };
    const rest = m[3] ?? '';
    const user = (login: string) => ({ login, id: hashId(login), type: 'User' });

    if (method === 'GET' && rest === '') {
      return { status: 200, body: { id: repo.id, name: repo.name, full_name: `${repo.owner}/${repo.name}`, default_branch: repo.defaultBranch, owner: user(repo.owner), private: true } };
    }
    if (method === 'GET' && (m = rest.match(/^\/contents\/(.+)$/))) {
      const ref = q.get('ref') ?? repo.defaultBranch;
      const text = ref === repo.defaultBranch ? repo.files[m[1]!] : undefined;
      if (text === undefined) return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: { type: 'file', encoding: 'base64', size: text.length, name: m[1]!.split('/').pop(), path: m[1], content: Buffer.from(text).toString('base64'), sha: gitBlobSha(text) } };
    }
    if (method === 'GET' && rest === '/commits') {
      const file = q.get('path') ?? '';
      const sha = repo.fileCommits[file];
      return { status: 200, body: sha ? [{ sha, commit: { message: `change ${file}` } }] : [] };
    }
    if (method === 'GET' && (m = rest.match(/^\/commits\/([^/]+)\/pulls$/))) {
      const sha = m[1]!;
      const pulls = repo.pulls.filter((p) => p.commits.includes(sha) || p.headSha === sha);
      return { status: 200, body: pulls.map((p) => this.pullJson(repo, p)) };
    }
    if (method === 'GET' && (m = rest.match(/^\/pulls\/(\d+)$/))) {
      const p = repo.pulls.find((x) => x.number === Number(m![1]));
      return p ? { status: 200, body: this.pullJson(repo, p) } : { status: 404, body: { message: 'Not Found' } };
    }
    if (method === 'GET' && (m = rest.match(/^\/pulls\/(\d+)\/reviews$/))) {
      const all = (repo.reviews[Number(m[1])] ?? []).map((r) => ({ id: r.id, user: user(r.user), state: r.state, commit_id: r.commit_id, submitted_at: r.submitted_at, body: '' }));
      return paginate(all, q, `${this.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
    }
    if (method === 'GET' && (m = rest.match(/^\/git\/commits\/([^/]+)$/))) {
      const tree = repo.trees[m[1]!];
      return tree ? { status: 200, body: { sha: m[1], tree: { sha: tree }, message: 'commit', parents: [] } } : { status: 404, body: { message: 'Not Found' } };
    }
    if (method === 'GET' && (m = rest.match(/^\/commits\/([^/]+)\/check-runs$/))) {
      const name = q.get('check_name');
      const runs = repo.checkRuns.filter((c) => c.head_sha === m![1] && (!name || c.name === name)).reverse();
      const page = paginate(runs, q, `${this.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
      return { ...page, body: { total_count: runs.length, check_runs: page.body } };
    }
    if (method === 'GET' && (m = rest.match(/^\/commits\/([^/]+)\/status$/))) {
      const statuses = repo.statuses.filter((s) => s.sha === m![1]);
      const state = statuses.some((s) => s.state === 'failure' || s.state === 'error') ? 'failure' : statuses.some((s) => s.state === 'pending') ? 'pending' : 'success';
      return { status: 200, body: { state, sha: m[1], total_count: statuses.length, statuses: statuses.map((s) => ({ context: s.context, state: s.state })) } };
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
      return { status: 200, body: { status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1, commits: [], files: files.map((f) => ({ filename: f, status: 'modified' })) } };
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
      const d = { id: this.newId(), sha: String(b.ref), ref: String(b.ref), environment: String(b.environment ?? 'production'), payload: b.payload ?? {}, creator: 'release-gate[bot]', created_at: new Date().toISOString() };
      repo.deployments.push(d);
      return { status: 201, body: { url: '', id: d.id, node_id: 'D', sha: d.sha, ref: d.ref, task: 'deploy', payload: d.payload, environment: d.environment, creator: user('release-gate[bot]'), created_at: d.created_at } };
    }
    if (method === 'GET' && rest === '/deployments') {
      const sha = q.get('sha');
      const environment = q.get('environment');
      const list = repo.deployments.filter((d) => (!sha || d.sha === sha) && (!environment || d.environment === environment)).reverse();
      return { status: 200, body: list.map((d) => ({ id: d.id, sha: d.sha, ref: d.ref, environment: d.environment, payload: d.payload, created_at: d.created_at })) };
    }
    if (method === 'POST' && (m = rest.match(/^\/deployments\/(\d+)\/statuses$/))) {
      const s = { id: this.newId(), deploymentId: Number(m[1]), state: String(b.state), description: b.description as string | undefined };
      repo.deploymentStatuses.push(s);
      return { status: 201, body: { id: s.id, state: s.state, description: s.description ?? '' } };
    }
    if (method === 'GET' && (m = rest.match(/^\/deployments\/(\d+)\/statuses$/))) {
      return { status: 200, body: repo.deploymentStatuses.filter((s) => s.deploymentId === Number(m![1])).reverse().map((s) => ({ id: s.id, state: s.state, created_at: new Date().toISOString() })) };
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

  private pullJson(repo: FakeRepo, p: FakePull): unknown {
    return {
      number: p.number,
      state: p.state ?? 'open',
      user: { login: p.user, id: hashId(p.user), type: 'User' },
      body: p.body ?? '',
      head: { sha: p.headSha, ref: p.headRef },
      base: { ref: repo.defaultBranch, sha: '0'.repeat(40) },
    };
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

  private async injectFault(method: string, path: string, body: unknown, res: ServerResponse): Promise<boolean> {
    const fault = this.fault?.({ method, path, body });
    if (!fault) return false;
    this.injected.push(`${fault} ${method} ${path}`);
    this.requestCount++;
    if (this.keepRequests) this.requests.push({ method, path, query: new URLSearchParams(), template: `fault:${fault}`, body, status: FAULT_STATUS[fault], at: Date.now() });
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
      429: { body: { message: 'API rate limit exceeded for installation.' }, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset, 'retry-after': '1' } },
      'secondary-limit': {
        body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' },
        headers: { 'retry-after': '1' },
      },
    };
    const r = replies[fault];
    res.writeHead(FAULT_STATUS[fault], { 'content-type': 'application/json; charset=utf-8', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4000', 'x-ratelimit-reset': reset, ...r.headers });
    res.end(JSON.stringify(r.body));
    return true;
  }
}

/** What GitHub does instead of answering: 500, 502, 429 (rate limit), 403 (secondary limit) or nothing (hang). */
export type Fault = 500 | 502 | 429 | 'secondary-limit' | 'hang';
const FAULT_STATUS: Record<Fault, number> = { 500: 500, 502: 502, 429: 429, 'secondary-limit': 403, hang: 0 };

function paginate(all: unknown[], q: URLSearchParams, url: string): { status: number; body: unknown[]; headers?: Record<string, string> } {
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
