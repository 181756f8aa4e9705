import { performance } from 'node:perf_hooks';
import type { Logger } from 'probot';
import { runWithinBudget } from '../budget/pool.js';
import { findStageIndex, policyInvalidDecision } from '../core/evaluate.js';
import { gateComment, gateConclusion, gateTitle, renderGateSummary } from '../core/render-gate-summary.js';
import { failingRules } from '../core/rule-results.js';
import type { Decision, EnvironmentPolicy, OverrideFact, Policy, ReleaseFacts, RuleResult } from '../core/types.js';
import { withCallTally } from '../github/api-calls.js';
import { writeGateCheckRun } from '../github/check-runs.js';
import type { LoadedFacts } from '../github/facts.js';
import { loadRepoPolicy } from '../github/policy-source.js';
import type { RepoPolicy } from '../github/policy-source.js';
import { callBackProtectionRule, STATUS_REPORTS_PER_DEPLOYMENT } from '../github/protection-rule-callback.js';
import { describeError, repoKey, repoRefOf } from '../github/types.js';
import type { GitHubClient, RepoRef } from '../github/types.js';
import type { PendingGateRow, RecordStore, ReleaseEventType, Store } from '../store/types.js';
import type { AuditWriter } from './audit-writer.js';
import { deployerOf } from './deployer.js';
import { recordRuleAnswer } from './deployment-proof.js';
import { evaluateWithinBudget, refusedPolicyDecision } from './evaluation-budget.js';
import type { EvaluationBudget } from './evaluation-budget.js';
import { LEASE_MS, takeLease } from './lease.js';
import type { HeldLease } from './lease.js';
import type { AppMetrics } from './metrics.js';
import { loadFactsWithRecord } from './recorded-facts.js';

/** GitHub fails a protection rule left pending 30 days; the App answers a day before. */
export const GATE_DEADLINE_MS = 29 * 86_400_000;
/** A waiting gate is looked at again at least this often, in case an event was missed. */
export const WAIT_POLL_MS = 6 * 3_600_000;
export { LEASE_MS };

export interface GateDeps {
  store: Store;
  clock: () => Date;
  metrics: AppMetrics;
  log: Logger;
  /** This process's name in gate leases. */
  replicaId: string;
  /** Writes the check runs after the answers (coalesced per check run). */
  audit: AuditWriter;
  /** The App's id: deployments it created are recognised by it (GitHub's `performed_via_github_app`). */
  appId?: number | null;
  /** How often a held lease is renewed (default a third of LEASE_MS). */
  leaseRenewMs?: number;
  /** The time and heap one evaluation may use (default 2 s, 512 MiB). */
  evaluationBudget?: EvaluationBudget;
  /** The operator's data source names: a policy whose verify names another is invalid. */
  verifySources?: ReadonlySet<string>;
}

export interface GateRequest extends RepoRef {
  installationId: number;
  sha: string;
  ref?: string | null;
  /** The GitHub environment asked for. */
  environment: string;
  deployer?: string | null;
  defaultBranch?: string;
  deliveryId?: string | null;
  /** What asked: `deployment_protection_rule`, `pull_request_review`, `scheduler`... */
  trigger: string;
  actor?: string | null;
  /**
   * The deployment evaluated outside a protection rule request (`deployment.created`): its
   * check run is kept under the deployment, so the protection rule request for the same
   * deployment, when one follows, updates the same check run.
   */
  deploymentId?: number | null;
  /** Present for a deployment protection rule request: the gate answers through its callback. */
  protection?: { runId: number; callbackUrl: string; deploymentId?: number | null };
}

export interface GateResult {
  /** Null when the gate was already decided (nothing was evaluated again). */
  decision: Decision | null;
  /** The check run is written after the answer: this settles with its id (null when it failed). */
  checkRun: Promise<number | null>;
  /** The answer that stands for a protection rule request. */
  answer: 'approved' | 'rejected' | null;
  apiCalls: number;
  gate: PendingGateRow | null;
}

const TAG_REF = /^(?:refs\/tags\/)?(v?\d[\w.+-]*)$/;

function versionOf(ref: string | null | undefined): string | null {
  if (!ref) return null;
  const m = TAG_REF.exec(ref);
  return m ? m[1]! : null;
}

const NO_CHECK_RUN: Promise<number | null> = Promise.resolve(null);

function eventType(decision: Decision, protection: boolean): ReleaseEventType {
  if (decision.decision === 'allow') return 'APPROVED';
  if (decision.decision === 'wait') return 'WAITING';
  return protection ? 'REJECTED' : 'BLOCKED';
}

/**
 * One gate decision: load the policy (default branch) and the facts, evaluate, record the
 * evaluation and the timeline, write the `Release gate / <STAGE>` check run, and for a
 * protection rule request store the decision BEFORE calling GitHub back, so a crash in
 * between is answered on restart with the same decision.
 */
export async function runGate(deps: GateDeps, octokit: GitHubClient, req: GateRequest): Promise<GateResult> {
  const { store } = deps;
  const repo = repoKey(req);
  const log = deps.log.child({
    repo,
    sha: req.sha,
    environment: req.environment,
    ...(req.deliveryId ? { deliveryId: req.deliveryId } : {}),
  });
  let gate: PendingGateRow | null = null;
  // Renewed while the work waits (GitHub's write queue included), so no replica takes it over.
  let lease: HeldLease | null = null;
  const now = deps.clock();
  if (req.protection) {
    const up = await store.upsertPendingGate({
      repo,
      installationId: req.installationId,
      runId: req.protection.runId,
      environment: req.environment,
      sha: req.sha,
      deploymentId: req.protection.deploymentId ?? null,
      callbackUrl: req.protection.callbackUrl,
      createdAt: now,
      // Until this evaluation finishes, the scheduler retries it if the process dies.
      nextCheckAt: new Date(now.getTime() + LEASE_MS),
    });
    gate = up.gate;
    if (gate.status === 'decided') {
      const answer = await answerStoredDecision(deps, octokit, gate, log);
      return { decision: null, checkRun: NO_CHECK_RUN, answer, apiCalls: 0, gate };
    }
    if (gate.status !== 'pending')
      return { decision: null, checkRun: NO_CHECK_RUN, answer: gate.decision, apiCalls: 0, gate };
    lease = await takeLease(store.gateQueue, gate.id, deps.replicaId, { ...deps, log }, { gateId: gate.id }, now);
    if (!lease) {
      log.info({ gateId: gate.id }, 'Another replica is deciding this gate');
      return { decision: null, checkRun: NO_CHECK_RUN, answer: null, apiCalls: 0, gate };
    }
  }
  const started = performance.now();
  try {
    const { result, tally } = await withCallTally(() => decideAndReport(deps, octokit, req, gate, now, log));
    const seconds = (performance.now() - started) / 1000;
    const env = result.decision ? deps.metrics.environmentLabel(result.decision) : req.environment;
    if (result.decision) {
      deps.metrics.decisions.inc({ environment: env, outcome: result.decision.decision });
      deps.metrics.evaluationSeconds.observe({ environment: env }, seconds);
      deps.metrics.apiCallsPerDecision.observe({ environment: env }, tally.count);
    }
    log.info(
      {
        decision: result.decision?.decision,
        answer: result.answer,
        apiCalls: tally.count,
        ms: Math.round(seconds * 1000),
      },
      'Gate decided',
    );
    return { ...result, apiCalls: tally.count };
  } catch (error) {
    // A request that cannot be decided (GitHub or the record keep failing) is still answered
    // before GitHub's 30-day limit fails it silently.
    if (gate && deps.clock().getTime() >= gate.createdAt.getTime() + GATE_DEADLINE_MS) {
      return {
        decision: null,
        checkRun: NO_CHECK_RUN,
        answer: await answerAtDeadline(deps, octokit, gate, error, log),
        apiCalls: 0,
        gate,
      };
    }
    throw error;
  } finally {
    await lease?.end();
  }
}

/** How often one decision may find an override spent by a concurrent request and decide again. */
const OVERRIDE_RACES = 5;

/**
 * Spends the single-use overrides an `allow` relies on, each with one conditional update:
 * when another request spent one first, the release is evaluated again without it (and
 * whatever this attempt spent is given back). Returns the decision that stands and the
 * overrides it spent.
 */
async function spendOverrides(
  store: GateDeps['store'],
  policy: Policy,
  facts: ReleaseFacts,
  first: Decision,
  now: Date,
  budget?: EvaluationBudget,
): Promise<{ decision: Decision; spent: string[] }> {
  let decision = first;
  for (let attempt = 0; attempt < OVERRIDE_RACES; attempt++) {
    if (decision.decision !== 'allow' || decision.ungated || decision.overridesUsed.length === 0)
      return { decision, spent: [] };
    const spent: string[] = [];
    let lost: string | null = null;
    for (const id of decision.overridesUsed) {
      if (await store.markOverrideUsed(id, now)) spent.push(id);
      else {
        lost = id;
        break;
      }
    }
    if (lost === null) return { decision, spent };
    for (const id of spent) await store.releaseOverride(id, now);
    // Another request used it: decide again as if it had been used before this request.
    const used = await store.getOverride(lost);
    for (const o of facts.overrides) if (o.id === lost) o.usedAt = (used?.usedAt ?? now).toISOString();
    const again = await runWithinBudget({ kind: 'evaluate', policy, facts, at: now }, budget);
    // It evaluated within the budget a moment ago; if it cannot now, the fallback below fails closed.
    if (!again.ok) break;
    decision = again.value;
  }
  // Still racing after several tries: fail closed.
  return {
    decision: { ...decision, decision: decision.decision === 'allow' ? 'wait' : decision.decision, overridesUsed: [] },
    spent: [],
  };
}

async function decideAndReport(
  deps: GateDeps,
  octokit: GitHubClient,
  req: GateRequest,
  gate: PendingGateRow | null,
  now: Date,
  log: Logger,
): Promise<Omit<GateResult, 'apiCalls'>> {
  const { store } = deps;
  const repo = repoKey(req);
  const policy: RepoPolicy = await loadRepoPolicy(octokit, {
    owner: req.owner,
    repo: req.repo,
    ...(req.defaultBranch ? { defaultBranch: req.defaultBranch } : {}),
    ...(deps.verifySources ? { sources: deps.verifySources } : {}),
  });
  let decision: Decision;
  let loaded: LoadedFacts | null = null;
  let stage: EnvironmentPolicy | null = null;
  let spent: string[] = [];
  if (!policy.ok) {
    decision = policyInvalidDecision(req.environment, policy.problems);
  } else {
    // A policy whose evaluation threw, ran past its budget or never finished is refused at once.
    const subject = {
      repo,
      sha: req.sha,
      environment: req.environment,
      policyPath: policy.path,
      blobSha: policy.blobSha,
    };
    const refused = await refusedPolicyDecision(deps, subject);
    if (refused) decision = refused;
    else {
      const facts = await loadFactsWithRecord(
        octokit,
        store,
        policy.policy,
        { ...req, ...(req.defaultBranch ? { defaultBranch: req.defaultBranch } : {}) },
        now,
      );
      loaded = facts;
      const first = await evaluateWithinBudget(
        deps,
        subject,
        { policy: policy.policy, facts: facts.facts, at: now },
        deps.evaluationBudget,
      );
      ({ decision, spent } = await spendOverrides(
        store,
        policy.policy,
        facts.facts,
        first,
        now,
        deps.evaluationBudget,
      ));
    }
    const index = findStageIndex(policy.policy, req.environment);
    stage = index >= 0 ? policy.policy.environments[index]! : null;
  }
  const stageName = decision.ungated ? null : decision.environment;
  const previous =
    (await store.listEvaluations({ repo, sha: req.sha, environment: req.environment, last: 1 })).at(-1) ?? null;
  await store.upsertRelease({
    repo,
    sha: req.sha,
    tree: loaded?.facts.tree ?? null,
    ref: req.ref ?? null,
    version: versionOf(req.ref),
    tag: versionOf(req.ref),
    at: now,
  });
  const evaluation = await store.recordEvaluation({
    repo,
    sha: req.sha,
    environment: req.environment,
    stage: stageName,
    decision: decision.decision,
    rules: decision.rules,
    inputs: loaded
      ? { facts: loaded.facts, pulls: loaded.pulls.map((p) => p.number), notes: loaded.notes }
      : { problems: policy.ok ? [] : policy.problems },
    score: decision.score,
    policyPath: policy.path,
    policySha: policy.blobSha,
    policyFiles: policy.files,
    actor: req.actor ?? req.deployer ?? null,
    deliveryId: req.deliveryId ?? null,
    at: now,
  });
  // What the reader sees changed: another decision, or other failing rules or messages.
  const failing = (rules: readonly RuleResult[]) =>
    failingRules(rules)
      .map((r) => `${r.code}: ${r.message}`)
      .join('\n');
  const changed =
    !previous || previous.decision !== decision.decision || failing(previous.rules) !== failing(decision.rules);
  if (changed || gate) {
    await store.recordEvent({
      repo,
      sha: req.sha,
      version: versionOf(req.ref),
      environment: decision.environment,
      type: eventType(decision, Boolean(gate)),
      status: decision.decision,
      actor: req.actor ?? req.deployer ?? null,
      at: now,
      notes: gateComment(decision, 500),
      deliveryId: req.deliveryId ?? null,
    });
  }
  for (const id of spent) {
    await store.recordEvent({
      repo,
      sha: req.sha,
      environment: decision.environment,
      type: 'OVERRIDE',
      status: 'used',
      actor: null,
      at: now,
      notes: `Override ${id} let the release into ${decision.environment}.`,
      deliveryId: req.deliveryId ?? null,
    });
  }

  // The answer first: GitHub (and the person deploying) wait on it; the audit can follow.
  let answer: GateResult['answer'] = null;
  let decided: PendingGateRow | null = gate;
  if (gate) ({ answer, gate: decided } = await answerGate(deps, octokit, req, gate, decision, changed, now, log));

  // The audit summary on the commit, written after the answers of the installation.
  const checkRun = new Promise<number | null>((resolve) => {
    const key = {
      repo,
      sha: req.sha,
      environment: decision.environment,
      runId: req.protection?.runId ?? null,
      deploymentId: req.protection ? null : (req.deploymentId ?? null),
    };
    deps.audit.schedule(req.installationId, JSON.stringify(key), async () => {
      try {
        const own = await store.getCheckRunId(key);
        const deploymentId = req.protection?.deploymentId;
        const existing =
          own ?? (deploymentId ? await store.getCheckRunId({ ...key, runId: null, deploymentId }) : null);
        const timeline = await store.timeline({ repo, sha: req.sha });
        const overrides: OverrideFact[] = loaded?.facts.overrides ?? [];
        const summary = renderGateSummary({
          decision,
          sha: req.sha,
          ref: req.ref ?? null,
          githubEnvironment: req.environment,
          stage,
          policy: {
            path: policy.path,
            ref: policy.ref,
            blobSha: policy.blobSha,
            commitSha: policy.commitSha,
            valid: policy.ok,
            files: policy.files,
          },
          overrides,
          timeline: timeline.map((e) => ({
            at: e.at.toISOString(),
            type: e.type,
            environment: e.environment,
            status: e.status,
            actor: e.actor,
            notes: e.notes,
          })),
          evidence: loaded?.evidenceCheck
            ? { checkRunId: loaded.evidenceCheck.id, appSlug: loaded.evidenceCheck.appSlug }
            : null,
          notes: loaded?.notes ?? [],
          at: now.toISOString(),
          trigger: `${req.trigger}${req.actor ? ` by ${req.actor}` : ''}`,
        });
        const id = await writeGateCheckRun(
          octokit,
          {
            owner: req.owner,
            repo: req.repo,
            sha: req.sha,
            name: `Release gate / ${decision.environment}`,
            existingId: existing,
            externalId: `release-gate:${req.environment}:${req.protection?.runId ?? 'none'}`,
          },
          {
            status: 'completed',
            conclusion: gateConclusion(decision.decision),
            output: { title: gateTitle(decision), summary },
            at: now,
          },
        );
        if (id !== own) await store.setCheckRunId(key, id, now);
        await store.setEvaluationCheckRun(evaluation.id, id);
        resolve(id);
      } catch (error) {
        // The answer is out already; a lost summary is logged, never a lost decision.
        log.warn({ err: describeError(error) }, 'Could not write the Release gate check run');
        resolve(null);
      }
    });
  });
  return { decision, checkRun, answer, gate: decided };
}

/** The protection rule's answer: a verdict stored, then sent; or, while it waits, a status report. */
async function answerGate(
  deps: GateDeps,
  octokit: GitHubClient,
  req: GateRequest,
  gate: PendingGateRow,
  decision: Decision,
  changed: boolean,
  now: Date,
  log: Logger,
): Promise<{ answer: GateResult['answer']; gate: PendingGateRow | null }> {
  const { store } = deps;
  const comment = gateComment(decision);
  let verdict: 'approved' | 'rejected' | null =
    decision.decision === 'allow' ? 'approved' : decision.decision === 'block' ? 'rejected' : null;
  let verdictComment = comment;
  if (!verdict) {
    const deadline = gate.createdAt.getTime() + GATE_DEADLINE_MS;
    if (now.getTime() >= deadline) {
      verdict = 'rejected';
      verdictComment = deadlineComment(
        decision.environment,
        `Still waiting on: ${failingRules(decision.rules)
          .map((r) => `${r.code}: ${r.message}`)
          .join(' ')}`,
      );
    } else {
      const recheck = decision.recheckAt ? Date.parse(decision.recheckAt) : Number.POSITIVE_INFINITY;
      const next = Math.min(recheck, deadline, now.getTime() + WAIT_POLL_MS);
      await store.gateQueue.setNextCheck(gate.id, new Date(next));
      if (changed && gate.reportsPosted < STATUS_REPORTS_PER_DEPLOYMENT) {
        const count = await store.incrementGateReports(gate.id);
        if (count <= STATUS_REPORTS_PER_DEPLOYMENT) {
          const report = await deps.audit.callback(req.installationId, () =>
            callBackProtectionRule(
              octokit,
              { owner: req.owner, repo: req.repo, runId: gate.runId, environment: gate.environment },
              { comment },
            ),
          );
          if (!report.ok) {
            log.warn({ status: report.status, err: report.error }, 'Status report refused');
            if (report.nothingPending)
              await store.expireGate(gate.id, deps.clock(), `GitHub no longer waits on this rule: ${report.error}`);
          }
        }
      }
      return { answer: null, gate };
    }
  }
  const stored = await store.decideGate(gate.id, { decision: verdict, comment: verdictComment, at: now });
  const decided = await store.getGate(gate.id);
  const answer = await answerStoredDecision(
    deps,
    octokit,
    decided ?? { ...gate, decision: stored.decision, decisionComment: stored.comment },
    log,
  );
  return { answer, gate: decided };
}

/** The rejection of a request GitHub would fail at 30 days, answered at 29 with what kept it waiting. */
function deadlineComment(environment: string, detail: string): string {
  return `Release gate: rejected for ${environment} because the request waited 29 days and GitHub fails it at 30. ${detail}`;
}

/** Rejects a gate that reached the 29-day deadline without a decision, saying what kept failing. */
async function answerAtDeadline(
  deps: GateDeps,
  octokit: GitHubClient,
  gate: PendingGateRow,
  error: unknown,
  log: Logger,
): Promise<'approved' | 'rejected' | null> {
  const at = deps.clock();
  const comment = deadlineComment(gate.environment, `The gate could not be evaluated: ${describeError(error)}`).slice(
    0,
    1000,
  );
  await deps.store.decideGate(gate.id, { decision: 'rejected', comment, at });
  await deps.store.recordEvent({
    repo: gate.repo,
    sha: gate.sha,
    environment: gate.environment,
    type: 'REJECTED',
    status: 'block',
    actor: null,
    at,
    notes: comment,
    deliveryId: null,
  });
  const decided = await deps.store.getGate(gate.id);
  return decided ? answerStoredDecision(deps, octokit, decided, log) : null;
}

/**
 * Calls GitHub back with the decision stored for a gate (never a different one). A 422
 * (nothing pending any more) expires the gate; other failures keep it `decided` so the
 * scheduler tries again.
 */
export async function answerStoredDecision(
  deps: Pick<GateDeps, 'store' | 'clock' | 'audit'>,
  octokit: GitHubClient,
  gate: PendingGateRow,
  log: Logger,
): Promise<'approved' | 'rejected' | null> {
  if (!gate.decision) return null;
  const decision = gate.decision;
  // The gate's word on the deployment, before GitHub hears it: `approved` is the approval a
  // proof of the stage needs; a rejection takes any away (every answer passes here: a
  // decision, the 29-day deadline, a poisoned policy, a retry).
  await recordRuleAnswer(deps.store, gate, deps.clock());
  const result = await deps.audit.callback(gate.installationId, () =>
    callBackProtectionRule(
      octokit,
      { ...repoRefOf(gate.repo), runId: gate.runId, environment: gate.environment },
      { state: decision, comment: gate.decisionComment ?? `Release gate: ${decision}.` },
    ),
  );
  const at = deps.clock();
  if (result.ok) {
    await deps.store.markGateAnswered(gate.id, at);
    return gate.decision;
  }
  if (result.nothingPending) {
    log.warn(
      { gateId: gate.id, err: result.error },
      'GitHub no longer waits on this protection rule; recorded, not retried',
    );
    await deps.store.expireGate(
      gate.id,
      at,
      `GitHub refused the answer because nothing is pending any more: ${result.error}`,
    );
    return gate.decision;
  }
  log.warn(
    { gateId: gate.id, err: result.error },
    'Calling GitHub back failed; the scheduler retries with the stored decision',
  );
  await deps.store.markGateAnswered(gate.id, at, result.error);
  return gate.decision;
}

/** Re-evaluates the waiting protection rule requests of a repository (of one commit, when given). */
export async function reevaluatePending(
  deps: GateDeps,
  octokit: GitHubClient,
  where: RepoRef & {
    sha?: string;
    /** Only gates of these commits. */
    shas?: string[];
    /** Only gates of these GitHub environments (compared as GitHub does, ignoring case). */
    environments?: string[];
    trigger: string;
    actor?: string | null;
    deliveryId?: string | null;
    defaultBranch?: string;
  },
): Promise<GateResult[]> {
  const repo = repoKey(where);
  if (where.shas && where.shas.length === 0) return [];
  let gates = await deps.store.listPendingGates({
    repo,
    ...(where.sha ? { sha: where.sha } : {}),
    ...(where.shas ? { shas: where.shas } : {}),
    status: 'pending',
  });
  if (where.environments) {
    const wanted = new Set(where.environments.map((e) => e.toLowerCase()));
    gates = gates.filter((g) => wanted.has(g.environment.toLowerCase()));
  }
  const results: GateResult[] = [];
  for (const g of gates) results.push(await runGate(deps, octokit, await requestForGate(deps.store, g, where)));
  return results;
}

/**
 * The gate request that re-evaluates a stored gate: ref and deployer come from the recorded
 * deployment (the deployer of one this App created is the person it recorded: src/app/deployer.ts).
 */
export async function requestForGate(
  store: Pick<RecordStore, 'getDeployment'>,
  g: PendingGateRow,
  extra: { trigger: string; actor?: string | null; deliveryId?: string | null; defaultBranch?: string },
): Promise<GateRequest> {
  let ref: string | null = null;
  let deployer: string | null = null;
  if (g.deploymentId !== null) {
    const d = await store.getDeployment(g.deploymentId);
    ref = d?.ref ?? null;
    deployer = d ? deployerOf(d) : null;
  }
  return {
    ...repoRefOf(g.repo),
    installationId: g.installationId,
    sha: g.sha,
    ref,
    environment: g.environment,
    deployer,
    trigger: extra.trigger,
    actor: extra.actor ?? null,
    deliveryId: extra.deliveryId ?? null,
    ...(extra.defaultBranch ? { defaultBranch: extra.defaultBranch } : {}),
    protection: { runId: g.runId, callbackUrl: g.callbackUrl, deploymentId: g.deploymentId },
  };
}
