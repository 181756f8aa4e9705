import { approvalsRule, isResultOf } from '../core/rules/index.js';
import { findStageIndex } from '../core/evaluate.js';
import { renderGateSummary } from '../core/render-gate-summary.js';
import { overrideFact } from '../core/release-stage.js';
import type { Decision, EnvironmentPolicy, OverrideFact, Policy, ScoreComponent } from '../core/types.js';
import type { EvaluationSummaryRow, OverrideRow } from '../store/types.js';
import { decisionSummary, earliest, ruleView } from './view-helpers.js';
import type { DecisionView } from './views.js';

/** One recorded decision as the release page shows it: its rules, approvals, evidence and the check run's summary. */
export function decisionView(
  e: EvaluationSummaryRow & { inputs?: unknown },
  policy: Policy | null,
  overrides: OverrideRow[],
  timeline: Array<{
    at: string;
    type: string;
    environment: string | null;
    status: string | null;
    actor: string | null;
    notes: string | null;
  }>,
  ref: string | null,
): DecisionView {
  const rules = e.rules;
  const inputs = (e.inputs ?? {}) as {
    facts?: { evidence?: { breakdown?: Record<string, ScoreComponent | number> } };
  };
  const breakdown = inputs.facts?.evidence?.breakdown ?? {};
  const clearsAt = e.decision === 'wait' ? earliest(rules) : null;
  const decision: Decision = {
    decision: e.decision as Decision['decision'],
    environment: e.stage ?? e.environment,
    ungated: e.stage === null,
    rules,
    score: e.score,
    breakdown,
    clearsAt,
    recheckAt: null,
    overridesUsed: [],
  };
  const stageIndex = policy ? findStageIndex(policy, e.environment) : -1;
  const stage: EnvironmentPolicy | null = stageIndex >= 0 ? policy!.environments[stageIndex]! : null;
  // As the rules read them; without a readable policy, an override without an expiry reads as expired.
  const expiry = policy ?? { overrides: { teams: [], secondApprover: false, expiresMs: 0 } };
  const facts: OverrideFact[] = overrides
    .filter((o) => o.environment === decision.environment)
    .map((o) => overrideFact(o, expiry));
  const summaryMarkdown = renderGateSummary(
    {
      decision,
      sha: e.sha,
      ref,
      githubEnvironment: e.environment,
      stage,
      policy: {
        path: e.policyPath ?? '(none)',
        ref: '',
        blobSha: e.policySha,
        commitSha: null,
        valid: !rules.some((r) => r.code === 'POLICY_INVALID'),
      },
      overrides: facts,
      timeline: timeline.filter((t) => Date.parse(t.at) <= e.at.getTime()),
      at: e.at.toISOString(),
      ...(e.actor ? { trigger: `by ${e.actor}` } : {}),
    },
    60_000,
  );
  const approvals = rules.find((r) => isResultOf(approvalsRule, r));
  return {
    ...decisionSummary(e),
    ungated: decision.ungated,
    rules: rules.map(ruleView),
    approvals:
      approvals !== undefined
        ? {
            // A record from before `required` was kept reads as unknown (null), not as absent.
            required: typeof approvals.values.required === 'number' ? approvals.values.required : null,
            counted: approvals.values.approvers,
            notCounted: approvals.values.notCounted ?? [],
          }
        : null,
    evidence: {
      score: e.score,
      breakdown: Object.entries(breakdown).map(([kind, c]) =>
        typeof c === 'number'
          ? { kind, points: c, weight: null, present: null, reasons: [] }
          : { kind, points: c.points, weight: c.weight, present: c.present, reasons: c.reasons },
      ),
    },
    policy: { path: e.policyPath, blobSha: e.policySha },
    summaryMarkdown,
  };
}
