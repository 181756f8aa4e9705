import { createHash } from 'node:crypto';
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
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
 * `admin`/`maintain` -> admin, `write` -> approver, `read`/`triage` -> viewer; anything
 * else (none, no collaborator) -> no access. Custom roles are judged by their base permission.
 */
export function roleFromPermission(roleName: string | undefined, permission: string | undefined): Role | null {
  for (const p of [roleName, permission]) {
    switch (p) {
      case 'admin':
      case 'maintain':
        return 'admin';
      case 'write':
      case 'push':
        return 'approver';
      case 'read':
      case 'triage':
      case 'pull':
        return 'viewer';
      default:
        break;
    }
  }
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
  set(key: string, value: V, until: number): void {
    if (this.map.size >= this.limit) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, { value, until });
  }
}

const REPOS_TTL_MS = 2 * 60_000;

/**
 * Everything the console asks GitHub: the OAuth web flow and the user behind a token (with
 * the user's token), the App's installations and their repositories (as the App), and
 * the user's permission and team memberships (as the installation). Answers are cached
 * briefly, never for long: a permission removed on GitHub stops counting within minutes.
 */
export class GitHubDirectory {
  private readonly tokens = new TtlCache<GitHubUser>();
  private readonly roles = new TtlCache<Role | null>();
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

  /** Exchanges the code GitHub sent back for a user token, and reads the user. */
  async signIn(code: string, redirectUrl: string): Promise<GitHubUser> {
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
    return this.userOf(token);
  }

  /** The user a token belongs to (GET /user), cached briefly by the token's hash. */
  async userOf(token: string): Promise<GitHubUser> {
    const key = createHash('sha256').update(token).digest('hex');
    const now = this.clock().getTime();
    const hit = this.tokens.get(key, now);
    if (hit) return hit;
    try {
      const { data } = await this.request('GET /user', { headers: { authorization: `bearer ${token}` } });
      const user = { login: data.login, id: Number(data.id) };
      this.tokens.set(key, user, now + this.config.tokenTtlMs);
      return user;
    } catch (error) {
      const status = httpStatus(error);
      if (status === 401 || status === 403)
        throw new IdentityError(
          'GitHub does not accept this token: give a valid GitHub user token (Authorization: Bearer <token>).',
          401,
        );
      throw new IdentityError(
        `Could not verify the token with GitHub: ${error instanceof Error ? error.message : String(error)}`,
        502,
      );
    }
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

  /** The user's role on a repository, or null when they cannot read it. */
  async roleOf(login: string, repo: InstalledRepo): Promise<Role | null> {
    const key = `${repo.fullName.toLowerCase()}\u0000${login.toLowerCase()}`;
    const now = this.clock().getTime();
    const hit = this.roles.get(key, now);
    if (hit !== undefined) return hit;
    const octokit = await this.octokitFor(repo.installationId);
    let role: Role | null;
    try {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', {
        owner: repo.owner,
        repo: repo.name,
        username: login,
      });
      role = roleFromPermission((data as { role_name?: string }).role_name, data.permission);
    } catch (error) {
      if (httpStatus(error) !== 404) throw error;
      role = null;
    }
    this.roles.set(key, role, now + this.config.permissionTtlMs);
    return role;
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
