import type { Context } from 'probot';
import { formatPolicyProblem } from '../../core/policy-load.js';
import type { PolicyProblem } from '../../core/policy-load.js';
import type { PolicyText } from '../../core/policy-source.js';
import { cell, code, truncateMarkdown } from '../../core/render-markdown.js';
import type { CheckPolicyJob } from '../../budget/jobs.js';
import {
  DEFAULT_EVALUATION_BUDGET,
  POLICY_CHECK_BUDGET_MS,
  runWithinBudget,
  simulateWithinBudget,
} from '../../budget/pool.js';
import type { BudgetOutcome } from '../../budget/pool.js';
import type { StoredEvaluation } from '../../core/replay.js';
import { renderSimulationMarkdown, simulationHeadline } from '../../core/simulate.js';
import type { SimulatedChange, SimulatedPolicy, SimulationReport } from '../../core/simulate.js';
import { writeGateCheckRun } from '../../github/check-runs.js';
import type { CheckRunOutput, Conclusion } from '../../github/check-runs.js';
import { ORG_POLICY_REPO, orgPolicySource, POLICY_PATH } from '../../github/policy-source.js';
import { httpStatus, repoKey } from '../../github/types.js';
import type { GitHubClient, RepoRef } from '../../github/types.js';
import { forEachStoredEvaluation, storedEvaluation } from '../../store/stored-evaluations.js';
import { handleOnce } from '../deliveries.js';
import type { AppDeps } from '../gate.js';
import { repositoryOf } from './repository.js';

/** The check run that shows what a pull request's policy change would have done. */
export const POLICY_IMPACT_CHECK_NAME = 'Release gate / policy impact';
/** How far back the impact check run looks, and at most how many decisions it simulates. */
export const IMPACT_WINDOW_MS = 30 * 86_400_000;
export const IMPACT_MAX_DECISIONS = 1000;
/** How many changed decisions the check run lists (the most important first). */
export const IMPACT_CHANGES_SHOWN = 20;
/** GitHub takes at most 50 annotations per request. */
const MAX_ANNOTATIONS = 50;
const SUMMARY_LIMIT = 65_535;

type PullRequestPayload = Context<
  'pull_request.opened' | 'pull_request.synchronize' | 'pull_request.reopened'
>['payload'];

type Fetched = { kind: 'file'; text: string; blobSha: string } | { kind: 'missing'; status: number };

async function readFileAt(octokit: GitHubClient, owner: string, repo: string, ref: string | null): Promise<Fetched> {
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner,
      repo,
      path: POLICY_PATH,
      ...(ref ? { ref } : {}),
    });
    if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return { kind: 'missing', status: 422 };
    return { kind: 'file', text: Buffer.from(data.content, 'base64').toString('utf8'), blobSha: data.sha };
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404 || status === 403) return { kind: 'missing', status };
    throw error;
  }
}

/** How the pull request touches the policy file: not at all, edits or adds it, or removes it. */
async function policyChange(
  octokit: GitHubClient,
  owner: string,
  repo: string,
  pullNumber: number,
): Promise<'none' | 'changed' | 'removed'> {
  const files = await octokit.paginate('GET /repos/{owner}/{repo}/pulls/{pull_number}/files', {
    owner,
    repo,
    pull_number: pullNumber,
    per_page: 100,
  });
  const file = files.find((f) => f.filename === POLICY_PATH || f.previous_filename === POLICY_PATH);
  if (!file) return 'none';
  return file.status === 'removed' || file.filename !== POLICY_PATH ? 'removed' : 'changed';
}

/** Problems as check run annotations on the pull request's file (others are listed in the summary). */
function annotationsOf(problems: readonly PolicyProblem[]) {
  return problems
    .filter((p) => p.source === POLICY_PATH)
    .slice(0, MAX_ANNOTATIONS)
    .map((p) => ({
      path: POLICY_PATH,
      start_line: Math.max(1, p.line),
      end_line: Math.max(1, p.line),
      start_column: Math.max(1, p.column),
      end_column: Math.max(1, p.column),
      annotation_level: 'failure' as const,
      title: p.path ? `Invalid release policy: ${p.path}` : 'Invalid release policy',
      message: `${p.message}${p.suggestion === undefined ? '' : `; did you mean "${p.suggestion}"?`}`,
    }));
}

async function findCheckRun(octokit: GitHubClient, owner: string, repo: string, sha: string): Promise<number | null> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
    owner,
    repo,
    ref: sha,
    check_name: POLICY_IMPACT_CHECK_NAME,
    per_page: 1,
  });
  const id = data.check_runs[0]?.id;
  return id === undefined ? null : Number(id);
}

interface Impact {
  conclusion: Conclusion;
  output: CheckRunOutput & { annotations?: ReturnType<typeof annotationsOf> };
}

/**
 * `pull_request.opened | synchronize | reopened`: when the pull request changes the
 * release policy (`.github/release-policy.yml`, or the org default in the owner's
 * `.github` repository), reads the new policy from the pull request's head (a fork's
 * included), validates it, simulates the repository's decisions of the last 30 days (at
 * most 1,000) under it, and writes the `Release gate / policy impact` check run on the
 * head commit. It approves and blocks nothing: the gate keeps reading the default branch.
 * Its conclusion is failure only for an invalid policy.
 */
export async function onPullRequestPolicyImpact(
  deps: AppDeps,
  context: Context<'pull_request.opened' | 'pull_request.synchronize' | 'pull_request.reopened'>,
): Promise<void> {
  const p = context.payload;
  await handleOnce(deps, context, async () => {
    const octokit = context.octokit;
    const { owner, repo } = repositoryOf(p);
    const change = await policyChange(octokit, owner, repo, p.pull_request.number);
    if (change === 'none') return 'ignored: the pull request does not change the release policy';
    const sha = p.pull_request.head.sha;
    const impact = await assessImpact(deps, octokit, p, change);
    const existing = await findCheckRun(octokit, owner, repo, sha);
    await writeGateCheckRun(
      octokit,
      {
        owner,
        repo,
        sha,
        name: POLICY_IMPACT_CHECK_NAME,
        existingId: existing,
        externalId: `release-gate:policy-impact:${p.pull_request.number}`,
      },
      { status: 'completed', conclusion: impact.conclusion, output: impact.output, at: deps.clock() },
    );
    return `policy impact: ${impact.conclusion}`;
  });
}

async function assessImpact(
  deps: AppDeps,
  octokit: GitHubClient,
  p: PullRequestPayload,
  change: 'changed' | 'removed',
): Promise<Impact> {
  const where = repositoryOf(p);
  const { owner, repo } = where;
  const orgMode = repo.toLowerCase() === ORG_POLICY_REPO;
  // Anyone who can read a public repository (a fork's author included) reads its check runs:
  // they show what this repository may show, and of other repositories only counts.
  const isPublic = p.repository.private !== true;
  const what = orgMode ? `the org default ${code(orgPolicySource(owner))}` : `${code(POLICY_PATH)}`;
  const head = p.pull_request.head;
  const lines: string[] = [];
  const fork = head.repo !== null && head.repo.full_name.toLowerCase() !== p.repository.full_name.toLowerCase();
  // Without the head repository (or its owner) the new policy cannot be read.
  const headOwner = head.repo?.owner?.login;
  if (head.repo === null || headOwner === undefined) {
    return {
      conclusion: 'neutral',
      output: {
        title: 'The head repository of this pull request is gone',
        summary: `This pull request changes ${what}, but its head repository no longer exists, so the new policy cannot be read. Nothing was simulated.`,
      },
    };
  }
  lines.push(
    `This pull request changes ${what}. The new policy was read from ${fork ? `the fork ${code(head.repo.full_name)}` : code(head.repo.full_name)} at ${code(head.sha.slice(0, 12))}${fork ? ' (the pull request comes from a fork)' : ''}.`,
    `_Simulation only: the gate keeps judging deployments by the policy on the default branch${p.repository.default_branch ? ` (${code(p.repository.default_branch)})` : ''} until this is merged. This check run approves and blocks nothing._`,
  );
  if (p.repository.default_branch && p.pull_request.base.ref !== p.repository.default_branch) {
    lines.push(
      `Note: this pull request targets ${code(p.pull_request.base.ref)}, not the default branch: merging it does not change the policy the gate reads.`,
    );
  }
  if (change === 'removed') {
    const after = orgMode
      ? 'repositories without a file of their own would have no policy, and their gates would approve nothing'
      : `the gate would judge this repository by the org default ${code(orgPolicySource(owner))}, or approve nothing without one`;
    return {
      conclusion: 'neutral',
      output: {
        title: 'This pull request removes the release policy',
        summary: `${lines.join('\n\n')}\n\nOnce merged, ${after}. Nothing was simulated.`,
      },
    };
  }

  const fetched = await readFileAt(octokit, headOwner, head.repo.name, head.sha);
  if (fetched.kind !== 'file') {
    return {
      conclusion: 'neutral',
      output: {
        title: 'The new release policy could not be read',
        summary: `${lines.join('\n\n')}\n\n${code(POLICY_PATH)} could not be read from ${code(head.repo.full_name)} at ${code(head.sha.slice(0, 12))} (HTTP ${fetched.status}). Nothing was simulated.`,
      },
    };
  }
  const newText: PolicyText = { text: fetched.text, source: POLICY_PATH };

  // A policy whose evaluation ran past the budget is refused once, then without evaluating it again.
  const overBudget = (problem: string): Impact => ({
    conclusion: 'failure',
    output: {
      title: 'The new release policy runs past the evaluation budget',
      summary: `${lines.join('\n\n')}\n\nThe new ${what} (blob ${code(fetched.blobSha.slice(0, 12))}) was not simulated: ${problem}. The gate refuses a policy whose evaluation runs past the budget (POLICY_INVALID) until it changes.`,
    },
  });
  const refused = await deps.store.getPoisonedPolicy(fetched.blobSha);
  if (refused) return overBudget(refused.reason);

  // Read and validated as the App would load it once merged, off the event loop.
  const check = (repository: PolicyText | null, org: PolicyText | null, orgUnreadable?: string) => {
    const job: CheckPolicyJob = { kind: 'check-policy', repository, org };
    if (orgUnreadable !== undefined) job.orgUnreadable = orgUnreadable;
    const budget = deps.evaluationBudget ?? DEFAULT_EVALUATION_BUDGET;
    return runWithinBudget(job, { ...budget, ms: Math.max(budget.ms, POLICY_CHECK_BUDGET_MS) }, 'background');
  };
  let next: SimulatedPolicy;
  let orgNote = '';
  let checked = await check(orgMode ? null : newText, orgMode ? newText : null);
  if (orgMode) next = { repository: null, org: { text: fetched.text, source: orgPolicySource(owner) } };
  else {
    let org: PolicyText | null = null;
    if (checked.ok && checked.value.extendsOrg) {
      const orgFile = await readFileAt(octokit, owner, ORG_POLICY_REPO, null);
      if (orgFile.kind === 'file') {
        org = { text: orgFile.text, source: orgPolicySource(owner) };
        orgNote = `It says ${code('extends: org')}: it was merged with the org default ${code(orgPolicySource(owner))} as it is on its default branch now.`;
        checked = await check(newText, org);
      } else {
        checked = await check(
          newText,
          null,
          `"extends: org" builds on the org default ${orgPolicySource(owner)}, which could not be read (HTTP ${orgFile.status}): create it, or give the App's installation access to ${repoKey({ owner, repo: ORG_POLICY_REPO })} (Contents: read)`,
        );
      }
    }
    next = { repository: newText, org };
  }
  if (!checked.ok) return overBudget(checked.problem);
  const problems = checked.value.problems;
  if (orgNote) lines.push(orgNote);

  if (problems.length > 0) {
    const annotations = annotationsOf(problems);
    // The org default's own problems quote a file of another repository: a public check run names them only.
    const shown = isPublic ? problems.filter((x) => x.source === POLICY_PATH || orgMode) : problems;
    const hidden = problems.length - shown.length;
    const list = [
      ...shown.map((x) => `- ${cell(formatPolicyProblem(x))}`),
      ...(hidden > 0
        ? [
            `- ${hidden} problem(s) in the org default ${code(orgPolicySource(owner))}, not shown on this public repository: see that file.`,
          ]
        : []),
    ].join('\n');
    const more =
      problems.filter((x) => x.source === POLICY_PATH).length > annotations.length
        ? `\n\nOnly the first ${MAX_ANNOTATIONS} problems are annotated on the file.`
        : '';
    return {
      conclusion: 'failure',
      output: {
        title: `The new release policy is invalid: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
        summary: truncateMarkdown(
          `${lines.join('\n\n')}\n\n**Once merged, the gate would approve nothing** until these are fixed:\n\n${list}${more}`,
          SUMMARY_LIMIT,
        ),
        annotations,
      },
    };
  }

  const simulated = await simulate(deps, where, orgMode, next);
  if (!simulated.ok) {
    if (simulated.over !== null)
      await deps.store.poisonPolicy({
        blobSha: fetched.blobSha,
        repo: repoKey(where),
        reason: simulated.problem.slice(0, 1000),
        at: deps.clock(),
      });
    return overBudget(simulated.problem);
  }
  const report = simulated.value;
  const own = repoKey(where).toLowerCase();
  const scope = orgMode
    ? `The last ${IMPACT_MAX_DECISIONS.toLocaleString('en-US')} decisions of the last 30 days in ${code(`${owner}/*`)} were looked at; those made under the org default were simulated.`
    : `The decisions of the last 30 days in ${code(repoKey(where))} (at most ${IMPACT_MAX_DECISIONS.toLocaleString('en-US')}, the most recent) were simulated with their recorded facts at their recorded instants.`;
  lines.push(scope);
  const intro = `${lines.join('\n\n')}\n\n`;
  const body = renderSimulationMarkdown(report, {
    maxChanges: IMPACT_CHANGES_SHOWN,
    limit: SUMMARY_LIMIT - intro.length,
    ...(isPublic
      ? {
          listable: (c: SimulatedChange) => c.repo.toLowerCase() === own,
          unlisted: `they are decisions of other repositories, and ${repoKey(where)} is public (\`release-gate simulate\` lists them where the record is kept)`,
        }
      : {}),
  });
  return {
    conclusion: report.changed.length > 0 ? 'neutral' : 'success',
    output: { title: simulationHeadline(report), summary: intro + body },
  };
}

async function simulate(
  deps: AppDeps,
  where: RepoRef,
  orgMode: boolean,
  next: SimulatedPolicy,
): Promise<BudgetOutcome<SimulationReport>> {
  const texts = new Map<string, string>();
  const records: StoredEvaluation[] = [];
  const since = new Date(deps.clock().getTime() - IMPACT_WINDOW_MS);
  // An org default's change: every repository of the owner (the keys that start `owner/`).
  const selection = orgMode
    ? { repoPrefix: repoKey({ owner: where.owner, repo: '' }), since, limit: IMPACT_MAX_DECISIONS }
    : { repo: repoKey(where), since, limit: IMPACT_MAX_DECISIONS };
  await forEachStoredEvaluation(deps.store, selection, (rows, known) => {
    for (const [sha256, text] of known) texts.set(sha256, text);
    for (const row of rows) {
      // A new org default changes only the decisions that were made under one.
      if (orgMode && !(row.policyFiles ?? []).some((f) => f.role === 'org default')) continue;
      records.push(storedEvaluation(row));
    }
  });
  // Evaluated off the event loop, within the evaluation budget, after the gates' own work.
  return simulateWithinBudget({ next, records, texts: [...texts] }, deps.evaluationBudget);
}
