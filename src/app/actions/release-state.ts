import { findStageIndex } from '../../core/evaluate.js';
import type { EnvironmentPolicy, Policy, ReleaseFacts } from '../../core/types.js';
import { repoKey } from '../../github/types.js';
import type { DeploymentRow, DeploymentStore } from '../../store/deployments.js';
import type { EvaluationStore } from '../../store/evaluations.js';
import type { GateStore, PendingGateRow } from '../../store/gates.js';
import type { PromotionRow, PromotionStore } from '../../store/promotions.js';
import { deployerOf } from '../deployer.js';
import type { GateResult } from '../gate.js';
import { mayAct, permissionsOf } from './people.js';
import { refused } from './types.js';
import type { ActionAnswer, ActionScope, GateOutcome, Role } from './types.js';

/** Something of a release that waits for the gate in one stage: a protection rule request, or a held promotion. */
export type Waiting =
  | { kind: 'gate'; stage: EnvironmentPolicy; environment: string; gate: PendingGateRow }
  | { kind: 'promotion'; stage: EnvironmentPolicy; environment: string; promotion: PromotionRow };

type Refusal = Extract<ActionAnswer<never>, { outcome: 'refused' }>;

/** The actor's role, or the refusal of someone who may not `verb` (write, maintain or admin needed). */
export async function requireRole(scope: ActionScope, verb: string): Promise<{ role: Role } | Refusal> {
  const role = await scope.people.roleOf(scope.actor.login);
  if (!mayAct(role))
    return refused(
      'forbidden',
      'forbidden',
      `${verb} needs write, maintain or admin permission on ${repoKey(scope.repo)}; you have ${permissionsOf(role)}.`,
    );
  return { role: role! };
}

/** The policy in force, or the refusal to act while it is invalid (the gate cannot decide either). */
export async function requirePolicy(scope: ActionScope): Promise<{ policy: Policy } | Refusal> {
  const raw = await scope.policy();
  if (!raw.ok)
    return refused(
      'conflict',
      'policy_invalid',
      `The release policy ${raw.path} of ${repoKey(scope.repo)} is invalid, so the gate cannot act: ${raw.problems.slice(0, 3).join('; ')}`,
    );
  return { policy: raw.policy };
}

/** Who may act (write permission), then the policy they act under: the start of every action. */
export async function requireRoleAndPolicy(
  scope: ActionScope,
  verb: string,
): Promise<{ role: Role; policy: Policy } | Refusal> {
  const role = await requireRole(scope, verb);
  if ('outcome' in role) return role;
  const p = await requirePolicy(scope);
  if ('outcome' in p) return p;
  return { role: role.role, policy: p.policy };
}

/** The stage a name means (a stage name or one of its GitHub environments), or the refusal naming the stages. */
export function requireStage(policy: Policy, name: string, field: string): { stage: EnvironmentPolicy } | Refusal {
  const index = findStageIndex(policy, name);
  if (index >= 0) return { stage: policy.environments[index]! };
  return refused(
    'unprocessable',
    'invalid_field',
    `${field}: ${name} is not a stage of the policy (stages: ${policy.environments.map((e) => e.name).join(', ')}).`,
  );
}

/** The GitHub environment a stage's deployments go to. */
export function environmentOf(stage: EnvironmentPolicy): string {
  return stage.github[0] ?? stage.name;
}

/** What of the release waits for the gate, in the stage named `only` when given (oldest first). */
export async function whatWaits(
  deps: { store: GateStore & PromotionStore },
  scope: Pick<ActionScope, 'repo'>,
  policy: Policy,
  sha: string,
  only?: EnvironmentPolicy,
): Promise<Waiting[]> {
  const repo = repoKey(scope.repo);
  const out: Waiting[] = [];
  const stageOf = (environment: string) => {
    const i = findStageIndex(policy, environment);
    const stage = i >= 0 ? policy.environments[i]! : null;
    return stage && (!only || stage.name === only.name) ? stage : null;
  };
  for (const gate of await deps.store.listPendingGates({ repo, sha, status: 'pending' })) {
    const stage = stageOf(gate.environment);
    if (stage) out.push({ kind: 'gate', stage, environment: gate.environment, gate });
  }
  for (const promotion of await deps.store.listPromotions({ repo, sha })) {
    if (promotion.status !== 'pending') continue;
    const stage = stageOf(promotion.environment);
    if (stage) out.push({ kind: 'promotion', stage, environment: promotion.environment, promotion });
  }
  return out;
}

/** Who deploys what waits: the deployment's deployer (src/app/deployer.ts), or the promotion's. */
export async function deployerOfWaiting(deps: { store: DeploymentStore }, w: Waiting): Promise<string | null> {
  if (w.kind === 'promotion') return w.promotion.deployer;
  if (w.gate.deploymentId === null) return null;
  const d = await deps.store.getDeployment(w.gate.deploymentId);
  return d ? deployerOf(d) : null;
}

/** The facts the gate last judged the release on for an environment (null when none were recorded). */
export async function lastFacts(
  deps: { store: EvaluationStore },
  scope: Pick<ActionScope, 'repo'>,
  sha: string,
  environment: string,
): Promise<ReleaseFacts | null> {
  const last = (await deps.store.listEvaluations({ repo: repoKey(scope.repo), sha, environment, last: 1 })).at(-1);
  const facts = (last?.inputs as { facts?: ReleaseFacts } | null | undefined)?.facts;
  return facts && Array.isArray(facts.approvals) ? facts : null;
}

/**
 * The stage after the last one the commit is proven in (a deployment the gate let through that
 * then succeeded: the first stage when none), or null when it is in the last stage.
 */
export function nextStage(policy: Policy, deployments: DeploymentRow[], sha: string): EnvironmentPolicy | null {
  let reached = -1;
  for (const d of deployments) {
    if (d.sha !== sha || !d.provenAt) continue;
    reached = Math.max(reached, findStageIndex(policy, d.stage ?? d.environment));
  }
  return policy.environments[reached + 1] ?? null;
}

/** `1234567` and the stage names, for messages. */
export function short(sha: string): string {
  return sha.slice(0, 7);
}

/** The gates looked at again after an action, as the answers report them. */
export function gateOutcomes(results: readonly GateResult[]): GateOutcome[] {
  return results.map((r) => ({
    environment: r.gate?.environment ?? r.decision?.environment ?? null,
    decision: r.decision?.decision ?? null,
    answer: r.answer,
  }));
}
