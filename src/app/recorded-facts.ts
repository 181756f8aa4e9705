import { recordedProof } from '../github/deployment-facts.js';
import type { FactKind } from '../core/fact-kinds.js';
import { releaseStage, stageEnvironmentNames } from '../core/release-stage.js';
import { loadReleaseFacts, NO_RECORDED_FACTS, SAME_TREE_CANDIDATES } from '../github/facts.js';
import type { FactsRequest, LoadedFacts, RecordedFacts } from '../github/facts.js';
import { repoKey } from '../github/types.js';
import type { GitHubClient } from '../github/types.js';
import type { EnvironmentPolicy, Policy } from '../core/types.js';
import type { RecordStore } from '../store/types.js';

/** The record's reads that gather a release's facts. */
export type RecordedFactsReader = Pick<
  RecordStore,
  | 'listOverrides'
  | 'listApprovals'
  | 'listDeployments'
  | 'recentProvenDeployments'
  | 'releaseTrees'
  | 'listCommitChecks'
>;

/** The record's writes of what the facts loader learned. */
export type LearnedFactsWriter = Pick<RecordStore, 'upsertRelease' | 'linkReleasePulls'>;

/** What the reader of one kind of recorded fact is given. */
interface RecordedFactContext {
  store: RecordedFactsReader;
  policy: Policy;
  repo: string;
  sha: string;
  predecessor: EnvironmentPolicy | null;
  recorded: RecordedFacts;
}

/**
 * The record's reader of each kind of fact it keeps, in the order they are read; a kind the
 * record does not keep is asked of GitHub alone (`APP_FACT_READERS`, src/github/facts.ts).
 * Every query is bounded by the release, never the repository's history.
 */
export const RECORDED_FACT_READERS: Partial<Record<FactKind, (ctx: RecordedFactContext) => Promise<void>>> = {
  overrides: async ({ store, repo, sha, recorded }) => {
    recorded.overrides = await store.listOverrides({ repo, sha });
  },
  // The commit's deployments to the predecessor stage or else that stage's recent proofs of
  // other commits (same-tree candidates) with their known trees.
  deployments: async ({ store, repo, sha, predecessor, recorded }) => {
    if (!predecessor) return;
    const environments = stageEnvironmentNames(predecessor);
    recorded.predecessorDeployments = await store.listDeployments({ repo, sha, environments });
    if (recordedProof(sha, recorded.predecessorDeployments, predecessor)) return;
    recorded.sameTreeCandidates = await store.recentProvenDeployments({
      repo,
      environments,
      exceptSha: sha,
      limit: SAME_TREE_CANDIDATES,
    });
    if (recorded.sameTreeCandidates.length > 0)
      recorded.knownTrees = await store.releaseTrees(repo, [...new Set(recorded.sameTreeCandidates.map((c) => c.sha))]);
  },
  deploymentReviews: async ({ store, repo, sha, recorded }) => {
    recorded.approvals = await store.listApprovals({ repo, sha });
  },
  checks: async ({ store, repo, sha, recorded }) => {
    recorded.checks = await store.listCommitChecks(repo, sha);
  },
  // The last stage's previous success (not the release), for the files changed since.
  changedFiles: async ({ store, policy, repo, sha, recorded }) => {
    const [previous] = await store.recentProvenDeployments({
      repo,
      environments: stageEnvironmentNames(policy.environments[policy.environments.length - 1]!),
      exceptSha: sha,
      limit: 1,
    });
    recorded.lastStageSha = previous?.sha ?? null;
  },
};

/**
 * What the record knows of the release that the stage's rules read: one reader per kind of
 * fact the stage needs ({@link RECORDED_FACT_READERS}).
 */
export async function gatherRecordedFacts(
  store: RecordedFactsReader,
  policy: Policy,
  request: Pick<FactsRequest, 'owner' | 'repo' | 'sha' | 'environment'>,
): Promise<RecordedFacts> {
  const { stage, predecessor, needed } = releaseStage(policy, request.environment);
  if (!stage) return NO_RECORDED_FACTS;
  const recorded: RecordedFacts = { ...NO_RECORDED_FACTS };
  const ctx: RecordedFactContext = { store, policy, repo: repoKey(request), sha: request.sha, predecessor, recorded };
  for (const [kind, read] of Object.entries(RECORDED_FACT_READERS)) {
    if (needed.has(kind as FactKind)) await read(ctx);
  }
  return recorded;
}

/** Keeps what the loader learned from GitHub: the trees of candidate commits, and the pull requests of the release. */
export async function recordLearnedFacts(
  store: LearnedFactsWriter,
  request: Pick<FactsRequest, 'owner' | 'repo' | 'sha'>,
  loaded: LoadedFacts,
  now: Date,
): Promise<void> {
  const repo = repoKey(request);
  for (const { sha, tree } of loaded.learnedTrees) await store.upsertRelease({ repo, sha, tree, at: new Date(0) });
  if (loaded.pulls.length > 0)
    await store.linkReleasePulls(
      loaded.pulls.map((p) => ({
        repo,
        sha: request.sha,
        pullNumber: p.number,
        headSha: p.headSha,
        firstCommitAt: p.firstCommitAt ? new Date(p.firstCommitAt) : null,
      })),
      now,
    );
}

/** The release's facts: the record's first, then GitHub's (what GitHub taught is the caller's to write back). */
export async function loadFactsFromRecord(
  octokit: GitHubClient,
  store: RecordedFactsReader,
  policy: Policy,
  request: FactsRequest,
  now: Date,
): Promise<LoadedFacts> {
  return loadReleaseFacts(octokit, await gatherRecordedFacts(store, policy, request), policy, request, now);
}

/** The release's facts: the record's first, then GitHub's; what GitHub taught is written back to the record. */
export async function loadFactsWithRecord(
  octokit: GitHubClient,
  store: RecordedFactsReader & LearnedFactsWriter,
  policy: Policy,
  request: FactsRequest,
  now: Date,
): Promise<LoadedFacts> {
  const recorded = await gatherRecordedFacts(store, policy, request);
  const loaded = await loadReleaseFacts(octokit, recorded, policy, request, now);
  await recordLearnedFacts(store, request, loaded, now);
  return loaded;
}
