import { parseEvidenceBlock } from '../core/evidence-block.js';
import { findStageIndex } from '../core/evaluate.js';
import type { ApprovalFact, CheckFact, DeploymentFact, EvidenceFacts, OverrideFact, Policy, ReleaseFacts, ScoreComponent } from '../core/types.js';
import type { Store } from '../store/types.js';
import { listPullApprovals } from './pull-reviews.js';
import { httpStatus } from './types.js';
import type { GitHubClient, RepoRef } from './types.js';

/** The name of the check run the Action writes with the evidence block. */
export const EVIDENCE_CHECK_NAME = 'Release evidence';
/** Only evidence written by GitHub Actions is trusted (SPEC section 4). */
export const TRUSTED_EVIDENCE_APP = 'github-actions';

export interface FactsRequest extends RepoRef {
  sha: string;
  ref?: string | null;
  /** The GitHub environment (or stage) asked for. */
  environment: string;
  deployer?: string | null;
}

export interface LoadedFacts {
  facts: ReleaseFacts;
  /** Pull requests the commit belongs to. */
  pulls: Array<{ number: number; author: string; body: string }>;
  evidenceCheck: { id: number; appSlug: string; trusted: boolean } | null;
  /** Things worth telling the reader (an untrusted evidence run ignored, an API fallback). */
  notes: string[];
}

/** Commit -> tree: immutable, so kept for the life of the process. */
const treeCache = new Map<string, string>();
const TREE_CACHE_LIMIT = 10_000;

async function commitTree(octokit: GitHubClient, where: RepoRef, sha: string): Promise<string | undefined> {
  const key = `${where.owner}/${where.repo}@${sha}`;
  const hit = treeCache.get(key);
  if (hit) return hit;
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', { owner: where.owner, repo: where.repo, commit_sha: sha });
    if (treeCache.size >= TREE_CACHE_LIMIT) treeCache.delete(treeCache.keys().next().value!);
    treeCache.set(key, data.tree.sha);
    return data.tree.sha;
  } catch (error) {
    if (httpStatus(error) === 404 || httpStatus(error) === 422) return undefined;
    throw error;
  }
}

function toDeploymentState(state: string | null): DeploymentFact['state'] | null {
  switch (state) {
    case 'success':
    case 'failure':
    case 'error':
    case 'in_progress':
    case 'queued':
    case 'pending':
    case 'inactive':
      return state;
    case 'waiting':
      return 'pending';
    default:
      return null;
  }
}

/**
 * The facts the gate decides on, with the fewest GitHub calls that give a correct answer:
 * each source is read only when the policy's stage has a rule that needs it.
 */
export async function loadReleaseFacts(
  octokit: GitHubClient,
  store: Store,
  policy: Policy,
  request: FactsRequest,
  now: Date,
): Promise<LoadedFacts> {
  const where = { owner: request.owner, repo: request.repo };
  const fullName = `${request.owner}/${request.repo}`;
  const stageIndex = findStageIndex(policy, request.environment);
  const stage = stageIndex >= 0 ? policy.environments[stageIndex]! : null;
  const predecessor = stageIndex > 0 ? policy.environments[stageIndex - 1]! : null;
  const notes: string[] = [];
  const empty: EvidenceFacts = { score: null, breakdown: {}, present: [] };
  const facts: ReleaseFacts = {
    environment: request.environment,
    sha: request.sha,
    approvals: [],
    deployments: [],
    evidence: empty,
    checks: [],
    teams: {},
    overrides: [],
  };
  if (request.ref) facts.ref = request.ref;
  if (request.deployer) facts.deployer = request.deployer;
  const result: LoadedFacts = { facts, pulls: [], evidenceCheck: null, notes };
  if (!stage) return result; // not gated: nothing to read

  const needApprovals = stage.minApprovals > 0 || stage.approvals.fromTeams.length > 0 || stage.requiredReviewers.length > 0 || (stage.minScore !== null && policy.scoring.warnScore !== null);
  const needEvidence = stage.minScore !== null || stage.requiredEvidence.length > 0;

  // Deployments: the App records them; the API only when the store knows nothing yet of
  // this commit in the predecessor (the App was installed after it was deployed there).
  const [rows, overrides] = await Promise.all([store.listDeployments({ repo: fullName }), store.listOverrides({ repo: fullName, sha: request.sha })]);
  for (const d of rows) {
    const state = toDeploymentState(d.latestState);
    if (!state) continue;
    const at = (state === 'success' ? d.firstSuccessAt : d.latestStateAt) ?? d.createdAt;
    facts.deployments.push({ environment: d.stage ?? d.environment, sha: d.sha, state, at: at.toISOString() });
  }
  // The request's own deployment is recorded before the gate runs, so "nothing recorded"
  // means: no deployment of this commit with a status in the predecessor stage.
  const predecessorRecorded = rows.some((d) => d.sha === request.sha && toDeploymentState(d.latestState) !== null && findStageIndex(policy, d.stage ?? d.environment) === stageIndex - 1);
  if (predecessor && !predecessorRecorded) {
    facts.deployments.push(...(await deploymentsFromApi(octokit, where, request.sha)));
    if (facts.deployments.length > 0) notes.push('Deployment history read from the GitHub API (none recorded yet).');
  }

  // The tree: only when a deployment or approval of another commit could be the same release.
  const otherCommits = facts.deployments.some((d) => d.sha !== request.sha) && predecessor !== null && !facts.deployments.some((d) => d.sha === request.sha && d.state === 'success');
  const treesNeeded = otherCommits;

  if (needApprovals) {
    const { data: pulls } = await octokit.request('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', { ...where, commit_sha: request.sha, per_page: 100 });
    for (const pull of pulls) {
      result.pulls.push({ number: pull.number, author: pull.user?.login ?? '', body: pull.body ?? '' });
      const reviews = await listPullApprovals(
        octokit as never,
        { ...where, pull_number: pull.number, headSha: request.sha },
        (sha) => commitTree(octokit, where, sha),
      );
      facts.approvals.push(...reviews);
    }
    const author = pulls[0]?.user?.login;
    if (author) facts.author = author;
    const deploymentReviews = await store.listApprovals({ repo: fullName, sha: request.sha });
    for (const r of deploymentReviews) {
      if (r.source !== 'deployment-review') continue;
      if (r.environment && findStageIndex(policy, r.environment) !== stageIndex) continue;
      const state = r.state.toUpperCase();
      facts.approvals.push({
        login: r.login,
        source: 'deployment-review',
        state: state === 'APPROVED' ? 'APPROVED' : state === 'REJECTED' ? 'REJECTED' : 'COMMENTED',
        submittedAt: r.submittedAt.toISOString(),
      });
    }
  }

  for (const o of overrides) {
    const fact: OverrideFact = {
      id: o.id,
      environment: o.environment,
      sha: o.sha,
      rules: o.rules,
      grantedBy: o.grantedBy,
      confirmedBy: o.confirmedBy,
      reason: o.reason,
      risk: o.risk,
      grantedAt: o.grantedAt.toISOString(),
      expiresAt: (o.expiresAt ?? new Date(o.grantedAt.getTime() + policy.overrides.expiresMs)).toISOString(),
      usedAt: o.usedAt ? o.usedAt.toISOString() : null,
    };
    facts.overrides.push(fact);
  }

  if (needEvidence) {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...where, ref: request.sha, check_name: EVIDENCE_CHECK_NAME, per_page: 20 });
    const runs = data.check_runs.filter((c) => c.head_sha === request.sha);
    const trusted = runs.filter((c) => c.app?.slug === TRUSTED_EVIDENCE_APP);
    if (runs.length > trusted.length) notes.push(`Ignored ${runs.length - trusted.length} "${EVIDENCE_CHECK_NAME}" check run(s) not created by GitHub Actions.`);
    // Newest first (GitHub lists them so); the first with a readable block wins.
    for (const run of trusted) {
      const block = parseEvidenceBlock(run.output?.text ?? run.output?.summary ?? null);
      if (!block) continue;
      facts.evidence = { score: block.score, breakdown: block.breakdown as Record<string, ScoreComponent | number>, present: block.present };
      result.evidenceCheck = { id: Number(run.id), appSlug: run.app?.slug ?? '', trusted: true };
      break;
    }
    if (!result.evidenceCheck && trusted.length > 0) notes.push(`The "${EVIDENCE_CHECK_NAME}" check run has no readable evidence block.`);
  }

  if (stage.requiredChecks.length > 0) facts.checks = await requiredChecks(octokit, where, request.sha, stage.requiredChecks);

  if (stage.requiredReviewers.length > 0) {
    const lastProd = lastDeploymentOf(rows, policy, request.sha);
    if (lastProd) {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', { ...where, basehead: `${lastProd}...${request.sha}`, per_page: 100 });
      facts.changedFiles = (data.files ?? []).map((f) => f.filename);
    } else {
      notes.push('No earlier deployment to the last stage is recorded, so every path rule applies.');
    }
  }

  if (treesNeeded || facts.approvals.some((a) => a.contentMatches !== undefined)) {
    const tree = await commitTree(octokit, where, request.sha);
    if (tree) {
      facts.tree = tree;
      for (const d of facts.deployments) {
        if (d.sha !== request.sha) {
          const t = await commitTree(octokit, where, d.sha);
          if (t) d.tree = t;
        }
      }
    }
  }

  facts.teams = await teamMembers(octokit, request.owner, policy, stage, facts, needApprovals);
  void now;
  return result;
}

/** The commit of the latest successful deployment to the last stage (by its GitHub environment or stage name), other than `exceptSha`. */
function lastDeploymentOf(rows: Awaited<ReturnType<Store['listDeployments']>>, policy: Policy, exceptSha: string): string | null {
  const last = policy.environments.length - 1;
  const done = rows.filter((d) => findStageIndex(policy, d.stage ?? d.environment) === last && d.firstSuccessAt && d.sha !== exceptSha);
  return done.length > 0 ? done[done.length - 1]!.sha : null;
}

async function deploymentsFromApi(octokit: GitHubClient, where: RepoRef, sha: string): Promise<DeploymentFact[]> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/deployments', { ...where, sha, per_page: 30 });
  const out: DeploymentFact[] = [];
  for (const d of data.slice(0, 10)) {
    const { data: statuses } = await octokit.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { ...where, deployment_id: Number(d.id), per_page: 1 });
    const state = toDeploymentState(statuses[0]?.state ?? null);
    if (state) out.push({ environment: d.environment, sha: d.sha, state, at: statuses[0]!.created_at });
  }
  return out;
}

async function requiredChecks(octokit: GitHubClient, where: RepoRef, sha: string, names: string[]): Promise<CheckFact[]> {
  const runs = (await octokit.paginate('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...where, ref: sha, per_page: 100 })) as unknown as Array<{ name: string; status: string; conclusion: string | null }>;
  const { data: combined } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/status', { ...where, ref: sha, per_page: 100 });
  const wanted = new Set(names);
  const checks: CheckFact[] = [];
  for (const r of runs) if (wanted.has(r.name)) checks.push({ name: r.name, status: r.status as CheckFact['status'], conclusion: r.conclusion });
  for (const s of combined.statuses) {
    if (!wanted.has(s.context)) continue;
    checks.push(s.state === 'pending' ? { name: s.context, status: 'pending' } : { name: s.context, status: 'completed', conclusion: s.state });
  }
  return checks;
}

/**
 * Team slug -> the candidates (approvers, override grantors) who are active members: one
 * membership call per (team, person), asked only for teams the stage's rules name.
 */
async function teamMembers(octokit: GitHubClient, org: string, policy: Policy, stage: Policy['environments'][number], facts: ReleaseFacts, approvalsRead: boolean): Promise<Record<string, string[]>> {
  const teams = new Set<string>();
  for (const t of stage.approvals.fromTeams) teams.add(t);
  for (const r of stage.requiredReviewers) for (const t of r.teams) teams.add(t);
  const overrideTeams = new Set<string>();
  if (facts.overrides.length > 0 || (stage.minScore !== null && policy.scoring.warnScore !== null)) for (const t of policy.overrides.teams) overrideTeams.add(t);
  const approvers = approvalsRead ? [...new Set(facts.approvals.filter((a) => a.state === 'APPROVED').map((a) => a.login))] : [];
  const grantors = [...new Set(facts.overrides.flatMap((o) => [o.grantedBy, o.confirmedBy ?? '']).filter(Boolean))];
  const asked = new Map<string, Promise<boolean>>();
  const isMember = (team: string, login: string) => {
    const key = `${team}\u0000${login.toLowerCase()}`;
    let p = asked.get(key);
    if (!p) asked.set(key, (p = teamMembership(octokit, org, team, login)));
    return p;
  };
  const out: Record<string, string[]> = {};
  const all = new Set([...teams, ...overrideTeams]);
  for (const team of all) {
    const candidates = new Set<string>([...approvers, ...(overrideTeams.has(team) ? grantors : [])]);
    const members: string[] = [];
    for (const login of candidates) if (await isMember(team, login)) members.push(login);
    out[team] = members;
  }
  return out;
}

/** True when `login` is an active member of `org/team` (a team slug, or `org/slug`). */
export async function teamMembership(octokit: GitHubClient, org: string, team: string, login: string): Promise<boolean> {
  const [teamOrg, slug] = team.includes('/') ? (team.split('/', 2) as [string, string]) : [org, team];
  try {
    const { data } = await octokit.request('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', { org: teamOrg, team_slug: slug, username: login });
    return data.state === 'active';
  } catch (error) {
    if (httpStatus(error) === 404) return false;
    throw error;
  }
}

export type { ApprovalFact };
