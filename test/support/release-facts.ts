import type { ReleaseFacts } from '../../src/core/types.js';

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
