/**
 * The console's Roll back (`rollback: propose`): on the release whose verification failed, a
 * writer sees the button with what it deploys and why, and takes it once; a reader sees no
 * button; the release that was verified offers none; a rollback asked from another release's
 * page is refused, naming the release that failed. The API answers the same.
 */
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';
import { defineSource } from '../../src/verify/sources.js';
import { startMetricsShop } from '../support/prometheus.js';
import type { MetricsShop } from '../support/prometheus.js';
import { deploymentCreated, deploymentStatusCreated } from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';
import { startConsoleHarness } from './harness.js';
import type { ConsoleHarness } from './harness.js';

const SHOTS = join(import.meta.dirname, '..', '..', 'docs', 'console');
const GOOD = '7'.repeat(40);
const BAD = '8'.repeat(40);

const POLICY = [
  'version: 1',
  'environments:',
  '  - name: PRE_PROD',
  '    github: staging',
  '    verify:',
  '      duration: 2m',
  '      interval: 1m',
  '      checks:',
  '        - name: health',
  '          source: shop-health',
  '          path: /health',
  '          expectStatus: 200',
  '    rollback: propose',
  '  - name: PROD',
  '    github: production',
  '',
].join('\n');

describe('the console rolls back a release whose verification failed', () => {
  let shop: MetricsShop;
  let h: ConsoleHarness;
  let carol: string;
  let vic: string;

  const tick = async () => {
    await h.app.app.verifier().tick();
    await h.app.app.verifier().idle();
  };

  async function stagingSucceeds(id: number, sha: string): Promise<void> {
    const d: DeploymentSpec = {
      id,
      sha,
      ref: 'v1.0.0',
      environment: 'staging',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    };
    expect(await h.deliver(deploymentCreated(h.ctx, d))).toBe(200);
    const status = deploymentStatusCreated(h.ctx, d, { id: id + 1, state: 'success', at: h.clock.now().toISOString() });
    expect(await h.deliver(status)).toBe(200);
  }

  const page = async (sha: string, cookie: string) =>
    (await h.call(`/repos/acme/shop/releases/${sha}`, { cookie })).text();

  const form = async (sha: string, cookie: string, fields: Record<string, string>) =>
    h.call(`/repos/acme/shop/releases/${sha}/rollback`, {
      cookie,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: await h.csrf(cookie), ...fields }).toString(),
    });

  beforeAll(async () => {
    shop = await startMetricsShop();
    const sources = new Map([['shop-health', defineSource('shop-health', 'test', { type: 'http', url: shop.url })]]);
    h = await startConsoleHarness({
      policy: POLICY,
      seed: false,
      now: '2026-03-10T12:00:00Z',
      server: { sources, verifyIntervalMs: 0 },
    });
    h.github.on('POST /repos/{owner}/{repo}/issues', () => ({ status: 201, body: { id: 60, number: 60 } }));
    // 7777777 verifies in staging; 8888888 answers 503 on /health and fails at once.
    await stagingSucceeds(801, GOOD);
    for (let i = 0; i < 3; i++) {
      await tick();
      h.clock.advance(60_000);
    }
    shop.health = { status: 503, body: { status: 'down' } };
    try {
      await stagingSucceeds(811, BAD);
      await tick();
    } finally {
      shop.health = { status: 200, body: { status: 'ok' } };
    }
    expect((await h.store.verifications.byDeployment(811))?.outcome).toBe('failed');
    carol = await h.signIn('carol');
    vic = await h.signIn('vic');
  });
  afterAll(async () => {
    await h?.close();
    await shop?.close();
  });

  it('offers Roll back to a writer on the failed release, with what it deploys and why, and to nobody else', async () => {
    const html = await page(BAD, carol);
    expect(html).toContain('<h3 id="rollback-h">Roll back</h3>');
    expect(html).toContain('Roll back PRE_PROD to <code>7777777</code></button>');
    expect(html).toContain(
      'The verification of deployment 811 in PRE_PROD failed: 1 of 1 measurement round(s) failed, more than failureLimit 0 allows (health: HTTP 503, expected 200). Rolling back deploys 7777777, the last release verified in staging',
    );
    expect(html).toContain('Its verification failed here: roll back to 7777777 (offered below).');
    // The verdict cell says the deployment's verification failed, beside the gate's word.
    expect(html).toContain('<span class="muted">verification</span> <span class="state failed">failed</span>');
    // Not offered: a promotion PROMOTION_ORDER would refuse.
    expect(html).not.toContain('id="promote-h"');
    expect(html).toContain(
      '8888888 failed its verification in PRE_PROD: it is not promoted from there (deploy it again to verify it again).',
    );
    expect(await page(GOOD, carol)).toContain('id="promote-h"');
    // A reader: no form. The verified release: nothing to roll back.
    expect(await page(BAD, vic)).not.toContain('rollback-h');
    expect(await page(GOOD, carol)).not.toContain('rollback-h');
    const api = await h.call(`/api/v1/repos/acme/shop/releases/${BAD}`, { cookie: carol });
    expect(((await api.json()) as { actions: { rollback: unknown } }).actions.rollback).toMatchObject({
      allowed: true,
      stage: 'PRE_PROD',
      environment: 'staging',
      to: GOOD,
    });
  });

  it('refuses a rollback asked from another release, or by a reader, and creates nothing', async () => {
    const other = await form(GOOD, carol, { environment: 'staging' });
    expect(other.status).toBe(409);
    expect(await other.text()).toContain(
      'The latest failed verification in PRE_PROD is of 8888888, not 7777777: roll back from that release.',
    );
    const reader = await form(BAD, vic, { environment: 'staging' });
    expect(reader.status).toBe(403);
    const missing = await h.call(`/api/v1/repos/acme/shop/releases/${BAD}/rollback`, {
      cookie: carol,
      headers: { 'x-csrf-token': await h.csrf(carol) },
      body: {},
    });
    expect(missing.status).toBe(422);
    expect(h.repo.deployments).toEqual([]);
  });

  it('rolls back once, clicked in Chromium: the deployment of the last verified release is created on GitHub, and the page says so', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      h.github.browserUser = 'carol';
      await page.goto(`${h.url}/`);
      await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
      await page.waitForURL(`${h.url}/`);
      await page.goto(`${h.url}/repos/acme/shop/releases/${BAD}`);
      const button = page.getByRole('button', { name: 'Roll back PRE_PROD to 7777777' });
      await button.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SHOTS, 'rollback.png'), fullPage: true });
      await button.click();
      await page.waitForURL(`${h.url}/repos/acme/shop/releases/${BAD}?done=rollback`);
      expect(await page.getByRole('status').first().textContent()).toContain(
        'The rollback deployment is created on GitHub',
      );
    } finally {
      await browser.close();
    }
    expect(h.repo.deployments.map((d) => [d.environment, d.sha, d.payload])).toEqual([
      ['staging', GOOD, expect.objectContaining({ releaseGate: expect.objectContaining({ rollbackOf: 811 }) })],
    ]);
    const after = await page(BAD, carol);
    expect(after).not.toContain('id="rollback-h"');
    expect(after).toContain(
      `Deployment 811 in PRE_PROD was rolled back already (deployment ${h.repo.deployments[0]!.id}).`,
    );
    // The same again, through the API: unchanged, nothing created twice.
    const again = await h.call(`/api/v1/repos/acme/shop/releases/${BAD}/rollback`, {
      cookie: carol,
      headers: { 'x-csrf-token': await h.csrf(carol) },
      body: { environment: 'PRE_PROD' },
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ outcome: 'unchanged', rollbackOf: 811, sha: GOOD });
    expect(h.repo.deployments).toHaveLength(1);
  });
});
