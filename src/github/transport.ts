/**
 * The App's GitHub requests on undici's `request`, given to Octokit as its `fetch`.
 *
 * Node's global `fetch` builds WHATWG streams, a `Request`, `Headers` and an abort signal for
 * every call: about 0.3-0.4 ms of the main thread per GitHub request, against about 0.2 ms
 * with undici's `request` on the same connections (bench/README.md, "Decisions per second"),
 * and a decision makes seven. Octokit reads a response's status, headers, URL and body (as
 * text, or as bytes for a binary type): that is what this answers, from one buffered body.
 *
 * Behaviour kept from `fetch`: redirects followed (GitHub answers 301/307 for a renamed or
 * transferred repository), an abort signal honoured, connections kept between requests. With
 * `NODE_USE_ENV_PROXY` set, Node's `fetch` goes through the proxy the environment names: the
 * App then keeps that `fetch` (`githubFetch()` returns it).
 */
import { Agent, request, type Dispatcher } from 'undici';

/** How many redirects one request follows, as `fetch` does (it stops at 20). */
const MAX_REDIRECTS = 20;

/** A response's headers, read as `fetch`'s `Headers` are: `get` by any case, iteration in lower case. */
class ResponseHeaders implements Iterable<[string, string]> {
  private readonly values: Map<string, string>;
  constructor(raw: Record<string, string | string[] | undefined>) {
    this.values = new Map();
    for (const key of Object.keys(raw)) {
      const value = raw[key];
      if (value === undefined) continue;
      // `fetch` joins repeated headers with ", " (set-cookie aside, which GitHub's API never sends).
      this.values.set(key.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
    }
  }
  get(name: string): string | null {
    return this.values.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.values.has(name.toLowerCase());
  }
  [Symbol.iterator](): Iterator<[string, string]> {
    return this.values.entries();
  }
}

/** What Octokit reads of a response, from the body undici buffered. */
class BufferedResponse {
  readonly ok: boolean;
  readonly statusText = '';
  readonly redirected: boolean;
  constructor(
    readonly status: number,
    readonly url: string,
    readonly headers: ResponseHeaders,
    private readonly bytes: Buffer,
    redirects: number,
  ) {
    this.ok = status >= 200 && status < 300;
    this.redirected = redirects > 0;
  }
  get body(): ReadableStream<Uint8Array> | null {
    if (this.bytes.length === 0) return null;
    const bytes = new Uint8Array(this.bytes);
    return new ReadableStream({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
  }
  async text(): Promise<string> {
    return this.bytes.toString('utf8');
  }
  async json(): Promise<unknown> {
    return JSON.parse(this.bytes.toString('utf8'));
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const out = new ArrayBuffer(this.bytes.length);
    new Uint8Array(out).set(this.bytes);
    return out;
  }
}

type FetchInput = Parameters<typeof fetch>[0];

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const given = init?.headers;
  if (!given) return {};
  if (given instanceof Headers || Array.isArray(given)) return Object.fromEntries(given as Iterable<[string, string]>);
  return given as Record<string, string>;
}

function urlOf(input: FetchInput): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/**
 * One `fetch`-shaped function over `dispatcher`: by default an agent of its own with undici's
 * defaults, as Node's `fetch` has (idle connections kept 4 s, or what the server's `Keep-Alive`
 * says less a second).
 */
export function undiciFetch(dispatcher: Dispatcher = new Agent()): typeof fetch {
  const call = async (input: FetchInput, init?: RequestInit): Promise<Response> => {
    const url = urlOf(input);
    const body = init?.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array))
      throw new TypeError('The GitHub transport sends string or byte bodies only');
    const answer = await request(url, {
      dispatcher,
      method: (init?.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
      headers: headersOf(init),
      body: body ?? null,
      signal: init?.signal ?? undefined,
      maxRedirections: init?.redirect === 'manual' || init?.redirect === 'error' ? 0 : MAX_REDIRECTS,
    });
    const bytes = Buffer.from(await answer.body.arrayBuffer());
    const history = (answer.context as { history?: readonly URL[] } | undefined)?.history ?? [];
    const final = history.length > 0 ? history[history.length - 1]!.href : url;
    if (init?.redirect === 'error' && answer.statusCode >= 300 && answer.statusCode < 400)
      throw new TypeError(`fetch failed: redirect to ${answer.headers.location ?? '(no location)'} refused`);
    return new BufferedResponse(
      answer.statusCode,
      final,
      new ResponseHeaders(answer.headers),
      bytes,
      Math.max(0, history.length - 1),
    ) as unknown as Response;
  };
  return call as typeof fetch;
}

let shared: typeof fetch | null = null;

/** The App's GitHub `fetch`: undici's `request` on one keep-alive agent, or Node's `fetch` behind a proxy. */
export function githubFetch(): typeof fetch {
  if (process.env.NODE_USE_ENV_PROXY === '1') return globalThis.fetch;
  shared ??= undiciFetch();
  return shared;
}
