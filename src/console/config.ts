import { createHmac } from 'node:crypto';
import { readOriginSettings } from '../http/request-origin.js';

/** Settings of the console and its API, read once from the environment. */
export interface ConsoleConfig {
  /** The GitHub App's OAuth client id and secret (its settings page); sign-in is off without them. */
  clientId: string | null;
  clientSecret: string | null;
  /** Key of the session cookie's signature and of the CSRF tokens. */
  sessionSecret: string;
  /** GitHub's API root (`https://api.github.com` or `<GHE>/api/v3`): the web host is derived from it. */
  apiBaseUrl: string;
  /** The console's public address (`https://gate.example.com`), for OAuth's redirect; from the request when unset. */
  publicUrl: string | null;
  /** `TRUST_PROXY=true`: believe the `X-Forwarded-Host`, `-Proto` and `-For` a reverse proxy sets. */
  trustProxy: boolean;
  /** How long a session lasts. */
  sessionTtlMs: number;
  /** Requests per user per window, and the window. */
  rateLimit: { limit: number; windowMs: number };
  /** How long what a user can reach (their repositories and permissions) read from GitHub is trusted. */
  permissionTtlMs: number;
  /** How long a bearer token verified with GitHub is trusted. */
  tokenTtlMs: number;
  /** A line shown at the top of every page (the demo says it is one). */
  banner?: string;
}

/** The console's settings could not be read; `problems` says what to set. */
export class ConsoleConfigError extends Error {
  override readonly name = 'ConsoleConfigError';
  constructor(readonly problems: string[]) {
    super(`The release console cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const positive = (env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    problems.push(`${name} must be a positive number, not "${raw.slice(0, 40)}".`);
    return fallback;
  }
  return n;
};

/**
 * Reads GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, SESSION_SECRET (else derived from
 * WEBHOOK_SECRET), CONSOLE_URL, TRUST_PROXY, SESSION_TTL_HOURS, API_RATE_LIMIT (requests per
 * minute per user). `apiBaseUrl` is the App's (it respects GHE_HOST).
 */
export function readConsoleConfig(env: NodeJS.ProcessEnv, apiBaseUrl: string): ConsoleConfig {
  const problems: string[] = [];
  const base = env.SESSION_SECRET || env.WEBHOOK_SECRET;
  if (!base)
    problems.push(
      'Set SESSION_SECRET (a long random string) to sign console sessions, or WEBHOOK_SECRET to derive one from.',
    );
  else if (env.SESSION_SECRET && env.SESSION_SECRET.length < 32)
    problems.push('SESSION_SECRET must be at least 32 characters: use e.g. `openssl rand -hex 32`.');
  const clientId = env.GITHUB_CLIENT_ID || null;
  const clientSecret = env.GITHUB_CLIENT_SECRET || null;
  if (Boolean(clientId) !== Boolean(clientSecret))
    problems.push(
      'Set both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the "Client ID" and a client secret from the GitHub App\'s settings page), or neither.',
    );
  const origin = readOriginSettings({ CONSOLE_URL: env.CONSOLE_URL, TRUST_PROXY: env.TRUST_PROXY });
  problems.push(...origin.problems);
  const hours = positive(env, 'SESSION_TTL_HOURS', 8, problems);
  const perMinute = positive(env, 'API_RATE_LIMIT', 300, problems);
  if (problems.length > 0) throw new ConsoleConfigError(problems);
  // A derived key, so the webhook secret itself never signs anything a browser holds.
  const sessionSecret =
    env.SESSION_SECRET || createHmac('sha256', base!).update('release-gate console session').digest('hex');
  return {
    clientId,
    clientSecret,
    sessionSecret,
    apiBaseUrl,
    publicUrl: origin.settings.publicUrl,
    trustProxy: origin.settings.trustProxy,
    sessionTtlMs: hours * 3_600_000,
    rateLimit: { limit: Math.floor(perMinute), windowMs: 60_000 },
    permissionTtlMs: 5 * 60_000,
    tokenTtlMs: 60_000,
  };
}
