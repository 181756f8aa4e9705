import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShop } from '../support/app-harness.js';
import type { Shop } from '../support/app-harness.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';
import { readComposeLayout, startComposeProxy } from '../support/compose-proxy.js';
import type { ComposeProxy } from '../support/compose-proxy.js';
import { policy } from '../support/policies.js';
import { freePort, startAppProcess, waitForStatus } from '../support/processes.js';
import type { Started } from '../support/processes.js';
import { postgresTarget } from '../store/targets.js';
import type { Target } from '../store/targets.js';
import { deploymentStatusCreated, protectionRuleRequested, sendWebhook } from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field and checked by the assertions
type Json = Record<string, any>;

const RELEASE = 'f'.repeat(40);

const processes: Started[] = [];
/** What the App's processes logged, for a failure's message. */
const logs = () =>
  processes.map((p, i) => `--- process ${i}:\n${p.output().split('\n').slice(-60).join('\n')}`).join('\n');

/** Polls `check` until it gives a value (or the time is up). */
async function eventually<T>(
  what: string,
  check: () => Promise<T | null | undefined> | T | null | undefined,
): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await check();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${logs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The path the README gives a newcomer, against the fake GitHub: `npm start` without an App
 * serves the registration page; GitHub creates the App from the manifest and the page writes
 * `.env`; the App restarts with it as compose.yaml runs it (its environment, two replicas on
 * PostgreSQL, behind a proxy that sets the headers its nginx sets); a person signs in to the
 * console through that proxy in Chromium; a deployment is gated and the person's approval
 * in the console decides it.
 */
// SECURITY.md C5
describe('a newcomer registers the App, restarts it behind the compose proxy, signs in and decides a gate', () => {
  let shop: Shop;
  let dir: string;
  let database: Target;
  let browser: Browser;
  let proxy: ComposeProxy | null = null;

  beforeAll(async () => {
    shop = await startShop(policy({ DEV: [], PRE_PROD: ['minApprovals: 1'] }));
    shop.repo.permissions = { ada: 'admin' };
    dir = mkdtempSync(join(tmpdir(), 'release-gate-newcomer-'));
    database = await postgresTarget();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  }, 60_000);
  afterAll(async () => {
    for (const p of processes) await p.stop();
    await proxy?.close();
    await browser?.close();
    await shop?.github.close();
    await database?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('works from the registration page to a gate approved in the console', async () => {
    const { github, repo, ctx } = shop;
    const ports = [await freePort(), await freePort()];
    proxy = await startComposeProxy(
      ports.map((p) => `http://127.0.0.1:${p}`),
      readComposeLayout(),
    );
    const ghe = { GHE_HOST: github.host, GHE_PROTOCOL: 'http' };

    // 1. `CONSOLE_URL=<the proxy's address> npm start` on a workstation: the registration page.
    const registration = startAppProcess(dir, {
      ...ghe,
      HOST: '127.0.0.1',
      PORT: String(ports[0]),
      CONSOLE_URL: proxy.url,
      LOG_FORMAT: 'json',
    });
    processes.push(registration);
    expect(
      await waitForStatus(`http://127.0.0.1:${ports[0]}/health/live`, 200, registration),
      registration.output(),
    ).not.toBeNull();
    const registering = await browser.newContext();
    const page = await registering.newPage();
    await page.goto(`http://localhost:${ports[0]}/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Register Release Gate on GitHub');
    await page.getByRole('button', { name: 'Register the GitHub App' }).click();
    await page.waitForURL(new RegExp(`^http://localhost:${ports[0]}/registered\\?code=`));
    expect(await page.getByRole('heading', { level: 1 }).textContent(), registration.output()).toBe(
      'Release Gate is registered',
    );
    await registering.close();
    const created = github.manifestApps[0]!;
    expect(created.callbackUrls).toContain(`${proxy.url}/auth/callback`);
    expect(created.manifest.hook_attributes).toEqual({ url: `${proxy.url}/api/github/webhooks`, active: true });
    const written = parseEnv(readFileSync(join(dir, '.env'), 'utf8'));
    expect(written).toMatchObject({
      APP_ID: String(created.id),
      GITHUB_CLIENT_ID: created.clientId,
      WEBHOOK_SECRET: created.webhookSecret,
    });
    // The public address is compose's to give (CONSOLE_URL in the shell or compose's default), not .env's.
    expect(written.CONSOLE_URL).toBeUndefined();
    await registration.stop();

    // 2. Restarted as compose.yaml runs it: its environment (the database, this machine's ports and
    //    the fake GitHub aside), the written .env, two replicas behind the proxy.
    const layout = readComposeLayout({ CONSOLE_URL: proxy.url });
    for (const port of ports) {
      const replica = startAppProcess(dir, {
        ...layout.appEnvironment,
        DATABASE_URL: database.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        ...ghe,
      });
      processes.push(replica);
      expect(
        await waitForStatus(`http://127.0.0.1:${port}/health/ready`, 200, replica),
        replica.output(),
      ).not.toBeNull();
    }

    // 3. Sign in to the console through the proxy, in a browser.
    github.browserUser = 'ada';
    const person = await browser.newContext();
    const console = await person.newPage();
    await console.goto(`${proxy.url}/`);
    await console.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await console.waitForURL(`${proxy.url}/`);
    expect(await console.locator('header.top .who strong').textContent()).toBe('ada');
    expect(github.violations).toEqual([]);

    // 4. GitHub asks the App about deployments, through the proxy, signed with the secret GitHub gave.
    const secret = written.WEBHOOK_SECRET!;
    const ask = async (d: DeploymentSpec & { runId: number }) => {
      repo.pendingRules.add(`${d.runId}/${d.environment}`);
      expect(await sendWebhook(proxy!.url, secret, protectionRuleRequested(ctx, d))).toBe(200);
    };
    const dev = {
      id: 501,
      sha: RELEASE,
      ref: 'main',
      environment: 'development',
      creator: 'deployer',
      createdAt: new Date().toISOString(),
    };
    await ask({ ...dev, runId: 101 });
    await eventually('DEV approved', () => repo.answers.find((a) => a.runId === 101 && a.state === 'approved'));
    expect(
      await sendWebhook(
        proxy.url,
        secret,
        deploymentStatusCreated(ctx, dev, { id: 601, state: 'success', at: new Date().toISOString() }),
      ),
    ).toBe(200);
    const board = async () => (await (await person.request.get(`${proxy!.url}/api/v1/board`)).json()) as Json;
    await eventually('DEV shown as deployed', async () =>
      (await board()).repositories[0]?.stages[0]?.current?.state === 'success' ? true : null,
    );
    await ask({ ...dev, id: 502, environment: 'staging', runId: 102 });
    await eventually('PRE_PROD waiting', async () =>
      (await board()).repositories[0]?.stages[1]?.waiting === 1 ? true : null,
    );
    expect(repo.answers.filter((a) => a.runId === 102 && a.state)).toEqual([]);
    // The replica that decided it is done with it once its check run is written (after the answer).
    await eventually('the PRE_PROD check run', () => repo.checkRuns.find((c) => c.name.endsWith('PRE_PROD')));

    // 5. The person approves it in the console; the gate answers GitHub.
    await console.goto(`${proxy.url}/repos/acme/shop/releases/${RELEASE}`);
    await console.getByLabel('Environment').selectOption('staging');
    await console.getByRole('button', { name: 'Approve as ada' }).click();
    await console.waitForURL(/\?done=approve$/);
    await eventually('PRE_PROD approved', () => repo.answers.find((a) => a.runId === 102 && a.state === 'approved'));

    // 6. Signing out ends the session on both replicas.
    const session = (await person.cookies()).find((c) => c.name === 'rg_session')!;
    await console.getByRole('button', { name: 'Sign out' }).click();
    await console.waitForURL(`${proxy.url}/`);
    expect(await console.getByRole('link', { name: 'Sign in with GitHub' }).count()).toBe(1);
    for (const port of ports) {
      const replayed = await fetch(`http://127.0.0.1:${port}/api/v1/me`, {
        headers: { cookie: `rg_session=${session.value}` },
      });
      expect(replayed.status).toBe(401);
    }
    await person.close();
    expect(github.violations).toEqual([]);
  }, 180_000);
});
