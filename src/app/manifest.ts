import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'probot';
import { cookie, parseCookies } from '../http/cookies.js';
import { buildManifest, createAppUrl, exchangeManifestCode, readAppYml, REGISTERED_PATH } from './app-manifest.js';
import type { ManifestEnv, RegisteredApp } from './app-manifest.js';
import { AppConfigError } from './config.js';
import { envFileValue, writeEnvFile } from './env-file.js';
import { normalHost, readOriginSettings, requestOrigin } from '../http/request-origin.js';

/**
 * Registration of the App from `app.yml` with GitHub's App manifest flow (as Probot's setup
 * does): `npm start` without APP_ID serves a page whose button posts the manifest to GitHub
 * (or GitHub Enterprise Server with GHE_HOST); GitHub creates the App and sends the browser
 * back with a one-time code, which is exchanged for the App's id, key and secrets
 * (`POST /app-manifests/{code}/conversions`). They are written to `.env` (mode 0600) and
 * the App is restarted by its operator.
 *
 * Whoever finishes a registration decides which App's key the gate runs with, so the page is
 * strict: it answers only under the hosts it was configured for (a page of another site
 * whose name resolves to this machine, DNS rebinding, gets 421); the state GitHub hands back
 * is good once and only in the browser that loaded the page (a cookie); and once an App is
 * registered (by this page or in `.env`), no other code is exchanged and `.env` is never
 * written again.
 */

const STATE_COOKIE = 'rg_registration';
/** GitHub's codes are good for an hour: so is a state. */
const STATE_TTL_MS = 3_600_000;
const MAX_OPEN_STATES = 100;

/** States handed out and not used yet, with their expiry. */
class OpenStates {
  private readonly open = new Map<string, number>();

  issue(now: number): string {
    const state = randomBytes(16).toString('hex');
    if (this.open.size >= MAX_OPEN_STATES) this.open.delete(this.open.keys().next().value!);
    this.open.set(state, now + STATE_TTL_MS);
    return state;
  }

  /** True when `state` was handed out and has not expired; it is spent either way. */
  take(state: string, now: number): boolean {
    const until = this.open.get(state);
    this.open.delete(state);
    return until !== undefined && until > now;
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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

function send(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    'referrer-policy': 'no-referrer',
    ...headers,
  });
  res.end(html);
}

/** `host:port` as a `Host` header names it (IPv6 addresses in brackets). */
function hostWithPort(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** The hosts the page answers under: this machine's loopback names and HOST at the port, and CONSOLE_URL's host. */
function allowedHosts(listenHost: string, port: number, publicUrl: string | null): Set<string> {
  const names = ['localhost', '127.0.0.1', '::1'];
  if (listenHost !== '0.0.0.0' && listenHost !== '::' && listenHost !== '') names.push(listenHost);
  const out = new Set<string>();
  for (const name of names) {
    const host = normalHost(hostWithPort(name, port), 'http');
    if (host) out.add(host);
  }
  if (publicUrl) out.add(new URL(publicUrl).host);
  return out;
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
  const { settings, problems } = readOriginSettings(env);
  if (problems.length > 0) throw new AppConfigError(problems);
  const states = new OpenStates();
  const envFile = join(cwd, '.env');
  let registered: RegisteredApp | null = null;
  // Set from the moment a code is being exchanged: a second one waits for nothing and is refused.
  let finishing = false;
  let hosts = new Set<string>();

  const registeredPage = (app: RegisteredApp | null) =>
    page(
      'Release Gate is registered',
      app
        ? `<p>It was registered as <a href="${escapeHtml(app.htmlUrl)}">${escapeHtml(app.name)}</a>. Restart the App to run it.</p>`
        : `<p><code>${escapeHtml(envFile)}</code> already holds an <code>APP_ID</code>: restart Release Gate to run with it. To register another App, remove <code>APP_ID</code>, <code>PRIVATE_KEY</code> and <code>WEBHOOK_SECRET</code> from it first.</p>`,
    );

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
    const origin = requestOrigin(req, settings);
    if (!origin.host || !hosts.has(origin.host)) {
      log.warn({ host: origin.host }, 'Registration page refused a request for another host');
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        `This registration page answers only at ${[...hosts].map((h) => `http://${h}/`).join(', ')}. ` +
          'To register through another address (a reverse proxy, say), set CONSOLE_URL to it and restart.\n',
      );
      return;
    }
    const baseUrl = origin.origin!;
    const secure = origin.protocol === 'https';
    const now = Date.now();
    if (url.pathname === '/') {
      if (registered || envFileValue(envFile, 'APP_ID')) {
        send(res, 200, registeredPage(registered));
        return;
      }
      const { text, path } = readAppYml(cwd);
      const manifest = buildManifest(text, { baseUrl, publicUrl: settings.publicUrl, env });
      const hook = (manifest.hook_attributes as { url: string }).url;
      const state = states.issue(now);
      const action = `${createAppUrl(env)}?state=${state}`;
      send(
        res,
        200,
        page(
          'Register Release Gate on GitHub',
          `<p>This creates a GitHub App named <strong>${escapeHtml(String(manifest.name))}</strong> on <code>${escapeHtml(new URL(action).host)}</code>${env.GH_ORG ? ` for the organization <code>${escapeHtml(env.GH_ORG)}</code>` : ''}, with the permissions and events of <code>${escapeHtml(path)}</code>.</p>
<p>GitHub will send its webhooks to <code>${escapeHtml(hook)}</code>, and people signing in to the console back to <code>${(manifest.callback_urls as string[]).map(escapeHtml).join('</code> or <code>')}</code>. If the App will be used at another address (behind a reverse proxy, say), set <code>CONSOLE_URL</code> to it; if GitHub cannot reach the webhook address, set <code>WEBHOOK_URL</code> (or <code>WEBHOOK_PROXY_URL</code> for a smee.io channel). Then restart and reload this page.</p>
<p>App names are unique on GitHub: if the name is taken, change <code>name</code> in <code>app.yml</code> and reload.</p>
<form action="${escapeHtml(action)}" method="post">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">
<button type="submit">Register the GitHub App</button>
</form>`,
        ),
        // SameSite=Lax: GitHub sends the browser back with a top-level GET, which carries it.
        { 'set-cookie': cookie(STATE_COOKIE, state, { maxAgeSeconds: STATE_TTL_MS / 1000, secure }) },
      );
      return;
    }
    if (url.pathname === REGISTERED_PATH) {
      await finish(req, res, url, now, secure);
      return;
    }
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('Not found: the App is not registered yet; open / to register it.\n');
  };

  const finish = async (req: IncomingMessage, res: ServerResponse, url: URL, now: number, secure: boolean) => {
    const code = url.searchParams.get('code') ?? '';
    const state = url.searchParams.get('state') ?? '';
    const browserState = parseCookies(req.headers.cookie)[STATE_COOKIE] ?? '';
    const clear = { 'set-cookie': cookie(STATE_COOKIE, '', { maxAgeSeconds: 0, secure }) };
    // Only the browser that loaded the page holds its state; a state presented by another is left for it.
    const fromThisBrowser = state !== '' && same(state, browserState);
    if (!fromThisBrowser || !states.take(state, now) || !/^[\w-]{1,200}$/.test(code)) {
      log.warn(
        { fromThisBrowser, hasCode: code !== '' },
        'Registration return refused: not started in this browser, used already, expired or without a code',
      );
      send(
        res,
        400,
        page(
          'Registration not recognised',
          '<p>This link does not finish a registration started in this browser: its state is missing, was used already or has expired, or it has no code. <a href="/">Start again</a>.</p>',
        ),
        clear,
      );
      return;
    }
    if (registered || finishing || envFileValue(envFile, 'APP_ID')) {
      log.warn('Registration return refused: an App is registered already');
      send(res, 409, registeredPage(registered), clear);
      return;
    }
    finishing = true;
    let app: RegisteredApp;
    try {
      app = await exchangeManifestCode(code, env);
    } catch (error) {
      finishing = false;
      const status = (error as { status?: number }).status;
      log.warn({ status }, 'GitHub did not exchange the registration code');
      send(
        res,
        502,
        page(
          'GitHub did not finish the registration',
          `<p>GitHub answered ${status ?? 'with an error'} when asked for the new App's credentials. Codes are valid once and for one hour: <a href="/">start again</a>. If the App was created, delete it in GitHub's settings first or register it by hand (README: "Register it by hand").</p>`,
        ),
        clear,
      );
      return;
    }
    if (envFileValue(envFile, 'APP_ID')) {
      // Written by someone else while GitHub answered: theirs stays.
      log.warn(
        { appId: app.id },
        `An APP_ID appeared in ${envFile} meanwhile: the new App's credentials are not written`,
      );
      send(
        res,
        409,
        page(
          'Release Gate was registered meanwhile',
          `<p><code>${escapeHtml(envFile)}</code> received an <code>APP_ID</code> while GitHub created <a href="${escapeHtml(app.htmlUrl)}">${escapeHtml(app.name)}</a>; it was left as it is. Delete that App in GitHub's settings if you do not use it.</p>`,
        ),
        clear,
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
      clear,
    );
  };

  const server = createServer((req, res) => {
    res.setHeader('x-content-type-options', 'nosniff');
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
  hosts = allowedHosts(options.host, port, settings.publicUrl);
  const shown = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const url = `http://${hostWithPort(shown, port)}`;
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
