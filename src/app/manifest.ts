import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ProbotOctokit } from 'probot';
import type { Logger } from 'probot';
import { parse } from 'yaml';

/**
 * Registration of the App from `app.yml` with GitHub's App manifest flow (as Probot's setup
 * does): `npm start` without APP_ID serves a page whose button posts the manifest to GitHub
 * (or GitHub Enterprise Server with GHE_HOST); GitHub creates the App and sends the browser
 * back with a one-time code, which is exchanged for the App's id, key and secrets
 * (`POST /app-manifests/{code}/conversions`). They are written to `.env` (mode 0600) and
 * the App is restarted by its operator.
 * https://docs.github.com/en/apps/sharing-github-apps/registering-a-github-app-from-a-manifest
 */

/** Where GitHub sends the browser back after creating the App. */
export const REGISTERED_PATH = '/registered';

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
 * this server as the browser reached it) and the URL GitHub sends the browser back to.
 */
export function buildManifest(appYml: string, options: { baseUrl: string; env: ManifestEnv }): Record<string, unknown> {
  const yml = (parse(appYml) ?? {}) as Record<string, unknown>;
  const manifest: Record<string, unknown> = {};
  for (const key of MANIFEST_KEYS) if (yml[key] !== undefined) manifest[key] = yml[key];
  const hook = options.env.WEBHOOK_PROXY_URL || options.env.WEBHOOK_URL || `${options.baseUrl}/api/github/webhooks`;
  manifest.hook_attributes = { url: hook, active: true };
  manifest.redirect_url = `${options.baseUrl}${REGISTERED_PATH}`;
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

/**
 * Sets `values` in the `.env` file (other lines are kept, the keys' old lines dropped),
 * written whole to a temporary file readable only by its owner and renamed over the old one.
 */
export function writeEnvFile(file: string, values: Record<string, string>, note: string): void {
  const keys = new Set(Object.keys(values));
  const kept = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !keys.has(line.split('=')[0]!.trim()))
    : [];
  while (kept.length > 0 && kept.at(-1) === '') kept.pop();
  const lines = [
    ...kept,
    ...(kept.length > 0 ? [''] : []),
    `# ${note}`,
    ...Object.entries(values).map(([k, v]) => `${k}=${v}`),
    '',
  ];
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, lines.join('\n'), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function baseUrlOf(req: IncomingMessage): string {
  const first = (value: string | string[] | undefined) =>
    (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
  const proto =
    first(req.headers['x-forwarded-proto']) ?? ((req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
  const host = first(req.headers['x-forwarded-host']) ?? req.headers.host ?? 'localhost';
  return `${proto === 'https' ? 'https' : 'http'}://${host}`;
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;line-height:1.5}code{background:#f3f3f3;padding:0 .2rem}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

export interface RegistrationServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The registration page: `GET /` shows what will be registered and a button that posts the
 * manifest to GitHub; `GET /registered?code=...&state=...` finishes it. `/health/live`
 * answers 200 and `/health/ready` 503 (not registered), so a probe does not mistake this
 * for a running gate.
 */
export async function startRegistrationServer(options: {
  env: ManifestEnv;
  cwd: string;
  log: Logger;
  port: number;
  host: string;
}): Promise<RegistrationServer> {
  const { env, cwd, log } = options;
  // A state per process: GitHub returns it with the code, so only a flow this page started can finish here.
  const state = randomBytes(16).toString('hex');
  const envFile = join(cwd, '.env');
  let registered: RegisteredApp | null = null;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (url.pathname === '/health/live') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (url.pathname === '/health' || url.pathname === '/health/ready') {
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end(
          '{"status":"unregistered","message":"The App is not registered: open / to register it, or set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET."}',
        );
      return;
    }
    if (url.pathname === '/') {
      if (registered) {
        send(
          res,
          200,
          page(
            'Release Gate is registered',
            `<p>It was registered as <a href="${escapeHtml(registered.htmlUrl)}">${escapeHtml(registered.name)}</a>. Restart the App to run it.</p>`,
          ),
        );
        return;
      }
      const { text, path } = readAppYml(cwd);
      const manifest = buildManifest(text, { baseUrl: baseUrlOf(req), env });
      const hook = (manifest.hook_attributes as { url: string }).url;
      const action = `${createAppUrl(env)}?state=${state}`;
      send(
        res,
        200,
        page(
          'Register Release Gate on GitHub',
          `<p>This creates a GitHub App named <strong>${escapeHtml(String(manifest.name))}</strong> on <code>${escapeHtml(new URL(action).host)}</code>${env.GH_ORG ? ` for the organization <code>${escapeHtml(env.GH_ORG)}</code>` : ''}, with the permissions and events of <code>${escapeHtml(path)}</code>.</p>
<p>GitHub will send its webhooks to <code>${escapeHtml(hook)}</code>. If GitHub cannot reach that address, set <code>WEBHOOK_URL</code> (or <code>WEBHOOK_PROXY_URL</code> for a smee.io channel) and reload this page.</p>
<p>App names are unique on GitHub: if the name is taken, change <code>name</code> in <code>app.yml</code> and reload.</p>
<form action="${escapeHtml(action)}" method="post">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
<button type="submit">Register the GitHub App</button>
</form>`,
        ),
      );
      return;
    }
    if (url.pathname === REGISTERED_PATH) {
      const code = url.searchParams.get('code') ?? '';
      if (url.searchParams.get('state') !== state || !/^[\w-]{1,200}$/.test(code)) {
        send(
          res,
          400,
          page(
            'Registration not recognised',
            '<p>This link does not come from a registration this server started (its state or code is missing or wrong). <a href="/">Start again</a>.</p>',
          ),
        );
        return;
      }
      let app: RegisteredApp;
      try {
        app = await exchangeManifestCode(code, env);
      } catch (error) {
        const status = (error as { status?: number }).status;
        log.warn({ status }, 'GitHub did not exchange the registration code');
        send(
          res,
          502,
          page(
            'GitHub did not finish the registration',
            `<p>GitHub answered ${status ?? 'with an error'} when asked for the new App's credentials. Codes are valid once and for one hour: <a href="/">start again</a>. If the App was created, delete it in GitHub's settings first or register it by hand (README: "Register it by hand").</p>`,
          ),
        );
        return;
      }
      writeEnvFile(
        envFile,
        {
          APP_ID: String(app.id),
          PRIVATE_KEY: Buffer.from(app.pem).toString('base64'),
          WEBHOOK_SECRET: app.webhookSecret,
          GITHUB_CLIENT_ID: app.clientId,
          GITHUB_CLIENT_SECRET: app.clientSecret,
        },
        `Release Gate registered on GitHub as ${app.slug || app.name} (${app.htmlUrl}). Keep this file secret. PRIVATE_KEY is the PEM, base64.`,
      );
      registered = app;
      log.info(
        { appId: app.id, slug: app.slug, envFile },
        `Registered the GitHub App ${app.name}; its credentials are in ${envFile}. Restart Release Gate to run it.`,
      );
      send(
        res,
        200,
        page(
          'Release Gate is registered',
          `<p>GitHub created the App <a href="${escapeHtml(app.htmlUrl)}">${escapeHtml(app.name)}</a> (id ${app.id}).</p>
<p><code>APP_ID</code>, <code>PRIVATE_KEY</code>, <code>WEBHOOK_SECRET</code>, <code>GITHUB_CLIENT_ID</code> and <code>GITHUB_CLIENT_SECRET</code> are in <code>${escapeHtml(envFile)}</code>, readable only by its owner. Keep it secret.</p>
<ol><li><strong>Restart Release Gate</strong> (stop it and run <code>npm start</code> again) so it runs with them.</li>
<li><a href="${escapeHtml(app.htmlUrl)}/installations/new">Install the App</a> on the repositories to gate.</li></ol>`,
        ),
      );
      return;
    }
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('Not found: the App is not registered yet; open / to register it.\n');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error instanceof Error ? error.message : String(error) }, 'Registration page failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const url = `http://${shown}:${port}`;
  log.info(
    { url },
    `Release Gate is not registered on GitHub yet (no APP_ID). Open ${url}/ in a browser to register it from app.yml, or set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET.`,
  );
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
