import type { Context } from 'probot';
import { rollbackOf } from '../../core/rollback.js';
import { runIdFromCallbackUrl } from '../../github/protection-rule-callback.js';
import { repoKey } from '../../github/types.js';
import { handleOnce } from '../deliveries.js';
import { deployerOf, performedBy } from '../deployer.js';
import { runGate } from '../gate.js';
import type { AppDeps, GateRequest } from '../gate.js';
import { deploymentRecord } from './deployments.js';
import { defaultBranchOf, repositoryOf } from './repository.js';

type ProtectionRulePayload = Context<'deployment_protection_rule.requested'>['payload'];

/**
 * The gate a protection rule request asks for, or null when the payload lacks what the
 * answer needs: the callback URL (with its run), the environment, the deployment or the
 * installation. The deployer is the deployment's creator, or, for a deployment this App
 * (`appId`) created, the person it recorded as deployer (src/app/deployer.ts).
 */
export function toGateRequest(
  p: ProtectionRulePayload,
  deliveryId: string,
  appId: number | null = null,
): GateRequest | null {
  const callbackUrl = p.deployment_callback_url ?? '';
  const runId = runIdFromCallbackUrl(callbackUrl);
  const environment = p.environment ?? p.deployment?.environment;
  if (!runId || !environment || !p.deployment || !p.installation) return null;
  const creator = p.deployment.creator?.login ?? p.sender?.login ?? null;
  const byApp = performedBy(appId, p.deployment);
  const rolledBack = byApp ? rollbackOf(p.deployment.payload) : null;
  return {
    ...repositoryOf(p),
    installationId: p.installation.id,
    sha: p.deployment.sha,
    ref: p.deployment.ref,
    environment,
    deployer: deployerOf({ creator, byApp, payload: p.deployment.payload }),
    ...defaultBranchOf(p),
    deliveryId,
    trigger: 'deployment_protection_rule',
    actor: p.sender?.login ?? null,
    protection: { runId, callbackUrl, deploymentId: p.deployment.id },
    // Only the App's own deployments are trusted to say what they roll back.
    ...(rolledBack !== null ? { rollbackOf: rolledBack } : {}),
  };
}

/** `deployment_protection_rule.requested`: the gate itself. */
export async function onProtectionRuleRequested(
  deps: AppDeps,
  context: Context<'deployment_protection_rule.requested'>,
): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p = context.payload;
    const request = toGateRequest(p, context.id, deps.appId ?? null);
    if (!request || !p.deployment) {
      context.log.error(
        { deliveryId: context.id },
        'Protection rule request without a callback URL, environment, deployment or installation: cannot answer it',
      );
      return 'ignored: incomplete payload';
    }
    const created = await deps.store.recordDeployment(
      deploymentRecord(request, p.deployment, {
        environment: request.environment,
        creator: p.deployment.creator?.login ?? p.sender?.login ?? null,
        byApp: performedBy(deps.appId, p.deployment),
      }),
    );
    // The rule decides this deployment now: a judgement of its `deployment` event no longer
    // stands, and until the rule is answered `approved` nothing proves it (a deployment
    // recorded just now carries no approval to take away).
    if (!created) {
      const gate = await deps.store.listPendingGates({
        repo: repoKey(request),
        sha: request.sha,
        environment: request.environment,
      });
      if (!gate.some((g) => g.runId === request.protection!.runId && g.status !== 'pending'))
        await deps.store.revokeDeploymentApproval(p.deployment.id);
    }
    const result = await runGate(deps, context.octokit, request);
    return result.answer ?? result.decision?.decision ?? 'no decision';
  });
}
