/**
 * The verifier: starts a verification when a deployment of a stage with `verify` is proven,
 * measures it on a fixed schedule from the record (a leased queue: a verification survives
 * restarts and is measured once across replicas), shows each round on its
 * `Release gate / verify <STAGE>` check run, and concludes it (`conclude.ts`).
 */
import type { Logger } from 'probot';
import { verifyCheckName, renderVerification } from '../core/verification-report.js';
import { judgeVerification, plannedRounds, roundDueAt, verifyPlan } from '../core/verification.js';
import type { RollbackMode, Round, VerifyPlan, VerifySpec } from '../core/verification.js';
import { discardEvents } from '../core/release-events.js';
import type { ReleaseEventSink } from '../core/release-events.js';
import type { EnvironmentPolicy } from '../core/types.js';
import { writeGateCheckRun } from '../github/check-runs.js';
import { describeError, repoRefOf } from '../github/types.js';
import type { GitHubClient, RepoRef } from '../github/types.js';
import type { Store } from '../store/types.js';
import type { VerificationRow } from '../store/verifications.js';
import { takeLease } from '../app/lease.js';
import { concludeVerification } from './conclude.js';
import { measureRound } from './measure.js';
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

/** A proven deployment to verify. */
export interface VerificationStart extends RepoRef {
  installationId: number;
  deploymentId: number;
  sha: string;
  ref: string | null;
  environment: string;
  stage: EnvironmentPolicy;
}

/** Verifications measured at once by one replica, at most. */
export const VERIFY_CONCURRENCY = 256;

export class Verifier {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private readonly working = new Set<number>();

  constructor(
    private readonly deps: VerifierDeps,
    private readonly tickMs = 1_000,
  ) {}

  private get events(): ReleaseEventSink {
    return this.deps.events ?? discardEvents;
  }

  /**
   * Starts the verification of a proven deployment once (a redelivered success finds the one
   * started): its check run in progress, the `verifying` event, and the first round at once.
   * Null when the stage verifies nothing.
   */
  async begin(octokit: GitHubClient, start: VerificationStart): Promise<VerificationRow | null> {
    const verify = start.stage.verify;
    if (!verify) return null;
    const now = this.deps.clock();
    const stored: StoredPlan = {
      verify,
      rollback: start.stage.rollback ?? 'off',
      rollbackDuringFreeze: start.stage.rollbackDuringFreeze ?? true,
    };
    const { row, created } = await this.deps.store.verifications.start({
      repo: `${start.owner}/${start.repo}`,
      installationId: start.installationId,
      deploymentId: start.deploymentId,
      sha: start.sha,
      ref: start.ref,
      environment: start.environment,
      stage: start.stage.name,
      plan: stored,
      startedAt: now,
    });
    if (!created) return row;
    const plan = verifyPlan(verify);
    const output = renderVerification(start.stage.name, plan, [], judgeVerification(plan, []));
    const checkRunId = await writeGateCheckRun(
      octokit,
      {
        ...start,
        sha: start.sha,
        name: verifyCheckName(start.stage.name),
        existingId: null,
        externalId: `verify:${start.deploymentId}`,
      },
      { status: 'in_progress', output, at: now },
    );
    await this.deps.store.verifications.setCheckRun(row.id, checkRunId);
    await this.deps.store.recordEvent({
      repo: row.repo,
      sha: row.sha,
      environment: row.environment,
      type: 'VERIFYING',
      status: 'running',
      actor: null,
      at: now,
      notes: `Verifying deployment ${row.deploymentId} in ${row.stage}: ${plannedRounds(plan)} rounds over ${verify.duration}`,
    });
    this.events.publish({
      kind: 'verifying',
      id: `verifying:${row.deploymentId}`,
      at: now,
      repository: { ...repoRefOf(row.repo), installationId: row.installationId },
      sha: row.sha,
      stage: row.stage,
      environment: row.environment,
      deploymentId: row.deploymentId,
      summary: `Verifying ${row.sha.slice(0, 7)} in ${row.stage} for ${verify.duration}.`,
    });
    this.wake();
    return { ...row, checkRunId };
  }

  /** Starts ticking; the first tick at once (a verification a restart interrupted goes on). */
  start(): void {
    if (this.timer) return;
    this.wake();
    this.timer = setInterval(() => this.wake(), this.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Looks at the due verifications now (a pass in progress is followed by another). */
  wake(): void {
    void this.tick();
  }

  /** One pass over the due verifications; returns how many it started working on (each goes on by itself). */
  tick(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    let due: VerificationRow[];
    try {
      due = await this.deps.store.verifications.queue.listDue(this.deps.clock());
    } catch (error) {
      this.deps.log.error({ err: describeError(error) }, 'Verification pass failed');
      return 0;
    }
    // Each verification on its own: a slow source holds only its own verification, up to a bound.
    const fresh = due.filter((r) => !this.working.has(r.id)).slice(0, VERIFY_CONCURRENCY - this.working.size);
    for (const row of fresh) {
      this.working.add(row.id);
      void this.work(row)
        .catch((error: unknown) =>
          this.deps.log.error(
            { verificationId: row.id, repo: row.repo, sha: row.sha, err: describeError(error) },
            'Verification step failed; tried again at the next pass',
          ),
        )
        .finally(() => this.working.delete(row.id));
    }
    return fresh.length;
  }

  /** Waits until no verification step of this process is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running || this.working.size > 0) await new Promise((r) => setTimeout(r, 5));
  }

  /** One verification worked under its lease: a round measured, or its conclusion written. */
  private async work(listed: VerificationRow): Promise<boolean> {
    const { store } = this.deps;
    const lease = await takeLease(store.verifications.queue, listed.id, this.deps.replicaId, this.deps, {
      verificationId: listed.id,
    });
    if (!lease) return false;
    try {
      const row = await store.verifications.get(listed.id);
      if (!row || row.status === 'answered') return false;
      const octokit = await this.deps.octokitFor(row.installationId);
      if (row.status === 'decided') {
        await concludeVerification(this.deps, octokit, row);
        return true;
      }
      const now = this.deps.clock();
      if (row.nextCheckAt && row.nextCheckAt > now) return false;
      return await this.measure(octokit, row, now);
    } finally {
      await lease.end();
    }
  }

  private async measure(octokit: GitHubClient, row: VerificationRow, now: Date): Promise<boolean> {
    const { store } = this.deps;
    const { plan } = planOf(row);
    const round: Round = await measureRound(plan.checks, now, this.deps);
    const rounds = [...(row.rounds as Round[]), round];
    const judgement = judgeVerification(plan, rounds);
    if (judgement.state === 'running') {
      // A fixed schedule from the start: a late round does not push the next ones back.
      let next = roundDueAt(plan, row.startedAt, rounds.length);
      const after = this.deps.clock();
      if (next < after) next = after;
      if (!(await store.verifications.saveRounds(row.id, this.deps.replicaId, rounds, next))) return false;
      if (row.checkRunId !== null) {
        const output = renderVerification(row.stage, plan, rounds, judgement);
        await writeGateCheckRun(
          octokit,
          {
            ...repoRefOf(row.repo),
            sha: row.sha,
            name: verifyCheckName(row.stage),
            existingId: row.checkRunId,
            externalId: `verify:${row.deploymentId}`,
          },
          { status: 'in_progress', output, at: now },
        ).catch((error: unknown) =>
          // The round is kept; the check run shows it with the next one.
          this.deps.log.warn(
            { verificationId: row.id, err: describeError(error) },
            'Could not update the verify check run',
          ),
        );
      }
      return true;
    }
    if (!(await store.verifications.conclude(row.id, judgement.state, judgement.reason, rounds, now))) return false;
    const concluded = await store.verifications.get(row.id);
    if (concluded) await concludeVerification(this.deps, octokit, concluded);
    return true;
  }
}
