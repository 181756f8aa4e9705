import type { Logger } from 'probot';
import { describeError } from '../github/types.js';
import type { LeasedQueue } from '../store/leased-queue.js';

/** How long a replica holds a gate or a held promotion while it works on it. */
export const LEASE_MS = 60_000;

/** What taking a lease needs of the App: its clock, its log, how often a held lease is renewed. */
export interface LeaseDeps {
  clock: () => Date;
  log: Logger;
  /** How often a held lease is renewed (default a third of LEASE_MS). */
  leaseRenewMs?: number;
}

export interface HeldLease {
  /** True once a renewal found the lease taken by someone else. */
  lost(): boolean;
  /** Stops renewing and frees the lease. */
  end(): Promise<void>;
}

/**
 * Takes the lease on a row of a leased queue (a gate, a held promotion) for `owner`, and
 * keeps it while the work runs, however long it waits (GitHub's write queue included):
 * it is renewed every `leaseRenewMs` (a third of the lease, so two renewals can fail before
 * it runs out). A process that dies stops renewing, and the lease runs out for another
 * replica to take the work over. Null when someone else holds it.
 */
export async function takeLease<Row>(
  queue: LeasedQueue<Row>,
  id: number,
  owner: string,
  deps: LeaseDeps,
  what: Record<string, unknown>,
  now: Date = deps.clock(),
): Promise<HeldLease | null> {
  if (!(await queue.claim(id, owner, new Date(now.getTime() + LEASE_MS), now))) return null;
  return holdLease(queue, id, owner, deps, what);
}

/**
 * Keeps a lease `owner` holds already (taken with the row's own write, as a gate created with
 * its lease) as {@link takeLease} keeps the one it takes: renewed while the work runs, freed
 * at its end.
 */
export function holdLease<Row>(
  queue: LeasedQueue<Row>,
  id: number,
  owner: string,
  deps: LeaseDeps,
  what: Record<string, unknown>,
): HeldLease {
  let ended = false;
  const renewal = keepLease(
    () => {
      const t = deps.clock();
      return queue.claim(id, owner, new Date(t.getTime() + LEASE_MS), t);
    },
    deps.leaseRenewMs ?? LEASE_MS / 3,
    deps.log,
    what,
  );
  const lease: HeldLease = {
    lost: renewal.lost,
    async end() {
      if (ended) return;
      ended = true;
      held.get(owner)?.delete(lease);
      renewal.stop();
      await queue.release(id, owner);
    },
  };
  held.set(owner, (held.get(owner) ?? new Set()).add(lease));
  return lease;
}

/** The leases this process holds now, by owner. */
const held = new Map<string, Set<HeldLease>>();

/**
 * Frees every lease `owner` holds in this process: at stop, work still running is left to
 * the next replica at once rather than when its leases run out. Returns how many were freed.
 */
export async function endLeasesOf(owner: string): Promise<number> {
  const leases = [...(held.get(owner) ?? [])];
  await Promise.all(leases.map((l) => l.end()));
  return leases.length;
}

function keepLease(
  renew: () => Promise<boolean>,
  everyMs: number,
  log: Logger,
  what: Record<string, unknown>,
): { stop(): void; lost(): boolean } {
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
      .catch((error: unknown) =>
        log.warn({ ...what, err: describeError(error) }, 'Could not renew the lease; trying again'),
      )
      .finally(() => {
        busy = false;
      });
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), lost: () => lost };
}
