/**
 * GitHub's JSON answers read with `JSON.parse`.
 *
 * `@octokit/request` (v10) reads every JSON body with `json-with-bigint`, a `JSON.parse` with a
 * reviver called on every value of the document (to turn integers past 2^53 into BigInts).
 * Measured on Node 24 (`npm run bench -- --only=json`; bench/README.md, "Eighth round"): a page
 * of ten pull requests as GitHub returns them (GitHub's own example object, 150 KB) takes about
 * ten times as long as with `JSON.parse`, and a decision reads several such pages (the commit's
 * pull requests, the pull request's reviews and up to 250 commits, the check runs): on GitHub's
 * real bodies this was the largest single cost of the App's thread in a decision.
 *
 * The plugin asks Octokit for the body unparsed (`parseSuccessResponseBody: false`, Octokit's
 * own option) and reads it as Octokit does (`getResponseData` in @octokit/request), but for
 * the parser: JSON for a JSON type (the text when it is not JSON), text for `text/*` or a
 * UTF-8 charset (not `application/octet-stream`), bytes otherwise. GitHub's REST numbers (ids,
 * counts, sizes) are all below 2^53; a larger one would be read as JSON.parse reads it, which
 * the record can write, where a BigInt would make `JSON.stringify` throw. Errors, 304s and
 * bodiless answers are Octokit's as before; a caller that asked for the stream itself gets it.
 */

interface RequestOptions {
  request?: { parseSuccessResponseBody?: boolean; [key: string]: unknown };
  [key: string]: unknown;
}

interface OctokitResponse {
  status: number;
  url: string;
  headers: Record<string, string | number | undefined>;
  data: unknown;
}

interface HookedOctokit {
  hook: {
    wrap(
      name: 'request',
      fn: (request: (options: RequestOptions) => Promise<OctokitResponse>, options: RequestOptions) => Promise<unknown>,
    ): void;
  };
}

/** The body as bytes: the fetch's `body` stream (null when there is none). */
async function bytesOf(body: unknown): Promise<Buffer> {
  if (body === null || body === undefined || body === '') return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return chunks.length === 1
    ? Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength)
    : Buffer.concat(chunks);
}

/** What Octokit's `getResponseData` makes of a body of this content type, with `JSON.parse` for JSON. */
function responseData(bytes: Buffer, contentType: string | undefined): unknown {
  if (!contentType) return bytes.toString('utf8');
  const [type = '', ...parameters] = contentType.split(';');
  const mime = type.trim().toLowerCase();
  if (mime === 'application/json' || mime === 'application/scim+json') {
    const text = bytes.toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  const charset = parameters
    .map((p) => p.trim().split('='))
    .find(([name]) => name?.trim().toLowerCase() === 'charset')?.[1]
    ?.trim()
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase();
  if (mime.startsWith('text/') || (charset === 'utf-8' && mime !== 'application/octet-stream'))
    return bytes.toString('utf8');
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}

/** The size in bytes of a response's body as GitHub sent it (set, not enumerable, on each response this plugin reads). */
const BODY_BYTES = Symbol('release-gate.bodyBytes');

/** The size in bytes of the body of `response` as GitHub sent it, when this plugin read it. */
export function bodyBytesOf(response: object): number | undefined {
  return (response as { [BODY_BYTES]?: number })[BODY_BYTES];
}

/** The Octokit plugin (in `GateOctokit`). */
export function jsonResponses(octokit: unknown): Record<string, never> {
  (octokit as HookedOctokit).hook.wrap('request', async (request, options) => {
    if (options.request?.parseSuccessResponseBody === false) return request(options);
    // The hook chain hands every wrap the same options object (a new one per request): the
    // option is set on it.
    options.request = { ...options.request, parseSuccessResponseBody: false };
    const response = await request(options);
    // 204, 205 and HEAD: Octokit answered without reading a body.
    if (response.data === '') return response;
    const type = response.headers['content-type'];
    const bytes = await bytesOf(response.data);
    response.data = responseData(bytes, typeof type === 'string' ? type : undefined);
    // For the conditional requests' cache, which keeps responses within a budget of bytes.
    Object.defineProperty(response, BODY_BYTES, { value: bytes.length });
    return response;
  });
  return {};
}
