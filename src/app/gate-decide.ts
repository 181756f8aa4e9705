import { performance } from 'node:perf_hooks';
import type { Logger } from 'probot';
import { runWithinBudget } from '../budget/pool.js';
import type { EvaluationBudget } from '../budget/pool.js';
import { findStageIndex, policyInvalidDecision } from '../core/evaluate.js';
import { gateComment } from '../core/render-gate-summary.js';
import { failingRules } from '../core/rule-results.js';
import type { Decision, EnvironmentPolicy, Policy, ReleaseFacts, RuleResult } from '../core/types.js';
import { withCallTally } from '../github/api-calls.js';
import type { LoadedFacts } from '../github/facts.js';
import { loadRepoPolicy } from '../github/policy-source.js';
import type { RepoPolicy } from '../github/policy-source.js';
import { repoKey } from '../github/types.js';
import type { GitHubClient, RepoRef } from '../github/types.js';
import type { DecisionEvent, DecisionWriteInput, DecisionWriteResult } from '../store/decision-write.js';
import type { PendingGateRow, ReleaseEventType } from '../store/types.js';
import { evaluateWithinBudget, evaluationAttempt, refusedPolicyDecision } from './evaluation-budget.js';
import { answerAtDeadline, answerGate, answerStoredDecision, gateOutcome } from './gate-answer.js';
import { GATE_DEADLINE_MS } from './gate-deps.js';
import type { GateDeps, GateRecord, GateRequest, GateResult } from './gate-deps.js';
import { scheduleGateReport } from './gate-report.js';
import { LEASE_MS, holdLease, takeLease } from './lease.js';
import type { HeldLease } from './lease.js';
import type { RecordedRollback } from '../core/rollback.js';
import { requestForGate, rollbackVerdict } from './gate-request.js';
import { loadFactsFromRecord } from './recorded-facts.js';

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
      // A new gate is created with this replica's lease on it.
      lease: { owner: deps.replicaId, until: new Date(now.getTime() + LEASE_MS) },
    });
    gate = up.gate;
    if (gate.status === 'decided') {
      // Answered again under the gate's lease, as the scheduler does: a replica answering it
      // now is not answered over (GitHub would refuse the second answer, and the record would
      // take the refusal for a rule nobody waits on).
      const held = await takeLease(
        store.gateQueue,
        gate.id,
        deps.replicaId,
        { ...deps, log },
        { gateId: gate.id },
        now,
      );
      if (!held) {
        log.info({ gateId: gate.id }, 'Another replica is answering this gate');
        return { decision: null, checkRun: NO_CHECK_RUN, answer: null, apiCalls: 0, gate };
      }
      try {
        const answer = await answerStoredDecision(deps, octokit, gate, log);
        return { decision: null, checkRun: NO_CHECK_RUN, answer, apiCalls: 0, gate };
      } finally {
        await held.end();
      }
    }
    if (gate.status !== 'pending')
      return { decision: null, checkRun: NO_CHECK_RUN, answer: gate.decision, apiCalls: 0, gate };
    lease = up.created
      ? holdLease(store.gateQueue, gate.id, deps.replicaId, { ...deps, log }, { gateId: gate.id })
      : await takeLease(store.gateQueue, gate.id, deps.replicaId, { ...deps, log }, { gateId: gate.id }, now);
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
  store: Pick<GateRecord, 'markOverrideUsed' | 'releaseOverride' | 'getOverride'>,
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

/** The decision on a request: the policy, the facts, the evaluation and the overrides it spends. */
interface Decided {
  policy: RepoPolicy;
  decision: Decision;
  loaded: LoadedFacts | null;
  stage: EnvironmentPolicy | null;
  spent: string[];
  /** The evaluation attempt to record finished with the decision (null when nothing was evaluated). */
  attempt: { blobSha: string; subject: string } | null;
  /** The App's own rollback the gate let through: what it judged, recorded for replay. */
  rollback?: RecordedRollback;
}

async function decide(deps: GateDeps, octokit: GitHubClient, req: GateRequest, now: Date): Promise<Decided> {
  const { store } = deps;
  const policy: RepoPolicy = await loadRepoPolicy(octokit, {
    owner: req.owner,
    repo: req.repo,
    ...(req.defaultBranch ? { defaultBranch: req.defaultBranch } : {}),
    ...(deps.verifySources ? { sources: deps.verifySources } : {}),
  });
  if (!policy.ok)
    return {
      policy,
      decision: policyInvalidDecision(req.environment, policy.problems),
      loaded: null,
      stage: null,
      spent: [],
      attempt: null,
    };
  const index = findStageIndex(policy.policy, req.environment);
  const stage = index >= 0 ? policy.policy.environments[index]! : null;
  const rollback = await rollbackVerdict(store, req, stage, now);
  if (rollback) return { policy, ...rollback, loaded: null, stage, spent: [], attempt: null };
  let decision: Decision;
  let loaded: LoadedFacts | null = null;
  let spent: string[] = [];
  let attempt: Decided['attempt'] = null;
  // A policy whose evaluation threw, ran past its budget or never finished is refused at once.
  const subject = {
    repo: repoKey(req),
    sha: req.sha,
    environment: req.environment,
    policyPath: policy.path,
    blobSha: policy.blobSha,
  };
  const refused = await refusedPolicyDecision(deps, subject);
  if (refused) decision = refused;
  else {
    // What GitHub taught is written back with the decision (writeDecision).
    loaded = await loadFactsFromRecord(
      octokit,
      store,
      policy.policy,
      { ...req, ...(req.defaultBranch ? { defaultBranch: req.defaultBranch } : {}) },
      now,
    );
    const first = await evaluateWithinBudget(
      deps,
      subject,
      { policy: policy.policy, facts: loaded.facts, at: now },
      deps.evaluationBudget,
      { finishWithDecision: true },
    );
    attempt = evaluationAttempt(subject);
    ({ decision, spent } = await spendOverrides(store, policy.policy, loaded.facts, first, now, deps.evaluationBudget));
  }
  return { policy, decision, loaded, stage, spent, attempt };
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
  const decided = await decide(deps, octokit, req, now);
  const { policy, decision, loaded, spent } = decided;
  const stageName = decision.ungated ? null : decision.environment;
  const previous =
    (await store.listEvaluations({ repo, sha: req.sha, environment: req.environment, last: 1 })).at(-1) ?? null;
  // What the reader sees changed: another decision, or other failing rules or messages.
  const failing = (rules: readonly RuleResult[]) =>
    failingRules(rules)
      .map((r) => `${r.code}: ${r.message}`)
      .join('\n');
  const changed =
    !previous || previous.decision !== decision.decision || failing(previous.rules) !== failing(decision.rules);
  const events: DecisionEvent[] = [];
  if (changed || gate)
    events.push({
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
  for (const id of spent)
    events.push({
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
  // A protection rule request: its verdict is stored (with the gate's word on the deployment)
  // BEFORE GitHub is called back; while it waits, its next look.
  const outcome = gate ? gateOutcome(gate, decision, now) : null;
  const written = await writeOrFinishAttempt(store, decided.attempt, {
    learned: { trees: loaded?.learnedTrees ?? [], pulls: loaded?.pulls ?? [] },
    finishedAttempt: decided.attempt,
    release: {
      repo,
      sha: req.sha,
      tree: loaded?.facts.tree ?? null,
      ref: req.ref ?? null,
      version: versionOf(req.ref),
      tag: versionOf(req.ref),
      at: now,
    },
    evaluation: {
      repo,
      sha: req.sha,
      environment: req.environment,
      stage: stageName,
      decision: decision.decision,
      rules: decision.rules,
      inputs: loaded
        ? { facts: loaded.facts, pulls: loaded.pulls.map((p) => p.number), notes: loaded.notes }
        : decided.rollback
          ? { rollback: decided.rollback }
          : { problems: policy.ok ? [] : policy.problems },
      score: decision.score,
      policyPath: policy.path,
      policySha: policy.blobSha,
      policyFiles: policy.files,
      actor: req.actor ?? req.deployer ?? null,
      deliveryId: req.deliveryId ?? null,
      at: now,
    },
    events,
    gate:
      gate && outcome
        ? {
            id: gate.id,
            verdict: outcome.verdict,
            nextCheckAt: outcome.nextCheckAt,
            deployment:
              gate.deploymentId === null
                ? null
                : {
                    id: gate.deploymentId,
                    approval:
                      outcome.verdict?.decision === 'approved'
                        ? {
                            via: 'protection-rule',
                            at: now,
                            stage: stageName,
                            environment: gate.environment,
                            runId: gate.runId,
                          }
                        : null,
                  },
          }
        : null,
  });

  // The answer first: GitHub (and the person deploying) wait on it; the audit can follow.
  let answer: GateResult['answer'] = null;
  let answered: PendingGateRow | null = gate;
  if (gate)
    ({ answer, gate: answered } = await answerGate(deps, octokit, req, gate, decision, written.decided, changed, log));

  const checkRun = scheduleGateReport(
    deps,
    octokit,
    { req, decision, policy, stage: decided.stage, loaded, evaluationId: written.evaluationId, now },
    log,
  );
  return { decision, checkRun, answer, gate: answered };
}

/**
 * The decision's write; when it fails, the evaluation attempt it would have finished is
 * finished alone, so a record that failed to write is never taken for an evaluation that
 * never finished (which refuses the policy).
 */
async function writeOrFinishAttempt(
  store: Pick<GateRecord, 'writeDecision' | 'finishEvaluationAttempt'>,
  attempt: Decided['attempt'],
  input: DecisionWriteInput,
): Promise<DecisionWriteResult> {
  try {
    return await store.writeDecision(input);
  } catch (error) {
    if (attempt) await store.finishEvaluationAttempt(attempt.blobSha, attempt.subject).catch(() => undefined);
    throw error;
  }
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
