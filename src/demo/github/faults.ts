import type { ServerResponse } from 'node:http';
import type { GitHubModel } from './model.js';
import type { FakeRequest, Fault } from './types.js';

/** Answers a request as GitHub failing, limiting or hanging would, when `gh.fault` says so; false otherwise. */
export async function injectFault(gh: GitHubModel, entry: FakeRequest, res: ServerResponse): Promise<boolean> {
  const { method, path, body } = entry;
  const fault = gh.fault?.({ method, path, body });
  if (!fault) return false;
  gh.injected.push(`${fault} ${method} ${path}`);
  gh.requestCount++;
  if (gh.keepRequests)
    gh.requests.push({ ...entry, template: `fault:${fault}`, status: FAULT_STATUS[fault], at: Date.now() });
  if (fault === 'hang') {
    // Never answered: the connection stays open until the client gives up or the test ends.
    gh.held.add(res);
    res.on('close', () => gh.held.delete(res));
    return true;
  }
  const reset = String(Math.floor(Date.now() / 1000) + 1);
  const replies: Record<Exclude<Fault, 'hang'>, { body: unknown; headers: Record<string, string> }> = {
    500: { body: { message: 'Server Error' }, headers: {} },
    502: { body: { message: 'Bad Gateway' }, headers: {} },
    429: {
      body: { message: 'API rate limit exceeded for installation.' },
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset, 'retry-after': '1' },
    },
    'secondary-limit': {
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url:
          'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      },
      headers: { 'retry-after': '1' },
    },
  };
  const r = replies[fault];
  res.writeHead(FAULT_STATUS[fault], {
    'content-type': 'application/json; charset=utf-8',
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4000',
    'x-ratelimit-reset': reset,
    ...r.headers,
  });
  res.end(JSON.stringify(r.body));
  return true;
}

export const FAULT_STATUS: Record<Fault, number> = { 500: 500, 502: 502, 429: 429, 'secondary-limit': 403, hang: 0 };
