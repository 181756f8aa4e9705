import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_CSV_COLUMNS } from '../../src/store/audit-export.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';
import { PROD_RUN, startConsoleHarness, WAITING } from './harness.js';
import type { ConsoleHarness, Person } from './harness.js';

const DOCS = join(import.meta.dirname, '..', '..', 'docs');

describe('the console in a real browser (headless Chromium)', () => {
  let h: ConsoleHarness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startConsoleHarness();
    // Playwright starts Chromium on a fresh profile of its own each launch.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** A browser profile signed in to GitHub as `person`, then to the console. */
  async function signedIn(person: Person): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    h.github.browserUser = person;
    await page.goto(`${h.url}/`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.waitForURL(`${h.url}/`);
    await expect(page.getByText(`Signed in as ${person}`)).toBeTruthy();
    expect(await page.locator('header.top .who strong').textContent()).toBe(person);
    return { context, page };
  }

  it('signs in, reads the board, opens the waiting release and approves it as an approver', async () => {
    const { context, page } = await signedIn('bob');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Board');
    const card = page.locator('li.card', { hasText: 'acme/shop' });
    expect(await card.locator('ol.pipeline li').allTextContents()).toEqual([
      expect.stringMatching(/^DEVRunningbbbbbbb.*Waitingnothing waits$/),
      expect.stringMatching(/^PRE_PRODRunningaaaaaaa.*Waitingnothing waits$/),
      expect.stringMatching(/^PRODRunningnothing proven deployedWaiting1 waiting aaaaaaa$/),
    ]);
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, 'console-board.png'), fullPage: true });

    await card
      .locator('ol.pipeline li', { hasText: 'PROD' })
      .filter({ hasNotText: 'PRE_PROD' })
      .getByRole('link')
      .click();
    await page.waitForURL(`${h.url}/repos/acme/shop/releases/${WAITING}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Release aaaaaaa of acme/shop');
    expect(await page.locator('tr[data-stage="PROD"]').textContent()).toMatch(/^PRODwaiting.*APPROVAL_REQUIRED/);
    await page.screenshot({ path: join(DOCS, 'console-release.png'), fullPage: true });

    await page.getByLabel('Environment').selectOption('production');
    await page.getByRole('button', { name: 'Approve as bob' }).click();
    await page.waitForURL(/\?done=approve$/);
    expect(await page.getByRole('status').textContent()).toBe(
      'Your approval is recorded and what waited was evaluated again.',
    );
    expect(await page.locator('tr[data-stage="PROD"]').textContent()).toMatch(/^PRODallowed/);
    expect(await page.locator('section[aria-labelledby="verdict"] table').count()).toBe(1); // no waiting request left
    const timeline = await page.locator('section[aria-labelledby="timeline"] tbody tr').allTextContents();
    expect(timeline.some((row) => /APPROVED.*PROD.*review.*bob/.test(row))).toBe(true);
    expect(h.repo.answers.filter((a) => a.runId === PROD_RUN && a.state)).toEqual([
      expect.objectContaining({ state: 'approved' }),
    ]);
    await context.close();
  }, 60_000);

  it('shows a viewer no override, and refuses the override a viewer sends anyway', async () => {
    const { context, page } = await signedIn('vic');
    await page.goto(`${h.url}/repos/acme/shop/releases/${WAITING}`);
    expect(await page.getByRole('button', { name: /override/i }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /approve/i }).count()).toBe(0);
    expect(await page.locator('section[aria-labelledby="actions"]').textContent()).toContain(
      'Your role on acme/shop is viewer',
    );
    // The form a viewer never sees, sent from the viewer's own session with its CSRF token.
    const me = (await (await context.request.get(`${h.url}/api/v1/me`)).json()) as { csrfToken: string };
    const refused = await context.request.post(`${h.url}/repos/acme/shop/releases/${WAITING}/override`, {
      form: { _csrf: me.csrfToken, stage: 'PROD', reason: 'please', risk: 'none' },
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toContain(
      'Granting an override needs write, maintain or admin permission on acme/shop; you have read.',
    );
    expect(await h.store.listOverrides({ repo: 'acme/shop', sha: WAITING })).toEqual([]);
    await context.close();
  }, 60_000);

  it('exports the audit as CSV from the audit page', async () => {
    const { context, page } = await signedIn('vic');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Event').selectOption('APPROVED');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/type=APPROVED/);
    const rows = await page.locator('main tbody tr').allTextContents();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.every((r) => r.includes('APPROVED'))).toBe(true);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('release-gate-audit.csv');
    const csv = readFileSync((await download.path())!, 'utf8').split('\r\n');
    expect(csv[0]).toBe(AUDIT_CSV_COLUMNS.join(','));
    expect(csv.slice(1, -1)).toHaveLength(rows.length);
    expect(csv.slice(1, -1).every((line) => line.split(',')[5] === 'APPROVED')).toBe(true);
    expect(csv.at(-1)).toBe('');
    await context.close();
  }, 60_000);

  it('signs out: the session ends on the server, so a copy of its cookie opens nothing', async () => {
    const { context, page } = await signedIn('vic');
    const copy = (await context.cookies()).find((c) => c.name === 'rg_session')!;
    expect(copy).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${h.url}/`);
    expect(await page.getByRole('link', { name: 'Sign in with GitHub' }).count()).toBe(1);
    expect((await context.cookies()).find((c) => c.name === 'rg_session')).toBeUndefined();
    // Someone who copied the cookie before the sign-out puts it in their own browser.
    const thief = await browser.newContext();
    await thief.addCookies([copy]);
    const stolen = await thief.newPage();
    await stolen.goto(`${h.url}/`);
    expect(await stolen.getByRole('link', { name: 'Sign in with GitHub' }).count()).toBe(1);
    expect(await stolen.locator('header.top .who').count()).toBe(0);
    expect((await thief.request.get(`${h.url}/api/v1/board`)).status()).toBe(401);
    await thief.close();
    await context.close();
  }, 60_000);

  it('after signing in, goes back to a page of this site only', async () => {
    h.github.browserUser = 'vic';
    for (const [asked, landed] of [
      ['/repos/acme/shop', `${h.url}/repos/acme/shop`],
      ['/%5Cevil.example', `${h.url}/`],
      ['/%09/evil.example', `${h.url}/`],
      ['//evil.example', `${h.url}/`],
      ['javascript:alert(document.cookie)', `${h.url}/`],
    ] as const) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${h.url}/auth/login?return=${asked}`);
      await page.waitForURL(landed);
      expect(new URL(page.url()).host, asked).toBe(new URL(h.url).host);
      await context.close();
    }
  }, 60_000);

  it('fits a phone screen and can be used with the keyboard', async () => {
    const { context, page } = await signedIn('bob');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${h.url}/repos/acme/shop`);
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(390);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.textContent')).toBe('Skip to content');
    expect(await page.locator('main#main').count()).toBe(1);
    expect(await page.locator('nav[aria-label="Console"]').count()).toBe(1);
    await context.close();
  }, 60_000);
});
