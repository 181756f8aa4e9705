import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleHarness, WAITING } from './harness.js';
import type { ConsoleHarness, Person } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field and checked by the assertions
type Json = Record<string, any>;
const json = async (r: Response): Promise<Json> => (await r.json()) as Json;

/** The console's answers beyond the pages: search, short SHAs, 405, refusals in place, repeated actions, expired overrides. */
describe('the console answers what a release manager asks', () => {
  let h: ConsoleHarness;
  const sessions = {} as Record<Person, string>;

  beforeAll(async () => {
    h = await startConsoleHarness();
    for (const p of ['bob', 'maria', 'vic'] as Person[]) sessions[p] = await h.signIn(p);
  });
  afterAll(async () => h?.close());

  it('finds a release by a 7-character SHA, by SHA prefix, by pull request number and by version', async () => {
    const short = await h.call(`/api/v1/repos/acme/shop/releases/${WAITING.slice(0, 7)}`, { cookie: sessions.vic });
    expect(short.status).toBe(200);
    expect((await json(short)).release.sha).toBe(WAITING);
    for (const q of [WAITING.slice(0, 7), WAITING.slice(0, 12), 'v1.0.0', '1.0.0']) {
      const found = await json(await h.call(`/api/v1/search?q=${encodeURIComponent(q)}`, { cookie: sessions.vic }));
      expect(
        found.items.map((i: Json) => i.sha),
        q,
      ).toContain(WAITING);
    }
    // The page: one match opens the release.
    const page = await h.call(`/search?q=${WAITING.slice(0, 7)}`, { cookie: sessions.vic });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`/repos/acme/shop/releases/${WAITING}`);
    const none = await h.call('/search?q=deadbee', { cookie: sessions.vic });
    expect(await none.text()).toContain('No release of the repositories you can read matches deadbee');
    const unknown = await h.call('/api/v1/repos/acme/shop/releases/deadbee', { cookie: sessions.vic });
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error.message).toBe('Release Gate has no record of a commit deadbee… in acme/shop.');
    const empty = await h.call('/api/v1/search?q=', { cookie: sessions.vic });
    expect(empty.status).toBe(400);
  });

  it('answers 405 with Allow for a wrong method, on the API and the pages', async () => {
    const api = await h.call('/api/v1/board', { cookie: sessions.vic, method: 'DELETE' });
    expect(api.status).toBe(405);
    expect(api.headers.get('allow')).toBe('GET');
    expect((await json(api)).error.code).toBe('method_not_allowed');
    const action = await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}/approve`, { cookie: sessions.vic });
    expect(action.status).toBe(405);
    expect(action.headers.get('allow')).toBe('POST');
    const page = await h.call('/queue', { cookie: sessions.vic, method: 'POST', body: '' });
    expect(page.status).toBe(405);
  });

  it('shows a refused action in place, on the release page with its forms, not on a dead end', async () => {
    const csrf = await h.csrf(sessions.maria);
    const refused = await h.call(`/repos/acme/shop/releases/${WAITING}/reject`, {
      cookie: sessions.maria,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, environment: 'production', reason: '' }).toString(),
    });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toContain('<p class="problem" role="alert">reason: required.</p>');
    expect(html).toContain('<h2 id="verdict">Where it stands</h2>');
    expect(html).toContain('id="reject-h"');
  });

  it('names the next step of a waiting stage, takes an identical override once, and moves the verdict on', async () => {
    const csrf = await h.csrf(sessions.maria);
    const before = await json(await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}`, { cookie: sessions.maria }));
    const prod = before.verdicts.find((v: Json) => v.stage === 'PROD');
    expect(prod).toMatchObject({ verdict: 'waiting', rules: [expect.objectContaining({ code: 'APPROVAL_REQUIRED' })] });
    expect(prod.next.map((n: Json) => n.kind)).toEqual(['approve', 'ask', 'override']);
    expect(prod.next.find((n: Json) => n.kind === 'override').codes).toEqual(['APPROVAL_REQUIRED']);
    const headers = { 'x-csrf-token': csrf };
    const grant = (body: Json) =>
      h.call(`/api/v1/repos/acme/shop/releases/${WAITING}/override`, { cookie: sessions.maria, headers, body });
    // Twice the same override, in force (nothing waits in PRE_PROD to use it): recorded once.
    const standing = { stage: 'PRE_PROD', reason: 'Rollback plan tested', risk: 'Low', rules: ['CHECKS_FAILED'] };
    expect((await json(await grant(standing))).outcome).toBe('done');
    const again = await grant(standing);
    expect(again.status).toBe(200);
    expect((await json(again)).outcome).toBe('unchanged');
    expect(await h.store.listOverrides({ repo: 'acme/shop', sha: WAITING, environment: 'PRE_PROD' })).toHaveLength(1);
    // The override of PROD's codes is used by the gate at once: the verdict moves on.
    expect(
      (await json(await grant({ stage: 'PROD', reason: 'Hotfix', risk: 'Low', rules: ['APPROVAL_REQUIRED'] }))).outcome,
    ).toBe('done');
    const after = await json(await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}`, { cookie: sessions.maria }));
    expect(after.overrides.map((o: Json) => [o.environment, o.status])).toEqual([
      ['PRE_PROD', 'active'],
      ['PROD', 'used'],
    ]);
    expect(after.verdicts.find((v: Json) => v.stage === 'PROD').verdict).toBe('allowed');
  });

  it('shows an override nobody used as expired once its time is past', async () => {
    const other = 'c'.repeat(40);
    const at = h.clock.now();
    await h.store.recordEvent({ repo: 'acme/shop', sha: other, type: 'NOTE', at, notes: 'seen' });
    await h.store.createOverride({
      repo: 'acme/shop',
      sha: other,
      environment: 'PROD',
      rules: [],
      grantedBy: 'maria',
      reason: 'r',
      risk: 'k',
      grantedAt: at,
      expiresAt: new Date(at.getTime() + 3_600_000),
    });
    const active = await json(await h.call(`/api/v1/repos/acme/shop/releases/${other}`, { cookie: sessions.vic }));
    expect(active.overrides.map((o: Json) => o.status)).toEqual(['active']);
    h.clock.advance(2 * 3_600_000);
    const expired = await h.call(`/repos/acme/shop/releases/${other}`, { cookie: sessions.vic });
    expect(await expired.text()).toMatch(/<span class="state expired">expired<\/span>/);
  });

  it('lists nothing in the queue of someone who cannot act', async () => {
    const q = await json(await h.call('/api/v1/queue', { cookie: sessions.vic }));
    expect(q.items).toEqual([]);
    const board = await json(await h.call('/api/v1/board', { cookie: sessions.vic }));
    expect(board.queue).toEqual([]);
  });
});
