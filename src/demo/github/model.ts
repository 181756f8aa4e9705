/**
 * The state of the simulated GitHub (`simulated-github.ts`): repositories, users, installations,
 * environments, faults and the requests seen. Its routes (`repo-routes.ts`, `setup-routes.ts`,
 * `user-routes.ts`, `faults.ts`) read and change this model; the server answers with them.
 */
import type { ServerResponse } from 'node:http';
import { hashId } from './json.js';
import type { FakeEnvironment, FakeRepo, FakeRequest, Fault, ManifestApp } from './types.js';

/** How the simulated GitHub checks a request: the REST template it matched, or a thrown error saying why GitHub would refuse it. */
export type RequestCheck = (method: string, path: string, body: unknown) => string;

/** What the routes of the simulated GitHub read and change. */
export class GitHubModel {
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
  private nextId = 1000;
  baseUrl = '';

  /** `owner/name#number` (in lower case) -> the files the pull request changes. */
  readonly pullFiles = new Map<
    string,
    Array<{ filename: string; status: 'added' | 'modified' | 'removed' | 'renamed'; previous_filename?: string }>
  >();

  repo(fullName: string): FakeRepo {
    const r = this.repos.get(fullName.toLowerCase());
    if (!r) throw new Error(`fake GitHub has no repository ${fullName}`);
    return r;
  }

  newId(): number {
    return this.nextId++;
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
