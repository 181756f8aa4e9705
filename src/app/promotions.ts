import { findStageIndex } from '../core/evaluate.js';
import { gateComment } from '../core/render-gate-summary.js';
import { failingRules } from '../core/rule-results.js';
import type { EnvironmentPolicy } from '../core/types.js';
import { loadRepoPolicy } from '../github/policy-source.js';
import { repoKey } from '../github/types.js';
import type { GitHubClient, RepoRef } from '../github/types.js';
import { deployerOf } from './deployer.js';
import { runGate } from './gate.js';
import type { AppDeps } from './gate.js';
import { clockOnly, nextCheckOf, noteHeld, PROMOTION_HOLD_MS, promotionName } from './promotion-notes.js';
import { createPromotionDeployment } from './promotion-deployment.js';

export interface PromotionSource extends RepoRef {
  installationId: number;
  sha: string;
  ref: string;
  /** The GitHub environment that just succeeded. */
  environment: string;
  /** The deployment that succeeded. */
  deploymentId: number;
  deliveryId: string;
  defaultBranch?: string;
}

/**
 * What auto-promotion did: nothing (not opted in), promoted, held (waiting for the codes in
 * `waitingFor`; `until` is when the hold ends at the latest: the clearing time of a wait
 * on the clock, else the bound), or not done (why).
 */
export type PromotionOutcome =
  | { kind: 'none' }
  | { kind: 'promoted'; environment: string; deploymentId: number }
  | { kind: 'held'; environment: string; until: string; waitingFor: string[] }
  | { kind: 'not-done'; environment: string; reason: string };

/** The stage `environment` belongs to and the next one, when the former promotes automatically. */
export function autoPromotionOf(
  stages: EnvironmentPolicy[],
  environment: string,
  policy: Parameters<typeof findStageIndex>[0],
): { stage: EnvironmentPolicy; next: EnvironmentPolicy } | null {
  const index = findStageIndex(policy, environment);
  const stage = index >= 0 ? stages[index]! : null;
  const next = index >= 0 ? stages[index + 1] : undefined;
  return stage?.autoPromote && next ? { stage, next } : null;
}

/**
 * When the stage just deployed has `autoPromote`, evaluate the next stage: when its gate
 * allows, create the next Deployment; when it waits (on the clock, on people or on
 * checks), hold the promotion, to be looked at again when the event it waits for arrives
 * (`reexamineHeldPromotions`) or the scheduler finds it due (`runHeldPromotion`, in
 * src/app/held-promotions.ts);
 * when it blocks, say on the timeline why it was not done.
 */
export async function autoPromote(
  deps: AppDeps,
  octokit: GitHubClient,
  where: PromotionSource,
): Promise<PromotionOutcome> {
  const policy = await loadRepoPolicy(octokit, {
    owner: where.owner,
    repo: where.repo,
    ...(where.defaultBranch ? { defaultBranch: where.defaultBranch } : {}),
  });
  if (!policy.ok) return { kind: 'none' };
  const stages = autoPromotionOf(policy.policy.environments, where.environment, policy.policy);
  if (!stages) return { kind: 'none' };
  const { stage, next } = stages;
  const target = next.github[0] ?? next.name;
  const fullName = repoKey(where);
  // A retried delivery of a success already held: the hold goes on by itself, and one
  // started, finished or dropped is not done again.
  const earlier = (await deps.store.listPromotions({ repo: fullName, sha: where.sha })).find(
    (p) => p.sourceDeploymentId === where.deploymentId && p.environment === target,
  );
  if (earlier && earlier.status !== 'pending') {
    if (earlier.status === 'expired')
      return { kind: 'not-done', environment: target, reason: earlier.note ?? 'dropped' };
    return earlier.deploymentId !== null
      ? { kind: 'promoted', environment: target, deploymentId: earlier.deploymentId }
      : { kind: 'held', environment: target, until: deps.clock().toISOString(), waitingFor: [] };
  }
  // Whoever deployed the stage before deploys this one: their own approvals do not count here either.
  const source = await deps.store.getDeployment(where.deploymentId);
  const deployer = source ? deployerOf(source) : null;
  const result = await runGate(deps, octokit, {
    owner: where.owner,
    repo: where.repo,
    installationId: where.installationId,
    sha: where.sha,
    ref: where.ref,
    environment: target,
    deployer,
    deliveryId: where.deliveryId,
    trigger: 'auto-promotion',
    ...(where.defaultBranch ? { defaultBranch: where.defaultBranch } : {}),
  });
  const decision = result.decision;
  if (decision?.decision === 'allow') {
    const id = await createPromotionDeployment(deps, octokit, {
      owner: where.owner,
      repo: where.repo,
      sha: where.sha,
      ref: where.ref,
      target,
      from: stage.name,
      to: next.name,
      deployer,
      promotionId: null,
      requestedVia: null,
      deliveryId: where.deliveryId,
      held: false,
    });
    return { kind: 'promoted', environment: target, deploymentId: id };
  }
  const now = deps.clock();
  if (decision?.decision === 'wait') {
    const expiresAt = new Date(now.getTime() + PROMOTION_HOLD_MS);
    const held = await deps.store.holdPromotion({
      repo: fullName,
      installationId: where.installationId,
      sha: where.sha,
      sourceDeploymentId: where.deploymentId,
      fromStage: stage.name,
      toStage: next.name,
      environment: target,
      createdAt: now,
      nextCheckAt: nextCheckOf(decision, now, expiresAt),
      deployer,
    });
    // A retried delivery finds the promotion held already: its bound stays the first one.
    const bound = new Date(held.promotion.createdAt.getTime() + PROMOTION_HOLD_MS);
    await noteHeld(deps, {
      repo: fullName,
      sha: where.sha,
      environment: target,
      name: promotionName({ fromStage: stage.name, toStage: next.name, deployer, requestedVia: null }),
      decision,
      expiresAt: bound,
      deliveryId: where.deliveryId,
    });
    const until =
      clockOnly(decision) && Date.parse(decision.recheckAt!) <= bound.getTime()
        ? decision.recheckAt!
        : bound.toISOString();
    return { kind: 'held', environment: target, until, waitingFor: failingRules(decision.rules).map((r) => r.code) };
  }
  const reason = decision ? gateComment(decision, 500) : 'the gate was already decided';
  await deps.store.recordEvent({
    repo: fullName,
    sha: where.sha,
    environment: target,
    type: 'NOTE',
    status: 'promotion not done',
    actor: null,
    at: now,
    notes: `Auto-promotion from ${stage.name} to ${next.name} not done: ${reason}`.slice(0, 1000),
    deliveryId: where.deliveryId,
  });
  return { kind: 'not-done', environment: target, reason };
}

export { PROMOTION_PAYLOAD_KEY } from './deployer.js';
