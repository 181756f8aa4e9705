import type { RepoRef } from '../../github/types.js';

/** The repository a webhook is about, by owner and name. */
export function repositoryOf(payload: { repository: { name: string; owner: { login: string } } }): RepoRef {
  return { owner: payload.repository.owner.login, repo: payload.repository.name };
}

/** The repository's default branch as a gate request carries it: left out when the payload does not say. */
export function defaultBranchOf(payload: { repository: { default_branch?: string | undefined } }): {
  defaultBranch?: string;
} {
  const branch = payload.repository.default_branch;
  return branch ? { defaultBranch: branch } : {};
}
