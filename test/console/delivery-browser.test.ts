import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';
import { seedDeliveryMonth } from '../support/delivery-seed.js';
import { startConsoleHarness, type ConsoleHarness } from './harness.js';

describe('the delivery page in a real browser (headless Chromium)', () => {
  let h: ConsoleHarness;
  let browser: Browser;

  beforeAll(async () => {
    h = await startConsoleHarness({ seed: false, now: '2026-03-31T00:00:00Z' });
    await seedDeliveryMonth(h.store, 'acme/shop');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('goes from the navigation to the figures, draws the chart, and switches to 90 days and to a repository', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    h.github.browserUser = 'vic';
    await page.goto(`${h.url}/`);
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.waitForURL(`${h.url}/`);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Delivery' }).click();
    await page.waitForURL(`${h.url}/delivery`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Delivery');
    // The chart is an image with a name and a description, and it is drawn (the CSP allows no inline style).
    const chart = page.getByRole('img', { name: 'Deployments per day' });
    const box = await chart.boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(50);
    expect(await page.locator('svg rect').count()).toBeGreaterThan(0);

    await page.getByRole('link', { name: '90 days' }).click();
    await page.waitForURL(`${h.url}/delivery?days=90`);
    expect(await page.locator('[aria-current="page"]').textContent()).toBe('90 days');
    await page.getByRole('link', { name: 'acme/shop' }).click();
    await page.waitForURL(`${h.url}/repos/acme/shop/delivery?days=90`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Delivery of acme/shop');
    expect(await page.getByRole('row', { name: /Change failure rate/ }).textContent()).toContain('(3 of 8)');
    await context.close();
  });
});
