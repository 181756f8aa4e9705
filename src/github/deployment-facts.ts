import { releaseDeployments, stageProofs } from '../core/stage-proof.js';
import type { DeploymentFact, EnvironmentPolicy, ReleaseFacts } from '../core/types.js';
import type { VerificationState } from '../core/verification.js';
import { commitTree } from './commit-tree.js';
import type { GitHubClient, RepoRef } from './types.js';

/** How many recent proofs of the predecessor stage are compared by tree with the release. */
export const SAME_TREE_CANDIDATES = 20;

/** A deployment as the App's record keeps it: the fields the gate reads. */
export interface RecordedDeployment {
  id: number;
  sha: string;
  environment: string;
  createdAt: Date;
  latestState: string | null;
  latestStateAt: Date | null;
  /** The gate's approval (null when it never let the deployment through). */
  approvedVia: 'protection-rule' | 'deployment-event' | null;
  approvedAt: Date | null;
  approvedStage: string | null;
  approvedEnvironment: string | null;
  approvedRunId: number | null;
  /** Its first success bound to the approval. */
  provenAt: Date | null;
  /** Recorded before approvals were kept: the success the earlier rule took. */
  legacySuccessAt: Date | null;
  /** Its verification after the success, for a stage with `verify`. */
  verificationState?: string | null;
  verificationAt?: Date | null;
}

/** What the record says of the predecessor stage, read before GitHub is asked. */
export interface RecordedStageDeployments {
  /** The release commit's deployments to the predecessor stage. */
  own: RecordedDeployment[];
  /** When none of those proves the stage: the stage's recent proofs of other commits, newest first. */
  sameTreeCandidates: RecordedDeployment[];
  /** The recorded trees of the candidates' commits. */
  knownTrees: ReadonlyMap<string, string>;
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
 * A recorded deployment as the gate's rules see it: the record's word, unchanged. Whether it
 * proves its stage is read in one place, `src/core/stage-proof.ts`. The approval is written
 * `null` when there is none (a recorded fact without the key predates approvals).
 */
export function deploymentFact(d: RecordedDeployment, tree?: string): DeploymentFact {
  const approved = d.approvedVia !== null && d.approvedAt !== null;
  return {
    id: d.id,
    environment: d.environment,
    sha: d.sha,
    ...(tree ? { tree } : {}),
    // An approved deployment no status has moved yet is about to run.
    state: toDeploymentState(d.latestState) ?? (approved ? 'queued' : 'pending'),
    at: (d.latestStateAt ?? d.createdAt).toISOString(),
    approval: approved
      ? {
          via: d.approvedVia!,
          at: d.approvedAt!.toISOString(),
          stage: d.approvedStage,
          environment: d.approvedEnvironment ?? d.environment,
          runId: d.approvedRunId,
        }
      : null,
    provenAt: approved && d.provenAt ? d.provenAt.toISOString() : null,
    legacySuccessAt: d.legacySuccessAt ? d.legacySuccessAt.toISOString() : null,
    ...verificationOf(d),
  };
}

const VERIFICATION_STATES = new Set(['running', 'verified', 'failed', 'inconclusive']);

/** The deployment's verification as recorded (absent when none ran). */
function verificationOf(d: RecordedDeployment): Pick<DeploymentFact, 'verification'> {
  if (!d.verificationState || !VERIFICATION_STATES.has(d.verificationState)) return {};
  return {
    verification: {
      state: d.verificationState as VerificationState,
      at: (d.verificationAt ?? d.createdAt).toISOString(),
      via: 'recorded',
    },
  };
}

/** True when one of the commit's own recorded deployments proves `stage`: no same-tree candidate is then read. */
export function recordedProof(
  sha: string,
  deployments: readonly RecordedDeployment[],
  stage: EnvironmentPolicy,
): boolean {
  return stageProofs({ sha, deployments: deployments.map((d) => deploymentFact(d)) }, stage).length > 0;
}

/**
 * This release's deployments in the predecessor stage: by commit, then (when none of the
 * commit proves the stage) the stage's recent proofs whose commit has the same tree, the
 * same content promoted as another commit (a rebase, a squash of an up-to-date branch).
 * When the record knows no deployment there at all, GitHub is asked, only to say what it
 * has that the gate never judged.
 */
export async function loadPredecessorDeployments(
  octokit: GitHubClient,
  recorded: RecordedStageDeployments,
  where: RepoRef,
  predecessor: EnvironmentPolicy,
  environments: string[],
  facts: ReleaseFacts,
  learned: { notes: string[]; learnedTrees: Array<{ sha: string; tree: string }> },
): Promise<void> {
  for (const d of recorded.own) facts.deployments.push(deploymentFact(d));
  if (stageProofs(facts, predecessor).length > 0) return;

  const candidates = recorded.sameTreeCandidates.slice(0, SAME_TREE_CANDIDATES);
  if (candidates.length > 0) {
    const tree = await commitTree(octokit, where, facts.sha);
    if (tree) {
      facts.tree = tree;
      const known = new Map(recorded.knownTrees);
      for (const c of candidates) {
        let t = known.get(c.sha);
        if (!t) {
          t = await commitTree(octokit, where, c.sha);
          if (t) {
            known.set(c.sha, t);
            learned.learnedTrees.push({ sha: c.sha, tree: t });
          }
        }
        if (t === tree) facts.deployments.push(deploymentFact(c, t));
      }
    }
  }
  if (recorded.own.length === 0 && releaseDeployments(facts, predecessor).length === 0) {
    const unseen = await deploymentsOnGitHub(octokit, where, facts.sha, environments);
    if (unseen > 0)
      learned.notes.push(
        `GitHub has ${unseen} deployment(s) of this commit to ${predecessor.name} that the gate never judged (made before the App was installed, or while it missed their event): they prove nothing. Deploy the release to ${predecessor.name} again through the gate.`,
      );
  }
}

/** How many deployments of `sha` to these environments GitHub has (the first page). */
async function deploymentsOnGitHub(
  octokit: GitHubClient,
  where: RepoRef,
  sha: string,
  environments: string[],
): Promise<number> {
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/deployments', { ...where, sha, per_page: 30 });
  const wanted = new Set(environments.map((e) => e.toLowerCase()));
  return data.filter((x) => wanted.has(x.environment.toLowerCase())).length;
}
