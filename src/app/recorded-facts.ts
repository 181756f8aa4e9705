import { recordedProof } from '../github/deployment-facts.js';
import { loadReleaseFacts, NO_RECORDED_FACTS, recordedFactsWanted, SAME_TREE_CANDIDATES } from '../github/facts.js';
import type { FactsRequest, LoadedFacts, RecordedFacts } from '../github/facts.js';
import { repoKey } from '../github/types.js';
import type { GitHubClient } from '../github/types.js';
import type { Policy } from '../core/types.js';
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

/**
 * What the record knows of the release that the stage's rules read (see
 * `recordedFactsWanted`): its overrides, deployment reviews, the commit's deployments to
 * the predecessor stage or else that stage's recent proofs of other commits (same-tree
 * candidates) with their known trees, the checks learned from webhooks, and the last
 * stage's previous success. Every query is bounded by the release, never the repository's history.
 */
export async function gatherRecordedFacts(
  store: RecordedFactsReader,
  policy: Policy,
  request: Pick<FactsRequest, 'owner' | 'repo' | 'sha' | 'environment'>,
): Promise<RecordedFacts> {
  const wanted = recordedFactsWanted(policy, request.environment);
  if (!wanted) return NO_RECORDED_FACTS;
  const repo = repoKey(request);
  const { sha } = request;
  const recorded: RecordedFacts = { ...NO_RECORDED_FACTS, overrides: await store.listOverrides({ repo, sha }) };
  const environments = wanted.predecessorEnvironments;
  if (environments && wanted.predecessor) {
    recorded.predecessorDeployments = await store.listDeployments({ repo, sha, environments });
    if (!recordedProof(sha, recorded.predecessorDeployments, wanted.predecessor)) {
      recorded.sameTreeCandidates = await store.recentProvenDeployments({
        repo,
        environments,
        exceptSha: sha,
        limit: SAME_TREE_CANDIDATES,
      });
      if (recorded.sameTreeCandidates.length > 0)
        recorded.knownTrees = await store.releaseTrees(repo, [
          ...new Set(recorded.sameTreeCandidates.map((c) => c.sha)),
        ]);
    }
  }
  if (wanted.deploymentReviews) recorded.approvals = await store.listApprovals({ repo, sha });
  if (wanted.checks) recorded.checks = await store.listCommitChecks(repo, sha);
  if (wanted.lastStageEnvironments) {
    const [previous] = await store.recentProvenDeployments({
      repo,
      environments: wanted.lastStageEnvironments,
      exceptSha: sha,
      limit: 1,
    });
    recorded.lastStageSha = previous?.sha ?? null;
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
