import { findStageIndex } from '../core/evaluate.js';
import { gateTitle, renderGateSummary } from '../core/render-gate-summary.js';
import type { Decision, Policy, ReleaseFacts } from '../core/types.js';

/**
 * `release-gate evaluate --format markdown`: the decision as the App's `Release gate / <STAGE>`
 * check run would show it, rendered by the check run's own renderer, for a pull request
 * comment or a job summary. The policy is the local file; there is no timeline.
 */
export function decisionMarkdown(
  decision: Decision,
  policy: Policy,
  policyPath: string,
  facts: ReleaseFacts,
  at: Date,
  notes: string[],
): string {
  const index = decision.ungated ? -1 : findStageIndex(policy, facts.environment);
  const summary = renderGateSummary({
    decision,
    sha: facts.sha,
    ref: facts.ref ?? null,
    githubEnvironment: facts.environment,
    stage: index >= 0 ? policy.environments[index]! : null,
    policy: { path: policyPath, ref: '', blobSha: null, commitSha: null, valid: true },
    overrides: facts.overrides,
    timeline: [],
    notes,
    at: at.toISOString(),
    trigger: 'release-gate evaluate',
  });
  return `# ${gateTitle(decision)}\n\n${summary}`;
}
