import type { FactKind } from '../core/fact-kinds.js';
import {
  deploymentReviewApprovals,
  overrideFact,
  releaseStage,
  stageEnvironmentNames,
  type RecordedApproval,
  type RecordedOverride,
} from '../core/release-stage.js';
import type { ApprovalFact, EnvironmentPolicy, Policy, ReleaseFacts } from '../core/types.js';
import { loadRequiredChecks } from './check-facts.js';
import type { KnownCheckRun } from './check-facts.js';
import { loadPredecessorDeployments, SAME_TREE_CANDIDATES } from './deployment-facts.js';
import type { RecordedDeployment } from './deployment-facts.js';
import { EVIDENCE_CHECK_NAME, loadEvidence, TRUSTED_EVIDENCE_APP } from './evidence-facts.js';
import { releasePeople, type ReleasePeople, type ReleasePull } from './people-facts.js';
import { resolveRef } from './ref-facts.js';
import { APP_TEAM_ADVICE, readTeamMembers } from './team-membership.js';
import type { GitHubClient, RepoRef } from './types.js';

export interface FactsRequest extends RepoRef {
  sha: string;
  ref?: string | null;
  /** The GitHub environment (or stage) asked for. */
  environment: string;
  deployer?: string | null;
  /** The repository's default branch (the workflow file of the evidence is compared with it). */
  defaultBranch?: string;
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

/** A check run or a commit status the App learned from webhooks, with its GitHub App. */
export type RecordedCheck = KnownCheckRun;

/**
 * What the App's record knows of the release, read before GitHub is asked (see
 * `RECORDED_FACT_READERS` in src/app/recorded-facts.ts); the loader only reads it.
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

/** What the reader of one kind of fact is given: the request, its stage, the record, and the facts so far. */
export interface FactContext {
  octokit: GitHubClient;
  where: RepoRef;
  policy: Policy;
  request: FactsRequest;
  now: Date;
  stageIndex: number;
  stage: EnvironmentPolicy;
  predecessor: EnvironmentPolicy | null;
  recorded: RecordedFacts;
  facts: ReleaseFacts;
  result: LoadedFacts;
  notes: string[];
  /** The kinds still to read; a reader may add one (an override needs the teams). */
  wanted: Set<FactKind>;
  /** The release's pull requests, their reviews and who wrote them: asked of GitHub once, on first use. */
  people(): Promise<ReleasePeople>;
}

/** How the App reads one kind of fact into `ctx.facts`. */
export type FactReader = (ctx: FactContext) => Promise<void> | void;

/**
 * The App's reader of each kind of fact (`FACT_KINDS`), in the order they are read: the teams
 * last, since overrides and approvals name the people whose teams are read. A new kind of fact
 * is one entry here (the compiler asks for it).
 */
export const APP_FACT_READERS: Record<FactKind, FactReader> = {
  overrides: ({ recorded, facts, policy, wanted }) => {
    for (const o of recorded.overrides) facts.overrides.push(overrideFact(o, policy));
    if (facts.overrides.length > 0) wanted.add('teams');
  },
  deployments: async ({ octokit, recorded, where, predecessor, facts, result }) => {
    if (!predecessor) return;
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
  },
  ref: async ({ octokit, where, request, facts, notes }) => {
    if (request.ref) facts.ref = await resolveRef(octokit, where, request.ref, request.sha, notes);
  },
  reviews: async (ctx) => void (await ctx.people()),
  contributors: async (ctx) => void (await ctx.people()),
  pulls: async (ctx) => {
    const people = await ctx.people();
    ctx.facts.pulls = people.pulls
      .filter((p) => p.becameRelease)
      .map((p) => ({ number: p.number, title: p.title, body: p.body }));
  },
  deploymentReviews: ({ policy, stageIndex, recorded, facts }) => {
    facts.approvals.push(...deploymentReviewApprovals(policy, stageIndex, recorded.approvals));
  },
  evidence: ({ octokit, where, policy, request, now, result }) =>
    loadEvidence(octokit, where, policy, request, now, result),
  checks: async ({ octokit, where, request, stage, recorded, facts, notes }) => {
    facts.checks = await loadRequiredChecks(
      octokit as never,
      where,
      { sha: request.sha, defaultBranch: request.defaultBranch ?? null },
      stage.requiredChecks,
      recorded.checks,
      notes,
    );
  },
  changedFiles: async ({ octokit, where, request, recorded, facts, notes }) => {
    const previous = recorded.lastStageSha;
    if (!previous) {
      notes.push('No earlier deployment to the last stage is recorded, so every path rule applies.');
      return;
    }
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', {
      ...where,
      basehead: `${previous}...${request.sha}`,
      per_page: 100,
    });
    facts.changedFiles = (data.files ?? []).map((f) => f.filename);
  },
  teams: async ({ octokit, request, policy, stage, facts }) => {
    const read = await readTeamMembers(octokit, request.owner, policy, stage, facts, { advice: APP_TEAM_ADVICE });
    facts.teams = read.teams;
    if (Object.keys(read.teamErrors).length > 0) facts.teamErrors = read.teamErrors;
  },
};

/**
 * The facts the gate decides on, with the fewest GitHub calls that give a correct answer:
 * only the facts the stage's rules declare (`factsNeeded`), and what the App's record
 * already knows (`recorded`, read by the App's `RECORDED_FACT_READERS`) before the API.
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

  let people: Promise<ReleasePeople> | undefined;
  const ctx: FactContext = {
    octokit,
    where,
    policy,
    request,
    now,
    stageIndex,
    stage,
    predecessor,
    recorded,
    facts,
    result,
    notes,
    wanted: new Set(needed),
    people: () =>
      (people ??= releasePeople(octokit, where, request.sha).then((found) => {
        result.pulls = found.pulls;
        facts.approvals.push(...found.approvals);
        if (found.author) facts.author = found.author;
        facts.contributors = found.contributors;
        notes.push(...found.notes);
        return found;
      })),
  };
  for (const [kind, read] of Object.entries(APP_FACT_READERS) as Array<[FactKind, FactReader]>) {
    if (ctx.wanted.has(kind)) await read(ctx);
  }
  return result;
}

// Team membership lives in team-membership.ts; callers that check one person import it from here.
export { teamMembership } from './team-membership.js';

export { stageEnvironmentNames };
export type { ApprovalFact, RecordedApproval, RecordedDeployment, RecordedOverride, ReleasePull };
export { EVIDENCE_CHECK_NAME, TRUSTED_EVIDENCE_APP };
export { SAME_TREE_CANDIDATES };
