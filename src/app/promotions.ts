import { findStageIndex } from '../core/evaluate.js';
import { gateComment } from '../core/render-gate-summary.js';
import { failingRules } from '../core/rule-results.js';
import type { Decision, EnvironmentPolicy } from '../core/types.js';
import { createDeployment, findDeployments } from '../github/deployment-api.js';
import { loadRepoPolicy } from '../github/policy-source.js';
import { repoKey, repoRefOf } from '../github/types.js';
import type { GitHubClient, RepoRef } from '../github/types.js';
import type { PromotionRow } from '../store/types.js';
import { runGate, WAIT_POLL_MS } from './gate.js';
import { takeLease } from './lease.js';
import type { GateDeps } from './gate.js';

/** Deployments the App created itself carry this key in their payload. */
export const PROMOTION_PAYLOAD_KEY = 'releaseGate';

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

/** A held auto-promotion still waiting this long after it was held is dropped. */
export const PROMOTION_HOLD_MS = 7 * 86_400_000;

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

/** True when every failing rule of a `wait` clears with the clock (soak, freeze). */
function clockOnly(decision: Decision): boolean {
  const failing = failingRules(decision.rules);
  return Boolean(decision.recheckAt) && failing.length > 0 && failing.every((r) => r.clearsAt);
}

/** The first sentence of a held promotion's NOTE: what it waits for, and until when. */
function heldHeadline(from: string, to: string, decision: Decision): string {
  if (clockOnly(decision)) return `Auto-promotion from ${from} to ${to} held until ${decision.recheckAt}:`;
  const codes = failingRules(decision.rules).map((r) => (r.clearsAt ? `${r.code} (until ${r.clearsAt})` : r.code));
  return `Auto-promotion from ${from} to ${to} held, waiting for ${codes.join(', ')}.`;
}

function heldNote(from: string, to: string, decision: Decision, expiresAt: Date): string {
  // The clock's own headline names no code, so its details do.
  const details = failingRules(decision.rules)
    .map((r) => (clockOnly(decision) ? `${r.code}: ${r.message}` : r.message))
    .join(' ');
  const expires = expiresAt.toISOString();
  const tail = clockOnly(decision)
    ? Date.parse(decision.recheckAt!) > expiresAt.getTime()
      ? ` The deployment is created when it clears, unless it still waits at ${expires}, when the promotion is dropped.`
      : ' The deployment is created when it clears.'
    : ` The deployment is created when the gate allows it; the promotion is dropped if the gate blocks, or if it still waits at ${expires}.`;
  // The details go last so that a long message is what gets cut.
  const head = heldHeadline(from, to, decision);
  const room = 1000 - head.length - tail.length - 1;
  return `${head} ${details.length > room ? `${details.slice(0, Math.max(0, room - 3))}...` : details}${tail}`;
}

/**
 * When a held promotion is looked at next: when its clock wait clears, else after the
 * poll interval (an event it waits for may have been missed), never after the bound.
 */
function nextCheckOf(decision: Decision, now: Date, expiresAt: Date): Date {
  const recheck = decision.recheckAt ? Date.parse(decision.recheckAt) : Number.POSITIVE_INFINITY;
  const poll = clockOnly(decision) ? Number.POSITIVE_INFINITY : now.getTime() + WAIT_POLL_MS;
  return new Date(Math.min(recheck, poll, expiresAt.getTime()));
}

function nextStageOf(
  stages: EnvironmentPolicy[],
  environment: string,
  policy: Parameters<typeof findStageIndex>[0],
): { stage: EnvironmentPolicy; next: EnvironmentPolicy } | null {
  const index = findStageIndex(policy, environment);
  const stage = index >= 0 ? stages[index]! : null;
  const next = index >= 0 ? stages[index + 1] : undefined;
  return stage?.autoPromote && next ? { stage, next } : null;
}

/** Records a held promotion's NOTE unless the last one of the commit and environment already says it waits for the same. */
async function noteHeld(
  deps: GateDeps,
  p: {
    repo: string;
    sha: string;
    environment: string;
    from: string;
    to: string;
    decision: Decision;
    expiresAt: Date;
    deliveryId: string | null;
  },
): Promise<void> {
  const headline = heldHeadline(p.from, p.to, p.decision);
  const previous = (await deps.store.timeline({ repo: p.repo, sha: p.sha }))
    .filter((e) => e.type === 'NOTE' && e.environment === p.environment && e.status?.startsWith('promotion '))
    .at(-1);
  if (previous?.status === 'promotion held' && previous.notes?.startsWith(headline)) return;
  await deps.store.recordEvent({
    repo: p.repo,
    sha: p.sha,
    environment: p.environment,
    type: 'NOTE',
    status: 'promotion held',
    actor: null,
    at: deps.clock(),
    notes: heldNote(p.from, p.to, p.decision, p.expiresAt),
    deliveryId: p.deliveryId,
  });
}

/**
 * When the stage just deployed has `autoPromote`, evaluate the next stage: when its gate
 * allows, create the next Deployment; when it waits (on the clock, on people or on
 * checks), hold the promotion, to be looked at again when the event it waits for arrives
 * ({@link reexamineHeldPromotions}) or the scheduler finds it due ({@link runHeldPromotion});
 * when it blocks, say on the timeline why it was not done.
 */
export async function autoPromote(
  deps: GateDeps,
  octokit: GitHubClient,
  where: PromotionSource,
): Promise<PromotionOutcome> {
  const policy = await loadRepoPolicy(octokit, {
    owner: where.owner,
    repo: where.repo,
    ...(where.defaultBranch ? { defaultBranch: where.defaultBranch } : {}),
  });
  if (!policy.ok) return { kind: 'none' };
  const stages = nextStageOf(policy.policy.environments, where.environment, policy.policy);
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
  const result = await runGate(deps, octokit, {
    owner: where.owner,
    repo: where.repo,
    installationId: where.installationId,
    sha: where.sha,
    ref: where.ref,
    environment: target,
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
    });
    // A retried delivery finds the promotion held already: its bound stays the first one.
    const bound = new Date(held.promotion.createdAt.getTime() + PROMOTION_HOLD_MS);
    await noteHeld(deps, {
      repo: fullName,
      sha: where.sha,
      environment: target,
      from: stage.name,
      to: next.name,
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
async function createPromotionDeployment(
  deps: GateDeps,
  octokit: GitHubClient,
  p: RepoRef & {
    sha: string;
    ref: string | null;
    target: string;
    from: string;
    to: string;
    deliveryId: string | null;
    held: boolean;
  },
): Promise<number> {
  const id = await createDeployment(octokit, {
    owner: p.owner,
    repo: p.repo,
    sha: p.sha,
    environment: p.target,
    payload: { [PROMOTION_PAYLOAD_KEY]: { promotedFrom: p.from, stage: p.to, sha: p.sha, ref: p.ref ?? p.sha } },
    description: `Release gate: promotion of ${p.ref ?? p.sha.slice(0, 7)} from ${p.from} to ${p.to}`,
  });
  await deps.store.recordEvent({
    repo: repoKey(p),
    sha: p.sha,
    environment: p.target,
    type: 'PROMOTE',
    status: 'auto',
    actor: null,
    at: deps.clock(),
    notes: `Auto-promoted from ${p.from} to ${p.to}${p.held ? ' once the hold cleared' : ''}`,
    deliveryId: p.deliveryId,
  });
  return id;
}

/** What looks at a held promotion again: the scheduler (the default) or an event. */
export interface ReexamineBy {
  /** Shown as the gate's trigger; `scheduler` by default. */
  trigger?: string;
  actor?: string | null;
  deliveryId?: string | null;
  /** The lease owner; the replica's id for the scheduler, something of the event's own otherwise. */
  leaseOwner?: string;
}

/**
 * A held promotion looked at again, by the scheduler when it is due or by an event it may
 * wait for. Under a lease: a promotion held longer than {@link PROMOTION_HOLD_MS} is dropped;
 * else the next stage is evaluated again. When it allows, the promotion is marked started
 * (once, across replicas) and the deployment created unless one of the commit already
 * exists there (a retry after a crash, or a person deployed it meanwhile); when it still
 * waits, it is looked at again later (a NOTE when what it waits for changed); when it
 * blocks, it is dropped and the NOTE says why. Returns false when someone else holds it.
 */
export async function runHeldPromotion(
  deps: GateDeps,
  octokit: GitHubClient,
  listed: PromotionRow,
  by: ReexamineBy = {},
): Promise<boolean> {
  const { store } = deps;
  const start = deps.clock();
  const owner = by.leaseOwner ?? deps.replicaId;
  const lease = await takeLease(store.promotionQueue, listed.id, owner, deps, { promotionId: listed.id }, start);
  if (!lease) return false;
  try {
    // Read again under the lease: another replica may have finished it since it was listed.
    const promotion = (await store.listPromotions({ repo: listed.repo, sha: listed.sha })).find(
      (p) => p.id === listed.id,
    );
    if (!promotion || (promotion.status !== 'pending' && promotion.status !== 'decided')) return false;
    const where = repoRefOf(promotion.repo);
    const source = await store.getDeployment(promotion.sourceDeploymentId);
    const ref = source?.ref ?? null;
    const deliveryId = by.deliveryId ?? null;
    const note = async (status: string, notes: string) =>
      store.recordEvent({
        repo: promotion.repo,
        sha: promotion.sha,
        environment: promotion.environment,
        type: 'NOTE',
        status,
        actor: null,
        at: deps.clock(),
        notes: notes.slice(0, 1000),
        deliveryId,
      });
    const from = promotion.fromStage;
    const to = promotion.toStage;
    if (promotion.status === 'pending') {
      const expiresAt = new Date(promotion.createdAt.getTime() + PROMOTION_HOLD_MS);
      if (start.getTime() >= expiresAt.getTime()) {
        const last = (
          await store.listEvaluations({ repo: promotion.repo, sha: promotion.sha, environment: promotion.environment })
        ).at(-1);
        const codes = failingRules(last?.rules ?? []).map((r) => r.code);
        const why = `held since ${promotion.createdAt.toISOString()}, it still waited ${PROMOTION_HOLD_MS / 86_400_000} days later${codes.length > 0 ? ` for ${codes.join(', ')}` : ''}`;
        if (await store.dropPromotion(promotion.id, start, why))
          await note('promotion dropped', `Auto-promotion from ${from} to ${to} dropped: ${why}.`);
        return true;
      }
      const policy = await loadRepoPolicy(octokit, where);
      const stages = policy.ok ? nextStageOf(policy.policy.environments, from, policy.policy) : null;
      if (!stages || stages.next.name !== to) {
        const why = policy.ok
          ? `the policy no longer promotes ${from} to ${to} automatically`
          : `the policy is invalid (${policy.path})`;
        if (await store.dropPromotion(promotion.id, deps.clock(), why))
          await note('promotion dropped', `Auto-promotion from ${from} to ${to} dropped: ${why}.`);
        return true;
      }
      const result = await runGate(deps, octokit, {
        ...where,
        installationId: promotion.installationId,
        sha: promotion.sha,
        ref,
        environment: promotion.environment,
        trigger: `${by.trigger ?? 'scheduler'} (held auto-promotion)`,
        actor: by.actor ?? null,
        deliveryId,
      });
      const decision = result.decision;
      if (decision?.decision === 'wait') {
        await store.promotionQueue.setNextCheck(promotion.id, nextCheckOf(decision, deps.clock(), expiresAt));
        await noteHeld(deps, {
          repo: promotion.repo,
          sha: promotion.sha,
          environment: promotion.environment,
          from,
          to,
          decision,
          expiresAt,
          deliveryId,
        });
        return true;
      }
      if (decision?.decision !== 'allow') {
        const reason = decision ? gateComment(decision, 500) : 'the gate was already decided';
        if (await store.dropPromotion(promotion.id, deps.clock(), reason))
          await note('promotion dropped', `Auto-promotion from ${from} to ${to} dropped: ${reason}`);
        return true;
      }
      // One wins the start; a loser finds it `decided` and leaves it to the winner.
      if (!(await store.startPromotion(promotion.id, deps.clock()))) return true;
    }
    const existing = await findDeployments(octokit, {
      ...where,
      sha: promotion.sha,
      environment: promotion.environment,
    });
    if (existing.length > 0) {
      await store.finishPromotion(
        promotion.id,
        deps.clock(),
        `deployment ${existing[0]} of the commit to ${promotion.environment} already exists`,
        existing[0],
      );
      return true;
    }
    const id = await createPromotionDeployment(deps, octokit, {
      ...where,
      sha: promotion.sha,
      ref,
      target: promotion.environment,
      from,
      to,
      deliveryId,
      held: true,
    });
    await store.finishPromotion(promotion.id, deps.clock(), `deployment ${id} created`, id);
    return true;
  } finally {
    await lease.end();
  }
}

/**
 * An event a held promotion may wait for arrived (a review, a completed check, an
 * override): look at the commit's held promotions again now rather than at their next
 * check. Returns how many were looked at (a promotion another replica holds is skipped:
 * that one is evaluating it already).
 */
export async function reexamineHeldPromotions(
  deps: GateDeps,
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
