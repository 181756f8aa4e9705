/**
 * GitHub asks an integration to space requests that create content (POST, PATCH, PUT,
 * DELETE) one second apart per installation
 * (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
 * Probot's throttle plugin does it per process; with several replicas the database keeps
 * one schedule of write slots per installation that every replica takes from. And every
 * request gets a time limit of the App's own, after which it counts as failed.
 */

import { githubFetch } from './transport.js';

/** Where replicas share the next free write slot of an installation (the Store). */
export interface WriteSlots {
  /** The installation's next slot, `spacingMs` after the previous one (or `now`). */
  takeWriteSlot(installationId: number, now: Date, spacingMs: number): Promise<Date>;
}

export interface WriteBudget {
  /** Waits for the installation's next write slot. */
  take(installationId: number): Promise<void>;
}

/** GitHub's floor: one content-creating request per second per installation. */
export const WRITE_SPACING_MS = 1000;
/** How long the App waits for any one GitHub request. */
export const GITHUB_REQUEST_TIMEOUT_MS = 10_000;

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** A write budget kept in the database, shared by every replica on it. */
export function databaseWriteBudget(slots: WriteSlots, spacingMs = WRITE_SPACING_MS): WriteBudget {
  return {
    async take(installationId) {
      const slot = await slots.takeWriteSlot(installationId, new Date(), spacingMs);
      const wait = slot.getTime() - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
  };
}

interface RequestOptionsLike {
  method?: string;
  request?: { fetch?: typeof fetch; [key: string]: unknown };
}

interface PluginOctokit {
  hook: { before(name: 'request', fn: (options: RequestOptionsLike) => Promise<void> | void): void };
}

const TIMED = Symbol('release-gate-timed-fetch');

/** A fetch that gives up after `ms` (the body included) with a TimeoutError. */
export function timedFetch(base: typeof fetch, ms: number): typeof fetch {
  const timed = ((input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const limit = AbortSignal.timeout(ms);
    return base(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, limit]) : limit });
  }) as typeof fetch & { [TIMED]?: true };
  timed[TIMED] = true;
  return timed;
}

export interface RequestLimitsOptions {
  /** Shared write slots; without it, writes are spaced by Probot's throttling alone. */
  writeBudget?: WriteBudget | null;
  /** Per request, the response body included (default 10 s). */
  timeoutMs?: number;
}

/**
 * An Octokit plugin: every request of an installation's client that writes waits for the
 * installation's shared write slot, and every request (reads too) is cut off after
 * `timeoutMs`. The timer starts when the request goes out, not while it queues.
 */
export function requestLimits(limits: RequestLimitsOptions) {
  const timeoutMs = limits.timeoutMs ?? GITHUB_REQUEST_TIMEOUT_MS;
  return (octokit: PluginOctokit, options: { auth?: unknown }): void => {
    const auth = options.auth as { installationId?: number | string } | undefined;
    const installationId = auth?.installationId === undefined ? null : Number(auth.installationId);
    octokit.hook.before('request', async (request) => {
      const base = request.request?.fetch ?? githubFetch();
      if (!(base as { [TIMED]?: true })[TIMED])
        request.request = { ...request.request, fetch: timedFetch(base, timeoutMs) };
      if (limits.writeBudget && installationId !== null && WRITES.has((request.method ?? 'GET').toUpperCase()))
        await limits.writeBudget.take(installationId);
    });
  };
}
