import { createHash } from 'node:crypto';
import { checkToken, deleteToken, exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import { request as octokitRequest } from '@octokit/request';
import type { Probot } from 'probot';
import { teamMembership } from '../github/facts.js';
import { httpStatus } from '../github/types.js';
import type { GitHubClient } from '../github/types.js';
import type { ConsoleConfig } from './config.js';

/** The console's three roles (viewer, releaser, admin), from the user's permission on the repository. */
export type Role = 'admin' | 'approver' | 'viewer';

/** A repository of one of the App's installations. */
export interface InstalledRepo {
  fullName: string;
  owner: string;
  name: string;
  installationId: number;
  defaultBranch: string;
  private: boolean;
  htmlUrl: string | null;
}

export interface GitHubUser {
  login: string;
  id: number;
}

/** GitHub refused the user's token or code; `status` is what the console answers. */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  constructor(
    message: string,
    readonly status: 400 | 401 | 502,
  ) {
    super(message);
  }
}

/**
 * The role of GitHub's `permissions` flags on a repository (the highest one set):
 * `admin`/`maintain` -> admin, `push` (write) -> approver, `triage`/`pull` (read) -> viewer;
 * none -> no access. Custom roles show as the base permission's flags.
 */
export function roleFromFlags(
  flags: Partial<Record<'admin' | 'maintain' | 'push' | 'triage' | 'pull', boolean>> | undefined,
): Role | null {
  if (!flags) return null;
  if (flags.admin || flags.maintain) return 'admin';
  if (flags.push) return 'approver';
  if (flags.triage || flags.pull) return 'viewer';
  return null;
}

class TtlCache<V> {
  private readonly map = new Map<string, { value: V; until: number }>();
  constructor(private readonly limit = 10_000) {}
  get(key: string, now: number): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.until <= now) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }
  /** The value whether or not it expired (the caller refreshed it earlier in the same request). */
  peek(key: string): V | undefined {
    return this.map.get(key)?.value;
  }
  set(key: string, value: V, until: number): void {
    this.map.delete(key);
    if (this.map.size >= this.limit) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, { value, until });
  }
}

const REPOS_TTL_MS = 2 * 60_000;

/**
 * Everything the console asks GitHub: the OAuth web flow, whether a token is one of this
 * App's (with the App's client), what a user can reach and with which permission (with the
 * user's token), the App's installations and their repositories (as the App), and team
 * memberships (as the installation). Answers are cached briefly, never for long: a
 * permission removed on GitHub stops counting within minutes.
 */
export class GitHubDirectory {
  private readonly tokens = new TtlCache<GitHubUser>();
  /** login -> `owner/name` (lower case) -> role, per user. */
  private readonly reachable = new TtlCache<Map<string, Role>>();
  private readonly members = new TtlCache<boolean>();
  private repos: { value: Map<string, InstalledRepo>; until: number } | null = null;
  private readonly request: typeof octokitRequest;

  constructor(
    private readonly probot: Probot,
    private readonly config: ConsoleConfig,
    private readonly clock: () => Date,
  ) {
    this.request = octokitRequest.defaults({
      baseUrl: config.apiBaseUrl,
      headers: { 'user-agent': 'release-gate-console' },
    });
  }

  get signInEnabled(): boolean {
    return Boolean(this.config.clientId && this.config.clientSecret);
  }

  /** GitHub's authorize page (on the web host of GHE_HOST, when set). */
  authorizeUrl(state: string, redirectUrl: string): string {
    return getWebFlowAuthorizationUrl({
      clientType: 'github-app',
      clientId: this.config.clientId!,
      state,
      redirectUrl,
      request: this.request,
    }).url;
  }

  /** Exchanges the code GitHub sent back for a user token of this App, and reads the user. */
  async signIn(code: string, redirectUrl: string): Promise<{ user: GitHubUser; token: string }> {
    let token: string;
    try {
      const { authentication } = await exchangeWebFlowCode({
        clientType: 'github-app',
        clientId: this.config.clientId!,
        clientSecret: this.config.clientSecret!,
        code,
        redirectUrl,
        request: this.request,
      });
      token = authentication.token;
    } catch (error) {
      const status = httpStatus(error);
      throw new IdentityError(
        `GitHub did not accept the sign-in code (${error instanceof Error ? error.message : String(error)}); sign in again.`,
        status === 0 || status >= 500 ? 502 : 400,
      );
    }
    try {
      const { data } = await this.request('GET /user', { headers: { authorization: `bearer ${token}` } });
      return { user: { login: data.login, id: Number(data.id) }, token };
    } catch (error) {
      throw new IdentityError(
        `GitHub did not say who signed in (${error instanceof Error ? error.message : String(error)}); sign in again.`,
        502,
      );
    }
  }

  /**
   * The user of a bearer token, when GitHub says it was issued to this App (its "check a
   * token" endpoint, `POST /applications/{client_id}/token`, with the App's client id and
   * secret): a token someone gave another OAuth app, or a personal access token, is refused.
   * Cached briefly by the token's hash.
   */
  async verifyToken(token: string): Promise<GitHubUser> {
    if (!this.signInEnabled)
      throw new IdentityError(
        "Bearer tokens are checked with the App's OAuth client, which is not set up: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.",
        401,
      );
    const key = createHash('sha256').update(token).digest('hex');
    const now = this.clock().getTime();
    const hit = this.tokens.get(key, now);
    if (hit) return hit;
    let user: GitHubUser;
    try {
      const { data } = await checkToken({
        clientType: 'github-app',
        clientId: this.config.clientId!,
        clientSecret: this.config.clientSecret!,
        token,
        request: this.request,
      });
      if (!data.user) throw new IdentityError('GitHub names no user for this token: send a user token.', 401);
      user = { login: data.user.login, id: Number(data.user.id) };
    } catch (error) {
      if (error instanceof IdentityError) throw error;
      const status = httpStatus(error);
      if (status === 404 || status === 422)
        throw new IdentityError(
          "GitHub does not know this token as one of this App: send a user token issued to the Release Gate App (its OAuth web or device flow), not a personal access token or another app's token.",
          401,
        );
      throw new IdentityError(
        status === 401
          ? "GitHub refused the App's own OAuth client when checking the token: check GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET."
          : `Could not check the token with GitHub: ${error instanceof Error ? error.message : String(error)}`,
        502,
      );
    }
    this.tokens.set(key, user, now + this.config.tokenTtlMs);
    return user;
  }

  /** Ends a user token of this App on GitHub (sign-out). */
  async revoke(token: string): Promise<void> {
    if (!this.signInEnabled) return;
    await deleteToken({
      clientType: 'github-app',
      clientId: this.config.clientId!,
      clientSecret: this.config.clientSecret!,
      token,
      request: this.request,
    });
  }

  /**
   * Makes sure what the user can reach is known: the installations of this App their token
   * sees and, per installation, the repositories with the user's permission on each
   * (`GET /user/installations`, `GET /user/installations/{id}/repositories`). One listing
   * per user per cache period, whatever the number of repositories asked about; roles are
   * then read from it ({@link roleOf}).
   */
  async reach(login: string, token: string): Promise<void> {
    const key = login.toLowerCase();
    const now = this.clock().getTime();
    const known = this.reachable.get(key, now);
    if (known) return;
    const roles = new Map<string, Role>();
    const auth = { headers: { authorization: `bearer ${token}` } };
    try {
      const installations = await this.request('GET /user/installations', { ...auth, per_page: 100 });
      for (const inst of installations.data.installations) {
        for (let page = 1; ; page += 1) {
          const { data } = await this.request('GET /user/installations/{installation_id}/repositories', {
            ...auth,
            installation_id: inst.id,
            per_page: 100,
            page,
          });
          for (const r of data.repositories) {
            const role = roleFromFlags(r.permissions);
            if (role) roles.set(r.full_name.toLowerCase(), role);
          }
          if (page * 100 >= data.total_count || data.repositories.length === 0) break;
        }
      }
    } catch (error) {
      const status = httpStatus(error);
      if (status === 401 || status === 403)
        throw new IdentityError('GitHub no longer accepts your authorization of this App: sign in again.', 401);
      throw new IdentityError(
        `Could not list what you can read on GitHub: ${error instanceof Error ? error.message : String(error)}`,
        502,
      );
    }
    this.reachable.set(key, roles, now + this.config.permissionTtlMs);
  }

  /** The repositories of every installation of the App, by lower-case `owner/name`. */
  async repositories(): Promise<Map<string, InstalledRepo>> {
    const now = this.clock().getTime();
    if (this.repos && this.repos.until > now) return this.repos.value;
    const app: GitHubClient = await this.probot.auth();
    const installations = (await app.paginate('GET /app/installations', { per_page: 100 })) as Array<{ id: number }>;
    const out = new Map<string, InstalledRepo>();
    for (const inst of installations) {
      const octokit = await this.octokitFor(inst.id);
      const repos = await octokit.paginate('GET /installation/repositories', { per_page: 100 });
      for (const r of repos) {
        out.set(r.full_name.toLowerCase(), {
          fullName: r.full_name,
          owner: r.owner.login,
          name: r.name,
          installationId: inst.id,
          defaultBranch: r.default_branch ?? 'main',
          private: r.private,
          htmlUrl: r.html_url ?? null,
        });
      }
    }
    this.repos = { value: out, until: now + REPOS_TTL_MS };
    return out;
  }

  async octokitFor(installationId: number): Promise<GitHubClient> {
    return this.probot.auth(installationId);
  }

  /**
   * The user's role on a repository, or null when they cannot read it, from what {@link reach}
   * listed for them (the console calls it when it identifies the user).
   */
  async roleOf(login: string, repo: InstalledRepo): Promise<Role | null> {
    const roles = this.reachable.peek(login.toLowerCase());
    return Promise.resolve(roles?.get(repo.fullName.toLowerCase()) ?? null);
  }

  /** True when the user is an active member of one of the teams (slugs of the repository's org). */
  async inAnyTeam(org: string, teams: string[], login: string, installationId: number): Promise<boolean> {
    const now = this.clock().getTime();
    for (const team of teams) {
      const key = `${org.toLowerCase()}\u0000${team.toLowerCase()}\u0000${login.toLowerCase()}`;
      let member = this.members.get(key, now);
      if (member === undefined) {
        member = await teamMembership(await this.octokitFor(installationId), org, team, login);
        this.members.set(key, member, now + this.config.permissionTtlMs);
      }
      if (member) return true;
    }
    return false;
  }
}
