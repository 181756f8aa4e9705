/**
 * The data sources a policy's `verify` may name, configured by the operator and never by a
 * repository (a policy names a source; the App never calls a URL written in a repository):
 * `PROMETHEUS_URL` gives the source `prometheus`; the file `RELEASE_GATE_SOURCES` names
 * others, each with its URL, headers and the hosts it may reach.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseDuration } from '../core/time-values.js';

export type SourceKind = 'prometheus' | 'http';

export interface DataSource {
  name: string;
  kind: SourceKind;
  /** The Prometheus server's base URL, or the HTTP probe's URL. */
  url: URL;
  headers: Record<string, string>;
  /** Hosts (host[:port]) a request of this source may reach; the URL's own by default. */
  allowedHosts: string[];
  timeoutMs: number;
}

/** The operator's sources by name. */
export type SourceSet = ReadonlyMap<string, DataSource>;

export const DEFAULT_SOURCE_TIMEOUT_MS = 10_000;
/** The longest a measurement may wait for a source. */
export const MAX_SOURCE_TIMEOUT_MS = 60_000;

/** A sources configuration the App cannot use: what is wrong, where, and how to fix it. */
export class SourcesConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourcesConfigError';
  }
}

function sourceUrl(where: string, value: unknown): URL {
  if (typeof value !== 'string' || value === '')
    throw new SourcesConfigError(`${where}: url is missing; write the source's URL (https://prometheus.internal:9090)`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SourcesConfigError(
      `${where}: url ${JSON.stringify(value)} is not a URL; write it as https://host[:port]/path`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new SourcesConfigError(`${where}: url ${JSON.stringify(value)} is not http or https`);
  if (url.username || url.password)
    throw new SourcesConfigError(`${where}: put credentials in headers (Authorization), not in the URL`);
  return url;
}

function stringMap(where: string, value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SourcesConfigError(`${where}: headers must be a mapping of header names to strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new SourcesConfigError(`${where}: header ${k} must be a string`);
    out[k] = v;
  }
  return out;
}

/** One source of the file (or of PROMETHEUS_URL), checked. */
export function defineSource(name: string, where: string, raw: Record<string, unknown>): DataSource {
  const kind = raw.type ?? 'http';
  if (kind !== 'prometheus' && kind !== 'http')
    throw new SourcesConfigError(`${where}: type ${JSON.stringify(kind)} is not prometheus or http`);
  const url = sourceUrl(where, raw.url);
  const hosts = raw.allowedHosts ?? [url.host];
  if (!Array.isArray(hosts) || hosts.some((h) => typeof h !== 'string' || h === ''))
    throw new SourcesConfigError(`${where}: allowedHosts must be a list of host[:port] names`);
  const allowedHosts = (hosts as string[]).map((h) => h.toLowerCase());
  if (!allowedHosts.includes(url.host.toLowerCase()))
    throw new SourcesConfigError(
      `${where}: the url's host ${url.host} is not in allowedHosts (${allowedHosts.join(', ')})`,
    );
  let timeoutMs = DEFAULT_SOURCE_TIMEOUT_MS;
  if (raw.timeout !== undefined) {
    const parsed = parseDuration(raw.timeout);
    if (!parsed.ok || parsed.ms === 0 || parsed.ms > MAX_SOURCE_TIMEOUT_MS)
      throw new SourcesConfigError(
        `${where}: timeout ${JSON.stringify(raw.timeout)} is not a duration from 1s to 60s (5s)`,
      );
    timeoutMs = parsed.ms;
  }
  return { name, kind, url, headers: stringMap(where, raw.headers), allowedHosts, timeoutMs };
}

/** The sources of a sources file's text (YAML or JSON): `sources: { <name>: { type, url, headers, allowedHosts, timeout } }`. */
export function parseSourcesFile(text: string, file: string): DataSource[] {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new SourcesConfigError(
      `${file}: not YAML or JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const sources = (data as { sources?: unknown } | null)?.sources;
  if (typeof sources !== 'object' || sources === null || Array.isArray(sources))
    throw new SourcesConfigError(
      `${file}: expected a mapping "sources:" of source names to { type, url, headers, allowedHosts, timeout }`,
    );
  return Object.entries(sources as Record<string, unknown>).map(([name, raw]) => {
    const where = `${file}: source ${name}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name))
      throw new SourcesConfigError(`${where}: a source name is letters, digits, '-', '_' or '.' (at most 64)`);
    if (typeof raw !== 'object' || raw === null) throw new SourcesConfigError(`${where}: expected { type, url, ... }`);
    return defineSource(name, where, raw as Record<string, unknown>);
  });
}

/**
 * The operator's sources from the environment: `PROMETHEUS_URL` (the source `prometheus`,
 * with `PROMETHEUS_AUTHORIZATION` as its Authorization header when set) and the file
 * `RELEASE_GATE_SOURCES` names. Throws {@link SourcesConfigError} on a bad configuration:
 * the App refuses to start rather than verify against the wrong place.
 */
export function sourcesFromEnv(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): SourceSet {
  const out = new Map<string, DataSource>();
  if (env.PROMETHEUS_URL) {
    const headers = env.PROMETHEUS_AUTHORIZATION ? { Authorization: env.PROMETHEUS_AUTHORIZATION } : {};
    out.set(
      'prometheus',
      defineSource('prometheus', 'PROMETHEUS_URL', { type: 'prometheus', url: env.PROMETHEUS_URL, headers }),
    );
  }
  const file = env.RELEASE_GATE_SOURCES;
  if (file) {
    let text: string;
    try {
      text = readFile(file);
    } catch (error) {
      throw new SourcesConfigError(
        `RELEASE_GATE_SOURCES names ${file}, which cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    for (const source of parseSourcesFile(text, file)) {
      if (out.has(source.name))
        throw new SourcesConfigError(
          `${file}: source ${source.name} is defined twice (PROMETHEUS_URL gives "prometheus")`,
        );
      out.set(source.name, source);
    }
  }
  return out;
}

/** Where a source is asked, or null when the resolved URL leaves the source's allowed hosts. */
export function sourceRequestUrl(source: DataSource, path?: string): URL | null {
  // The path is appended to the source's own: a policy chooses a path, never a host.
  const url =
    path === undefined
      ? new URL(source.url)
      : new URL(source.url.pathname.replace(/\/$/, '') + path.replace(/^\/+/, '/'), source.url);
  if (url.protocol !== source.url.protocol) return null;
  return source.allowedHosts.includes(url.host.toLowerCase()) ? url : null;
}
