import type { Context } from 'probot';
import { EVIDENCE_CHECK_NAME } from '../../github/facts.js';
import { repoKey } from '../../github/types.js';
import { handleOnce } from '../deliveries.js';
import { factsChanged } from '../facts-changed.js';
import { runGate } from '../gate.js';
import type { AppDeps, GateRequest } from '../gate.js';
import { POLICY_IMPACT_CHECK_NAME } from './pull-request.js';
import { defaultBranchOf, repositoryOf } from './repository.js';

const GATE_CHECK_PREFIX = 'Release gate / ';

type CheckRunPayload = Context<'check_run.completed' | 'check_run.rerequested'>['payload'];

/**
 * The gate a `Release gate / <STAGE>` run asked again (`check_run.rerequested`) stands for,
 * or null for any other run (and without an installation to answer with).
 */
export function toGateRequest(p: CheckRunPayload, deliveryId: string): GateRequest | null {
  if (p.action !== 'rerequested' || !p.check_run.name.startsWith(GATE_CHECK_PREFIX) || !p.installation) return null;
  return {
    ...repositoryOf(p),
    installationId: p.installation.id,
    sha: p.check_run.head_sha,
    environment: p.check_run.name.slice(GATE_CHECK_PREFIX.length),
    trigger: 'check_run.rerequested',
    actor: p.sender.login,
    deliveryId,
    ...defaultBranchOf(p),
  };
}

/**
 * `check_run.completed` of the evidence (or of any check: required checks may be named by
 * the policy) wakes the waiting gates of the commit; `check_run.rerequested` on a
 * `Release gate / <STAGE>` run evaluates again.
 */
export async function onCheckRun(
  deps: AppDeps,
  context: Context<'check_run.completed' | 'check_run.rerequested'>,
): Promise<void> {
  const p = context.payload;
  const run = p.check_run;
  // Our own check runs completing is not news.
  if (p.action === 'completed' && run.name.startsWith(GATE_CHECK_PREFIX)) return;
  // The policy impact check run names no environment: it is written again on the next push.
  if (run.name === POLICY_IMPACT_CHECK_NAME) return;
  await handleOnce(deps, context, async () => {
    const where = repositoryOf(p);
    const sha = run.head_sha;
    // What GitHub just said about this check run answers required checks without asking again.
    const at = new Date(run.completed_at ?? run.started_at);
    const rerequested = p.action === 'rerequested';
    await deps.store.recordCommitCheck({
      repo: repoKey(where),
      sha,
      kind: 'check_run',
      name: run.name,
      externalId: run.id,
      status: rerequested ? 'queued' : run.status,
      conclusion: rerequested ? null : run.conclusion,
      appSlug: run.app?.slug ?? null,
      at,
    });
    const trigger = `check_run.${p.action} (${run.name})`;
    // An auto-promotion of the commit held on a pending required check may go now.
    const changed = await factsChanged(deps, context.octokit, {
      ...where,
      shas: [sha],
      trigger,
      actor: p.sender.login,
      deliveryId: context.id,
      ...defaultBranchOf(p),
    });
    const request = toGateRequest(p, context.id);
    if (request && changed.gates.length === 0) {
      const r = await runGate(deps, context.octokit, request);
      return `re-evaluated ${request.environment}: ${r.decision?.decision ?? 'no decision'}`;
    }
    if (run.name === EVIDENCE_CHECK_NAME) return `evidence completed; ${changed.summary}`;
    return changed.summary;
  });
}

/** `check_suite.rerequested`: evaluate the commit's waiting gates again. */
export async function onCheckSuiteRerequested(
  deps: AppDeps,
  context: Context<'check_suite.rerequested'>,
): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p = context.payload;
    const changed = await factsChanged(deps, context.octokit, {
      ...repositoryOf(p),
      shas: [p.check_suite.head_sha],
      trigger: 'check_suite.rerequested',
      actor: p.sender.login,
      deliveryId: context.id,
      ...defaultBranchOf(p),
    });
    return changed.summary;
  });
}
