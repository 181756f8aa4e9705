/**
 * What went wrong with a GitHub request, in words a person can act on. Octokit reports a
 * request that never got an answer (a host that does not resolve, a refused connection, a
 * time limit) as an `HttpError` with status 500 and no response: it is named here for what
 * happened, never "HTTP 500", and is not a request GitHub answered (or billed).
 */

interface OctokitLikeError {
  status?: unknown;
  response?: { status?: number; headers?: Record<string, unknown>; data?: unknown };
  request?: { url?: string };
  message?: unknown;
  name?: unknown;
  cause?: unknown;
}

/** The HTTP status GitHub answered with, or null when no answer came (network failure, time limit). */
export function answeredStatus(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as OctokitLikeError;
  if (e.response && typeof e.response.status === 'number') return e.response.status;
  // A RequestError built from a fetch failure carries status 500 and no response.
  if (typeof e.status === 'number' && e.status !== 500) return e.status;
  return null;
}

/** The system error code behind a request that got no answer (`ENOTFOUND`, `ECONNREFUSED`...). */
function networkCode(error: unknown): string | null {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    if ((e as OctokitLikeError).name === 'AbortError' || (e as OctokitLikeError).name === 'TimeoutError')
      return 'ETIMEDOUT';
    e = (e as OctokitLikeError).cause;
  }
  return null;
}

function hostOf(error: unknown, fallback: string): string {
  const url = (error as OctokitLikeError | null)?.request?.url;
  if (typeof url === 'string') {
    try {
      return new URL(url).host;
    } catch {
      return fallback;
    }
  }
  return fallback;
}

function messageOf(error: unknown): string {
  const e = error as OctokitLikeError | null;
  const data = e?.response?.data as { message?: unknown } | undefined;
  if (data && typeof data.message === 'string') return data.message;
  return typeof e?.message === 'string' ? e.message : String(error);
}

export interface GitHubErrorContext {
  /** GitHub's API host, when the error does not say (`api.github.com`). */
  host?: string;
  /** What to do about credentials GitHub refused (401), e.g. "check GITHUB_TOKEN (or --token)". */
  credentials?: string;
}

/** One sentence: what happened to the request and, where it is clear, what to do. */
export function describeGitHubError(error: unknown, context: GitHubErrorContext = {}): string {
  const status = answeredStatus(error);
  const host = hostOf(error, context.host ?? 'GitHub');
  if (status === null) {
    const code = networkCode(error);
    switch (code) {
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `cannot reach GitHub: the host name ${host.replace(/:\d+$/, '')} does not resolve (${code}); check the API URL (GITHUB_API_URL, GHE_HOST) and this machine's DNS`;
      case 'ECONNREFUSED':
        return `cannot reach GitHub: nothing accepts connections at ${host} (ECONNREFUSED); check the API URL and that the server runs`;
      case 'ECONNRESET':
        return `the connection to GitHub at ${host} was cut before it answered (ECONNRESET); try again`;
      case 'ETIMEDOUT':
      case 'UND_ERR_CONNECT_TIMEOUT':
      case 'UND_ERR_HEADERS_TIMEOUT':
        return `GitHub at ${host} did not answer in time (${code}); try again, or check the network between here and GitHub`;
      default:
        return `cannot reach GitHub at ${host}: ${messageOf(error)}${code ? ` (${code})` : ''}`;
    }
  }
  if (status === 401)
    return `bad credentials: GitHub refused them (401 ${messageOf(error)}); ${context.credentials ?? 'check the token: it may be mistyped, expired or revoked'}`;
  const headers = (error as OctokitLikeError).response?.headers ?? {};
  if ((status === 403 || status === 429) && String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    const at = Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
    return `GitHub's rate limit is used up${at} (${status}); wait for the reset`;
  }
  if (status === 403) return `GitHub refused it (403 ${messageOf(error)})`;
  if (status === 404) return `GitHub answered 404 Not Found (${messageOf(error)})`;
  return `GitHub answered HTTP ${status} (${messageOf(error)})`;
}
