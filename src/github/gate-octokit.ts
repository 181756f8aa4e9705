/**
 * The Octokit class the App builds on: Probot's `ProbotOctokit`
 * (probot/lib/octokit/probot-octokit.js), with the same plugins in the same order and the same
 * defaults, but for one plugin. Probot's request logging parses each request's options again
 * once GitHub has answered (`octokit.request.endpoint.parse`: URL template, headers, body) to
 * log a debug line, whatever the log level: about 0.2 ms of the App's thread per request, on
 * every request of every decision, for a line nobody sees at the default level. The plugin
 * below logs the same line with the same fields, and parses only when debug is on. One plugin
 * more: GitHub's JSON answers are read with `JSON.parse` (src/github/json-responses.ts).
 *
 * When Probot changes its class, `test/github/gate-octokit.test.ts` says so: it compares an
 * instance of each (plugins, defaults, the user agent GitHub sees).
 */
import { Octokit } from '@octokit/core';
import { enterpriseCompatibility } from '@octokit/plugin-enterprise-compatibility';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { restEndpointMethods } from '@octokit/plugin-rest-endpoint-methods';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { config } from '@probot/octokit-plugin-config';
import { createProbotAuth } from 'octokit-auth-probot';
import { Probot } from 'probot';
import type { ProbotOctokit } from 'probot';
import { jsonResponses } from './json-responses.js';

interface Logged {
  log: { debug(fields: object, message: string): void; isLevelEnabled?: (level: string) => boolean };
  request: { endpoint: { parse(options: unknown): { method: string; url: string; body?: unknown } } };
  hook: {
    after(name: 'request', hook: (result: { status: number }, options: unknown) => void): void;
    error(name: 'request', hook: (error: Error & { status?: number }, options: unknown) => void): void;
  };
}

/** Whether the instance's logger writes debug lines (a pino logger says; any other is asked every time). */
function debugOn(octokit: Logged): boolean {
  return octokit.log.isLevelEnabled?.('debug') ?? true;
}

/** Probot's debug line for a request GitHub answered with `status` (the body as fields), when debug is on. */
function logRequest(o: Logged, options: unknown, status: number | undefined): void {
  if (!debugOn(o)) return;
  const { method, url, body } = o.request.endpoint.parse(options);
  // `||`, as Probot's: an empty body logs no fields.
  o.log.debug((body as object | undefined) || {}, `GitHub request: ${method} ${url} - ${String(status)}`);
}

/** Probot's request logging (`GitHub request: GET /path - 200`), at debug level only. */
export function requestLogging(octokit: unknown): Record<string, never> {
  const o = octokit as Logged;
  o.hook.error('request', (error, options) => {
    if ('status' in error) logRequest(o, options, error.status);
    throw error;
  });
  o.hook.after('request', (result, options) => logRequest(o, options, result.status));
  return {};
}

/** Probot's answer to a rate limit: a warning, and the request tried again after the wait GitHub asked for. */
const warnAndRetry =
  (limit: string) =>
  (retryAfter: number, options: { method: string; url: string }, octokit: { log: { warn(m: string): void } }) => {
    octokit.log.warn(
      `${limit} hit with "${options.method} ${options.url}", retrying in ${String(retryAfter)} seconds.`,
    );
    return true;
  };

const defaultOptions = {
  authStrategy: createProbotAuth,
  throttle: {
    enabled: true,
    onSecondaryRateLimit: warnAndRetry('Secondary Rate limit'),
    onRateLimit: warnAndRetry('Rate limit'),
  },
  // Probot's version, as its own class sends it.
  userAgent: `probot/${Probot.version}`,
};

/** `ProbotOctokit` with `requestLogging` in place of Probot's own, and `jsonResponses` (see above). */
export const GateOctokit = Octokit.plugin(
  throttling,
  retry,
  paginateRest,
  restEndpointMethods,
  enterpriseCompatibility,
  requestLogging,
  config,
  jsonResponses,
).defaults((instanceOptions: Record<string, unknown> | undefined) => ({
  ...defaultOptions,
  ...instanceOptions,
  // Probot merges the throttle options one level deep.
  throttle: { ...defaultOptions.throttle, ...(instanceOptions?.throttle as object | undefined) },
})) as unknown as typeof ProbotOctokit;
