/**
 * One round of measurements: each check of a stage's `verify` read from its data source
 * (Prometheus' HTTP API instant query, or an HTTP probe) and judged by the core. Every
 * failure to read (a timeout, a refused query, an unreachable source, an empty result, NaN)
 * is a reading of no data with the reason, which the policy's `noData` then judges.
 */
import { judgeReading } from '../core/verification.js';
import type { Reading, Round, VerifyCheckSpec } from '../core/verification.js';
import { sourceRequestUrl } from './sources.js';
import type { DataSource, SourceSet } from './sources.js';

/** Bytes of an answer read at most (a health document, a Prometheus vector of one series). */
export const MAX_ANSWER_BYTES = 1_000_000;

export interface MeasureDeps {
  sources: SourceSet;
  fetch?: typeof fetch;
}

function reason(error: unknown, source: DataSource): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `${source.name} did not answer within ${source.timeoutMs / 1000}s`;
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${source.name} could not be reached (${error instanceof Error ? error.message : String(error)}${cause})`;
}

async function readBody(response: Response): Promise<string> {
  const text = await response.text();
  return text.length > MAX_ANSWER_BYTES ? text.slice(0, MAX_ANSWER_BYTES) : text;
}

/** Prometheus writes sample values as strings: "0.5", "NaN", "+Inf", "-Inf". */
export function promValue(text: unknown): number {
  if (typeof text !== 'string') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return text.trim() === '' ? NaN : Number(text);
}

interface PromAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/**
 * One GET of a source's URL (its headers, its timeout, no redirect followed) with the body
 * read within its bound; no data, saying why, when it cannot be had.
 */
async function askSource(
  source: DataSource,
  url: URL,
  fetchImpl: typeof fetch,
): Promise<{ response: Response; text: string } | Reading> {
  try {
    const response = await fetchImpl(url, {
      headers: { Accept: 'application/json', ...source.headers },
      redirect: 'manual',
      signal: AbortSignal.timeout(source.timeoutMs),
    });
    return { response, text: await readBody(response) };
  } catch (error) {
    return { kind: 'no-data', note: reason(error, source) };
  }
}

/** A Prometheus instant query (`GET /api/v1/query`) at `at`, as a reading. */
export async function readPrometheus(
  source: DataSource,
  query: string,
  at: Date,
  fetchImpl: typeof fetch,
): Promise<Reading> {
  const url = sourceRequestUrl(source, '/api/v1/query');
  if (!url) return { kind: 'no-data', note: `${source.name}: its query URL leaves its allowed hosts` };
  url.searchParams.set('query', query);
  url.searchParams.set('time', (at.getTime() / 1000).toFixed(3));
  const asked = await askSource(source, url, fetchImpl);
  if ('kind' in asked) return asked;
  const { response, text } = asked;
  let answer: PromAnswer;
  try {
    answer = JSON.parse(text) as PromAnswer;
  } catch {
    return { kind: 'no-data', note: `${source.name} answered HTTP ${response.status}, not Prometheus JSON` };
  }
  if (answer.status !== 'success') {
    // bad_data (a query it refuses), execution, timeout, canceled, unavailable...
    return {
      kind: 'no-data',
      note: `${source.name} refused the query (HTTP ${response.status}, ${answer.errorType ?? 'error'}): ${answer.error ?? 'no reason given'}`,
    };
  }
  const data = answer.data ?? {};
  if (data.resultType === 'scalar') {
    const [, value] = (data.result as [number, string] | undefined) ?? [];
    return { kind: 'value', value: promValue(value) };
  }
  if (data.resultType === 'vector') {
    const series = (data.result as Array<{ value?: [number, string] }> | undefined) ?? [];
    if (series.length === 0) return { kind: 'no-data', note: 'the query returned no series (empty result)' };
    if (series.length > 1)
      return {
        kind: 'no-data',
        note: `the query returned ${series.length} series; aggregate it to one (sum(...), max(...)) so it has one value`,
      };
    return { kind: 'value', value: promValue(series[0]!.value?.[1]) };
  }
  return {
    kind: 'no-data',
    note: `the query returned a ${data.resultType ?? 'missing'} result; an instant query of a scalar or one series is needed`,
  };
}

/** The value at a JSON path of the schema's form: `$`, `$.a.b`, `$.checks[0].ok`. */
export function valueAt(document: unknown, path: string): { found: boolean; value?: unknown } {
  let at: unknown = document;
  for (const part of path.slice(1).match(/\.[A-Za-z0-9_-]+|\[[0-9]+\]/g) ?? []) {
    if (part.startsWith('[')) {
      const i = Number(part.slice(1, -1));
      if (!Array.isArray(at) || i >= at.length) return { found: false };
      at = at[i];
    } else {
      const key = part.slice(1);
      if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, key))
        return { found: false };
      at = (at as Record<string, unknown>)[key];
    }
  }
  return { found: true, value: at };
}

/** An HTTP probe of the source (its URL, and the check's path), as a reading. Redirects are not followed. */
export async function readHttp(source: DataSource, check: VerifyCheckSpec, fetchImpl: typeof fetch): Promise<Reading> {
  const url = sourceRequestUrl(source, check.path);
  if (!url) return { kind: 'no-data', note: `${source.name}: path ${check.path ?? ''} leaves its allowed hosts` };
  const asked = await askSource(source, url, fetchImpl);
  if ('kind' in asked) return asked;
  const { response, text } = asked;
  if (check.jsonPath === undefined) return { kind: 'http', status: response.status };
  try {
    return { kind: 'http', status: response.status, ...valueAt(JSON.parse(text), check.jsonPath) };
  } catch {
    return { kind: 'http', status: response.status, found: false };
  }
}

/** One check read from its source. A source the operator does not (or no longer) configure(s) gives no data. */
export async function readCheck(check: VerifyCheckSpec, at: Date, deps: MeasureDeps): Promise<Reading> {
  const source = deps.sources.get(check.source);
  const fetchImpl = deps.fetch ?? fetch;
  if (!source)
    return {
      kind: 'no-data',
      note: `the data source ${JSON.stringify(check.source)} is not configured by the App's operator (PROMETHEUS_URL, RELEASE_GATE_SOURCES)`,
    };
  if (check.query !== undefined) {
    if (source.kind !== 'prometheus')
      return { kind: 'no-data', note: `${source.name} is an HTTP source, which takes no query` };
    return readPrometheus(source, check.query, at, fetchImpl);
  }
  return readHttp(source, check, fetchImpl);
}

/** A round: every check read at once and judged. */
export async function measureRound(checks: VerifyCheckSpec[], at: Date, deps: MeasureDeps): Promise<Round> {
  const measurements = await Promise.all(
    checks.map(async (check) => judgeReading(check, await readCheck(check, at, deps))),
  );
  return { at: at.toISOString(), measurements };
}
