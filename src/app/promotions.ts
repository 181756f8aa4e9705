import { findStageIndex } from '../core/evaluate.js';
import { gateComment } from '../core/render-gate-summary.js';
import type { Decision, EnvironmentPolicy } from '../core/types.js';
import { createDeployment, findDeployments } from '../github/deployments.js';
import { loadRepoPolicy } from '../github/policy-source.js';
import type { GitHubClient } from '../github/types.js';
import type { PromotionRow } from '../store/types.js';
import { LEASE_MS, runGate } from './gate.js';
import type { GateDeps } from './gate.js';

/** Deployments the App created itself carry this key in their payload. */
export const PROMOTION_PAYLOAD_KEY = 'releaseGate';

export interface PromotionSource {
  owner: string;
  repo: string;
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

/** What auto-promotion did: nothing (not opted in), promoted, held until a time, or not done (why). */
export type PromotionOutcome =
  | { kind: 'none' }
  | { kind: 'promoted'; environment: string; deploymentId: number }
  | { kind: 'held'; environment: string; until: string }
  | { kind: 'not-done'; environment: string; reason: string };

/** The failing rules of a `wait` that only the clock clears (soak, freeze), or null when one waits on people or CI. */
function clockOnlyWait(decision: Decision): string | null {
  if (decision.decision !== 'wait' || !decision.recheckAt) return null;
  const failing = decision.rules.filter((r) => !r.ok);
  if (failing.length === 0 || !failing.every((r) => r.clearsAt)) return null;
  return failing.map((r) => `${r.code}: ${r.message}`).join(' ');
}

function nextStageOf(stages: EnvironmentPolicy[], environment: string, policy: Parameters<typeof findStageIndex>[0]): { stage: EnvironmentPolicy; next: EnvironmentPolicy } | null {
  const index = findStageIndex(policy, environment);
  const stage = index >= 0 ? stages[index]! : null;
  const next = index >= 0 ? stages[index + 1] : undefined;
  return stage?.autoPromote && next ? { stage, next } : null;
}

/**
 * When the stage just deployed has `autoPromote`, evaluate the next stage: when its gate
 * allows, create the next Deployment; when it waits only on the clock (soak, freeze), hold
 * the promotion for the scheduler ({@link runHeldPromotion}); otherwise say on the
 * timeline why it was not done.
 */
export async function autoPromote(deps: GateDeps, octokit: GitHubClient, where: PromotionSource): Promise<PromotionOutcome> {
  const policy = await loadRepoPolicy(octokit, { owner: where.owner, repo: where.repo, ...(where.defaultBranch ? { defaultBranch: where.defaultBranch } : {}) });
  if (!policy.ok) return { kind: 'none' };
  const stages = nextStageOf(policy.policy.environments, where.environment, policy.policy);
  if (!stages) return { kind: 'none' };
  const { stage, next } = stages;
  const target = next.github[0] ?? next.name;
  const fullName = `${where.owner}/${where.repo}`;
  const result = await runGate(deps, octokit, { owner: where.owner, repo: where.repo, installationId: where.installationId, sha: where.sha, ref: where.ref, environment: target, deliveryId: where.deliveryId, trigger: 'auto-promotion', ...(where.defaultBranch ? { defaultBranch: where.defaultBranch } : {}) });
  const decision = result.decision;
  if (decision?.decision === 'allow') {
    const id = await createPromotionDeployment(deps, octokit, { owner: where.owner, repo: where.repo, sha: where.sha, ref: where.ref, target, from: stage.name, to: next.name, deliveryId: where.deliveryId, held: false });
    return { kind: 'promoted', environment: target, deploymentId: id };
  }
  const waiting = decision ? clockOnlyWait(decision) : null;
  const now = deps.clock();
  if (decision && waiting) {
    const until = decision.recheckAt!;
    await deps.store.holdPromotion({ repo: fullName, installationId: where.installationId, sha: where.sha, sourceDeploymentId: where.deploymentId, fromStage: stage.name, toStage: next.name, environment: target, createdAt: now, nextCheckAt: new Date(until) });
    await deps.store.recordEvent({ repo: fullName, sha: where.sha, environment: target, type: 'NOTE', status: 'promotion held', actor: null, at: now, notes: `Auto-promotion from ${stage.name} to ${next.name} held until ${until}: ${waiting} The deployment is created when it clears.`.slice(0, 1000), deliveryId: where.deliveryId });
    return { kind: 'held', environment: target, until };
  }
  const reason = decision ? gateComment(decision, 500) : 'the gate was already decided';
  await deps.store.recordEvent({ repo: fullName, sha: where.sha, environment: target, type: 'NOTE', status: 'promotion not done', actor: null, at: now, notes: `Auto-promotion from ${stage.name} to ${next.name} not done: ${reason}`.slice(0, 1000), deliveryId: where.deliveryId });
  return { kind: 'not-done', environment: target, reason };
}

async function createPromotionDeployment(
  deps: GateDeps,
  octokit: GitHubClient,
  p: { owner: string; repo: string; sha: string; ref: string | null; target: string; from: string; to: string; deliveryId: string | null; held: boolean },
): Promise<number> {
  const id = await createDeployment(octokit, {
    owner: p.owner,
    repo: p.repo,
    sha: p.sha,
    environment: p.target,
    payload: { [PROMOTION_PAYLOAD_KEY]: { promotedFrom: p.from, stage: p.to, sha: p.sha, ref: p.ref ?? p.sha } },
    description: `Release gate: promotion of ${p.ref ?? p.sha.slice(0, 7)} from ${p.from} to ${p.to}`,
  });
  await deps.store.recordEvent({ repo: `${p.owner}/${p.repo}`, sha: p.sha, environment: p.target, type: 'PROMOTE', status: 'auto', actor: null, at: deps.clock(), notes: `Auto-promoted from ${p.from} to ${p.to}${p.held ? ' once the hold cleared' : ''}`, deliveryId: p.deliveryId });
  return id;
}

/**
 * The scheduler's part of a held promotion: under a lease, evaluate the next stage again;
 * when it allows, mark the promotion started (once, across replicas) and create the
 * deployment unless one of the commit already exists there (a retry after a crash, or a
 * person deployed it meanwhile); when it still waits on the clock, look again then; else
 * drop it and say why. Returns false when another replica holds it.
 */
export async function runHeldPromotion(deps: GateDeps, octokit: GitHubClient, promotion: PromotionRow): Promise<boolean> {
  const { store } = deps;
  const start = deps.clock();
  if (!(await store.claimPromotion(promotion.id, deps.replicaId, new Date(start.getTime() + LEASE_MS), start))) return false;
  try {
    const [owner, repo] = promotion.repo.split('/') as [string, string];
    const source = (await store.listDeployments({ repo: promotion.repo, sha: promotion.sha })).find((d) => d.id === promotion.sourceDeploymentId);
    const ref = source?.ref ?? null;
    const note = async (status: string, notes: string) =>
      store.recordEvent({ repo: promotion.repo, sha: promotion.sha, environment: promotion.environment, type: 'NOTE', status, actor: null, at: deps.clock(), notes: notes.slice(0, 1000), deliveryId: null });
    const from = promotion.fromStage;
    const to = promotion.toStage;
    if (promotion.status === 'pending') {
      const policy = await loadRepoPolicy(octokit, { owner, repo });
      const stages = policy.ok ? nextStageOf(policy.policy.environments, from, policy.policy) : null;
      if (!stages || stages.next.name !== to) {
        const why = policy.ok ? `the policy no longer promotes ${from} to ${to} automatically` : `the policy is invalid (${policy.path})`;
        await store.dropPromotion(promotion.id, deps.clock(), why);
        await note('promotion dropped', `Auto-promotion from ${from} to ${to} dropped: ${why}.`);
        return true;
      }
      const result = await runGate(deps, octokit, { owner, repo, installationId: promotion.installationId, sha: promotion.sha, ref, environment: promotion.environment, trigger: 'scheduler (held auto-promotion)' });
      const decision = result.decision;
      if (decision?.decision !== 'allow') {
        const waiting = decision ? clockOnlyWait(decision) : null;
        if (decision && waiting) {
          await store.setPromotionNextCheck(promotion.id, new Date(decision.recheckAt!));
          return true;
        }
        const reason = decision ? gateComment(decision, 500) : 'the gate was already decided';
        await store.dropPromotion(promotion.id, deps.clock(), reason);
        await note('promotion not done', `Auto-promotion from ${from} to ${to} not done: ${reason}`);
        return true;
      }
      // One replica wins the start; a loser finds it `decided` and leaves it to the winner.
      if (!(await store.startPromotion(promotion.id, deps.clock()))) return true;
    }
    const existing = await findDeployments(octokit, { owner, repo, sha: promotion.sha, environment: promotion.environment });
    if (existing.length > 0) {
      await store.finishPromotion(promotion.id, deps.clock(), `deployment ${existing[0]} of the commit to ${promotion.environment} already exists`, existing[0]);
      return true;
    }
    const id = await createPromotionDeployment(deps, octokit, { owner, repo, sha: promotion.sha, ref, target: promotion.environment, from, to, deliveryId: null, held: true });
    await store.finishPromotion(promotion.id, deps.clock(), `deployment ${id} created`, id);
    return true;
  } finally {
    await store.releasePromotion(promotion.id, deps.replicaId);
  }
}
