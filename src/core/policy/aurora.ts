/** The legacy Aurora format (`policy:` with `minApprovals`, `minScore` and `freezeWindows` by `env`), as a typed policy. */
import type { EnvironmentPolicy, Policy } from '../types.js';
import { buildEnvironment, buildEvidence, buildOverrides, buildScoring } from './build.js';

/**
 * GitHub environment names each Aurora stage covers. GitHub compares environment names
 * without regard to case, so `prod` also covers `Prod`.
 */
export const AURORA_STAGES = [
  { name: 'DEV', github: ['DEV', 'development'] },
  { name: 'PRE_PROD', github: ['PRE_PROD', 'pre-prod', 'staging'] },
  { name: 'PROD', github: ['PROD', 'production'] },
] as const;

/** The typed policy of an Aurora file's validated data: its rules hold PROD, its freeze windows the stage of their `env`. */
export function buildAurora(data: Readonly<Record<string, unknown>>): Policy {
  const p = (data.policy ?? {}) as Record<string, unknown>;
  const windows = (p.freezeWindows ?? []) as Array<Record<string, unknown>>;
  const environments = AURORA_STAGES.map(({ name, github }): EnvironmentPolicy => {
    const isProd = name === 'PROD';
    // Every stage starts from the v1 defaults; the Aurora keys apply to PROD.
    // The Aurora format's "evidence URL present" requirement is covered by minScore: with no
    // evidence there is no score, and the gate blocks with EVIDENCE_MISSING. A score given directly counts.
    return buildEnvironment({
      name,
      github: [...github],
      ...(isProd && p.minApprovals !== undefined ? { minApprovals: p.minApprovals } : {}),
      ...(isProd && p.minScore !== undefined ? { minScore: p.minScore } : {}),
      freezeWindows: windows.filter((w) => w.env === name),
    });
  });
  return {
    version: 1,
    format: 'aurora',
    environments,
    scoring: { ...buildScoring({}), weights: { evidenceUrl: 100 } },
    overrides: buildOverrides({}),
    evidence: buildEvidence({}),
    strict: false,
  };
}
