import type { Octokit } from '@octokit/rest';
import type { FactKind } from '../../src/core/fact-kinds.js';
import type { DeploymentFact, EnvironmentPolicy, Policy, ReleaseFacts } from '../../src/core/types.js';
import { findStageIndex } from '../../src/core/evaluate.js';
import { factsNeeded } from '../../src/core/rule-facts.js';
import { requiredCheckLabel } from '../../src/core/rules/checks.js';
import { loadRequiredChecks } from '../../src/github/check-facts.js';
import { listPullApprovals } from '../../src/github/pull-reviews.js';
import type { GitHubContext } from './input-helper.js';

/** The part of an Octokit client the Action uses. */
export type ActionClient = Pick<Octokit, 'paginate' | 'rest' | 'request'>;

/** Facts the Action learned from GitHub inside CI, and where each came from. */
export interface CiFacts {
  /** The facts read, to lay over the release's facts from the workflow's context. */
  facts: Pick<ReleaseFacts, 'approvals' | 'deployments' | 'checks'> & Partial<ReleaseFacts>;
  /** One line per kind of fact, for the summary: where it came from or why it is missing. */
  sources: string[];
}

/** What the reader of one kind of fact is given. */
interface CiFactContext {
  octokit: ActionClient;
  gh: GitHubContext;
  now: Date;
  stage: EnvironmentPolicy;
  predecessor: EnvironmentPolicy | null;
  facts: CiFacts['facts'];
  sources: string[];
}

type CiFactReader = (ctx: CiFactContext) => Promise<void>;

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
 * The Action's reader of each kind of fact, in the order they are read; null where the kind
 * is not asked of GitHub here (the comment says where it comes from). A new kind of fact is
 * one entry here (the compiler asks for it).
 */
export const CI_FACT_READERS: Record<FactKind, CiFactReader | null> = {
  reviews: async ({ octokit, gh, now, stage, facts, sources }) => {
    const { owner, repo, sha } = gh;
    if (gh.pullRequest) {
      const pr = gh.pullRequest;
      const reviews = await readable('Pull request reviews', 'pull-requests: read', sources, () =>
        listPullApprovals(octokit, { owner, repo, pull_number: pr.number, headSha: sha }, async (commit) => {
          const { data } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: commit });
          return data.tree.sha;
        }),
      );
      if (reviews) {
        facts.approvals.push(...reviews);
        sources.push(
          `Approvals: the reviews of pull request #${pr.number} (${reviews.length} read), counted as the App counts them.`,
        );
      }
    } else if (gh.runId !== undefined) {
      const runId = gh.runId;
      const reviews = await readable('Deployment reviews of this run', 'actions: read', sources, async () => {
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
        sources.push(
          `Approvals: the deployment reviews of this workflow run for ${stage.name} (${facts.approvals.length} found); on a ${gh.eventName} event there are no pull request reviews. The App counts the deployment's reviews when it decides the deployment itself.`,
        );
      }
    } else {
      sources.push(
        'Approvals: none known (no pull request and no workflow run id); the App counts deployment reviews when it decides the deployment.',
      );
    }
  },
  deployments: async ({ octokit, gh, predecessor, facts, sources }) => {
    if (!predecessor) return;
    const { owner, repo, sha } = gh;
    const envs = predecessor.github.slice(0, PREDECESSOR_ENVIRONMENTS);
    for (const name of envs) {
      const found = await readable(`Deployments to ${name}`, 'deployments: read', sources, () =>
        predecessorDeployments(octokit, owner, repo, sha, name),
      );
      if (found) facts.deployments.push(...found);
    }
    sources.push(
      `Deployments: GitHub's deployments of ${sha.slice(0, 7)} to ${envs.join(', ')} (${predecessor.name}), the latest ${DEPLOYMENTS_PER_ENVIRONMENT} per environment, each with the latest status its creator set; ${facts.deployments.length} found. Commits with the same tree are not looked up here. The Action cannot see the App's approvals: it takes such a success as reported, where the App takes only a deployment it let through.`,
    );
  },
  checks: async ({ octokit, gh, stage, facts, sources }) => {
    const { owner, repo, sha } = gh;
    const required = stage.requiredChecks.slice(0, CHECK_NAMES);
    const notes: string[] = [];
    // The same reads and sources as the App's (src/github/check-facts.ts), for the same decision.
    const checks = await readable(
      'Checks and commit statuses',
      'checks: read, statuses: read, actions: read, contents: read',
      sources,
      () => loadRequiredChecks(octokit, { owner, repo }, { sha, defaultBranch: gh.defaultBranch }, required, [], notes),
    );
    if (checks) facts.checks.push(...checks);
    sources.push(
      `Checks: the check runs and commit statuses of ${sha.slice(0, 7)} named ${required.map(requiredCheckLabel).join(', ')}, each from the source the policy names.`,
      ...notes.map((n) => `Checks: ${n}`),
    );
  },
  pulls: async ({ octokit, gh, facts, sources }) => {
    const { owner, repo, sha } = gh;
    if (gh.pullRequest) {
      const pr = gh.pullRequest;
      facts.pulls = [{ number: pr.number, title: pr.title, body: pr.body }];
      sources.push(`Pull requests: #${pr.number}, from the event.`);
    } else {
      const pulls = await readable('Pull requests of the commit', 'pull-requests: read', sources, async () => {
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
        sources.push(
          `Pull requests: ${facts.pulls.map((p) => `#${p.number}`).join(', ') || 'none'} became ${sha.slice(0, 7)}.`,
        );
      }
    }
  },
  // Counted with the reviews of this run (`reviews`).
  deploymentReviews: null,
  // The workflow's context: the pull request's or the head commit's author (run.ts).
  contributors: null,
  // GITHUB_REF (run.ts).
  ref: null,
  // The Action's inputs (run.ts).
  evidence: null,
  // Read once the approvals are known (loadCiTeams, ci-teams.ts).
  teams: null,
  // Not known in CI: path rules all apply (run.ts says so).
  changedFiles: null,
  // Granted through the App only.
  overrides: null,
};

/**
 * Read what the gate needs from GitHub for one stage, with as few calls as the stage
 * needs: the PR's reviews or this run's deployment reviews (only when the stage counts
 * approvals), the predecessor stage's deployments of this commit (a few calls), the
 * required checks of the commit, and the pull requests it came from.
 */
export async function loadCiFacts(
  octokit: ActionClient,
  policy: Policy,
  environment: string,
  gh: GitHubContext,
  now: Date,
): Promise<CiFacts> {
  const ci: CiFacts = { facts: { approvals: [], deployments: [], checks: [] }, sources: [] };
  const index = findStageIndex(policy, environment);
  if (index < 0) {
    ci.sources.push(`GitHub was not asked for anything: ${environment} is not a stage of the policy.`);
    return ci;
  }
  const stage = policy.environments[index]!;
  const predecessor = index > 0 ? policy.environments[index - 1]! : null;
  const ctx: CiFactContext = { octokit, gh, now, stage, predecessor, facts: ci.facts, sources: ci.sources };
  // The same declaration of what the rules read as the App's (src/core/rule-facts.ts).
  const needed = factsNeeded(policy, index);
  for (const [kind, read] of Object.entries(CI_FACT_READERS) as Array<[FactKind, CiFactReader | null]>) {
    if (read && needed.has(kind)) await read(ctx);
  }
  return ci;
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
