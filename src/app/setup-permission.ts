import { answeredStatus, describeGitHubError } from '../github/request-errors.js';

/**
 * Least privilege: app.yml does not ask for Administration: write (it would also let the App
 * delete repositories), so by default the App cannot create environments or enable its
 * protection rule on them. Setting GitHub up is then done with a repository admin's own
 * token (`release-gate setup --apply`), or by an owner who opts in by giving the App the
 * permission. These are the words for each case.
 */

/** Who makes the setup's requests: the App's installation, or a person's token (the CLI). */
export type SetupActor = 'app' | 'token';

/** GitHub's answer when an App's installation lacks a permission. */
const NOT_ACCESSIBLE_BY_INTEGRATION = /resource not accessible by integration/i;

/** True when GitHub refused a request because the App's installation lacks the permission. */
export function isMissingAppPermission(error: unknown): boolean {
  if (answeredStatus(error) !== 403) return false;
  const data = (error as { response?: { data?: { message?: unknown } } }).response?.data;
  const message = typeof data?.message === 'string' ? data.message : String((error as Error).message);
  return NOT_ACCESSIBLE_BY_INTEGRATION.test(message);
}

/** Why a write of the setup failed, in one clause. */
export function setupFailure(error: unknown, actor: SetupActor): string {
  const status = answeredStatus(error);
  if (isMissingAppPermission(error))
    return 'the App has no Administration: write permission on the repository (app.yml does not ask for it; see below)';
  if (status === 403)
    return actor === 'token'
      ? "the token lacks admin rights on the repository: use a repository admin's token (a classic token with the repo scope, or a fine-grained one with Administration: write)"
      : `GitHub refused it (403): ${describeGitHubError(error)}`;
  if (status === 404)
    return 'GitHub answered 404 (the repository, or environments on this plan: private repositories need GitHub Pro, Team or Enterprise)';
  return describeGitHubError(error, {
    credentials:
      actor === 'token'
        ? 'check GITHUB_TOKEN (or --token): it may be mistyped, expired or revoked'
        : "check the App's private key and id",
  });
}

/**
 * What to do when the App lacks Administration: write, for the check run, the comment reply
 * and the CLI: a repository admin's token, or the permission given to the App.
 */
export function administrationAdvice(repo: string, appId: number | null): string {
  const command = `GITHUB_TOKEN=<a repository admin's token> npx release-gate setup --repo ${repo}${appId === null ? '' : ` --app-id ${appId}`} --apply`;
  return [
    "Release Gate does not ask for Administration: write by default (it would also allow deleting the repository), and creating environments and enabling the App's protection rule need it. Either:",
    `- run the set-up with a repository admin's own token: \`${command}\` (a dry run without \`--apply\`), or`,
    "- opt in: give the App Administration: write (the App's settings, Permissions & events, or `administration: write` in the app.yml it is registered from), accept the new permission on the installation, and comment `/release-gate setup` again.",
  ].join('\n');
}
