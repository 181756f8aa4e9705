import type { Probot } from 'probot';
import type { GitHubClient } from '../github/types.js';
import { describeError } from '../github/types.js';
import { answerStoredDecision, LEASE_MS, requestForGate, runGate } from './gate.js';
import type { GateDeps } from './gate.js';
import { keepLease } from './lease.js';
import { runHeldPromotion } from './promotions.js';

/**
 * Looks at the gates that are due (a clearing time passed, a poll, a decided gate whose
 * answer did not reach GitHub) and the held auto-promotions that are due (a clearing time
 * passed, the poll of one waiting on people or checks, the end of its bound), from the
 * database, so it survives restarts and shares the work among replicas through leases.
 */
export class GateScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly deps: GateDeps,
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

  /** One pass over the due gates; returns how many it worked on. Concurrent calls share one pass. */
  tick(): Promise<number> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async pass(): Promise<number> {
    const { store, clock, log } = this.deps;
    let worked = 0;
    try {
      const due = await store.listDueGates(clock());
      for (const gate of due) {
        const now = clock();
        try {
          const octokit = await this.octokitFor(gate.installationId);
          if (gate.status === 'decided') {
            if (!(await store.claimGate(gate.id, this.deps.replicaId, new Date(now.getTime() + LEASE_MS), now))) continue;
            // The callback may wait in GitHub's write queue: keep the lease meanwhile.
            const lease = keepLease(() => { const t = clock(); return store.claimGate(gate.id, this.deps.replicaId, new Date(t.getTime() + LEASE_MS), t); }, this.deps.leaseRenewMs ?? LEASE_MS / 3, log, { gateId: gate.id });
            try {
              await answerStoredDecision(this.deps, octokit, gate, log);
            } finally {
              lease.stop();
              await store.releaseGate(gate.id, this.deps.replicaId);
            }
          } else {
            await runGate(this.deps, octokit, await requestForGate(store, gate, { trigger: 'scheduler' }));
          }
          worked++;
        } catch (error) {
          log.error({ gateId: gate.id, repo: gate.repo, sha: gate.sha, environment: gate.environment, err: describeError(error) }, 'Scheduled gate check failed');
        }
      }
      for (const promotion of await store.listDuePromotions(clock())) {
        try {
          if (await runHeldPromotion(this.deps, await this.octokitFor(promotion.installationId), promotion)) worked++;
        } catch (error) {
          log.error({ promotionId: promotion.id, repo: promotion.repo, sha: promotion.sha, environment: promotion.environment, err: describeError(error) }, 'Held auto-promotion failed; tried again at the next pass');
        }
      }
      this.deps.metrics.pendingGates.set(await store.countPendingGates());
    } catch (error) {
      log.error({ err: describeError(error) }, 'Scheduler pass failed');
    }
    return worked;
  }
}

/** The scheduler's way to an installation's Octokit. */
export function probotOctokitFor(probot: Probot): (installationId: number) => Promise<GitHubClient> {
  return async (installationId) => (await probot.auth(installationId)) as unknown as GitHubClient;
}
