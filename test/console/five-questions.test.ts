import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';
import type { Person } from './harness.js';
import { REPOS, startRealisticConsole } from './realistic-record.js';
import type { RealisticRecord } from './realistic-record.js';

const SHOTS = join(import.meta.dirname, '..', '..', 'docs', 'console');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * A release manager's five questions on a realistic record (4 repositories, 217 releases
 * over 30 days, over 1,000 evaluations), each answered in Chromium within 2 clicks from the
 * board, as a person would click.
 */
describe('the console answers a release manager on a Monday morning (headless Chromium)', () => {
  let r: RealisticRecord;
  let browser: Browser;

  beforeAll(async () => {
    r = await startRealisticConsole();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    mkdirSync(SHOTS, { recursive: true });
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await r?.h.close();
  });

  async function signedIn(
    person: Person,
    options: { timezoneId?: string; colorScheme?: 'light' | 'dark'; width?: number } = {},
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport: { width: options.width ?? 1280, height: 900 },
      timezoneId: options.timezoneId ?? 'UTC',
      colorScheme: options.colorScheme ?? 'light',
      // axe-core is injected as a script the console's CSP would refuse.
      bypassCSP: true,
    });
    const page = await context.newPage();
    r.h.github.browserUser = person;
    await page.goto(`${r.h.url}/`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.waitForURL(`${r.h.url}/`);
    return { context, page };
  }

  async function axeViolations(page: Page): Promise<Array<{ id: string; nodes: number }>> {
    await page.addScriptTag({ path: AXE });
    const found = (await page.evaluate(
      'axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"] }).then((r) => r.violations.map((v) => ({ id: v.id, nodes: v.nodes.length })))',
    )) as Array<{ id: string; nodes: number }>;
    return found;
  }

  it('seeds a record of at least 4 repositories, 200 releases over 30 days and about 1,000 evaluations', async () => {
    expect(REPOS).toHaveLength(4);
    expect(r.releases).toBeGreaterThanOrEqual(200);
    expect(r.evaluations).toBeGreaterThanOrEqual(900);
    let stored = 0;
    for (const repo of REPOS) stored += (await r.h.store.listEvaluations({ repo })).length;
    // And the evaluations of the live requests, made by the App.
    expect(stored).toBeGreaterThan(r.evaluations);
  });

  it('1. what waits on me: one queue across repositories, only where my approval would count, oldest first', async () => {
    const { context, page } = await signedIn('bob');
    const rows = page.locator('section[aria-labelledby="queue"] tbody tr');
    const texts = await rows.allTextContents();
    // acme/api takes approvals from api-owners only, and acme/web's request is bob's own pull request.
    expect(texts).toEqual([
      expect.stringMatching(/^8 d 23 h.*acme\/shop.*2570c6d.*PROD.*APPROVAL_REQUIRED.*approve/),
      expect.stringMatching(/^2 h 0 min.*acme\/billing.*PROD.*APPROVAL_REQUIRED.*FREEZE_WINDOW_ACTIVE.*approve/),
    ]);
    await page.screenshot({ path: join(SHOTS, 'board.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    // The API answers the same queue.
    const api = (await (await context.request.get(`${r.h.url}/api/v1/queue`)).json()) as {
      items: Array<{ repo: string; sha: string; actions: string[] }>;
    };
    expect(api.items.map((i) => [i.repo, i.sha, i.actions])).toEqual([
      ['acme/shop', r.live.waitingLong, ['approve', 'reject']],
      ['acme/billing', r.live.frozen, ['approve', 'reject']],
    ]);

    // Where bob's approval would not count, the release page offers no Approve, and says why.
    await page.goto(`${r.h.url}/repos/acme/api/releases/${r.live.teamOnly}`);
    expect(await page.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    expect(await page.locator('section[aria-labelledby="actions"]').textContent()).toContain('api-owners');
    const me = (await (await context.request.get(`${r.h.url}/api/v1/me`)).json()) as { csrfToken: string };
    const sent = await context.request.post(`${r.h.url}/api/v1/repos/acme/api/releases/${r.live.teamOnly}/approve`, {
      headers: { 'x-csrf-token': me.csrfToken },
      data: { environment: 'production' },
    });
    // Sent anyway, it is refused, not "recorded" while the gate keeps waiting.
    expect(sent.status()).toBeGreaterThanOrEqual(400);
    expect(((await sent.json()) as { error: { message: string } }).error.message).toContain('api-owners');
    expect(await r.h.store.listPendingGates({ repo: 'acme/api', status: 'pending' })).toHaveLength(1);

    // One click to the release, one to approve: GitHub is answered and the queue empties of it.
    await page.goto(`${r.h.url}/`);
    await rows.first().getByRole('link', { name: 'approve' }).click();
    await page.waitForURL(new RegExp(`/repos/acme/shop/releases/${r.live.waitingLong}#approve-h$`));
    await page.getByRole('button', { name: 'Approve as bob' }).click();
    await page.waitForURL(/\?done=approve$/);
    expect(await page.locator('tr[data-stage="PROD"] td').first().textContent()).toMatch(/^allowed/);
    expect(r.h.github.repo('acme/shop').answers.filter((a) => a.state === 'approved').length).toBeGreaterThan(0);
    // Its deployment to PROD is under way: promoting again is not offered.
    expect(await page.getByRole('button', { name: /^Promote/ }).count()).toBe(0);
    await page.goto(`${r.h.url}/queue`);
    expect(await page.locator('main tbody tr').allTextContents()).toEqual([expect.stringContaining('acme/billing')]);
    await context.close();
  }, 120_000);

  it('updates an open queue live when a gate stops waiting elsewhere', async () => {
    const { context, page } = await signedIn('bob');
    await page.goto(`${r.h.url}/queue`);
    expect(await page.locator('main tbody tr').allTextContents()).toEqual([expect.stringContaining('acme/billing')]);
    // maria rejects it from her own session, through the API.
    const maria = await r.h.signIn('maria');
    const rejected = await r.h.call(`/api/v1/repos/acme/billing/releases/${r.live.frozen}/reject`, {
      cookie: maria,
      headers: { 'x-csrf-token': await r.h.csrf(maria) },
      body: { reason: 'Not during the month-end close' },
    });
    expect(rejected.status).toBe(200);
    await page.waitForSelector('main[data-updated]', { timeout: 30_000 });
    expect(await page.locator('main').textContent()).toContain('Nothing waits on you.');
    await context.close();
  }, 60_000);

  it('2. why is a release blocked and what unblocks it: verdict per stage, codes, next step, GitHub links', async () => {
    const { context, page } = await signedIn('maria');
    // Found by its version from the search box of the board: one match opens it.
    await page.getByLabel('Find a release').fill('3.61.0');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(new RegExp(`/repos/acme/web/releases/${r.live.rejected}$`));
    const verdicts = page.locator('section[aria-labelledby="verdict"] tbody tr');
    expect(await verdicts.allTextContents()).toEqual([
      expect.stringMatching(/^DEVallowed/),
      expect.stringMatching(
        /^PRE_PRODrejected.*CHECKS_FAILED.*ci.*Fix and re-run the job.*Override PRE_PROD with CHECKS_FAILED/,
      ),
      expect.stringMatching(/^PRODnot reached/),
    ]);
    const rerun = verdicts.nth(1).getByRole('link', { name: /Fix and re-run the job/ });
    expect(await rerun.getAttribute('href')).toMatch(/\/acme\/web\/actions\/runs\/\d+$/);
    // Promote is not offered into a stage whose gate blocks; the override form is preset to it and its codes.
    expect(await page.getByRole('button', { name: /^Promote/ }).count()).toBe(0);
    expect(await page.getByLabel('Stage').inputValue()).toBe('PRE_PROD');
    expect(await page.getByLabel(/^Rules/).inputValue()).toBe('CHECKS_FAILED');
    const github = await page
      .locator('main > p', { hasText: 'On GitHub' })
      .getByRole('link')
      .evaluateAll((as) => as.map((a) => `${a.textContent} ${(a as unknown as { pathname: string }).pathname}`));
    expect(github).toEqual(
      expect.arrayContaining([
        `commit ${r.live.rejected.slice(0, 7)} /acme/web/commit/${r.live.rejected}`,
        `pull requests with ${r.live.rejected.slice(0, 7)} /acme/web/pulls`,
        expect.stringMatching(/^workflow run \(staging\) \/acme\/web\/actions\/runs\/\d+$/),
        expect.stringMatching(/^check run \(staging\) \/acme\/web\/runs\/\d+$/),
      ]),
    );
    await page.screenshot({ path: join(SHOTS, 'release-rejected.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    // A 7-character SHA opens the release too; a release waiting 9 days stays short.
    await page.goto(`${r.h.url}/repos/acme/shop/releases/${r.live.waitingLong.slice(0, 7)}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      `Release ${r.live.waitingLong.slice(0, 7)} of acme/shop`,
    );
    // 37 evaluations of a 9-day wait (and, once bob approved above, its allow) read as one entry each.
    const decisions = await page.locator('section[aria-labelledby="decisions"] article > h3').allTextContents();
    expect(decisions.length).toBeLessThanOrEqual(4);
    expect(decisions).toContainEqual(expect.stringMatching(/^wait PROD .*\(decided the same 3\d times since/));
    expect(await page.evaluate('document.documentElement.scrollHeight')).toBeLessThan(4000);
    expect(await page.getByRole('link', { name: 'pull request #901' }).getAttribute('href')).toMatch(
      /\/acme\/shop\/pull\/901$/,
    );
    await page.screenshot({ path: join(SHOTS, 'release-long-wait.png'), fullPage: true });
    await context.close();
  }, 120_000);

  it('3. what went to PROD last week: one filter for the stage and its environment, re-checks collapsed', async () => {
    const { context, page } = await signedIn('vic');
    await page.getByRole('link', { name: 'Deployed to PROD in the last 7 days' }).click();
    await page.waitForURL(/\/audit\?stage=PROD&type=DEPLOYED&since=7d$/);
    const rows = await page.locator('main tbody tr').allTextContents();
    const expected = Object.values(r.prodLastWeek).flat();
    expect(rows).toHaveLength(expected.length);
    expect(rows.every((row) => /DEPLOYEDproductionsuccess/.test(row))).toBe(true);
    for (const sha of expected) expect(rows.some((row) => row.includes(sha.slice(0, 7)))).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'audit-prod-last-week.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    // The stage's audit of one repository: the 9-day wait is one row, not 36.
    await page.goto(`${r.h.url}/audit?repo=acme/shop&stage=PROD&limit=200`);
    const all = await page.locator('main tbody tr').allTextContents();
    const waits = all.filter((row) => row.includes(r.live.waitingLong.slice(0, 7)) && row.includes('WAITING'));
    expect(waits).toEqual([expect.stringMatching(/re-checked 3\d times since/)]);
    await context.close();
  }, 120_000);

  it('4. who approved the last PROD deploy of a repository: what runs, separately from what waits', async () => {
    const { context, page } = await signedIn('vic');
    const tile = page.locator('li.card', { hasText: 'acme/api' }).locator('li[data-stage="PROD"]');
    const running = r.prodRunning['acme/api']!;
    expect(await tile.textContent()).toMatch(
      new RegExp(`^PRODRunning${running.sha.slice(0, 7)}.*approved by ${running.approvedBy}.*Waiting1 waiting`),
    );
    expect(running.approvedBy).toBe('ada');
    await context.close();
  }, 60_000);

  it("5. is there a freeze now and when does it end, in the viewer's time zone", async () => {
    const { context, page } = await signedIn('bob', { timezoneId: 'America/New_York' });
    const banner = page.locator('section[aria-labelledby="freeze-now"]');
    // 14:00 in Berlin is 08:00 in New York; now is 09:00 UTC (04:00 in New York).
    expect(await banner.textContent()).toMatch(
      /acme\/billing: PROD is frozen \(month-end close\): ends Mon, Dec 7, 08:00 EST, in 4 h\./,
    );
    await page.screenshot({ path: join(SHOTS, 'freeze.png'), clip: { x: 0, y: 0, width: 1280, height: 420 } });
    // The zone is remembered: the server renders it from then on, the repository page too.
    await page.goto(`${r.h.url}/repos/acme/billing`);
    expect(await page.locator('main p.frozen').textContent()).toContain('ends Mon, Dec 7, 08:00 EST, in 4 h');
    expect(await page.locator('footer').textContent()).toContain('America/New_York');
    await context.close();
  }, 60_000);

  it('reads well on a phone and in dark mode, with no accessibility violation', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { context, page } = await signedIn('maria', { width: 390, colorScheme });
      for (const path of ['/', '/queue', `/repos/acme/web/releases/${r.live.rejected}`, '/audit?stage=PROD']) {
        await page.goto(`${r.h.url}${path}`);
        expect(await page.evaluate('document.documentElement.scrollWidth'), path).toBeLessThanOrEqual(390);
        expect(await axeViolations(page), `${path} (${colorScheme})`).toEqual([]);
      }
      await page.goto(`${r.h.url}/`);
      await page.screenshot({ path: join(SHOTS, `phone-${colorScheme}.png`), fullPage: false });
      await context.close();
    }
  }, 180_000);
});
