import type { Logger } from 'probot';
import { describeError } from '../github/types.js';

export interface HeldLease {
  /** Stops renewing (the caller then releases the lease). */
  stop(): void;
  /** True once a renewal found the lease taken by someone else. */
  lost(): boolean;
}

/**
 * Keeps a lease while its work runs, however long it waits (GitHub's write queue
 * included): `renew` extends it every `everyMs` (a third of the lease, so two renewals
 * can fail before it runs out). A process that dies stops renewing, and the lease runs
 * out for another replica to take the work over.
 */
export function keepLease(renew: () => Promise<boolean>, everyMs: number, log: Logger, what: Record<string, unknown>): HeldLease {
  let lost = false;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    renew()
      .then((ok) => {
        if (!ok && !lost) {
          lost = true;
          log.warn(what, 'The lease was taken over by another replica while this one worked');
        }
      })
      .catch((error: unknown) => log.warn({ ...what, err: describeError(error) }, 'Could not renew the lease; trying again'))
      .finally(() => {
        busy = false;
      });
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), lost: () => lost };
}
