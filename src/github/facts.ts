import { findStageIndex } from '../core/evaluate.js';
import { factsNeeded } from '../core/rule-facts.js';
import type { FactKind } from '../core/rule-facts.js';
import type { ApprovalFact, EnvironmentPolicy, OverrideFact, Policy, ReleaseFacts } from '../core/types.js';
import { loadRequiredChecks } from './check-facts.js';
import type { KnownCheckRun } from './check-facts.js';
import { commitTree } from './commit-tree.js';
import { loadPredecessorDeployments, SAME_TREE_CANDIDATES } from './deployment-facts.js';
import { EVIDENCE_CHECK_NAME, loadEvidence, TRUSTED_EVIDENCE_APP } from './evidence-facts.js';
import type { RecordedDeployment } from './deployment-facts.js';
import { listPullApprovals } from './pull-reviews.js';
import { APP_TEAM_ADVICE, readTeamMembers } from './team-membership.js';
import { httpStatus } from './types.js';
import type { GitHubClient, RepoRef } from './types.js';

/** Pull requests of one release commit that are read (GitHub lists the one that introduced it first). */
const PULLS_PER_RELEASE = 10;

export interface FactsRequest extends RepoRef {
  sha: string;
  ref?: string | null;
  /** The GitHub environment (or stage) asked for. */
  environment: string;
  deployer?: string | null;
  /** The repository's default branch (the workflow file of the evidence is compared with it). */
  defaultBranch?: string;
}

export interface ReleasePull {
  number: number;
  author: string;
  title: string;
  body: string;
  /** The commit the PR's approvals must cover: its last head (at merge, for a merged PR). */
  headSha: string;
  merged: boolean;
  /** False when the PR contains the commit but did not become it: its reviews do not count. */
  becameRelease: boolean;
  /** The earliest author date of its commits (ISO-8601), read with them; where lead time for changes starts. */
  firstCommitAt?: string | null;
}

export interface LoadedFacts {
  facts: ReleaseFacts;
  /** Pull requests the commit belongs to. */
  pulls: ReleasePull[];
  evidenceCheck: {
    id: number;
    appSlug: string;
    trusted: boolean;
    workflow?: string;
    actionScore?: number | null;
  } | null;
  /** Things worth telling the reader (an untrusted evidence run ignored, an API fallback). */
  notes: string[];
  /** The facts the stage's rules needed, so the ones fetched. */
  needed: FactKind[];
  /** Trees of the same-tree candidates' commits the record did not know, learned from GitHub. */
  learnedTrees: Array<{ sha: string; tree: string }>;
}

/** An override as the App's record keeps it. */
export interface RecordedOverride {
  id: string;
  environment: string;
  sha: string;
  rules: string[];
  grantedBy: string;
  confirmedBy: string | null;
  reason: string;
  risk: string;
  grantedAt: Date;
  expiresAt: Date | null;
  usedAt: Date | null;
}

/** An approval as the App's record keeps it (PR reviews and deployment reviews). */
export interface RecordedApproval {
  login: string;
  source: string;
  environment: string | null;
  state: string;
  submittedAt: Date;
}

/** A check run or a commit status the App learned from webhooks, with its GitHub App. */
export type RecordedCheck = KnownCheckRun;

/**
 * What the App's record knows of the release, read before GitHub is asked (see
 * {@link recordedFactsWanted}); the loader only reads it.
 */
export interface RecordedFacts {
  overrides: RecordedOverride[];
  /** The release's approvals; the loader takes the deployment reviews of the stage. */
  approvals: RecordedApproval[];
  /** The release commit's deployments to the predecessor stage. */
  predecessorDeployments: RecordedDeployment[];
  /**
   * When none of those proves the stage: the predecessor stage's recent proofs of other
   * commits (at most {@link SAME_TREE_CANDIDATES}), newest first.
   */
  sameTreeCandidates: RecordedDeployment[];
  /** The recorded trees of the candidates' commits. */
  knownTrees: ReadonlyMap<string, string>;
  /** The commit's check runs and statuses learned from webhooks. */
  checks: RecordedCheck[];
  /** The commit last deployed with success to the last stage (not the release), for the changed files. */
  lastStageSha: string | null;
}

/** Nothing recorded: an ungated environment, or a record not read. */
export const NO_RECORDED_FACTS: RecordedFacts = {
  overrides: [],
  approvals: [],
  predecessorDeployments: [],
  sameTreeCandidates: [],
  knownTrees: new Map(),
  checks: [],
  lastStageSha: null,
};

/** The recorded facts a request's stage reads; null when the environment is not gated (nothing is read). */
export interface RecordedFactsWanted {
  /** The predecessor stage, when the stage's rules read its deployments. */
  predecessor: EnvironmentPolicy | null;
  /** The names the predecessor stage's deployments are recorded under, when its rules read deployments. */
  predecessorEnvironments: string[] | null;
  deploymentReviews: boolean;
  checks: boolean;
  /** The names the last stage's deployments are recorded under, when its rules read changed files. */
  lastStageEnvironments: string[] | null;
}

interface ReleaseStage {
  stageIndex: number;
  stage: EnvironmentPolicy | null;
  predecessor: EnvironmentPolicy | null;
  needed: Set<FactKind>;
}

function releaseStage(policy: Policy, environment: string): ReleaseStage {
  const stageIndex = findStageIndex(policy, environment);
  return {
    stageIndex,
    stage: stageIndex >= 0 ? policy.environments[stageIndex]! : null,
    predecessor: stageIndex > 0 ? policy.environments[stageIndex - 1]! : null,
    needed: factsNeeded(policy, stageIndex),
  };
}

/** Which recorded facts {@link loadReleaseFacts} reads for a request to `environment`. */
export function recordedFactsWanted(policy: Policy, environment: string): RecordedFactsWanted | null {
  const { stage, predecessor, needed } = releaseStage(policy, environment);
  if (!stage) return null;
  const readsDeployments = needed.has('deployments') && predecessor !== null;
  return {
    predecessor: readsDeployments ? predecessor : null,
    predecessorEnvironments: readsDeployments ? stageEnvironmentNames(predecessor) : null,
    deploymentReviews: needed.has('deploymentReviews'),
    checks: needed.has('checks'),
    lastStageEnvironments: needed.has('changedFiles')
      ? stageEnvironmentNames(policy.environments[policy.environments.length - 1]!)
      : null,
  };
}

/**
 * The names a stage's deployments may be recorded under: its GitHub environments and its own
 * name, as written, in lower and upper case, and capitalised (`Production`, `Pre-Prod`).
 * GitHub compares environment names ignoring case; the store's index compares them exactly,
 * so the usual spellings are asked for together.
 */
export function stageEnvironmentNames(stage: EnvironmentPolicy): string[] {
  const names = new Set<string>();
  const capitalised = (n: string) =>
    n.toLowerCase().replace(/(^|[-_ .])(\p{L})/gu, (_m, sep: string, c: string) => `${sep}${c.toUpperCase()}`);
  for (const n of [stage.name, ...stage.github]) {
    names.add(n);
    names.add(n.toLowerCase());
    names.add(n.toUpperCase());
    names.add(capitalised(n));
  }
  return [...names];
}

/**
 * The facts the gate decides on, with the fewest GitHub calls that give a correct answer:
 * only the facts the stage's rules declare (`factsNeeded`), and what the App's record
 * already knows (`recorded`, read by the App: {@link recordedFactsWanted}) before the API.
 * What it learns for the record (trees, the release's pull requests) is in the result.
 */
export async function loadReleaseFacts(
  octokit: GitHubClient,
  recorded: RecordedFacts,
  policy: Policy,
  request: FactsRequest,
  now: Date,
): Promise<LoadedFacts> {
  const where = { owner: request.owner, repo: request.repo };
  const { stageIndex, stage, predecessor, needed } = releaseStage(policy, request.environment);
  const notes: string[] = [];
  const facts: ReleaseFacts = {
    environment: request.environment,
    sha: request.sha,
    approvals: [],
    deployments: [],
    evidence: { score: null, breakdown: {}, present: [] },
    checks: [],
    teams: {},
    overrides: [],
  };
  if (request.ref) facts.ref = request.ref;
  if (request.deployer) facts.deployer = request.deployer;
  const result: LoadedFacts = { facts, pulls: [], evidenceCheck: null, notes, needed: [...needed], learnedTrees: [] };
  if (!stage) return result; // not gated: nothing to read

  for (const o of recorded.overrides) facts.overrides.push(overrideFact(o, policy));

  if (needed.has('deployments') && predecessor)
    await loadPredecessorDeployments(
      octokit,
      {
        own: recorded.predecessorDeployments,
        sameTreeCandidates: recorded.sameTreeCandidates,
        knownTrees: recorded.knownTrees,
      },
      where,
      predecessor,
      stageEnvironmentNames(predecessor),
      facts,
      result,
    );
  if (needed.has('ref') && request.ref) facts.ref = await resolveRef(octokit, where, request.ref, request.sha, notes);

  if (needed.has('reviews') || needed.has('contributors') || needed.has('pulls')) {
    const people = await releasePeople(octokit, where, request.sha);
    result.pulls = people.pulls;
    if (needed.has('pulls'))
      facts.pulls = people.pulls
        .filter((p) => p.becameRelease)
        .map((p) => ({ number: p.number, title: p.title, body: p.body }));
    facts.approvals.push(...people.approvals);
    if (people.author) facts.author = people.author;
    facts.contributors = people.contributors;
    notes.push(...people.notes);
  }
  if (needed.has('deploymentReviews')) {
    for (const r of recorded.approvals) {
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

  if (needed.has('evidence')) await loadEvidence(octokit, where, policy, request, now, result);
  if (needed.has('checks'))
    facts.checks = await loadRequiredChecks(
      octokit as never,
      where,
      { sha: request.sha, defaultBranch: request.defaultBranch ?? null },
      stage.requiredChecks,
      recorded.checks,
      notes,
    );

  if (needed.has('changedFiles')) {
    const previous = recorded.lastStageSha;
    if (previous) {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', {
        ...where,
        basehead: `${previous}...${request.sha}`,
        per_page: 100,
      });
      facts.changedFiles = (data.files ?? []).map((f) => f.filename);
    } else {
      notes.push('No earlier deployment to the last stage is recorded, so every path rule applies.');
    }
  }

  if (needed.has('teams') || facts.overrides.length > 0) {
    const read = await readTeamMembers(octokit, request.owner, policy, stage, facts, { advice: APP_TEAM_ADVICE });
    facts.teams = read.teams;
    if (Object.keys(read.teamErrors).length > 0) facts.teamErrors = read.teamErrors;
  }
  return result;
}

function overrideFact(o: RecordedOverride, policy: Policy): OverrideFact {
  return {
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
}

/**
 * A short ref (`v1.2.0`) resolved to what it is on GitHub: `refs/tags/v1.2.0` when that tag
 * points at the release commit and no branch has the name, `refs/heads/v1.2.0` when only a
 * branch has it. Anything else (unknown, both, a tag of another commit) stays short and so
 * matches no `refs/tags/*` pattern. A full tag ref is checked to point at the commit too.
 */
async function resolveRef(
  octokit: GitHubClient,
  where: RepoRef,
  ref: string,
  sha: string,
  notes: string[],
): Promise<string> {
  const tagName = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : ref.startsWith('refs/') ? null : ref;
  if (ref.startsWith('refs/heads/')) return ref;
  if (tagName === null) return ref;
  const tagSha = await tagCommit(octokit, where, tagName);
  if (ref.startsWith('refs/tags/')) {
    if (tagSha === sha) return ref;
    notes.push(
      `Tag ${tagName} ${tagSha ? `points at ${tagSha.slice(0, 7)}, not at this commit` : 'was not found on GitHub'}: the ref is not taken for a tag of this release.`,
    );
    return tagName;
  }
  const branch = await refExists(octokit, where, `heads/${ref}`);
  if (tagSha === sha && !branch) return `refs/tags/${ref}`;
  if (branch && tagSha === null) return `refs/heads/${ref}`;
  notes.push(
    tagSha && branch
      ? `Ref ${ref} names both a branch and a tag: it is ambiguous and is not taken for either.`
      : tagSha
        ? `Tag ${ref} points at ${tagSha.slice(0, 7)}, not at this commit: the ref is not taken for a tag of this release.`
        : `Ref ${ref} is neither a branch nor a tag on GitHub.`,
  );
  return ref;
}

async function refExists(
  octokit: GitHubClient,
  where: RepoRef,
  ref: string,
): Promise<{ sha: string; type: string } | null> {
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...where, ref });
    return { sha: data.object.sha, type: data.object.type };
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw error;
  }
}

/** The commit a tag points at (an annotated tag is followed to its commit), or null. */
async function tagCommit(octokit: GitHubClient, where: RepoRef, name: string): Promise<string | null> {
  const found = await refExists(octokit, where, `tags/${name}`);
  if (!found) return null;
  if (found.type !== 'tag') return found.sha;
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/git/tags/{tag_sha}', {
    ...where,
    tag_sha: found.sha,
  });
  return data.object.sha;
}

interface ReleasePeople {
  pulls: ReleasePull[];
  approvals: ApprovalFact[];
  author?: string;
  contributors: string[];
  notes: string[];
}

/**
 * The pull requests that became the release commit, their reviews, and who wrote them. A PR
 * became the commit when the commit is its head, its merge commit (merge, squash or rebase),
 * or has its head's tree; its approvals must cover its last head. A PR that only contains
 * the commit (an intermediate commit of a merged PR) lends it no approval.
 */
async function releasePeople(octokit: GitHubClient, where: RepoRef, sha: string): Promise<ReleasePeople> {
  const out: ReleasePeople = { pulls: [], approvals: [], contributors: [], notes: [] };
  const { data: pulls } = await octokit.request('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', {
    ...where,
    commit_sha: sha,
    per_page: PULLS_PER_RELEASE,
  });
  const contributors = new Set<string>();
  const tree = (c: string) => commitTree(octokit, where, c);
  for (const pull of pulls.slice(0, PULLS_PER_RELEASE)) {
    const merged = Boolean(pull.merged_at);
    const headSha = pull.head.sha;
    let became = headSha === sha || (merged && pull.merge_commit_sha === sha);
    if (!became) {
      const [a, b] = await Promise.all([tree(sha), tree(headSha)]);
      became = a !== undefined && a === b;
    }
    const author = pull.user?.login ?? '';
    out.pulls.push({
      number: pull.number,
      author,
      title: pull.title,
      body: pull.body ?? '',
      headSha,
      merged,
      becameRelease: became,
    });
    if (author) contributors.add(author);
    if (!became) {
      out.notes.push(
        `Pull request #${pull.number} contains this commit but did not become it (its last head is ${headSha.slice(0, 7)}): its reviews do not count for this release.`,
      );
      continue;
    }
    const reviews = await listPullApprovals(octokit as never, { ...where, pull_number: pull.number, headSha }, tree);
    out.approvals.push(...reviews);
    const commits = await commitAuthors(octokit, where, pull.number);
    for (const login of commits.logins) contributors.add(login);
    out.pulls.at(-1)!.firstCommitAt = commits.firstCommitAt;
  }
  if (out.pulls.length > 0) {
    const first = out.pulls.find((p) => p.becameRelease) ?? out.pulls[0]!;
    if (first.author) out.author = first.author;
  }
  out.contributors = [...contributors].sort();
  return out;
}

/** GitHub logins of the authors and committers of a PR's commits (GitHub lists at most 250), and the earliest author date. */
async function commitAuthors(
  octokit: GitHubClient,
  where: RepoRef,
  pullNumber: number,
): Promise<{ logins: string[]; firstCommitAt: string | null }> {
  const commits = (await octokit.paginate('GET /repos/{owner}/{repo}/pulls/{pull_number}/commits', {
    ...where,
    pull_number: pullNumber,
    per_page: 100,
  })) as Array<{
    author: { login?: string } | null;
    committer: { login?: string } | null;
    commit?: { author?: { date?: string } | null };
  }>;
  const logins = new Set<string>();
  let first: number | null = null;
  for (const c of commits) {
    const at = Date.parse(c.commit?.author?.date ?? '');
    if (Number.isFinite(at) && (first === null || at < first)) first = at;
    if (c.author?.login) logins.add(c.author.login);
    // GitHub's web-flow commits GitHub itself for merges and suggestions: not a person.
    if (c.committer?.login && c.committer.login !== 'web-flow') logins.add(c.committer.login);
  }
  return { logins: [...logins], firstCommitAt: first === null ? null : new Date(first).toISOString() };
}

// Team membership lives in team-membership.ts; callers that check one person import it from here.
export { teamMembership } from './team-membership.js';

export type { ApprovalFact, RecordedDeployment };
export { EVIDENCE_CHECK_NAME, TRUSTED_EVIDENCE_APP };
export { SAME_TREE_CANDIDATES };
