import { spawnSync } from 'node:child_process';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_ROUTES } from '../../src/console/delivery-api.js';
import { seedDeliveryMonth } from '../support/delivery-seed.js';
import { startConsoleHarness, type ConsoleHarness } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field and checked by the assertions
type Json = Record<string, any>;

describe('delivery figures in the console, its API and /metrics', () => {
  let h: ConsoleHarness;
  let vic: string;
  const Ajv = Ajv2020 as unknown as typeof Ajv2020.default;
  const ajv = new Ajv({ strict: false });
  const schemaOf = (operationId: string) => DELIVERY_ROUTES.find((r) => r.operationId === operationId)!.response;

  beforeAll(async () => {
    h = await startConsoleHarness({ seed: false, now: '2026-03-31T00:00:00Z' });
    await seedDeliveryMonth(h.store, 'acme/shop');
    // A repository of the record that is not in the App's installations anyone here can read.
    await seedDeliveryMonth(h.store, 'acme/secret', 1000);
    vic = await h.signIn('vic');
  });
  afterAll(async () => h?.close());

  it("answers a repository's figures to a reader, as documented, and 404 to someone who cannot read it", async () => {
    const r = await h.call('/api/v1/repos/acme/shop/delivery?days=30', { token: h.tokens.vic });
    expect(r.status).toBe(200);
    const body = (await r.json()) as Json;
    expect(ajv.validate(schemaOf('getRepositoryDelivery'), body), ajv.errorsText()).toBe(true);
    expect(body.repositories[0]).toMatchObject({ repo: 'acme/shop', prodStage: 'LIVE', prodStageFrom: 'policy' });
    expect(body.total).toMatchObject({
      deployments: 7,
      changeFailureRate: 3 / 7,
      leadTime: { p50: 86_400 },
      timeToRestore: { p50: 1_800 },
    });
    const hidden = await h.call('/api/v1/repos/acme/shop/delivery', { token: h.tokens.nobody });
    expect(hidden.status).toBe(404);
    const secret = await h.call('/api/v1/repos/acme/secret/delivery', { token: h.tokens.vic });
    expect(secret.status).toBe(404);
  });

  it('adds up only the repositories the caller can read across the record', async () => {
    const r = await h.call('/api/v1/delivery?days=90', { token: h.tokens.vic });
    const body = (await r.json()) as Json;
    expect(ajv.validate(schemaOf('getDelivery'), body), ajv.errorsText()).toBe(true);
    expect(body.repositories.map((x: Json) => x.repo)).toEqual(['acme/shop']);
    expect(body.total).toMatchObject({ deployments: 8, failures: 3 });
    const none = (await (await h.call('/api/v1/delivery', { token: h.tokens.nobody })).json()) as Json;
    expect(none.repositories).toEqual([]);
    expect(none.total.changeFailureRate).toBeNull();
  });

  it('refuses a window it does not offer, saying which it does', async () => {
    const r = await h.call('/api/v1/delivery?days=7', { token: h.tokens.vic });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      error: {
        code: 'invalid_parameter',
        message: 'days: "7" is not a window the delivery figures offer (30 or 90).',
      },
    });
  });

  it('shows the four keys and a chart of deployments per day on a page that works without JavaScript', async () => {
    const r = await h.call('/repos/acme/shop/delivery?days=30', { cookie: vic });
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('<h1>Delivery of acme/shop</h1>');
    expect(html).toMatch(/Change failure rate<\/th><td>42\.9 % <span class="muted">\(3 of 7\)/);
    expect(html).toMatch(/Lead time for changes<\/th><td>1\.0 d <span class="muted">median · 2\.0 d p90 · 3/);
    expect(html).toContain(
      '<desc id="daily-desc">7 deployments from 2026-03-01 to 2026-03-30, 3 of them failed; at most 2 in a day.</desc>',
    );
    // One bar group per day of the window, each with a title a screen reader or a hover reads.
    expect(html.match(/<g><title>/g)).toHaveLength(30);
    expect(html).toContain('<title>2026-03-05: 2 deployments, 1 failed</title>');
    expect(html).not.toMatch(/<script|<style| style=/);
    const board = await (await h.call('/delivery?days=90', { cookie: vic })).text();
    expect(board).toContain('<a href="/repos/acme/shop/delivery?days=90">acme/shop</a>');
    expect(board).not.toContain('acme/secret');
  });

  it('exports the four keys to Prometheus with bounded labels, valid for promtool', async () => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toContain(`release_gate_delivery_change_failure_rate{window="30d",repository="all"} ${3 / 7}`);
    expect(text).toContain(`release_gate_delivery_change_failure_rate{window="30d",repository="acme/shop"} ${3 / 7}`);
    expect(text).toContain('release_gate_delivery_lead_time_seconds{window="30d",repository="acme/shop"} 86400');
    expect(text).toContain('release_gate_delivery_time_to_restore_seconds{window="90d",repository="acme/shop"} 1800');
    expect(text).toContain('release_gate_delivery_deployments{window="90d",repository="all"} 16');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stderr + check.stdout).not.toMatch(/error/i);
  });
});
