import { findStageIndex } from '../../core/evaluate.js';
import { failingRules } from '../../core/rule-results.js';
import type { EnvironmentPolicy, Policy, RuleResult } from '../../core/types.js';
import { repoKey } from '../../github/types.js';
import type { DeploymentStore } from '../../store/deployments.js';
import type { EvaluationStore } from '../../store/evaluations.js';
import type { GateStore } from '../../store/gates.js';
import { promotionOpenKey } from '../../store/promotions.js';
import type { PromotionRow, PromotionStore } from '../../store/promotions.js';
import { LEASE_MS } from '../gate.js';
import type { AppDeps } from '../gate.js';
import { advancePromotion } from '../held-promotions.js';
import { environmentOf, nextStage, requireRoleAndPolicy, requireStage, short, whatWaits } from './release-state.js';
import { refused } from './types.js';
import type { ActionAnswer, ActionScope } from './types.js';

export interface PromoteInput {
  sha: string;
  /** The stage asked for; the next one is taken when left out, and any other is refused (no stage is skipped). */
  stage?: string;
  /** The ref the release is deployed from, when the front end knows it (a pull request's head branch). */
  ref?: string | null;
}

export interface PromoteResult {
  /** The promotion (src/store `Promotion`) that holds the request. */
  promotionId: number | null;
  /** The deployment created, or null while the promotion is held. */
  deploymentId: number | null;
  stage: string;
  environment: string;
  /** What the gate said: `allow` (deployed) or `wait` (held until it allows). */
  gateDecision: 'allow' | 'wait' | null;
  /** The rule codes a held promotion waits for. */
  waitingFor: string[];
  /** When a held promotion is dropped at the latest if the gate still waits. */
  heldUntil: string | null;
  by: string;
}

/**
 * What may be promoted next, and to where: the stage after the last one the release reached
 * (never skipping one), unless it is in the last stage, something deploys it there already
 * (a request at the gate, a held promotion), or the policy cannot decide.
 */
export async function promotionTarget(
  deps: { store: GateStore & PromotionStore & DeploymentStore & EvaluationStore },
  scope: Pick<ActionScope, 'repo'>,
  policy: Policy,
  sha: string,
): Promise<
  | { ok: true; stage: EnvironmentPolicy; environment: string; from: EnvironmentPolicy | null }
  | { ok: false; code: 'last_stage' | 'already'; message: string; open: PromotionRow | null }
> {
  const repo = repoKey(scope.repo);
  const target = nextStage(policy, await deps.store.listDeployments({ repo, sha }), sha);
  if (!target)
    return {
      ok: false,
      code: 'last_stage',
      message: `${short(sha)} is deployed to the last stage of ${repo} already.`,
      open: null,
    };
  const environment = environmentOf(target);
  for (const w of await whatWaits(deps, scope, policy, sha, target)) {
    if (w.kind === 'gate')
      return {
        ok: false,
        code: 'already',
        message: `A deployment of ${short(sha)} to ${target.name} waits for the gate already (${w.environment}): approve, override or reject it instead.`,
        open: null,
      };
    if (w.promotion.requestedVia === null)
      return {
        ok: false,
        code: 'already',
        message: `An auto-promotion of ${short(sha)} to ${target.name} is held already: it deploys when the gate allows it.`,
        open: w.promotion,
      };
  }
  // A promotion someone asked for already, unless its deployment failed (then it may be asked for again).
  const open = (await deps.store.listPromotions({ repo, sha })).find(
    (o) => o.openKey === promotionOpenKey(sha, environment),
  );
  if (open && !(await deploymentFailed(deps, open)))
    return { ok: false, code: 'already', message: await openMessage(deps, open), open };
  const index = findStageIndex(policy, target.name);
  return { ok: true, stage: target, environment, from: index > 0 ? policy.environments[index - 1]! : null };
}

/**
 * Promotes the release to its next stage for the person asking, who is recorded as its
 * deployer (their own approvals never count for it): when the gate allows, the App creates
 * the deployment; when it waits, the promotion is held and the deployment created once it
 * allows (an approval by someone else, the clock, a check); when it blocks, nothing is done
 * and the rules say why. Once per release and stage: a second request, at once or later, on
 * any replica, finds the first (until its deployment fails or is rejected) and is answered
 * as unchanged.
 */
export async function promote(
  deps: AppDeps,
  scope: ActionScope,
  input: PromoteInput,
): Promise<ActionAnswer<PromoteResult>> {
  const login = scope.actor.login;
  const p = await requireRoleAndPolicy(scope, 'Promoting');
  if ('outcome' in p) return p;
  const policy = p.policy;
  const asked = input.stage ? requireStage(policy, input.stage, 'stage') : null;
  if (asked && 'outcome' in asked) return asked;
  const target = await promotionTarget(deps, scope, policy, input.sha);
  if (!target.ok && target.code === 'last_stage') return refused('conflict', 'last_stage', target.message);
  const next = target.ok ? target.stage : null;
  if (asked && next && asked.stage.name !== next.name)
    return refused(
      'conflict',
      'promotion_order',
      `${short(input.sha)} can be promoted to ${next.name} next, not ${input.stage}: stages are not skipped.`,
    );
  if (!target.ok) return { outcome: 'unchanged', message: target.message, result: heldResult(target.open, login) };
  const repo = repoKey(scope.repo);
  const request = () => {
    const now = deps.clock();
    return deps.store.requestPromotion({
      repo,
      installationId: scope.repo.installationId,
      sha: input.sha,
      fromStage: target.from?.name ?? '',
      toStage: target.stage.name,
      environment: target.environment,
      createdAt: now,
      deployer: login,
      requestedVia: scope.actor.via,
      // Looked at at once below; the scheduler takes it over if this process dies first.
      nextCheckAt: new Date(now.getTime() + LEASE_MS),
    });
  };
  let claim = await request();
  if (!claim.created && (await deploymentFailed(deps, claim.promotion))) {
    await deps.store.closePromotionKey(claim.promotion.id, claim.promotion.openKey!);
    claim = await request();
  }
  if (!claim.created)
    return {
      outcome: 'unchanged',
      message: await openMessage(deps, claim.promotion),
      result: heldResult(claim.promotion, login),
    };
  const promotion = claim.promotion;
  const step = await advancePromotion(deps, scope.octokit, promotion, {
    trigger: scope.actor.via === 'console' ? 'console promote' : 'promote command',
    actor: login,
    deliveryId: scope.actor.deliveryId ?? null,
    ...(input.ref !== undefined ? { ref: input.ref } : {}),
    initial: true,
    leaseOwner: `${deps.replicaId}#promotion-${promotion.id}`,
  });
  const base = { ...heldResult(promotion, login), stage: target.stage.name, environment: target.environment };
  switch (step.kind) {
    case 'created':
    case 'found':
      return {
        outcome: 'done',
        message: `Promoted ${short(input.sha)} to ${target.stage.name}: deployment ${step.deploymentId} ${step.kind === 'created' ? 'created' : 'exists'}.`,
        result: { ...base, deploymentId: step.deploymentId, gateDecision: 'allow' },
      };
    case 'held': {
      const codes = failingRules(step.decision.rules).map((r) => r.code);
      return {
        outcome: 'done',
        message: `The promotion of ${short(input.sha)} to ${target.stage.name} is held: the gate waits for ${codes.join(', ')}. The deployment is created when it allows, by ${step.until} at the latest.`,
        result: { ...base, gateDecision: 'wait', waitingFor: codes, heldUntil: step.until },
      };
    }
    case 'dropped': {
      const failing: RuleResult[] = step.decision ? failingRules(step.decision.rules) : [];
      return refused(
        'conflict',
        'gate_blocked',
        `Not promoted to ${target.stage.name}: ${failing.length > 0 ? `the gate blocks it (${failing.map((r) => r.code).join(', ')}).` : step.reason}`,
        { rules: failing },
      );
    }
    default:
      return { outcome: 'unchanged', message: await openMessage(deps, promotion), result: base };
  }
}

function heldResult(o: PromotionRow | null, login: string): PromoteResult {
  return {
    promotionId: o?.id ?? null,
    deploymentId: o?.deploymentId ?? null,
    stage: o?.toStage ?? '',
    environment: o?.environment ?? '',
    gateDecision: null,
    waitingFor: [],
    heldUntil: null,
    by: login,
  };
}

/** True when the deployment an open promotion created failed or was rejected: it may be asked for again. */
async function deploymentFailed(deps: { store: DeploymentStore & GateStore }, o: PromotionRow): Promise<boolean> {
  if (o.status !== 'answered' || o.deploymentId === null || o.openKey === null) return false;
  const d = await deps.store.getDeployment(o.deploymentId);
  if (!d) return false;
  if (d.latestState === 'failure' || d.latestState === 'error') return true;
  // Rejected at its protection rule.
  const gates = await deps.store.listPendingGates({ repo: d.repo, sha: d.sha, environment: d.environment });
  return gates.some((g) => g.deploymentId === d.id && g.decision === 'rejected');
}

/** What an open promotion a second request finds is doing. */
async function openMessage(deps: { store: EvaluationStore }, o: PromotionRow): Promise<string> {
  const asked = `${o.deployer ?? 'Someone'} asked for the promotion of ${short(o.sha)} to ${o.toStage} already (${o.createdAt.toISOString()})`;
  if (o.status === 'answered') return `${asked}: deployment ${o.deploymentId} was created.`;
  if (o.status === 'decided') return `${asked}: its deployment is being created.`;
  const last = (await deps.store.listEvaluations({ repo: o.repo, sha: o.sha, environment: o.environment, last: 1 })).at(
    -1,
  );
  const codes = failingRules(last?.rules ?? []).map((r) => r.code);
  return `${asked}: it is held${codes.length > 0 ? `, waiting for ${codes.join(', ')}` : ''}, and deploys when the gate allows it.`;
}
