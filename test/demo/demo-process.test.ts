import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';
import { freshClone, startDemoProcess, waitForBoard, waitForHistory } from '../support/demo-process.js';
import { exitOf, freePort, projectPath, ROOT, startProcess } from '../support/processes.js';
import type { Started } from '../support/processes.js';

const BANNER = 'Demo: a simulated GitHub and generated history, on a throw-away database. Nothing here reaches GitHub.';

describe('npm run demo, from a fresh clone', () => {
  let dir: string;
  let browser: Browser;
  let demo: ReturnType<typeof startDemoProcess>;
  let url: string;
  const others: Started[] = [];

  beforeAll(async () => {
    dir = freshClone();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    for (const p of [demo, ...others]) await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves its board, signed in as the demo user, a few seconds after it is started', async () => {
    const port = await freePort();
    url = `http://localhost:${port}`;
    const since = Date.now();
    demo = startDemoProcess(dir, port);
    const board = await waitForBoard(url, demo, since, 60_000);
    expect(board, demo.output()).not.toBeNull();
    console.log(`demo board served ${board!.ms} ms after \`npm run demo\` started`);
    expect(demo.stdout()).toContain(`Release Gate demo: open ${url}/ (signed in as demo-user;`);
    expect(board!.visit.html).toContain('Signed in as <strong>demo-user</strong>');
    expect(board!.visit.html).toContain(`<p class="banner" role="note">${BANNER}</p>`);
  }, 90_000);

  async function expectBanner(page: Page): Promise<void> {
    await expect(page.getByRole('note').textContent()).resolves.toBe(BANNER);
    expect(await page.getByRole('note').isVisible()).toBe(true);
  }

  it('looks like a demo on every page in Chromium, with the history GitHub and the App made', async () => {
    expect(await waitForHistory(demo), demo.output()).toBe(true);
    const context = await browser.newContext({ viewport: { width: 1280, height: 620 } });
    const page = await context.newPage();
    await page.goto(`${url}/`);
    await page.waitForURL(`${url}/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Board');
    expect(await page.locator('header.top .who strong').textContent()).toBe('demo-user');
    await expectBanner(page);
    const pipeline = async (repo: string) =>
      page.locator('li.card', { hasText: repo }).locator('ol.pipeline li').allTextContents();
    // Each stage shows what runs there (and who approved it) apart from what waits.
    expect(await pipeline('acme/storefront')).toEqual([
      expect.stringMatching(/^DEV\s*Running\s*c3c3c3c v2\.2\.1.*Waiting\s*nothing waits$/),
      expect.stringMatching(/^PRE_PROD\s*Running\s*c3c3c3c v2\.2\.1.*Waiting\s*nothing waits$/),
      expect.stringMatching(/^PROD\s*Running\s*c3c3c3c v2\.2\.1\s*approved by alice.*Waiting\s*1 waiting$/),
    ]);
    expect(await pipeline('acme/payments')).toEqual([
      expect.stringMatching(/^DEV\s*Running\s*f6f6f6f.*Waiting\s*nothing waits$/),
      expect.stringMatching(/^PRE_PROD\s*Running\s*f6f6f6f.*Waiting\s*nothing waits$/),
      expect.stringMatching(
        /^PROD\s*Running\s*d4d4d4d v1\.8\.0\s*approved by alice, bob.*Waiting\s*1 waiting f6f6f6f$/,
      ),
    ]);
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'docs', 'demo.png'), fullPage: true });

    // The freeze holds v2.3.0; the hotfix went through it on an override.
    await page.getByRole('list', { name: 'Repositories' }).getByRole('link', { name: 'acme/storefront' }).click();
    await page.waitForURL(`${url}/repos/acme/storefront`);
    await expectBanner(page);
    const main = page.locator('main');
    expect(await main.textContent()).toMatch(/b2b2b2b\s*PROD \(production\)\s*FREEZE_WINDOW_ACTIVE/);
    expect(await main.textContent()).toContain('Holiday freeze');
    await page.goto(`${url}/repos/acme/storefront/releases/${'c3'.repeat(20)}`);
    await expectBanner(page);
    expect(await main.textContent()).toContain('checkout outage fix');

    // A release refused for skipping a stage, and one refused for want of an approval.
    await page.goto(`${url}/repos/acme/payments`);
    expect(await main.textContent()).toMatch(/e5e5e5e\s*PRE_PROD\s*block\s*PROMOTION_ORDER/);
    await page.goto(`${url}/repos/acme/search-api`);
    expect(await main.textContent()).toMatch(/b8b8b8b\s*PROD\s*block\s*APPROVAL_REQUIRED/);
    await page.goto(`${url}/audit`);
    await expectBanner(page);

    // The demo user may act: a second approval lets the waiting payments release into PROD.
    await page.goto(`${url}/repos/acme/payments/releases/${'f6'.repeat(20)}`);
    await page.getByLabel('Environment').selectOption('production');
    await page.getByRole('button', { name: 'Approve as demo-user' }).click();
    await page.waitForURL(/\?done=approve$/);
    await expectBanner(page);
    expect(await page.locator('section[aria-labelledby="waiting"]').textContent()).toContain('Nothing waits.');
    await context.close();
  }, 150_000);

  it('stops on Ctrl+C', async () => {
    demo.interrupt();
    await exitOf(demo.child);
    // Every process of the demo ends (npm, and the App it started), and its port closes.
    const alive = () => {
      try {
        process.kill(-demo.child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 10_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
    await expect(fetch(`${url}/`)).rejects.toThrow();
  }, 20_000);

  it('refuses to start with real credentials, in one line and with exit code 1', async () => {
    const port = await freePort();
    const p = startProcess(process.execPath, ['bin/release-gate-demo.js'], {
      cwd: dir,
      env: { PATH: projectPath(), HOME: dir, PORT: String(port), GITHUB_TOKEN: `ghp_${'Xy12'.repeat(9)}` },
    });
    others.push(p);
    expect(await exitOf(p.child)).toEqual({ code: 1, signal: null });
    expect(p.stdout()).toBe('');
    expect(p.output()).toBe(
      'The Release Gate demo does not run with real credentials: GITHUB_TOKEN is set; unset it to run the demo (its GitHub is simulated), or run the real App with `npm start`.\n',
    );
  }, 30_000);

  it("runs behind the container's flag, never on the operator's database", async () => {
    const port = await freePort();
    const operatorDb = join(dir, 'data', 'operator.db');
    const since = Date.now();
    const p = startProcess(process.execPath, ['bin/release-gate-app.js'], {
      cwd: dir,
      env: {
        PATH: projectPath(),
        HOME: dir,
        RELEASE_GATE_DEMO: '1',
        NODE_ENV: 'production',
        HOST: '0.0.0.0',
        PORT: String(port),
        DATABASE_URL: `file:${operatorDb}`,
      },
    });
    others.push(p);
    const board = await waitForBoard(`http://localhost:${port}`, p, since, 60_000);
    expect(board, p.output()).not.toBeNull();
    expect(board!.visit.html).toContain(BANNER);
    expect(existsSync(operatorDb)).toBe(false);
    expect((await p.stop()).code).toBe(0);
  }, 90_000);
});
