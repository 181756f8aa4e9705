import type { Octokit } from '@octokit/rest';
import type { ApprovalFact, CheckFact, DeploymentFact, Policy, PullRequestFact } from '../../src/core/types.js';
import { findStageIndex } from '../../src/core/evaluate.js';
import { factsNeeded } from '../../src/core/rule-facts.js';
import { requiredCheckLabel } from '../../src/core/rules/checks.js';
import { loadRequiredChecks } from '../../src/github/check-facts.js';
import { listPullApprovals } from '../../src/github/pull-reviews.js';
import type { GitHubContext } from './input-helper.js';

/** The part of an Octokit client the Action uses. */
export type ActionClient = Pick<Octokit, 'paginate' | 'rest' | 'request'>;

/** Facts the Action could learn from GitHub inside CI, and where each came from. */
export interface CiFacts {
  approvals: ApprovalFact[];
  deployments: DeploymentFact[];
  checks: CheckFact[];
  /** The pull requests the commit came from, when a rule of the stage reads them. */
  pulls?: PullRequestFact[];
  /** One line per kind of fact, for the summary: where it came from or why it is missing. */
  sources: string[];
}

/** Deployments read per GitHub environment of the predecessor stage (newest first). */
const DEPLOYMENTS_PER_ENVIRONMENT = 3;
/** Statuses read per deployment (newest first), to find its creator's latest. */
const STATUSES_PER_DEPLOYMENT = 10;
/** GitHub environment names of the predecessor looked up. */
const PREDECESSOR_ENVIRONMENTS = 2;
/** Pull requests of a commit read. */
const PULLS_PER_COMMIT = 10;
/** Required checks looked up. */
const CHECK_NAMES = 10;

function status(error: unknown): number | null {
  const s = (error as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : null;
}

/** A 403 or 404 means the token may not read this: the fact stays unknown and the gate fails closed. */
async function readable<T>(
  what: string,
  permission: string,
  sources: string[],
  call: () => Promise<T>,
): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    const s = status(error);
    if (s === 403 || s === 404) {
      sources.push(
        `${what}: GitHub answered ${s}, so none were counted (give the workflow \`permissions: ${permission}\`).`,
      );
      return null;
    }
    throw error;
  }
}

/**
 * Read what the gate needs from GitHub for one stage, with as few calls as the stage
 * needs: the PR's reviews or this run's deployment reviews (only when the stage counts
 * approvals), the predecessor stage's deployments of this commit (a few calls), and the
 * required checks of the commit.
 */
export async function loadCiFacts(
  octokit: ActionClient,
  policy: Policy,
  environment: string,
  gh: GitHubContext,
  now: Date,
): Promise<CiFacts> {
  const facts: CiFacts = { approvals: [], deployments: [], checks: [], sources: [] };
  const index = findStageIndex(policy, environment);
  if (index < 0) {
    facts.sources.push(`GitHub was not asked for anything: ${environment} is not a stage of the policy.`);
    return facts;
  }
  const stage = policy.environments[index]!;
  const predecessor = index > 0 ? policy.environments[index - 1]! : null;
  const { owner, repo, sha } = gh;

  // The same declaration of what the rules read as the App's (src/core/rule-facts.ts).
  const needed = factsNeeded(policy, index);
  if (needed.has('reviews')) {
    if (gh.pullRequest) {
      const pr = gh.pullRequest;
      const reviews = await readable('Pull request reviews', 'pull-requests: read', facts.sources, () =>
        listPullApprovals(octokit, { owner, repo, pull_number: pr.number, headSha: sha }, async (commit) => {
          const { data } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: commit });
          return data.tree.sha;
        }),
      );
      if (reviews) {
        facts.approvals.push(...reviews);
        facts.sources.push(
          `Approvals: the reviews of pull request #${pr.number} (${reviews.length} read), counted as the App counts them.`,
        );
      }
    } else if (gh.runId !== undefined) {
      const runId = gh.runId;
      const reviews = await readable('Deployment reviews of this run', 'actions: read', facts.sources, async () => {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals', {
          owner,
          repo,
          run_id: runId,
        });
        return data;
      });
      if (reviews) {
        const names = [stage.name, ...stage.github].map((n) => n.toLowerCase());
        for (const r of reviews) {
          if (!r.environments.some((e) => names.includes((e.name ?? '').toLowerCase()))) continue;
          if (r.state !== 'approved' && r.state !== 'rejected') continue;
          facts.approvals.push({
            login: r.user.login,
            source: 'deployment-review',
            state: r.state === 'approved' ? 'APPROVED' : 'REJECTED',
            submittedAt: now.toISOString(),
          });
        }
        facts.sources.push(
          `Approvals: the deployment reviews of this workflow run for ${stage.name} (${facts.approvals.length} found); on a ${gh.eventName} event there are no pull request reviews. The App counts the deployment's reviews when it decides the deployment itself.`,
        );
      }
    } else {
      facts.sources.push(
        'Approvals: none known (no pull request and no workflow run id); the App counts deployment reviews when it decides the deployment.',
      );
    }
  }

  if (predecessor && needed.has('deployments')) {
    const envs = predecessor.github.slice(0, PREDECESSOR_ENVIRONMENTS);
    for (const name of envs) {
      const found = await readable(`Deployments to ${name}`, 'deployments: read', facts.sources, () =>
        predecessorDeployments(octokit, owner, repo, sha, name),
      );
      if (found) facts.deployments.push(...found);
    }
    facts.sources.push(
      `Deployments: GitHub's deployments of ${sha.slice(0, 7)} to ${envs.join(', ')} (${predecessor.name}), the latest ${DEPLOYMENTS_PER_ENVIRONMENT} per environment, each with the latest status its creator set; ${facts.deployments.length} found. Commits with the same tree are not looked up here. The Action cannot see the App's approvals: it takes such a success as reported, where the App takes only a deployment it let through.`,
    );
  }

  if (needed.has('checks')) {
    const required = stage.requiredChecks.slice(0, CHECK_NAMES);
    const notes: string[] = [];
    // The same reads and sources as the App's (src/github/check-facts.ts), for the same decision.
    const checks = await readable(
      'Checks and commit statuses',
      'checks: read, statuses: read, actions: read, contents: read',
      facts.sources,
      () => loadRequiredChecks(octokit, { owner, repo }, { sha, defaultBranch: gh.defaultBranch }, required, [], notes),
    );
    if (checks) facts.checks.push(...checks);
    facts.sources.push(
      `Checks: the check runs and commit statuses of ${sha.slice(0, 7)} named ${required.map(requiredCheckLabel).join(', ')}, each from the source the policy names.`,
      ...notes.map((n) => `Checks: ${n}`),
    );
  }

  if (needed.has('pulls')) {
    if (gh.pullRequest) {
      const pr = gh.pullRequest;
      facts.pulls = [{ number: pr.number, title: pr.title, body: pr.body }];
      facts.sources.push(`Pull requests: #${pr.number}, from the event.`);
    } else {
      const pulls = await readable('Pull requests of the commit', 'pull-requests: read', facts.sources, async () => {
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', {
          owner,
          repo,
          commit_sha: sha,
          per_page: PULLS_PER_COMMIT,
        });
        return data;
      });
      if (pulls) {
        // The pull requests whose head or merge commit the commit is.
        facts.pulls = pulls
          .filter((p) => p.head.sha === sha || (p.merged_at && p.merge_commit_sha === sha))
          .map((p) => ({ number: p.number, title: p.title, body: p.body ?? '' }));
        facts.sources.push(
          `Pull requests: ${facts.pulls.map((p) => `#${p.number}`).join(', ') || 'none'} became ${sha.slice(0, 7)}.`,
        );
      }
    }
  }
  return facts;
}

async function predecessorDeployments(
  octokit: ActionClient,
  owner: string,
  repo: string,
  sha: string,
  environment: string,
): Promise<DeploymentFact[]> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/deployments', {
    owner,
    repo,
    sha,
    environment,
    per_page: DEPLOYMENTS_PER_ENVIRONMENT,
  });
  const out: DeploymentFact[] = [];
  for (const d of data.slice(0, DEPLOYMENTS_PER_ENVIRONMENT)) {
    const { data: statuses } = await octokit.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
      owner,
      repo,
      deployment_id: Number(d.id),
      per_page: STATUSES_PER_DEPLOYMENT,
    });
    // Newest first; only a status its creator set moves it (as the App takes them).
    const creator = d.creator?.login.toLowerCase();
    const latest = statuses.find((x) => creator !== undefined && x.creator?.login.toLowerCase() === creator);
    const state = latest ? (latest.state as DeploymentFact['state']) : 'pending';
    const at = latest ? latest.created_at : d.created_at;
    // The Action sees no gate's word: what GitHub reports is taken as reported (see the sources line).
    out.push({
      id: Number(d.id),
      environment,
      sha: d.sha,
      state,
      at,
      approval: { via: 'reported', at: d.created_at },
      provenAt: state === 'success' ? at : null,
      // Nor its verification: a success is taken as verified, as reported.
      ...(state === 'success' ? { verification: { state: 'verified' as const, at, via: 'reported' as const } } : {}),
    });
  }
  return out;
}
