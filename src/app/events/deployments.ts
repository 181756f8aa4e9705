import type { Context } from 'probot';
import { gateComment } from '../../core/render-gate-summary.js';
import { findStageIndex } from '../../core/evaluate.js';
import { setDeploymentStatus } from '../../github/deployment-api.js';
import { SAME_TREE_CANDIDATES, stageEnvironmentNames } from '../../github/facts.js';
import { loadRepoPolicy } from '../../github/policy-source.js';
import { repoKey } from '../../github/types.js';
import type { GitHubClient, RepoRef } from '../../github/types.js';
import type { RecordDeploymentInput } from '../../store/types.js';
import { handleOnce } from '../deliveries.js';
import { reevaluatePending, runGate } from '../gate.js';
import type { AppDeps, GateRequest } from '../gate.js';
import { heldDescription, isGitHubActions, statusMoves, successBinds } from '../deployment-proof.js';
import { autoPromote } from '../promotions.js';
import { defaultBranchOf, repositoryOf } from './repository.js';
import { beginVerification, judgeRollbackDeployment, publishDeployed } from '../../verify/stage-hooks.js';
import type { VerifyingDeps } from '../../verify/stage-hooks.js';

type DeploymentPayload = Context<'deployment.created'>['payload'];
type DeploymentStatusPayload = Context<'deployment_status.created'>['payload'];
type Deployment = DeploymentPayload['deployment'] | DeploymentStatusPayload['deployment'];

/** What the record keeps of a deployment a webhook tells of. */
export function deploymentRecord(
  where: RepoRef,
  d: Pick<Deployment, 'id' | 'sha' | 'ref' | 'environment' | 'created_at'> & { payload: unknown },
  by: { environment?: string; creator: string | null; byApp?: boolean },
): RecordDeploymentInput {
  return {
    id: d.id,
    repo: repoKey(where),
    sha: d.sha,
    ref: d.ref,
    environment: by.environment ?? d.environment,
    stage: null,
    creator: by.creator,
    createdAt: new Date(d.created_at),
    payload: d.payload ?? null,
    ...(by.byApp === undefined ? {} : { byApp: by.byApp }),
  };
}

/**
 * The App's own deployments are known by who created them: GitHub says which App performed
 * the request (`performed_via_github_app`). A payload key says nothing: anyone who may create
 * a deployment may write any payload (SECURITY.md).
 */
export function createdByThisApp(
  deps: Pick<AppDeps, 'appId'>,
  d: Pick<Deployment, 'performed_via_github_app'>,
): boolean {
  return deps.appId != null && d.performed_via_github_app?.id === deps.appId;
}

/** The gate a deployment created outside a protection rule asks for, or null without an installation to answer with. */
export function toGateRequest(p: DeploymentPayload, deliveryId: string): GateRequest | null {
  if (!p.installation) return null;
  const d = p.deployment;
  return {
    ...repositoryOf(p),
    installationId: p.installation.id,
    sha: d.sha,
    ref: d.ref,
    environment: d.environment,
    deployer: d.creator?.login ?? null,
    ...defaultBranchOf(p),
    deliveryId,
    deploymentId: d.id,
    trigger: 'deployment',
    actor: d.creator?.login ?? null,
  };
}

/**
 * `deployment.created`: record it and judge it. A deployment created through the API has no
 * protection rule: this judgement is the gate's word on it. `allow` records the approval; a
 * `block` sets its status to `failure`, a `wait` (for one not made by GitHub Actions, whose
 * protection rule, if any, answers) to `queued`, both saying why; neither proves anything.
 */
export async function onDeploymentCreated(deps: AppDeps, context: Context<'deployment.created'>): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p = context.payload;
    const where = repositoryOf(p);
    const key = repoKey(where);
    const d = p.deployment;
    const byApp = createdByThisApp(deps, d);
    const known = (await deps.store.getDeployment(d.id)) !== null;
    await deps.store.recordDeployment(deploymentRecord(where, d, { creator: d.creator?.login ?? null, byApp }));
    if (!known) {
      const earlier = (await deps.store.listDeployments({ repo: key, sha: d.sha })).filter((x) => x.id !== d.id);
      await deps.store.recordEvent({
        repo: key,
        sha: d.sha,
        environment: d.environment,
        type: earlier.length === 0 ? 'CREATE' : 'PROMOTE',
        status: 'created',
        actor: d.creator?.login ?? null,
        at: new Date(d.created_at),
        notes: `Deployment ${d.id} of ${d.ref} to ${d.environment}`,
        deliveryId: context.id,
      });
    }
    const request = toGateRequest(p, context.id);
    if (!request) return 'recorded';
    // A protection rule request for this deployment came first: that gate decides it and
    // reports on its check run; a second evaluation here would only repeat it.
    const gates = await deps.store.listPendingGates({ repo: key, sha: d.sha, environment: d.environment });
    if (gates.some((g) => g.deploymentId === d.id)) return 'recorded: decided by its protection rule';
    // A rollback the App created after a failed verification: let through when its release was verified there before.
    const rollback = await judgeRollbackDeployment(deps, context.octokit, {
      ...where,
      sha: d.sha,
      environment: d.environment,
      payload: d.payload,
      byApp,
      ...defaultBranchOf(p),
    });
    if (rollback?.allow) {
      await deps.store.approveDeployment(d.id, {
        via: 'deployment-event',
        at: deps.clock(),
        stage: rollback.stage,
        environment: d.environment,
        runId: p.workflow_run?.id ?? null,
      });
      await deps.store.recordEvent({
        repo: key,
        sha: d.sha,
        environment: d.environment,
        type: 'APPROVED',
        status: 'allow',
        actor: null,
        at: deps.clock(),
        notes: `Deployment ${d.id} let through: ${rollback.reason}`,
        deliveryId: context.id,
      });
      return `recorded: allow (${rollback.reason})`;
    }
    // The App's own promotions are judged too: the gate's word is recorded here, once, for every deployment made through the API.
    const result = await runGate(deps, context.octokit, request);
    const decision = result.decision;
    if (decision?.decision === 'allow') {
      await deps.store.approveDeployment(d.id, {
        via: 'deployment-event',
        at: deps.clock(),
        stage: decision.ungated ? null : decision.environment,
        environment: d.environment,
        runId: p.workflow_run?.id ?? null,
      });
      return `recorded: allow${byApp ? ' (created by the gate)' : ''}`;
    }
    await deps.store.revokeDeploymentApproval(d.id);
    if (decision?.decision === 'block' && !decision.ungated) {
      await setDeploymentStatus(context.octokit, {
        ...where,
        deploymentId: d.id,
        state: 'failure',
        description: gateComment(decision, 140),
      });
      await deps.store.recordEvent({
        repo: key,
        sha: d.sha,
        environment: d.environment,
        type: 'NOTE',
        status: 'failure status set',
        actor: null,
        at: deps.clock(),
        notes: `Deployment ${d.id} marked failure: it breaks the policy`,
        deliveryId: context.id,
      });
      return 'recorded: failure status set';
    }
    if (decision?.decision === 'wait' && !isGitHubActions(d.performed_via_github_app)) {
      await setDeploymentStatus(context.octokit, {
        ...where,
        deploymentId: d.id,
        state: 'queued',
        description: heldDescription(decision),
      });
      await deps.store.recordEvent({
        repo: key,
        sha: d.sha,
        environment: d.environment,
        type: 'NOTE',
        status: 'held',
        actor: null,
        at: deps.clock(),
        notes: `Deployment ${d.id} held: ${gateComment(decision, 500)} It stays held and proves nothing, whatever status follows: deploy again once this clears.`,
        deliveryId: context.id,
      });
      return 'recorded: held, queued status set';
    }
    return `recorded: ${decision?.decision ?? 'no decision'}`;
  });
}

/**
 * `deployment_status.created`: advance the release in that environment. `success` starts
 * the soak clock, wakes the gates that wait on it, and may promote to the next stage.
 */
export async function onDeploymentStatus(
  deps: VerifyingDeps,
  context: Context<'deployment_status.created'>,
): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p = context.payload;
    const s = p.deployment_status;
    const where = repositoryOf(p);
    const key = repoKey(where);
    const d = p.deployment;
    await deps.store.recordDeployment(
      deploymentRecord(where, d, { creator: d.creator?.login ?? null, byApp: createdByThisApp(deps, d) }),
    );
    const at = new Date(s.updated_at ?? s.created_at);
    const row = await deps.store.getDeployment(d.id);
    const judged = statusMoves(deps.appId, row, d, s, p.workflow_run);
    const isNew = await deps.store.recordDeploymentStatus({
      id: s.id,
      deploymentId: d.id,
      state: s.state,
      description: s.description ?? null,
      at,
      deliveryId: context.id,
      creator: s.creator?.login ?? null,
      trusted: judged.moves,
    });
    // The same status under the same delivery id is a retry of a delivery that failed half-way
    // (say, GitHub answered 5xx while promoting, or the job was not reported finished yet): finish what it started.
    const retried =
      !isNew &&
      (await deps.store.listDeploymentStatuses(d.id)).some((x) => x.id === s.id && x.deliveryId === context.id);
    if (!isNew && !retried) return 'duplicate status';
    const recorded =
      retried &&
      (await deps.store.timeline({ repo: key, sha: d.sha })).some(
        (e) => e.deliveryId === context.id && (e.type === 'DEPLOYED' || e.type === 'FAILED'),
      );
    if (!recorded && (s.state === 'success' || s.state === 'failure' || s.state === 'error')) {
      await deps.store.recordEvent({
        repo: key,
        sha: d.sha,
        environment: d.environment,
        type: s.state === 'success' ? 'DEPLOYED' : 'FAILED',
        status: s.state,
        actor: p.sender.login,
        at,
        notes: s.description ?? null,
        deliveryId: context.id,
      });
    }
    if (!judged.moves)
      return `recorded ${s.state}: it does not change the deployment's state, because ${judged.reason}`;
    if (s.state !== 'success' || !p.installation || !row) return `recorded ${s.state}`;
    // The one place a deployment becomes proof of its stage: a success bound to the gate's approval.
    const unbound = await successBinds(context.octokit, where, row, p, deps.clock());
    if (unbound !== null) return `recorded success: it proves nothing, because ${unbound}`;
    if (!(await deps.store.proveDeployment(d.id, at)))
      return 'recorded success: it proves nothing, because the gate never let it through';
    const octokit = context.octokit;
    const defaultBranch = defaultBranchOf(p);
    publishDeployed(deps, {
      ...where,
      installationId: p.installation.id,
      deploymentId: d.id,
      sha: d.sha,
      stage: row.approvedStage ?? d.environment,
      environment: d.environment,
      at,
    });
    // With verify on the stage, the next stage waits for the verification, which wakes it.
    const verification = await beginVerification(deps, octokit, {
      ...where,
      installationId: p.installation.id,
      deploymentId: d.id,
      sha: d.sha,
      ref: d.ref,
      environment: d.environment,
      ...defaultBranch,
    });
    if (verification) return `recorded success; verifying in ${verification.stage}`;
    // The gates this success can change: the same release (commit or tree) in the next stage.
    const next = await nextStageOf(octokit, { ...where, ...defaultBranch }, d.environment);
    if (next) {
      const tree = (await deps.store.releaseTrees(key, [d.sha])).get(d.sha);
      const shas = [
        ...new Set([d.sha, ...(tree ? await deps.store.releasesWithTree(key, tree, SAME_TREE_CANDIDATES) : [])]),
      ];
      await reevaluatePending(deps, octokit, {
        ...where,
        shas,
        environments: next,
        trigger: 'deployment_status',
        actor: p.sender.login,
        deliveryId: context.id,
        ...defaultBranch,
      });
    }
    const promotion = await autoPromote(deps, octokit, {
      ...where,
      installationId: p.installation.id,
      sha: d.sha,
      ref: d.ref,
      environment: d.environment,
      deploymentId: d.id,
      deliveryId: context.id,
      ...defaultBranch,
    });
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

/** The GitHub environment names of the stage after `environment`'s, or null when there is none (or no valid policy). */
async function nextStageOf(
  octokit: GitHubClient,
  where: RepoRef & { defaultBranch?: string },
  environment: string,
): Promise<string[] | null> {
  const policy = await loadRepoPolicy(octokit, where);
  if (!policy.ok) return null;
  const index = findStageIndex(policy.policy, environment);
  const next = index >= 0 ? policy.policy.environments[index + 1] : undefined;
  return next ? stageEnvironmentNames(next) : null;
}
