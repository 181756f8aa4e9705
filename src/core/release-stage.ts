/**
 * Which stage a request is for and what the shells read for it: the pure part of gathering a
 * release's facts, the same for the App, the Action and the CLI.
 */
import { findStageIndex } from './evaluate.js';
import type { FactKind } from './fact-kinds.js';
import { factsNeeded } from './rule-facts.js';
import type { ApprovalFact, EnvironmentPolicy, OverrideFact, Policy } from './types.js';

/** The stage a request names, the stage before it, and the facts its rules read. */
export interface ReleaseStage {
  stageIndex: number;
  /** Null when the environment is not gated (nothing is read). */
  stage: EnvironmentPolicy | null;
  predecessor: EnvironmentPolicy | null;
  needed: Set<FactKind>;
}

/** The stage of the policy `environment` names (a stage or a GitHub environment), with the facts it reads. */
export function releaseStage(policy: Policy, environment: string): ReleaseStage {
  const stageIndex = findStageIndex(policy, environment);
  return {
    stageIndex,
    stage: stageIndex >= 0 ? policy.environments[stageIndex]! : null,
    predecessor: stageIndex > 0 ? policy.environments[stageIndex - 1]! : null,
    needed: factsNeeded(policy, stageIndex),
  };
}

/**
 * The names a stage's deployments may be recorded under: its GitHub environments and its own
 * name, as written, in lower and upper case, and capitalised (`Production`, `Pre-Prod`).
 * GitHub compares environment names ignoring case; the store's index compares them exactly,
 * so the usual spellings are asked for together.
 */
export function stageEnvironmentNames(stage: EnvironmentPolicy): string[] {
  const names = new Set<string>();
  const capitalised = (n: string) =>
    n.toLowerCase().replace(/(^|[-_ .])(\p{L})/gu, (_m, sep: string, c: string) => `${sep}${c.toUpperCase()}`);
  for (const n of [stage.name, ...stage.github]) {
    names.add(n);
    names.add(n.toLowerCase());
    names.add(n.toUpperCase());
    names.add(capitalised(n));
  }
  return [...names];
}

/** An override as the App's record keeps it. */
export interface RecordedOverride {
  id: string;
  environment: string;
  sha: string;
  rules: string[];
  grantedBy: string;
  confirmedBy: string | null;
  reason: string;
  risk: string;
  grantedAt: Date;
  expiresAt: Date | null;
  usedAt: Date | null;
}

/** An approval as the App's record keeps it (PR reviews and deployment reviews). */
export interface RecordedApproval {
  login: string;
  source: string;
  environment: string | null;
  state: string;
  submittedAt: Date;
}

/** A recorded override as the rules read it (one without an expiry expires after the policy's `overrides.expires`). */
export function overrideFact(o: RecordedOverride, policy: Pick<Policy, 'overrides'>): OverrideFact {
  return {
    id: o.id,
    environment: o.environment,
    sha: o.sha,
    rules: o.rules,
    grantedBy: o.grantedBy,
    confirmedBy: o.confirmedBy,
    reason: o.reason,
    risk: o.risk,
    grantedAt: o.grantedAt.toISOString(),
    expiresAt: (o.expiresAt ?? new Date(o.grantedAt.getTime() + policy.overrides.expiresMs)).toISOString(),
    usedAt: o.usedAt ? o.usedAt.toISOString() : null,
  };
}

/** The recorded deployment reviews that count for the stage at `stageIndex` (those of another stage do not). */
export function deploymentReviewApprovals(
  policy: Policy,
  stageIndex: number,
  recorded: readonly RecordedApproval[],
): ApprovalFact[] {
  const out: ApprovalFact[] = [];
  for (const r of recorded) {
    if (r.source !== 'deployment-review') continue;
    if (r.environment && findStageIndex(policy, r.environment) !== stageIndex) continue;
    const state = r.state.toUpperCase();
    out.push({
      login: r.login,
      source: 'deployment-review',
      state: state === 'APPROVED' ? 'APPROVED' : state === 'REJECTED' ? 'REJECTED' : 'COMMENTED',
      submittedAt: r.submittedAt.toISOString(),
    });
  }
  return out;
}
