import type { Context } from 'probot';
import { EVIDENCE_CHECK_NAME } from '../../github/facts.js';
import type { GitHubClient } from '../../github/types.js';
import { handleOnce } from '../deliveries.js';
import { POLICY_IMPACT_CHECK_NAME } from './pull-request.js';
import { reevaluatePending, runGate } from '../gate.js';
import type { GateDeps } from '../gate.js';
import { reexamineHeldPromotions, reexaminedSuffix } from '../promotions.js';

const GATE_CHECK_PREFIX = 'Release gate / ';

interface CheckRunPayload {
  action: string;
  check_run: { id: number; name: string; head_sha: string; status: string; conclusion: string | null; completed_at?: string | null; started_at?: string | null; app?: { slug?: string } | null };
  repository: { name: string; owner: { login: string }; default_branch?: string };
  installation?: { id: number };
  sender?: { login: string };
}

/**
 * `check_run.completed` of the evidence (or of any check: required checks may be named by
 * the policy) wakes the waiting gates of the commit; `check_run.rerequested` on a
 * `Release gate / <STAGE>` run evaluates again.
 */
export async function onCheckRun(deps: GateDeps, context: Context<'check_run'>): Promise<void> {
  const p = context.payload as unknown as CheckRunPayload;
  if (p.action !== 'completed' && p.action !== 'rerequested') return;
  // Our own check runs completing is not news.
  if (p.action === 'completed' && p.check_run.name.startsWith(GATE_CHECK_PREFIX)) return;
  // The policy impact check run names no environment: it is written again on the next push.
  if (p.check_run.name === POLICY_IMPACT_CHECK_NAME) return;
  await handleOnce(deps, context, async () => {
    const owner = p.repository.owner.login;
    const repo = p.repository.name;
    const sha = p.check_run.head_sha;
    // What GitHub just said about this check run answers required checks without asking again.
    const run = p.check_run;
    const at = new Date(run.completed_at ?? run.started_at ?? deps.clock().toISOString());
    await deps.store.recordCommitCheck({ repo: `${owner}/${repo}`, sha, kind: 'check_run', name: run.name, externalId: run.id, status: p.action === 'rerequested' ? 'queued' : run.status, conclusion: p.action === 'rerequested' ? null : run.conclusion, appSlug: run.app?.slug ?? null, at });
    const octokit = context.octokit as unknown as GitHubClient;
    const common = { owner, repo, sha, actor: p.sender?.login ?? null, deliveryId: context.id, ...(p.repository.default_branch ? { defaultBranch: p.repository.default_branch } : {}) };
    const trigger = `check_run.${p.action} (${p.check_run.name})`;
    const results = await reevaluatePending(deps, octokit, { ...common, trigger });
    // An auto-promotion of the commit held on a pending required check may go now.
    const held = await reexamineHeldPromotions(deps, octokit, { owner, repo, sha, trigger, actor: common.actor, deliveryId: context.id });
    if (p.action === 'rerequested' && results.length === 0 && p.check_run.name.startsWith(GATE_CHECK_PREFIX) && p.installation) {
      const environment = p.check_run.name.slice(GATE_CHECK_PREFIX.length);
      const r = await runGate(deps, octokit, { ...common, installationId: p.installation.id, environment, trigger: 'check_run.rerequested' });
      return `re-evaluated ${environment}: ${r.decision?.decision ?? 'no decision'}`;
    }
    if (p.check_run.name === EVIDENCE_CHECK_NAME) return `evidence completed; re-evaluated ${results.length} gate(s)${reexaminedSuffix(held)}`;
    return `re-evaluated ${results.length} gate(s)${reexaminedSuffix(held)}`;
  });
}

interface CheckSuitePayload {
  check_suite: { head_sha: string };
  repository: { name: string; owner: { login: string }; default_branch?: string };
  sender?: { login: string };
}

/** `check_suite.rerequested`: evaluate the commit's waiting gates again. */
export async function onCheckSuiteRerequested(deps: GateDeps, context: Context<'check_suite.rerequested'>): Promise<void> {
  await handleOnce(deps, context, async () => {
    const p = context.payload as unknown as CheckSuitePayload;
    const octokit = context.octokit as unknown as GitHubClient;
    const where = { owner: p.repository.owner.login, repo: p.repository.name, sha: p.check_suite.head_sha, trigger: 'check_suite.rerequested', actor: p.sender?.login ?? null, deliveryId: context.id };
    const results = await reevaluatePending(deps, octokit, { ...where, ...(p.repository.default_branch ? { defaultBranch: p.repository.default_branch } : {}) });
    const held = await reexamineHeldPromotions(deps, octokit, where);
    return `re-evaluated ${results.length} gate(s)${reexaminedSuffix(held)}`;
  });
}
