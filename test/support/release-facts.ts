import { buildEnvironment } from '../../src/core/policy/build.js';
import type { DeploymentFact, EnvironmentPolicy, ReleaseFacts } from '../../src/core/types.js';

/** The facts of commit `sha` deployed to DEV on 2026-11-01 and nothing more (no approval, evidence, check or override), asking for `environment`. */
export function releaseFacts(environment: string, sha: string): ReleaseFacts {
  return {
    environment,
    sha,
    approvals: [],
    deployments: [proven('DEV', sha, '2026-11-01T08:00:00Z')],
    evidence: { score: null, breakdown: {}, present: [] },
    checks: [],
    teams: {},
    overrides: [],
  };
}

/** A typed stage: every key from the policy defaults (the builder's), then `over`. */
export function typedStage(over: Partial<EnvironmentPolicy> & { name: string }): EnvironmentPolicy {
  return { ...buildEnvironment({ name: over.name }), ...over };
}

/**
 * A deployment of `sha` to `environment` that proves its stage since `at`, as a caller
 * without the App's record reports it (the CLI's `--deployed`, the Action): the gate let it
 * through and it succeeded then.
 */
export function proven(
  environment: string,
  sha: string,
  at: string,
  extra: Partial<DeploymentFact> = {},
): DeploymentFact {
  return { environment, sha, state: 'success', at, approval: { via: 'reported', at }, provenAt: at, ...extra };
}
