import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Counting GitHub API calls: an Octokit plugin that reports every request's route and the
 * rate-limit headroom GitHub returns, and a per-decision tally kept in async context so
 * concurrent evaluations do not mix their counts.
 */

export interface ApiCallObserver {
  /** One request went out (`GET /repos/{owner}/{repo}/commits/{ref}/check-runs`). */
  onCall(route: string, status: number): void;
  /** GitHub's `x-ratelimit-remaining` after a request. */
  onRateLimit(remaining: number): void;
}

export class CallTally {
  /** Requests GitHub bills against the rate limit (everything but a `304 Not Modified`). */
  count = 0;
  /** Conditional requests answered `304 Not Modified`: free. */
  notModified = 0;
  readonly routes = new Map<string, number>();
  add(route: string, status: number): void {
    if (status === 304) {
      this.notModified++;
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
  return typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
    ? error.status
    : 0;
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
