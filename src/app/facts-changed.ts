import type { GitHubClient, RepoRef } from '../github/types.js';
import { reevaluatePending } from './gate.js';
import type { AppDeps, GateResult } from './gate.js';
import { reexamineHeldPromotions } from './held-promotions.js';

/** Facts of some commits of a repository changed (a review, a check, an override...), and what says so. */
export interface FactsChange extends RepoRef {
  /** The commits whose waiting gates and held promotions may decide otherwise now. */
  shas: string[];
  /** What changed them: shown as the trigger of the evaluations. */
  trigger: string;
  actor: string | null;
  deliveryId: string | null;
  defaultBranch?: string | undefined;
}

export interface FactsChangedOutcome {
  /** The waiting protection rule requests evaluated again. */
  gates: GateResult[];
  /** How many held auto-promotions were looked at again. */
  promotions: number;
  /** `re-evaluated N gate(s)`, and the held promotions looked at again when there were any. */
  summary: string;
}

/**
 * Facts changed: evaluates the waiting protection rule requests of the commits again, then
 * looks at their held auto-promotions again (one may go now), rather than waiting for the
 * scheduler to find them due.
 */
export async function factsChanged(
  deps: AppDeps,
  octokit: GitHubClient,
  change: FactsChange,
): Promise<FactsChangedOutcome> {
  const by = {
    owner: change.owner,
    repo: change.repo,
    trigger: change.trigger,
    actor: change.actor,
    deliveryId: change.deliveryId,
  };
  const gates = await reevaluatePending(deps, octokit, {
    ...by,
    shas: change.shas,
    ...(change.defaultBranch ? { defaultBranch: change.defaultBranch } : {}),
  });
  let promotions = 0;
  for (const sha of change.shas) promotions += await reexamineHeldPromotions(deps, octokit, { ...by, sha });
  const held = promotions > 0 ? `; re-examined ${promotions} held promotion(s)` : '';
  return { gates, promotions, summary: `re-evaluated ${gates.length} gate(s)${held}` };
}
