import type { Probot } from 'probot';
import type { GitHubClient } from '../github/types.js';
import { describeError } from '../github/types.js';
import type { PendingGateRow } from '../store/gates.js';
import type { LeasedQueue } from '../store/leased-queue.js';
import { answerStoredDecision, requestForGate, runGate } from './gate.js';
import type { AppDeps } from './gate.js';
import { takeLease } from './lease.js';
import { runHeldPromotion } from './held-promotions.js';

/** A row of a leased queue the scheduler works on. */
interface DueRow {
  id: number;
  repo: string;
  sha: string;
  environment: string;
  installationId: number;
}

/**
 * Works what comes due in the record, from the database, so it survives restarts and shares
 * the work among replicas through leases: the protection rule requests (a clearing time
 * passed, a poll, the 29-day deadline, a decided gate whose answer did not reach GitHub)
 * and the held auto-promotions (a clearing time passed, the poll of one waiting on people
 * or checks, the end of its bound).
 */
export class DueWorkScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly deps: AppDeps,
    private readonly octokitFor: (installationId: number) => Promise<GitHubClient>,
    private readonly intervalMs = 30_000,
  ) {}

  /** Starts ticking (first tick at once: answers what a crash left decided but unanswered). */
  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over the due gates and promotions; returns how many it worked on. Concurrent calls share one pass. */
  tick(): Promise<number> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async pass(): Promise<number> {
    const { store, log } = this.deps;
    let worked = 0;
    try {
      worked += await this.workDue(
        store.gateQueue,
        (gate, octokit) => this.workGate(gate, octokit),
        'gateId',
        'Scheduled gate check failed',
      );
      worked += await this.workDue(
        store.promotionQueue,
        (promotion, octokit) => runHeldPromotion(this.deps, octokit, promotion),
        'promotionId',
        'Held auto-promotion failed; tried again at the next pass',
      );
      this.deps.metrics.pendingGates.set(await store.countPendingGates());
    } catch (error) {
      log.error({ err: describeError(error) }, 'Scheduler pass failed');
    }
    return worked;
  }

  /** Works each due row of a queue in turn (a failure is logged and tried again at the next pass); returns how many it worked on. */
  private async workDue<Row extends DueRow>(
    queue: LeasedQueue<Row>,
    work: (row: Row, octokit: GitHubClient) => Promise<boolean>,
    idKey: string,
    failed: string,
  ): Promise<number> {
    let worked = 0;
    for (const row of await queue.listDue(this.deps.clock())) {
      try {
        if (await work(row, await this.octokitFor(row.installationId))) worked++;
      } catch (error) {
        this.deps.log.error(
          { [idKey]: row.id, repo: row.repo, sha: row.sha, environment: row.environment, err: describeError(error) },
          failed,
        );
      }
    }
    return worked;
  }

  /** A decided gate is answered again under its lease; a pending one is evaluated again. False when another replica holds it. */
  private async workGate(gate: PendingGateRow, octokit: GitHubClient): Promise<boolean> {
    const { store, log } = this.deps;
    if (gate.status !== 'decided') {
      await runGate(this.deps, octokit, await requestForGate(store, gate, { trigger: 'scheduler' }));
      return true;
    }
    const lease = await takeLease(store.gateQueue, gate.id, this.deps.replicaId, this.deps, { gateId: gate.id });
    if (!lease) return false;
    // The callback may wait in GitHub's write queue: the lease is kept meanwhile.
    try {
      await answerStoredDecision(this.deps, octokit, gate, log);
    } finally {
      await lease.end();
    }
    return true;
  }
}

/** The scheduler's way to an installation's Octokit. */
export function probotOctokitFor(probot: Probot): (installationId: number) => Promise<GitHubClient> {
  return async (installationId) => probot.auth(installationId);
}
