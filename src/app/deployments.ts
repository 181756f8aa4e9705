import type { Context } from 'probot';
import { gateComment } from '../core/render-gate-summary.js';
import { setDeploymentStatus } from '../github/deployments.js';
import type { GitHubClient } from '../github/types.js';
import { handleOnce } from './deliveries.js';
import { reevaluatePending, runGate } from './gate.js';
import type { GateDeps } from './gate.js';
import { autoPromote, PROMOTION_PAYLOAD_KEY } from './promotions.js';

interface DeploymentLike {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  created_at: string;
  creator?: { login: string } | null;
  payload?: unknown;
}

interface DeploymentPayload {
  deployment: DeploymentLike;
  deployment_status?: { id: number; state: string; description?: string | null; created_at: string; updated_at?: string };
  repository: { name: string; owner: { login: string }; default_branch?: string };
  installation?: { id: number };
  sender?: { login: string };
}

export { PROMOTION_PAYLOAD_KEY };

function createdByGate(d: DeploymentLike): boolean {
  return typeof d.payload === 'object' && d.payload !== null && PROMOTION_PAYLOAD_KEY in d.payload;
}

/** `deployment.created`: record it; a deployment to a gated environment that breaks the policy gets a `failure` status. */
export async function onDeploymentCreated(deps: GateDeps, context: Context<'deployment.created'>): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p = context.payload as unknown as DeploymentPayload;
    const owner = p.repository.owner.login;
    const repo = p.repository.name;
    const d = p.deployment;
    const fullName = `${owner}/${repo}`;
    const known = (await deps.store.listDeployments({ repo: fullName, sha: d.sha })).some((x) => x.id === d.id);
    await deps.store.recordDeployment({ id: d.id, repo: fullName, sha: d.sha, ref: d.ref, environment: d.environment, stage: null, creator: d.creator?.login ?? null, createdAt: new Date(d.created_at), payload: d.payload ?? null });
    const earlier = (await deps.store.listDeployments({ repo: fullName, sha: d.sha })).filter((x) => x.id !== d.id);
    if (!known) {
      await deps.store.recordEvent({ repo: fullName, sha: d.sha, environment: d.environment, type: earlier.length === 0 ? 'CREATE' : 'PROMOTE', status: 'created', actor: d.creator?.login ?? null, at: new Date(d.created_at), notes: `Deployment ${d.id} of ${d.ref} to ${d.environment}`, deliveryId: context.id });
    }
    if (createdByGate(d)) return 'recorded: created by the gate';
    if (!p.installation) return 'recorded';
    // A protection rule request for this deployment came first: that gate decides it and
    // reports on its check run; a second evaluation here would only repeat it.
    const gates = await deps.store.listPendingGates({ repo: fullName, sha: d.sha, environment: d.environment });
    if (gates.some((g) => g.deploymentId === d.id)) return 'recorded: decided by its protection rule';
    const result = await runGate(deps, context.octokit as unknown as GitHubClient, {
      owner,
      repo,
      installationId: p.installation.id,
      sha: d.sha,
      ref: d.ref,
      environment: d.environment,
      deployer: d.creator?.login ?? null,
      ...(p.repository.default_branch ? { defaultBranch: p.repository.default_branch } : {}),
      deliveryId: context.id,
      deploymentId: d.id,
      trigger: 'deployment',
      actor: d.creator?.login ?? null,
    });
    if (result.decision?.decision === 'block' && !result.decision.ungated) {
      await setDeploymentStatus(context.octokit as unknown as GitHubClient, { owner, repo, deploymentId: d.id, state: 'failure', description: gateComment(result.decision, 140) });
      await deps.store.recordEvent({ repo: fullName, sha: d.sha, environment: d.environment, type: 'NOTE', status: 'failure status set', actor: null, at: deps.clock(), notes: `Deployment ${d.id} marked failure: it breaks the policy`, deliveryId: context.id });
      return 'recorded: failure status set';
    }
    return `recorded: ${result.decision?.decision ?? 'no decision'}`;
  });
}

/**
 * `deployment_status.created`: advance the release in that environment. `success` starts
 * the soak clock, wakes the gates that wait on it, and may promote to the next stage.
 */
export async function onDeploymentStatus(deps: GateDeps, context: Context<'deployment_status.created'>): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p = context.payload as unknown as DeploymentPayload;
    const s = p.deployment_status;
    if (!s) return 'ignored: no status';
    const owner = p.repository.owner.login;
    const repo = p.repository.name;
    const fullName = `${owner}/${repo}`;
    const d = p.deployment;
    await deps.store.recordDeployment({ id: d.id, repo: fullName, sha: d.sha, ref: d.ref, environment: d.environment, stage: null, creator: d.creator?.login ?? null, createdAt: new Date(d.created_at), payload: d.payload ?? null });
    const at = new Date(s.updated_at ?? s.created_at);
    const isNew = await deps.store.recordDeploymentStatus({ id: s.id, deploymentId: d.id, state: s.state, description: s.description ?? null, at, deliveryId: context.id });
    // The same status under the same delivery id is a retry of a delivery that failed half-way
    // (say, GitHub answered 5xx while promoting): finish what it started.
    const retried = !isNew && (await deps.store.listDeploymentStatuses(d.id)).some((x) => x.id === s.id && x.deliveryId === context.id);
    if (!isNew && !retried) return 'duplicate status';
    const recorded = retried && (await deps.store.timeline({ repo: fullName, sha: d.sha })).some((e) => e.deliveryId === context.id && (e.type === 'DEPLOYED' || e.type === 'FAILED'));
    if (!recorded && (s.state === 'success' || s.state === 'failure' || s.state === 'error')) {
      await deps.store.recordEvent({ repo: fullName, sha: d.sha, environment: d.environment, type: s.state === 'success' ? 'DEPLOYED' : 'FAILED', status: s.state, actor: p.sender?.login ?? null, at, notes: s.description ?? null, deliveryId: context.id });
    }
    if (s.state !== 'success' || !p.installation) return `recorded ${s.state}`;
    const octokit = context.octokit as unknown as GitHubClient;
    const defaultBranch = p.repository.default_branch;
    // Gates that wait on this release's order or soak in the next stage.
    await reevaluatePending(deps, octokit, { owner, repo, trigger: 'deployment_status', actor: p.sender?.login ?? null, deliveryId: context.id, ...(defaultBranch ? { defaultBranch } : {}) });
    const promotion = await autoPromote(deps, octokit, { owner, repo, installationId: p.installation.id, sha: d.sha, ref: d.ref, environment: d.environment, deploymentId: d.id, deliveryId: context.id, ...(defaultBranch ? { defaultBranch } : {}) });
    switch (promotion.kind) {
      case 'promoted':
        return `recorded success; promoted to ${promotion.environment}`;
      case 'held':
        return `recorded success; promotion to ${promotion.environment} held${promotion.waitingFor.length > 0 ? `, waiting for ${promotion.waitingFor.join(', ')}` : ''}; at the latest until ${promotion.until}`;
      case 'not-done':
        return `recorded success; not promoted to ${promotion.environment}`;
      default:
        return 'recorded success';
    }
  });
}
