import type { Context } from 'probot';
import { loadRepoPolicy, POLICY_PATH } from '../../github/policy-source.js';
import { handleOnce } from '../deliveries.js';
import type { AppDeps } from '../gate.js';
import { setupAndReport } from '../setup-command.js';

/**
 * `push` to the default branch that changes the policy: when the policy says
 * `sync: environments`, GitHub's environments are made to match it, reported on a check run
 * of the pushed commit. Any other push is ignored without a GitHub call.
 */
export async function onPolicyPush(deps: AppDeps, context: Context<'push'>): Promise<void> {
  const p = context.payload;
  const defaultBranch = p.repository.default_branch;
  if (p.deleted || !defaultBranch || p.ref !== `refs/heads/${defaultBranch}`) return;
  if (!p.commits.some((c) => [...(c.added ?? []), ...(c.modified ?? [])].includes(POLICY_PATH))) return;
  await handleOnce(deps, context, async () => {
    const octokit = context.octokit;
    const where = { owner: p.repository.owner?.login ?? p.repository.owner?.name ?? '', repo: p.repository.name };
    const policy = await loadRepoPolicy(octokit, { ...where, defaultBranch });
    if (!policy.ok) return 'policy invalid: no setup';
    if (policy.policy.sync !== 'environments') return 'policy without sync: environments';
    const { report } = await setupAndReport(octokit, { ...where, sha: p.after, policy: policy.policy });
    return `environment setup: ${report.lines.filter((l) => l.status === 'done').length} changed, ${report.lines.filter((l) => l.status === 'failed').length} failed`;
  });
}
