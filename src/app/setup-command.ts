import type { Policy } from '../core/types.js';
import { replyOnIssue, repositoryPermission } from '../github/pull-commands.js';
import { loadRepoPolicy } from '../github/policy-source.js';
import { repoKey } from '../github/types.js';
import type { GitHubClient, RepoRef } from '../github/types.js';
import type { AuditStore } from '../store/audit.js';
import { renderSetupMarkdown, setupEnvironments } from './setup-environments.js';
import { administrationAdvice } from './setup-permission.js';
import type { SetupReport } from './setup-environments.js';

/** The check run the App reports environment setup on. */
export const SETUP_CHECK_NAME = 'Release gate setup';

/**
 * The App's own id, which is also its integration id for custom protection rules: read from
 * the App authentication Probot's Octokit carries, so no setting is needed.
 */
export async function appIdOf(octokit: GitHubClient): Promise<number | null> {
  const auth = (await octokit.auth({ type: 'app' })) as { appId?: number | string };
  const id = Number(auth.appId);
  return Number.isInteger(id) && id > 0 ? id : null;
}

/** Runs the setup with the installation's token and reports it on a check run of `sha`. */
export async function setupAndReport(
  octokit: GitHubClient,
  where: RepoRef & { sha: string; policy: Pick<Policy, 'environments'> },
): Promise<{ report: SetupReport; checkRunUrl: string | null }> {
  const appId = await appIdOf(octokit);
  const report = await setupEnvironments(octokit, {
    owner: where.owner,
    repo: where.repo,
    policy: where.policy,
    appId,
    apply: true,
  });
  const changed = report.lines.filter((l) => l.status === 'done').length;
  const failed = report.lines.filter((l) => l.status === 'failed').length;
  const title =
    failed > 0
      ? `${failed} environment setting(s) could not be made; ${changed} made`
      : changed > 0
        ? `GitHub's environments now match the policy (${changed} change(s))`
        : "GitHub's environments already match the policy";
  let checkRunUrl: string | null = null;
  try {
    const { data } = await octokit.request('POST /repos/{owner}/{repo}/check-runs', {
      owner: where.owner,
      repo: where.repo,
      name: SETUP_CHECK_NAME,
      head_sha: where.sha,
      status: 'completed',
      conclusion: failed > 0 ? 'action_required' : 'success',
      output: {
        title,
        summary: `${renderSetupMarkdown(report)}\n\nNothing a person configured was removed or loosened.`.slice(
          0,
          65_000,
        ),
      },
      ...(failed > 0
        ? {
            details_url:
              'https://docs.github.com/actions/managing-workflow-runs-and-deployments/managing-deployments/creating-custom-deployment-protection-rules',
          }
        : {}),
    });
    checkRunUrl = (data as { html_url?: string }).html_url ?? null;
  } catch {
    // The comment below still tells the person what happened.
  }
  return { report, checkRunUrl };
}

const ADMIN = new Set(['admin']);

/** `/release-gate setup` on a pull request: an admin of the repository makes GitHub match the policy. */
export async function runSetupCommand(
  deps: { store: AuditStore; clock: () => Date },
  octokit: GitHubClient,
  c: RepoRef & {
    login: string;
    issueNumber: number;
    headSha: string;
    defaultBranch?: string | undefined;
    deliveryId: string;
  },
): Promise<string> {
  const reply = (body: string) =>
    replyOnIssue(octokit, { owner: c.owner, repo: c.repo, issueNumber: c.issueNumber, body });
  const permission = await repositoryPermission(octokit, { owner: c.owner, repo: c.repo, username: c.login });
  if (!ADMIN.has(permission)) {
    await reply(
      `@${c.login} refused: setting up environments changes repository settings, which needs admin permission on ${repoKey(c)}; you have \`${permission}\`.`,
    );
    return 'replied: setup refused';
  }
  const policy = await loadRepoPolicy(octokit, {
    owner: c.owner,
    repo: c.repo,
    ...(c.defaultBranch ? { defaultBranch: c.defaultBranch } : {}),
  });
  if (!policy.ok) {
    await reply(
      `@${c.login} the release policy is invalid, so nothing was set up: ${policy.problems.slice(0, 3).join('; ')}`,
    );
    return 'replied: policy invalid';
  }
  const { report, checkRunUrl } = await setupAndReport(octokit, {
    owner: c.owner,
    repo: c.repo,
    sha: c.headSha,
    policy: policy.policy,
  });
  const changed = report.lines.filter((l) => l.status === 'done').length;
  const failed = report.lines.filter((l) => l.status === 'failed');
  await deps.store.recordEvent({
    repo: repoKey(c),
    sha: c.headSha,
    environment: '-',
    type: 'NOTE',
    status: 'setup',
    actor: c.login,
    at: deps.clock(),
    notes: `environment setup: ${changed} change(s), ${failed.length} failure(s)`,
    deliveryId: c.deliveryId,
  });
  const where = checkRunUrl ? ` Details: ${checkRunUrl}` : ` Details on the "${SETUP_CHECK_NAME}" check run.`;
  const failures =
    failed.length > 0 ? `\n\nCould not:\n${failed.map((l) => `- ${l.environment}: ${l.message}`).join('\n')}` : '';
  const advice = report.administrationMissing ? `\n\n${administrationAdvice(repoKey(c), report.appId)}` : '';
  await reply(
    `@${c.login} environment setup: ${changed} change(s)${failed.length > 0 ? `, ${failed.length} failure(s)` : ''}.${where}${failures}${advice}`,
  );
  return `replied: setup (${changed} changed, ${failed.length} failed)`;
}
