import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProbotOctokit } from 'probot';
import { parse } from 'yaml';

/**
 * The GitHub App manifest built from `app.yml`, and its conversion into the App's
 * credentials (GitHub's App manifest flow, as Probot's setup uses it).
 * https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest
 */

/** Where GitHub sends the browser back after creating the App. */
export const REGISTERED_PATH = '/registered';
/** The console's OAuth callback (src/console/handler.ts): GitHub only sends users back to a callback URL the App lists. */
export const OAUTH_CALLBACK_PATH = '/auth/callback';

/** The keys of a manifest GitHub reads; anything else in app.yml is left out. */
const MANIFEST_KEYS = [
  'name',
  'url',
  'description',
  'public',
  'default_events',
  'default_permissions',
  'request_oauth_on_install',
  'setup_on_update',
  'callback_urls',
  'setup_url',
] as const;

export interface ManifestEnv {
  GHE_HOST?: string | undefined;
  GHE_PROTOCOL?: string | undefined;
  GH_ORG?: string | undefined;
  WEBHOOK_URL?: string | undefined;
  WEBHOOK_PROXY_URL?: string | undefined;
  /** The address the App will be used at once registered (behind a proxy, say): its callback and webhook URLs. */
  CONSOLE_URL?: string | undefined;
  TRUST_PROXY?: string | undefined;
}

/** The `app.yml` of the working directory when there is one (an operator's copy), else the package's. */
export function readAppYml(cwd: string): { path: string; text: string } {
  const own = join(cwd, 'app.yml');
  const path = existsSync(own) ? own : new URL('../../app.yml', import.meta.url).pathname;
  return { path, text: readFileSync(path, 'utf8') };
}

/**
 * The manifest GitHub is given: app.yml's name, description, permissions and events, the
 * webhook URL (WEBHOOK_PROXY_URL for local development through smee, else WEBHOOK_URL, else
 * the public address, else this server as the browser reached it), the console's OAuth
 * callback at the public address and at this server (GitHub refuses a sign-in whose
 * `redirect_uri` is not under one of them), and the URL GitHub sends the browser back to.
 */
export function buildManifest(
  appYml: string,
  options: { baseUrl: string; publicUrl?: string | null; env: ManifestEnv },
): Record<string, unknown> {
  const yml = (parse(appYml) ?? {}) as Record<string, unknown>;
  const manifest: Record<string, unknown> = {};
  for (const key of MANIFEST_KEYS) if (yml[key] !== undefined) manifest[key] = yml[key];
  const publicUrl = options.publicUrl ?? options.baseUrl;
  const hook = options.env.WEBHOOK_PROXY_URL || options.env.WEBHOOK_URL || `${publicUrl}/api/github/webhooks`;
  manifest.hook_attributes = { url: hook, active: true };
  manifest.redirect_url = `${options.baseUrl}${REGISTERED_PATH}`;
  const listed = Array.isArray(yml.callback_urls) ? yml.callback_urls.map(String) : [];
  // GitHub takes at most 10 callback URLs.
  manifest.callback_urls = [
    ...new Set([`${publicUrl}${OAUTH_CALLBACK_PATH}`, `${options.baseUrl}${OAUTH_CALLBACK_PATH}`, ...listed]),
  ].slice(0, 10);
  return manifest;
}

/** GitHub's page that creates an App from a manifest (for an organization with GH_ORG). */
export function createAppUrl(env: ManifestEnv): string {
  const host = env.GHE_HOST || 'github.com';
  const protocol = env.GHE_PROTOCOL || 'https';
  return `${protocol}://${host}${env.GH_ORG ? `/organizations/${encodeURIComponent(env.GH_ORG)}` : ''}/settings/apps/new`;
}

function apiBaseUrl(env: ManifestEnv): string {
  return env.GHE_HOST ? `${env.GHE_PROTOCOL || 'https'}://${env.GHE_HOST}/api/v3` : 'https://api.github.com';
}

/** The App GitHub created, as `POST /app-manifests/{code}/conversions` answers. */
export interface RegisteredApp {
  id: number;
  slug: string;
  name: string;
  htmlUrl: string;
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  pem: string;
}

/** Exchanges the one-time code GitHub gave the browser for the App's credentials. */
export async function exchangeManifestCode(code: string, env: ManifestEnv): Promise<RegisteredApp> {
  const octokit = new ProbotOctokit({
    baseUrl: apiBaseUrl(env),
    retry: { enabled: false },
    throttle: { enabled: false },
  });
  const { data } = await octokit.request('POST /app-manifests/{code}/conversions', { code });
  if (!data.pem || !data.webhook_secret)
    throw new Error('GitHub answered the conversion without a private key or webhook secret.');
  return {
    id: data.id,
    slug: data.slug ?? '',
    name: data.name,
    htmlUrl: data.html_url,
    clientId: data.client_id,
    clientSecret: data.client_secret,
    webhookSecret: data.webhook_secret,
    pem: data.pem,
  };
}
