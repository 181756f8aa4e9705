/**
 * The audit (the `Release gate / <STAGE>` check runs) is written after the answers.
 *
 * GitHub asks for writes to one installation to be spaced a second apart, and Octokit's
 * throttle queues them in order: a check run written before a callback delays that callback
 * by a second, and with twenty requests waiting, by twenty. So the callbacks go first: an
 * audit write is handed to Octokit only while no callback of its installation is on its way,
 * one at a time per installation, and the writes of one check run that pile up meanwhile are
 * coalesced (only the latest summary is written).
 */

type Job = () => Promise<void>;

interface InstallationQueue {
  /** Check run key -> the latest write asked for it (not started yet). */
  pending: Map<string, Job>;
  /** Callbacks of this installation on their way to GitHub. */
  callbacks: number;
  running: boolean;
  /** Wakes the writer when the last callback is done. */
  wake: (() => void) | null;
}

export class AuditWriter {
  private readonly queues = new Map<number, InstallationQueue>();
  private readonly idleWaiters = new Set<() => void>();
  /** Writes replaced by a newer summary of the same check run before they were sent. */
  coalesced = 0;

  constructor(private readonly onError: (error: unknown) => void) {}

  private queue(installationId: number): InstallationQueue {
    let q = this.queues.get(installationId);
    if (!q) this.queues.set(installationId, (q = { pending: new Map(), callbacks: 0, running: false, wake: null }));
    return q;
  }

  /** Runs a callback to GitHub; audit writes of the installation wait until none is on its way. */
  async callback<T>(installationId: number, fn: () => Promise<T>): Promise<T> {
    const q = this.queue(installationId);
    q.callbacks++;
    try {
      return await fn();
    } finally {
      q.callbacks--;
      if (q.callbacks === 0 && q.wake) {
        const wake = q.wake;
        q.wake = null;
        wake();
      }
    }
  }

  /** Asks for an audit write; a write of the same key not yet sent is replaced by this one. */
  schedule(installationId: number, key: string, job: Job): void {
    const q = this.queue(installationId);
    if (q.pending.has(key)) {
      q.pending.delete(key);
      this.coalesced++;
    }
    q.pending.set(key, job);
    if (!q.running) void this.drain(installationId, q);
  }

  private async drain(installationId: number, q: InstallationQueue): Promise<void> {
    q.running = true;
    try {
      for (;;) {
        if (q.callbacks > 0) await new Promise<void>((resolve) => (q.wake = resolve));
        const next = q.pending.entries().next();
        if (next.done) break;
        const [key, job] = next.value;
        q.pending.delete(key);
        try {
          await job();
        } catch (error) {
          this.onError(error);
        }
      }
    } finally {
      q.running = false;
      if (q.pending.size === 0) this.queues.delete(installationId);
      if (this.queues.size === 0) for (const w of [...this.idleWaiters]) w();
    }
  }

  /** Resolves when every asked-for write has been sent (tests, shutdown). */
  idle(): Promise<void> {
    if ([...this.queues.values()].every((q) => !q.running && q.pending.size === 0)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.idleWaiters.delete(done);
        resolve();
      };
      this.idleWaiters.add(done);
    });
  }
}
