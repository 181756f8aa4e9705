import { AsyncLocalStorage } from 'node:async_hooks';
import { answeredStatus } from './request-errors.js';

/**
 * Counting GitHub API calls: an Octokit plugin that reports every request's route and the
 * rate-limit headroom GitHub returns, and a per-decision tally kept in async context so
 * concurrent evaluations do not mix their counts.
 */

export interface ApiCallObserver {
  /**
   * One request went out (`GET /repos/{owner}/{repo}/commits/{ref}/check-runs`), with the
   * status GitHub answered, or 0 when no answer came (see {@link requestCost}).
   */
  onCall(route: string, status: number): void;
  /** GitHub's `x-ratelimit-remaining` after a request. */
  onRateLimit(remaining: number): void;
}

/**
 * What a request cost: `billed` (counted against the rate limit), `not_modified` (a
 * conditional request answered 304: free), `unanswered` (no answer came: a host that does
 * not resolve, a refused connection, a time limit) or `unauthenticated` (401: GitHub took the
 * credentials for no one's, so no budget of the App's was spent).
 */
export type RequestCost = 'billed' | 'not_modified' | 'unanswered' | 'unauthenticated';

/** The cost of a request GitHub answered with `status` (0: no answer). */
export function requestCost(status: number): RequestCost {
  if (status === 304) return 'not_modified';
  if (status === 0) return 'unanswered';
  if (status === 401) return 'unauthenticated';
  return 'billed';
}

export class CallTally {
  /** Requests GitHub bills against the rate limit. */
  count = 0;
  /** Conditional requests answered `304 Not Modified`: free. */
  notModified = 0;
  /** Requests that got no answer or whose credentials GitHub refused: not billed. */
  failed = 0;
  readonly routes = new Map<string, number>();
  add(route: string, status: number): void {
    const cost = requestCost(status);
    if (cost === 'not_modified') {
      this.notModified++;
      return;
    }
    if (cost !== 'billed') {
      this.failed++;
      return;
    }
    this.count++;
    this.routes.set(route, (this.routes.get(route) ?? 0) + 1);
  }
}

const tallies = new AsyncLocalStorage<CallTally>();

/** Runs `fn` with a fresh tally of the GitHub calls it makes, and returns both. */
export async function withCallTally<T>(fn: () => Promise<T>): Promise<{ result: T; tally: CallTally }> {
  const tally = new CallTally();
  const result = await tallies.run(tally, fn);
  return { result, tally };
}

let observer: ApiCallObserver | null = null;

/** Sets where counted calls are reported (the App's metrics). */
export function setApiCallObserver(next: ApiCallObserver | null): void {
  observer = next;
}

interface HookOptions {
  method?: string;
  url?: string;
}

interface HookedOctokit {
  hook: {
    wrap(
      name: 'request',
      fn: (
        request: (options: HookOptions) => Promise<{ status: number; headers: Record<string, unknown> }>,
        options: HookOptions,
      ) => Promise<unknown>,
    ): void;
  };
}

function statusOf(error: unknown): number {
  return answeredStatus(error) ?? 0;
}

function headersOf(error: unknown): Record<string, unknown> | undefined {
  if (typeof error !== 'object' || error === null || !('response' in error)) return undefined;
  const response = (error as { response?: { headers?: Record<string, unknown> } }).response;
  return response?.headers;
}

/** The Octokit plugin: `ProbotOctokit.plugin(countApiCalls)`. */
export function countApiCalls(octokit: unknown): Record<string, never> {
  (octokit as HookedOctokit).hook.wrap('request', async (request, options) => {
    const route = `${(options.method ?? 'GET').toUpperCase()} ${(options.url ?? '').replace(/\?.*$/, '')}`;
    // Token requests are the App authenticating itself, not facts for a decision.
    const counted = !/\/app\/installations\/\{?[^/]+\}?\/access_tokens$/.test(route);
    const tally = counted ? tallies.getStore() : undefined;
    try {
      const response = await request(options);
      tally?.add(route, response.status);
      observe(route, response.status, response.headers);
      return response;
    } catch (error) {
      tally?.add(route, statusOf(error));
      observe(route, statusOf(error), headersOf(error));
      throw error;
    }
  });
  return {};
}

function observe(route: string, status: number, headers: Record<string, unknown> | undefined): void {
  if (!observer) return;
  observer.onCall(route, status);
  const remaining = headers?.['x-ratelimit-remaining'];
  if (remaining !== undefined && Number.isFinite(Number(remaining))) observer.onRateLimit(Number(remaining));
}
