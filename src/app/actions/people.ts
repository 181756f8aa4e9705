import { teamMembership } from '../../github/facts.js';
import { httpStatus } from '../../github/types.js';
import type { GitHubClient, RepoRef } from '../../github/types.js';
import type { People, Role } from './types.js';

/**
 * `admin`/`maintain` -> admin, `write` -> approver, `read`/`triage` -> viewer; anything
 * else (none, no collaborator) -> no access. Custom roles are judged by their base permission.
 */
export function roleOfPermission(roleName: string | undefined, permission: string | undefined): Role | null {
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

const RANK: Record<Role, number> = { viewer: 0, approver: 1, admin: 2 };

/** True when the role may approve, reject, override and promote (write, maintain or admin on GitHub). */
export function mayAct(role: Role | null): boolean {
  return role !== null && RANK[role] >= RANK.approver;
}

/** The GitHub permissions behind a role, for messages. */
export function permissionsOf(role: Role | null): string {
  return role === null ? 'no access' : role === 'admin' ? 'admin' : role === 'approver' ? 'write' : 'read';
}

/** {@link People} asked of GitHub as the installation, without a cache (one comment command asks once or twice). */
export function githubPeople(octokit: GitHubClient, where: RepoRef): People {
  return {
    async roleOf(login) {
      try {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', {
          owner: where.owner,
          repo: where.repo,
          username: login,
        });
        return roleOfPermission((data as { role_name?: string }).role_name, data.permission);
      } catch (error) {
        if (httpStatus(error) === 404) return null;
        throw error;
      }
    },
    async inAnyTeam(teams, login) {
      for (const team of teams) if (await teamMembership(octokit, where.owner, team, login)) return true;
      return false;
    },
  };
}
