/**
 * What the verifier and its parts (`conclude.ts`, `incidents.ts`, `rollback.ts`) share: the
 * dependencies the App gives them and the plan kept on a verification.
 */
import type { Logger } from 'probot';
import { verifyPlan } from '../core/verification.js';
import type { RollbackMode, VerifyPlan, VerifySpec } from '../core/verification.js';
import type { ReleaseEventSink } from '../core/release-events.js';
import type { GitHubClient } from '../github/types.js';
import type { Store } from '../store/types.js';
import type { VerificationRow } from '../store/verifications.js';
import type { SourceSet } from './sources.js';

/** What the verifier needs of the App. */
export interface VerifierDeps {
  store: Pick<Store, 'verifications' | 'recordEvent'>;
  clock: () => Date;
  log: Logger;
  /** This process's name in leases. */
  replicaId: string;
  sources: SourceSet;
  octokitFor: (installationId: number) => Promise<GitHubClient>;
  events?: ReleaseEventSink;
  fetch?: typeof fetch;
  /** The App's id: a rollback deployment it created before is found, not created twice. */
  appId?: number | null;
  leaseRenewMs?: number;
  /** What waited on the verification (the next stage's gates, an auto-promotion), once it verified. */
  onVerified?: (row: VerificationRow, octokit: GitHubClient) => Promise<void>;
  /** Where the check run links to (the console's release page), when there is one. */
  releaseUrl?: (row: VerificationRow) => string | undefined;
}

/** The stage's verify and rollback as kept on the verification when it started. */
export interface StoredPlan {
  verify: VerifySpec;
  rollback: RollbackMode;
  rollbackDuringFreeze: boolean;
}

export function planOf(row: Pick<VerificationRow, 'plan'>): { stored: StoredPlan; plan: VerifyPlan } {
  const stored = row.plan as StoredPlan;
  return { stored, plan: verifyPlan(stored.verify) };
}
