import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SourcesConfigError, sourcesFromEnv } from '../verify/sources.js';
import type { SourceSet } from '../verify/sources.js';

/** Settings of `npm start`, read once from the environment (Probot's usual variables). */
export interface AppConfig {
  appId: number;
  privateKey: string;
  secret: string;
  baseUrl: string;
  port: number;
  host: string | undefined;
  databaseUrl: string | undefined;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  logFormat: 'json' | 'pretty';
  schedulerIntervalMs: number;
  /** A smee.io (or compatible) channel that forwards GitHub's deliveries to this App, for local development. */
  webhookProxyUrl: string | undefined;
  /** The data sources verifications may name (PROMETHEUS_URL, RELEASE_GATE_SOURCES). */
  sources: SourceSet;
}

/** The environment could not configure the App; `problems` says what to set and how. */
export class AppConfigError extends Error {
  override readonly name = 'AppConfigError';
  constructor(readonly problems: string[]) {
    super(`Release Gate cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const FORMATS = ['json', 'pretty'] as const;

/** LOG_LEVEL (default info) and LOG_FORMAT (default pretty), read before anything else is logged. */
export function readLogSettings(env: NodeJS.ProcessEnv): {
  level: AppConfig['logLevel'];
  format: AppConfig['logFormat'];
  problems: string[];
} {
  const problems: string[] = [];
  const level = (env.LOG_LEVEL ?? 'info').toLowerCase() as AppConfig['logLevel'];
  if (!LEVELS.includes(level)) problems.push(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, not "${env.LOG_LEVEL}".`);
  const format = (env.LOG_FORMAT ?? 'pretty').toLowerCase() as AppConfig['logFormat'];
  if (!FORMATS.includes(format))
    problems.push(`LOG_FORMAT must be json (one JSON object per line) or pretty, not "${env.LOG_FORMAT}".`);
  return {
    level: LEVELS.includes(level) ? level : 'info',
    format: FORMATS.includes(format) ? format : 'pretty',
    problems,
  };
}

function readKey(env: NodeJS.ProcessEnv, cwd: string, problems: string[]): string | null {
  let text: string;
  let source: string;
  if (env.PRIVATE_KEY) {
    source = 'PRIVATE_KEY';
    text = env.PRIVATE_KEY.includes('-----BEGIN')
      ? env.PRIVATE_KEY.replace(/\\n/g, '\n')
      : Buffer.from(env.PRIVATE_KEY, 'base64').toString('utf8');
  } else if (env.PRIVATE_KEY_PATH) {
    source = `PRIVATE_KEY_PATH (${env.PRIVATE_KEY_PATH})`;
    try {
      text = readFileSync(resolve(cwd, env.PRIVATE_KEY_PATH), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(
        `PRIVATE_KEY_PATH points at ${env.PRIVATE_KEY_PATH}, which cannot be read (${code ?? 'error'}). Give the path of the .pem file downloaded from the GitHub App's settings page.`,
      );
      return null;
    }
  } else {
    problems.push(
      'No private key: set PRIVATE_KEY (the PEM text, or base64 of it) or PRIVATE_KEY_PATH (the .pem file from "Generate a private key" on the GitHub App\'s settings page).',
    );
    return null;
  }
  try {
    const key = createPrivateKey(text);
    if (key.asymmetricKeyType !== 'rsa') {
      problems.push(
        `${source} is a ${key.asymmetricKeyType ?? 'non-RSA'} key; GitHub Apps sign with RSA keys. Use the .pem file GitHub generated.`,
      );
      return null;
    }
  } catch {
    // The key's text is never repeated in the message.
    problems.push(
      `${source} is not a PEM private key (it must start with "-----BEGIN RSA PRIVATE KEY-----" or "-----BEGIN PRIVATE KEY-----"). Use the .pem file GitHub generated, unchanged, or its base64.`,
    );
    return null;
  }
  return text;
}

/**
 * Reads APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET, GHE_HOST / GHE_PROTOCOL,
 * PORT, HOST, DATABASE_URL, LOG_LEVEL, LOG_FORMAT, WEBHOOK_PROXY_URL. Throws an {@link AppConfigError} listing every
 * problem with how to fix it; never includes a key or secret in a message.
 */
export function readAppConfig(env: NodeJS.ProcessEnv, cwd: string): AppConfig {
  const problems: string[] = [];
  const appId = Number(env.APP_ID);
  if (!env.APP_ID) problems.push('APP_ID is not set: use the "App ID" number from the GitHub App\'s settings page.');
  else if (!Number.isInteger(appId) || appId <= 0)
    problems.push(`APP_ID must be the App's numeric id (like 123456), not "${env.APP_ID.slice(0, 40)}".`);
  const privateKey = readKey(env, cwd, problems);
  const secret = env.WEBHOOK_SECRET ?? '';
  if (!secret)
    problems.push(
      'WEBHOOK_SECRET is not set: use the same "Webhook secret" as in the GitHub App\'s settings, so the App can check that deliveries come from GitHub.',
    );
  else if (secret === 'development')
    problems.push('WEBHOOK_SECRET is Probot\'s placeholder "development": set the App\'s real webhook secret.');
  const protocol = (env.GHE_PROTOCOL ?? 'https').toLowerCase();
  if (protocol !== 'https' && protocol !== 'http')
    problems.push(`GHE_PROTOCOL must be https or http, not "${env.GHE_PROTOCOL}".`);
  const baseUrl = env.GHE_HOST ? `${protocol}://${env.GHE_HOST}/api/v3` : 'https://api.github.com';
  const port = env.PORT ? Number(env.PORT) : 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    problems.push(`PORT must be a port number, not "${env.PORT}".`);
  const log = readLogSettings(env);
  problems.push(...log.problems);
  const proxy = env.WEBHOOK_PROXY_URL || undefined;
  if (proxy !== undefined && !/^https?:\/\/[^\s/]+/.test(proxy))
    problems.push(
      `WEBHOOK_PROXY_URL must be a channel URL such as https://smee.io/AbCd1234, not "${proxy.slice(0, 80)}".`,
    );
  const interval = env.SCHEDULER_INTERVAL_SECONDS ? Number(env.SCHEDULER_INTERVAL_SECONDS) * 1000 : 30_000;
  if (!Number.isFinite(interval) || interval < 1000)
    problems.push('SCHEDULER_INTERVAL_SECONDS must be a number of seconds, 1 or more.');
  let sources: SourceSet = new Map();
  try {
    sources = sourcesFromEnv(env, (path) => readFileSync(resolve(cwd, path), 'utf8'));
  } catch (error) {
    if (!(error instanceof SourcesConfigError)) throw error;
    problems.push(error.message);
  }
  if (problems.length > 0) throw new AppConfigError(problems);
  return {
    sources,
    appId,
    privateKey: privateKey!,
    secret,
    baseUrl,
    port,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    logLevel: log.level,
    logFormat: log.format,
    schedulerIntervalMs: interval,
    webhookProxyUrl: proxy,
  };
}
