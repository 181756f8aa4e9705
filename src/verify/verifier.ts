/**
 * The verifier: starts a verification when a deployment of a stage with `verify` is proven,
 * measures it on a fixed schedule from the record (a leased queue: a verification survives
 * restarts and is measured once across replicas), shows each round on its
 * `Release gate / verify <STAGE>` check run, and concludes it (`conclude.ts`).
 */
import { verifyCheckName, renderVerification } from '../core/verification-report.js';
import { judgeVerification, plannedRounds, roundDueAt, verifyPlan } from '../core/verification.js';
import type { Round } from '../core/verification.js';
import { discardEvents } from '../core/release-events.js';
import type { ReleaseEventSink } from '../core/release-events.js';
import type { EnvironmentPolicy } from '../core/types.js';
import { writeGateCheckRun } from '../github/check-runs.js';
import { describeError, repoRefOf } from '../github/types.js';
import type { GitHubClient, RepoRef } from '../github/types.js';
import type { VerificationRow } from '../store/verifications.js';
import { takeLease } from '../app/lease.js';
import { concludeVerification } from './conclude.js';
import { measureRound } from './measure.js';
import { planOf, type StoredPlan, type VerifierDeps } from './types.js';

export type { StoredPlan, VerifierDeps } from './types.js';
export { planOf } from './types.js';

/** A proven deployment to verify. */
export interface VerificationStart extends RepoRef {
  installationId: number;
  deploymentId: number;
  sha: string;
  ref: string | null;
  environment: string;
  stage: EnvironmentPolicy;
}

/**
 * How long a replica holds a verification while it measures a round: longer than the longest
 * source timeout (60 s), so a round in progress is never taken over; a replica that dies
 * leaves it to another this long after.
 */
export const ROUND_CLAIM_MS = 90_000;

/** Verifications measured at once by one replica, at most. */
export const VERIFY_CONCURRENCY = 256;

export class Verifier {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private readonly working = new Set<number>();
  /** The latest check run output of each verification waiting to be written, and the writes under way. */
  private readonly outputs = new Map<number, { output: { title: string; summary: string }; at: Date }>();
  private readonly writes = new Map<number, Promise<void>>();
  /** Timers of the next rounds this process measured last: on time, without waiting for a pass. */
  private readonly timers = new Map<number, NodeJS.Timeout>();

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
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
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
    for (const row of fresh) this.launch(row);
    return fresh.length;
  }

  /** Works one verification in the background, once at a time in this process. */
  private launch(row: VerificationRow): void {
    if (this.working.has(row.id)) return;
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

  /** Measures the next round of `row` when it is due, if this process is still running (the passes cover the rest). */
  private schedule(row: VerificationRow, at: Date): void {
    if (!this.timer) return;
    clearTimeout(this.timers.get(row.id));
    const timer = setTimeout(
      () => {
        this.timers.delete(row.id);
        this.launch(row);
      },
      Math.max(0, at.getTime() - this.deps.clock().getTime()),
    );
    timer.unref();
    this.timers.set(row.id, timer);
  }

  /** Waits until no verification step of this process is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running || this.working.size > 0 || this.writes.size > 0) await new Promise((r) => setTimeout(r, 5));
  }

  /**
   * One verification worked: a round measured, or its conclusion written. A round is measured
   * under a short claim that saving the round frees (two writes a round, so that hundreds of
   * verifications keep their schedule); the row as this process last saw it is enough, since
   * saving is conditional on the round it expected (another replica's round is never doubled).
   */
  private async work(known: VerificationRow): Promise<boolean> {
    const { store } = this.deps;
    const queue = store.verifications.queue;
    if (known.status === 'pending') {
      const now = this.deps.clock();
      if (known.nextCheckAt && known.nextCheckAt > now) return false;
      if (!(await queue.claim(known.id, this.deps.replicaId, new Date(now.getTime() + ROUND_CLAIM_MS), now)))
        return false;
      let step: 'saved' | 'concluded' | null = null;
      try {
        const octokit = await this.deps.octokitFor(known.installationId);
        // The instant of the measurement, taken as it starts.
        step = await this.measure(octokit, known, this.deps.clock());
      } finally {
        if (step !== 'saved') await queue.release(known.id, this.deps.replicaId);
      }
      if (step !== 'concluded') return step === 'saved';
    }
    const lease = await takeLease(queue, known.id, this.deps.replicaId, this.deps, { verificationId: known.id });
    if (!lease) return false;
    try {
      const row = await store.verifications.get(known.id);
      if (row?.status !== 'decided') return false;
      // A round's output still on its way to the check run lands before the conclusion, never after it.
      this.outputs.delete(row.id);
      await this.writes.get(row.id);
      await concludeVerification(this.deps, await this.deps.octokitFor(row.installationId), row);
      return true;
    } finally {
      await lease.end();
    }
  }

  /** Measures a round and saves it (freeing the claim), or concludes the verification; null when another replica was first. */
  private async measure(octokit: GitHubClient, row: VerificationRow, now: Date): Promise<'saved' | 'concluded' | null> {
    const { store } = this.deps;
    const { plan } = planOf(row);
    const round: Round = await measureRound(plan.checks, now, this.deps);
    const rounds = [...(row.rounds as Round[]), round];
    const judgement = judgeVerification(plan, rounds);
    if (judgement.state === 'running') {
      // A fixed schedule from the first round: a late round does not push the next ones back.
      let next = roundDueAt(plan, new Date(rounds[0]!.at), rounds.length);
      const after = this.deps.clock();
      if (next < after) next = after;
      if (!(await store.verifications.saveRounds(row.id, this.deps.replicaId, rounds, next, row.nextCheckAt)))
        return null;
      this.schedule({ ...row, rounds, nextCheckAt: next }, next);
      if (row.checkRunId !== null)
        this.showRound(octokit, row, renderVerification(row.stage, plan, rounds, judgement), now);
      return 'saved';
    }
    return (await store.verifications.conclude(row.id, judgement.state, judgement.reason, rounds, now))
      ? 'concluded'
      : null;
  }

  /**
   * The round on the check run, written in the background (GitHub's writes wait for each other,
   * one a second per installation): a round never waits for it, and only the latest output of a
   * verification is written when several are waiting.
   */
  private showRound(
    octokit: GitHubClient,
    row: VerificationRow,
    output: { title: string; summary: string },
    at: Date,
  ): void {
    const waiting = this.outputs.has(row.id);
    this.outputs.set(row.id, { output, at });
    if (waiting) return;
    const write = async (): Promise<void> => {
      const latest = this.outputs.get(row.id);
      if (!latest) return;
      try {
        await writeGateCheckRun(
          octokit,
          {
            ...repoRefOf(row.repo),
            sha: row.sha,
            name: verifyCheckName(row.stage),
            existingId: row.checkRunId,
            externalId: `verify:${row.deploymentId}`,
          },
          { status: 'in_progress', output: latest.output, at: latest.at },
        );
      } catch (error) {
        // The round is kept; the check run shows it with the next one.
        this.deps.log.warn(
          { verificationId: row.id, err: describeError(error) },
          'Could not update the verify check run',
        );
      }
      if (this.outputs.get(row.id) === latest) this.outputs.delete(row.id);
      else await write();
    };
    const pending = write().finally(() => this.writes.delete(row.id));
    this.writes.set(row.id, pending);
  }
}
