import { findStageIndex } from '../core/evaluate.js';
import { gateComment } from '../core/render-gate-summary.js';
import { failingRules } from '../core/rule-results.js';
import type { Decision } from '../core/types.js';
import { findDeployments } from '../github/deployment-api.js';
import { loadRepoPolicy } from '../github/policy-source.js';
import { repoKey, repoRefOf } from '../github/types.js';
import type { GitHubClient, RepoRef } from '../github/types.js';
import type { PromotionRow } from '../store/types.js';
import { runGate } from './gate.js';
import type { AppDeps } from './gate.js';
import { takeLease } from './lease.js';
import { createPromotionDeployment, findPromotionDeployment } from './promotion-deployment.js';
import { clockOnly, nextCheckOf, noteHeld, PROMOTION_HOLD_MS, promotionName } from './promotion-notes.js';
import { autoPromotionOf } from './promotions.js';

/** What looks at a held promotion again: the scheduler (the default), an event, or the person asking for it. */
export interface ReexamineBy {
  /** Shown as the gate's trigger; `scheduler` by default. */
  trigger?: string;
  actor?: string | null;
  deliveryId?: string | null;
  /** The lease owner; the replica's id for the scheduler, something of the event's own otherwise. */
  leaseOwner?: string;
  /** The ref the release is deployed from, when the caller knows it (else the record's). */
  ref?: string | null;
  /** The first look, right after a person asked: the trigger is theirs as given. */
  initial?: boolean;
}

/** What looking at a promotion did. */
export type PromotionStep =
  /** Someone else holds it (another replica, or the scheduler) and is looking at it. */
  | { kind: 'busy' }
  /** Started, created or dropped already: nothing to do. */
  | { kind: 'finished'; promotion: PromotionRow }
  /** The gate still waits: held until `until` at the latest. */
  | { kind: 'held'; decision: Decision; until: string }
  /** Not promoted: the gate blocked, the policy changed, or it waited too long. */
  | { kind: 'dropped'; reason: string; decision: Decision | null }
  | { kind: 'created'; deploymentId: number }
  /** Its deployment exists already (a retry after a crash, or someone deployed it meanwhile). */
  | { kind: 'found'; deploymentId: number };

/**
 * A promotion looked at, under a lease: by the scheduler when it is due, by an event it may
 * wait for, or right after a person asked for it. A promotion held longer than
 * {@link PROMOTION_HOLD_MS} is dropped; else the next stage is evaluated again (the gate
 * request names the promotion's deployer). When it allows, the promotion is marked started
 * (once, across replicas) and the deployment created unless it exists already; when it still
 * waits, it is looked at again later (a NOTE when what it waits for changed); when it blocks,
 * it is dropped and the NOTE says why.
 */
export async function advancePromotion(
  deps: AppDeps,
  octokit: GitHubClient,
  listed: PromotionRow,
  by: ReexamineBy = {},
): Promise<PromotionStep> {
  const { store } = deps;
  const start = deps.clock();
  const owner = by.leaseOwner ?? deps.replicaId;
  const lease = await takeLease(store.promotionQueue, listed.id, owner, deps, { promotionId: listed.id }, start);
  if (!lease) return { kind: 'busy' };
  try {
    // Read again under the lease: another replica may have finished it since it was listed.
    const promotion = await store.getPromotion(listed.id);
    if (!promotion) return { kind: 'finished', promotion: listed };
    if (promotion.status !== 'pending' && promotion.status !== 'decided') return { kind: 'finished', promotion };
    const where = repoRefOf(promotion.repo);
    const asked = promotion.requestedVia !== null;
    const source =
      promotion.sourceDeploymentId !== null ? await store.getDeployment(promotion.sourceDeploymentId) : null;
    const ref = by.ref ?? (asked ? (await store.getRelease(promotion.repo, promotion.sha))?.ref : source?.ref) ?? null;
    const deliveryId = by.deliveryId ?? null;
    const name = promotionName(promotion);
    const drop = async (at: Date, reason: string, decision: Decision | null): Promise<PromotionStep> => {
      if (await store.dropPromotion(promotion.id, at, reason))
        await store.recordEvent({
          repo: promotion.repo,
          sha: promotion.sha,
          environment: promotion.environment,
          type: 'NOTE',
          status: 'promotion dropped',
          actor: null,
          at: deps.clock(),
          notes: `${name} dropped: ${reason}${/[.!?]$/.test(reason) ? '' : '.'}`.slice(0, 1000),
          deliveryId,
        });
      return { kind: 'dropped', reason, decision };
    };
    if (promotion.status === 'pending') {
      const expiresAt = new Date(promotion.createdAt.getTime() + PROMOTION_HOLD_MS);
      if (start.getTime() >= expiresAt.getTime()) {
        const last = (
          await store.listEvaluations({ repo: promotion.repo, sha: promotion.sha, environment: promotion.environment })
        ).at(-1);
        const codes = failingRules(last?.rules ?? []).map((r) => r.code);
        const why = `held since ${promotion.createdAt.toISOString()}, it still waited ${PROMOTION_HOLD_MS / 86_400_000} days later${codes.length > 0 ? ` for ${codes.join(', ')}` : ''}`;
        return drop(start, why, null);
      }
      const policy = await loadRepoPolicy(octokit, where);
      const still = !policy.ok
        ? false
        : asked
          ? policy.policy.environments[findStageIndex(policy.policy, promotion.environment)]?.name === promotion.toStage
          : autoPromotionOf(policy.policy.environments, promotion.fromStage, policy.policy)?.next.name ===
            promotion.toStage;
      if (!still) {
        const why = !policy.ok
          ? `the policy is invalid (${policy.path})`
          : asked
            ? `the policy no longer has ${promotion.environment} as the stage ${promotion.toStage}`
            : `the policy no longer promotes ${promotion.fromStage} to ${promotion.toStage} automatically`;
        return drop(deps.clock(), why, null);
      }
      const trigger = by.initial
        ? (by.trigger ?? 'promote')
        : `${by.trigger ?? 'scheduler'} (held ${asked ? '' : 'auto-'}promotion)`;
      const result = await runGate(deps, octokit, {
        ...where,
        installationId: promotion.installationId,
        sha: promotion.sha,
        ref,
        environment: promotion.environment,
        deployer: promotion.deployer,
        trigger,
        actor: by.actor ?? null,
        deliveryId,
      });
      const decision = result.decision;
      if (decision?.decision === 'wait') {
        const now = deps.clock();
        await store.promotionQueue.setNextCheck(promotion.id, nextCheckOf(decision, now, expiresAt));
        await noteHeld(deps, {
          repo: promotion.repo,
          sha: promotion.sha,
          environment: promotion.environment,
          name,
          decision,
          expiresAt,
          deliveryId,
        });
        const until =
          clockOnly(decision) && Date.parse(decision.recheckAt!) <= expiresAt.getTime()
            ? decision.recheckAt!
            : expiresAt.toISOString();
        return { kind: 'held', decision, until };
      }
      if (decision?.decision !== 'allow')
        return drop(deps.clock(), decision ? gateComment(decision, 500) : 'the gate was already decided', decision);
      // One wins the start; a loser finds it `decided` and leaves it to the winner.
      if (!(await store.startPromotion(promotion.id, deps.clock()))) return { kind: 'busy' };
    }
    const at = { ...where, sha: promotion.sha, environment: promotion.environment };
    // A person's promotion looks for its own deployment only: an earlier one of the release
    // there (one that failed, say) is why they asked again.
    const existing = asked
      ? await findPromotionDeployment(octokit, at, deps.appId, promotion.id)
      : ((await findDeployments(octokit, at))[0] ?? null);
    if (existing !== null) {
      await store.finishPromotion(
        promotion.id,
        deps.clock(),
        `deployment ${existing} of the commit to ${promotion.environment} already exists`,
        existing,
      );
      return { kind: 'found', deploymentId: existing };
    }
    const id = await createPromotionDeployment(deps, octokit, {
      ...where,
      sha: promotion.sha,
      ref,
      target: promotion.environment,
      from: promotion.fromStage,
      to: promotion.toStage,
      deployer: promotion.deployer,
      promotionId: promotion.id,
      requestedVia: promotion.requestedVia,
      deliveryId,
      held: !asked,
    });
    await store.finishPromotion(promotion.id, deps.clock(), `deployment ${id} created`, id);
    return { kind: 'created', deploymentId: id };
  } finally {
    await lease.end();
  }
}

/** {@link advancePromotion} for the scheduler: true when it worked on the promotion (false when someone else holds it). */
export async function runHeldPromotion(
  deps: AppDeps,
  octokit: GitHubClient,
  listed: PromotionRow,
  by: ReexamineBy = {},
): Promise<boolean> {
  return (await advancePromotion(deps, octokit, listed, by)).kind !== 'busy';
}

/**
 * An event a held promotion may wait for arrived (a review, a completed check, an
 * override): look at the commit's held promotions again now rather than at their next
 * check. Returns how many were looked at (a promotion another replica holds is skipped:
 * that one is evaluating it already).
 */
export async function reexamineHeldPromotions(
  deps: AppDeps,
  octokit: GitHubClient,
  where: RepoRef & { sha: string; trigger: string; actor?: string | null; deliveryId?: string | null },
): Promise<number> {
  const held = (await deps.store.listPromotions({ repo: repoKey(where), sha: where.sha })).filter(
    (p) => p.status === 'pending',
  );
  let worked = 0;
  for (const promotion of held) {
    // A lease of the event's own, so the scheduler of this same process does not share it.
    const leaseOwner = `${deps.replicaId}#${where.deliveryId ?? where.trigger}`;
    if (
      await runHeldPromotion(deps, octokit, promotion, {
        trigger: where.trigger,
        actor: where.actor ?? null,
        deliveryId: where.deliveryId ?? null,
        leaseOwner,
      })
    )
      worked++;
  }
  return worked;
}
