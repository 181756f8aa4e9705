import type { Context } from 'probot';
import { runIdFromCallbackUrl } from '../../github/protection-rule-callback.js';
import type { GitHubClient } from '../../github/types.js';
import { handleOnce } from '../deliveries.js';
import { runGate } from '../gate.js';
import type { GateDeps } from '../gate.js';

interface ProtectionPayload {
  environment?: string;
  event?: string;
  deployment_callback_url?: string;
  deployment?: { id: number; sha: string; ref: string; environment: string; created_at: string; creator?: { login: string } | null; payload?: unknown };
  repository: { name: string; owner: { login: string }; default_branch?: string };
  installation?: { id: number };
  sender?: { login: string };
}

/** `deployment_protection_rule.requested`: the gate itself. */
export async function onProtectionRuleRequested(deps: GateDeps, context: Context<'deployment_protection_rule.requested'>): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p = context.payload as unknown as ProtectionPayload;
    const callbackUrl = p.deployment_callback_url ?? '';
    const runId = runIdFromCallbackUrl(callbackUrl);
    const environment = p.environment ?? p.deployment?.environment;
    if (!runId || !environment || !p.deployment || !p.installation) {
      context.log.error({ deliveryId: context.id }, 'Protection rule request without a callback URL, environment, deployment or installation: cannot answer it');
      return 'ignored: incomplete payload';
    }
    const owner = p.repository.owner.login;
    const repo = p.repository.name;
    const creator = p.deployment.creator?.login ?? p.sender?.login ?? null;
    await deps.store.recordDeployment({
      id: p.deployment.id,
      repo: `${owner}/${repo}`,
      sha: p.deployment.sha,
      ref: p.deployment.ref,
      environment,
      stage: null,
      creator,
      createdAt: new Date(p.deployment.created_at),
      payload: p.deployment.payload ?? null,
    });
    const result = await runGate(deps, context.octokit as unknown as GitHubClient, {
      owner,
      repo,
      installationId: p.installation.id,
      sha: p.deployment.sha,
      ref: p.deployment.ref,
      environment,
      deployer: creator,
      ...(p.repository.default_branch ? { defaultBranch: p.repository.default_branch } : {}),
      deliveryId: context.id,
      trigger: 'deployment_protection_rule',
      actor: p.sender?.login ?? null,
      protection: { runId, callbackUrl, deploymentId: p.deployment.id },
    });
    return result.answer ?? result.decision?.decision ?? 'no decision';
  });
}
