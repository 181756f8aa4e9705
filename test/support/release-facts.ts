import { buildEnvironment } from '../../src/core/policy/build.js';
import type { EnvironmentPolicy, ReleaseFacts } from '../../src/core/types.js';

/** The facts of commit `sha` deployed to DEV on 2026-11-01 and nothing more (no approval, evidence, check or override), asking for `environment`. */
export function releaseFacts(environment: string, sha: string): ReleaseFacts {
  return {
    environment,
    sha,
    approvals: [],
    deployments: [{ environment: 'DEV', sha, state: 'success', at: '2026-11-01T08:00:00Z' }],
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
