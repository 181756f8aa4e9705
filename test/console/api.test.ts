import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAudit } from '../../src/store/audit-export.js';
import { IN_DEV, PROD_RUN, startConsoleHarness, WAITING } from './harness.js';
import type { ConsoleHarness, Person } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field and checked by the assertions
type Json = Record<string, any>;
const json = async (r: Response): Promise<Json> => (await r.json()) as Json;

describe('the console API on GitHub identity', () => {
  let h: ConsoleHarness;
  const sessions = {} as Record<Person, string>;

  beforeAll(async () => {
    h = await startConsoleHarness();
    for (const p of ['ada', 'bob', 'maria', 'carol', 'vic', 'tess', 'nobody'] as Person[])
      sessions[p] = await h.signIn(p);
  });
  afterAll(async () => h?.close());

  it("signs in through the OAuth web flow: code exchanged with the App's client, user read with the user token", async () => {
    const exchanges = h.github.find('POST', /^\/login\/oauth\/access_token$/);
    expect(exchanges.length).toBeGreaterThanOrEqual(7);
    expect(exchanges[0]!.body).toMatchObject({
      client_id: h.github.oauthClient.id,
      client_secret: h.github.oauthClient.secret,
    });
    expect(h.github.find('GET', /^\/user$/).length).toBeGreaterThanOrEqual(7);
    const me = await json(await h.call('/api/v1/me', { cookie: sessions.bob }));
    expect(me).toMatchObject({ login: 'bob', via: 'session' });
    expect(typeof me.csrfToken).toBe('string');
    expect(h.github.violations).toEqual([]);
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, with an expiry; X-Forwarded-Proto is not believed without TRUST_PROXY', async () => {
    const start = await h.call('/auth/login', {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' },
    });
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.pathname).toBe('/login/oauth/authorize');
    expect(authorize.host).toBe(h.github.host);
    expect(authorize.searchParams.get('client_id')).toBe(h.github.oauthClient.id);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${h.url}/auth/callback`);
    const stateCookie = start.headers.getSetCookie()[0]!.split(';')[0]!;
    const back = await h.call(
      `/auth/callback?code=${h.github.oauthCode(h.tokens.vic)}&state=${authorize.searchParams.get('state')}`,
      { cookie: stateCookie, headers: { 'x-forwarded-proto': 'https' } },
    );
    const set = back.headers.getSetCookie().find((c) => c.startsWith('rg_session='))!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Lax/);
    expect(set).toMatch(/Max-Age=28800/);
    expect(set).not.toMatch(/Secure/);
    const plain = await h.signIn('vic');
    expect(plain).toMatch(/^rg_session=/);
  });

  it('refuses a callback whose state was not issued here, and a code GitHub does not know', async () => {
    const forged = await h.call('/auth/callback?code=x&state=y');
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('does not match a sign-in started here');
    const start = await h.call('/auth/login');
    const state = new URL(start.headers.get('location')!).searchParams.get('state');
    const stateCookie = start.headers.getSetCookie()[0]!.split(';')[0]!;
    const bad = await h.call(`/auth/callback?code=nope&state=${state}`, { cookie: stateCookie });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('GitHub did not accept the sign-in code');
  });

  it('shows each role its repositories on the board, and nothing to someone without access', async () => {
    for (const [person, role] of [
      ['ada', 'admin'],
      ['bob', 'approver'],
      ['vic', 'viewer'],
      ['tess', 'viewer'],
    ] as const) {
      const board = await json(await h.call('/api/v1/board', { cookie: sessions[person] }));
      expect(board.repositories.map((r: Json) => [r.fullName, r.role])).toEqual([['acme/shop', role]]);
    }
    const board = await json(await h.call('/api/v1/board', { cookie: sessions.ada }));
    const stages = board.repositories[0].stages;
    expect(stages.map((s: Json) => s.name)).toEqual(['DEV', 'PRE_PROD', 'PROD']);
    expect(stages[0].current).toMatchObject({ sha: IN_DEV, state: 'success' });
    expect(stages[1].current).toMatchObject({ sha: WAITING, state: 'success' });
    expect(stages[2]).toMatchObject({ waiting: 1, current: { sha: WAITING, state: 'waiting' } });
    expect(await json(await h.call('/api/v1/board', { cookie: sessions.nobody }))).toMatchObject({
      user: { login: 'nobody' },
      queue: [],
      repositories: [],
    });
  });

  it('answers 404, not 403, for a repository the user cannot read or that the App is not installed on', async () => {
    for (const path of [
      '/api/v1/repos/acme/shop',
      `/api/v1/repos/acme/shop/releases/${WAITING}`,
      '/api/v1/audit?repo=acme/shop',
    ]) {
      const r = await h.call(path, { cookie: sessions.nobody });
      expect(r.status).toBe(404);
      expect(await json(r)).toEqual({
        error: {
          code: 'not_found',
          message: "No repository acme/shop that you can read is in the App's installations.",
        },
      });
    }
    const other = await h.call('/api/v1/repos/acme/elsewhere', { cookie: sessions.ada });
    expect(other.status).toBe(404);
  });

  it('shows the repository: waiting gates and what they wait for, the freeze calendar in both time zones, the policy in force', async () => {
    const r = await json(await h.call('/api/v1/repos/acme/shop?tz=Asia/Tokyo', { cookie: sessions.vic }));
    expect(r.repository.role).toBe('viewer');
    expect(r.waiting).toHaveLength(1);
    expect(r.waiting[0]).toMatchObject({ sha: WAITING, environment: 'production', stage: 'PROD', clears: null });
    expect(r.waiting[0].waitsFor.map((w: Json) => w.code)).toEqual(['APPROVAL_REQUIRED']);
    expect(r.policy).toMatchObject({
      ok: true,
      path: '.github/release-policy.yml',
      commitSha: 'c0ffee'.padEnd(40, '0'),
    });
    expect(r.policy.link).toBe(
      `${h.github.baseUrl.replace('/api/v3', '')}/acme/shop/blob/${'c0ffee'.padEnd(40, '0')}/.github/release-policy.yml`,
    );
    const prod = r.freeze.stages.find((s: Json) => s.stage === 'PROD');
    expect(prod.timeZones).toEqual(['America/Sao_Paulo']);
    // Weekdays from Tue 10 March to 9 April 2026: 22 nightly windows.
    expect(prod.intervals).toHaveLength(22);
    expect(prod.intervals[0].start.at).toBe('2026-03-11T01:00:00.000Z');
    expect(prod.intervals[0].start.zones).toEqual([
      { timeZone: 'America/Sao_Paulo', local: '2026-03-10T22:00:00', role: 'window' },
      { timeZone: 'Asia/Tokyo', local: '2026-03-11T10:00:00', role: 'viewer' },
    ]);
    expect(r.decisions.items).toContainEqual(expect.objectContaining({ sha: IN_DEV, stage: 'DEV', decision: 'allow' }));
    expect(r.decisions.items).toContainEqual(
      expect.objectContaining({ sha: WAITING, stage: 'PROD', decision: 'wait', failing: ['APPROVAL_REQUIRED'] }),
    );
    const at = r.decisions.items.map((d: Json) => d.at);
    expect(at).toEqual([...at].sort().reverse());
    const bad = await h.call('/api/v1/repos/acme/shop?tz=Mars/Olympus', { cookie: sessions.vic });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.message).toMatch(/^tz: /);
  });

  it('shows a release: timeline, decisions with rule table and evidence, approvals, and the actions of the role', async () => {
    const v = await json(await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}`, { cookie: sessions.vic }));
    expect(v.timeline.map((t: Json) => `${t.type}:${t.environment}`)).toEqual(
      expect.arrayContaining(['APPROVED:DEV', 'APPROVED:PRE_PROD', 'WAITING:PROD']),
    );
    const prod = v.decisions.find((d: Json) => d.stage === 'PROD');
    expect(prod.decision).toBe('wait');
    expect(prod.approvals).toEqual({ required: 1, counted: [], notCounted: [] });
    expect(prod.summaryMarkdown).toContain('| | Rule | Result | Values |');
    expect(prod.summaryMarkdown).toContain('`APPROVAL_REQUIRED`');
    expect(prod.summaryMarkdown).toContain('### Freeze windows');
    expect(v.actions.approve.allowed).toBe(false);
    expect(v.actions.override.allowed).toBe(false);
    expect(v.actions.promote.allowed).toBe(false);
    const bob = await json(await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}`, { cookie: sessions.bob }));
    expect(bob.actions.approve).toMatchObject({ allowed: true, environments: ['production'] });
    expect(bob.actions.override.allowed).toBe(false);
    const maria = await json(await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}`, { cookie: sessions.maria }));
    expect(maria.actions.override).toMatchObject({ allowed: true, stages: ['DEV', 'PRE_PROD', 'PROD'] });
    const unknown = await h.call(`/api/v1/repos/acme/shop/releases/${'f'.repeat(40)}`, { cookie: sessions.vic });
    expect(unknown.status).toBe(404);
    const notSha = await h.call('/api/v1/repos/acme/shop/releases/main', { cookie: sessions.vic });
    expect(notSha.status).toBe(400);
    expect((await json(notSha)).error.message).toMatch(/^sha: /);
  });

  it("refuses a state-changing request without the session's CSRF token, or with another session's", async () => {
    const path = `/api/v1/repos/acme/shop/releases/${WAITING}/approve`;
    const none = await h.call(path, { cookie: sessions.bob, body: {} });
    expect(none.status).toBe(403);
    expect((await json(none)).error.code).toBe('csrf');
    const other = await h.call(path, {
      cookie: sessions.bob,
      body: {},
      headers: { 'x-csrf-token': await h.csrf(sessions.ada) },
    });
    expect(other.status).toBe(403);
    expect(h.repo.answers.filter((a) => a.runId === PROD_RUN && a.state)).toEqual([]);
  });

  it("refuses the actions to a viewer (checked on the server), and an approval by the release's author", async () => {
    for (const action of ['approve', 'override', 'promote']) {
      const r = await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}/${action}`, {
        cookie: sessions.vic,
        body: { stage: 'PROD', reason: 'r', risk: 'k' },
        headers: { 'x-csrf-token': await h.csrf(sessions.vic) },
      });
      expect(r.status).toBe(403);
      expect((await json(r)).error.code).toBe('forbidden');
    }
    const own = await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}/approve`, {
      cookie: sessions.carol,
      body: {},
      headers: { 'x-csrf-token': await h.csrf(sessions.carol) },
    });
    expect(own.status).toBe(422);
    expect((await json(own)).error).toEqual({
      code: 'own_release',
      message: 'Your approval would not count for PROD: author of the change (approvals.excludeAuthor).',
    });
    const notMember = await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}/override`, {
      cookie: sessions.bob,
      body: { stage: 'PROD', reason: 'hotfix', risk: 'low' },
      headers: { 'x-csrf-token': await h.csrf(sessions.bob) },
    });
    expect(notMember.status).toBe(403);
    expect((await json(notMember)).error.message).toBe('Only members of release-managers may grant an override.');
    const missing = await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}/override`, {
      cookie: sessions.maria,
      body: { stage: 'PROD', reason: ' ' },
      headers: { 'x-csrf-token': await h.csrf(sessions.maria) },
    });
    expect(missing.status).toBe(422);
    expect((await json(missing)).error.message).toBe('reason: required.');
  });

  it("counts an approver's approval like a deployment review: the waiting gate is approved on GitHub and the audit names the user", async () => {
    const r = await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}/approve`, {
      cookie: sessions.bob,
      body: { environment: 'PROD' },
      headers: { 'x-csrf-token': await h.csrf(sessions.bob) },
    });
    expect(r.status).toBe(200);
    expect(await json(r)).toEqual({
      outcome: 'done',
      message: 'Approved aaaaaaa for production (production: approved).',
      approved: ['production'],
      by: 'bob',
      gates: [{ environment: 'production', decision: 'allow', answer: 'approved' }],
      promotions: 0,
    });
    expect(h.repo.answers.filter((a) => a.runId === PROD_RUN && a.state)).toEqual([
      expect.objectContaining({ state: 'approved', comment: 'Release gate: allowed for PROD.' }),
    ]);
    const v = await json(await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}`, { cookie: sessions.bob }));
    expect(v.decisions[0]).toMatchObject({ stage: 'PROD', decision: 'allow', approvals: { counted: ['bob'] } });
    const audit = await json(await h.call('/api/v1/audit?actor=bob&type=APPROVED', { cookie: sessions.vic }));
    // The approval itself, and the gate's decision it caused, both by bob.
    expect(audit.items.map((i: Json) => [i.sha, i.environment, i.status, i.actor])).toEqual([
      [WAITING, 'PROD', 'allow', 'bob'],
      [WAITING, 'PROD', 'review', 'bob'],
    ]);
    const again = await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}/approve`, {
      cookie: sessions.bob,
      body: {},
      headers: { 'x-csrf-token': await h.csrf(sessions.bob) },
    });
    // A second approval by the same person is a no-op, answered as one.
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({
      outcome: 'unchanged',
      message: expect.stringMatching(
        /^You approved aaaaaaa in acme\/shop already \(.*\); nothing of it waits for a decision now\.$/,
      ),
      approved: [],
    });
  });

  it('lets an override team member grant an override, recorded with reason and risk', async () => {
    const r = await h.call(`/api/v1/repos/acme/shop/releases/${IN_DEV}/override`, {
      cookie: sessions.maria,
      body: { stage: 'PROD', reason: 'hotfix for checkout', risk: 'low: one line', rules: ['APPROVAL_REQUIRED'] },
      headers: { 'x-csrf-token': await h.csrf(sessions.maria) },
    });
    expect(r.status).toBe(200);
    const out = await json(r);
    expect(out).toMatchObject({
      stage: 'PROD',
      by: 'maria',
      override: { status: 'granted', needsConfirmation: false },
      gates: [],
    });
    expect(await h.store.listOverrides({ repo: 'acme/shop', sha: IN_DEV })).toEqual([
      expect.objectContaining({
        grantedBy: 'maria',
        reason: 'hotfix for checkout',
        risk: 'low: one line',
        rules: ['APPROVAL_REQUIRED'],
      }),
    ]);
    const audit = await json(await h.call('/api/v1/audit?type=OVERRIDE', { cookie: sessions.vic }));
    expect(audit.items[0]).toMatchObject({
      actor: 'maria',
      status: 'granted',
      notes: 'reason: hotfix for checkout; risk: low: one line; rules: APPROVAL_REQUIRED (release console)',
    });
  });

  it('promotes a release to its next stage by creating the deployment on GitHub as the App, and refuses to skip a stage', async () => {
    const skip = await h.call(`/api/v1/repos/acme/shop/releases/${IN_DEV}/promote`, {
      cookie: sessions.bob,
      body: { stage: 'PROD' },
      headers: { 'x-csrf-token': await h.csrf(sessions.bob) },
    });
    expect(skip.status).toBe(409);
    expect((await json(skip)).error.code).toBe('promotion_order');
    const r = await h.call(`/api/v1/repos/acme/shop/releases/${IN_DEV}/promote`, {
      token: h.tokens.bob,
      body: { stage: 'PRE_PROD' },
    });
    expect(r.status).toBe(200);
    const out = await json(r);
    expect(out).toMatchObject({ stage: 'PRE_PROD', environment: 'staging', gateDecision: 'allow', by: 'bob' });
    const created = h.repo.deployments.find((d) => d.id === out.deploymentId)!;
    expect(created).toMatchObject({
      sha: IN_DEV,
      environment: 'staging',
      payload: { releaseGate: { promotedBy: 'bob', stage: 'PRE_PROD', sha: IN_DEV } },
    });
    const audit = await json(await h.call(`/api/v1/audit?type=PROMOTE&repo=acme/shop`, { token: h.tokens.vic }));
    expect(audit.items[0]).toMatchObject({ sha: IN_DEV, actor: 'bob', environment: 'staging', status: 'console' });
    expect(h.github.violations).toEqual([]);
  });

  it('accepts a user token of this App as a bearer, checked with GitHub and cached briefly, and refuses a bad one', async () => {
    h.clock.advance(61_000);
    const checks = () => h.github.find('POST', new RegExp(`^/applications/${h.github.oauthClient.id}/token$`));
    const before = checks().length;
    expect((await h.call('/api/v1/me', { token: h.tokens.tess })).status).toBe(200);
    expect((await h.call('/api/v1/board', { token: h.tokens.tess })).status).toBe(200);
    expect(checks().length).toBe(before + 1);
    expect(checks().at(-1)!.body).toEqual({ access_token: h.tokens.tess });
    h.clock.advance(61_000);
    expect((await h.call('/api/v1/me', { token: h.tokens.tess })).status).toBe(200);
    expect(checks().length).toBe(before + 2);
    const bad = await h.call('/api/v1/board', { token: 'ghu_forged' });
    expect(bad.status).toBe(401);
    expect((await json(bad)).error.code).toBe('unauthenticated');
    const none = await h.call('/api/v1/board');
    expect(none.status).toBe(401);
    expect(await json(none)).toEqual({
      error: {
        code: 'unauthenticated',
        message: 'Sign in with GitHub at /auth/login, or send Authorization: Bearer <GitHub user token>.',
      },
    });
    expect(h.github.violations).toEqual([]);
  });

  it('caches a permission a few minutes, not forever', async () => {
    h.repo.permissions.tess = 'write';
    expect((await json(await h.call('/api/v1/repos/acme/shop', { token: h.tokens.tess }))).repository.role).toBe(
      'viewer',
    );
    h.clock.advance(5 * 60_000 + 1000);
    expect((await json(await h.call('/api/v1/repos/acme/shop', { token: h.tokens.tess }))).repository.role).toBe(
      'approver',
    );
    h.repo.permissions.tess = 'none';
    h.clock.advance(5 * 60_000 + 1000);
    expect((await h.call('/api/v1/repos/acme/shop', { token: h.tokens.tess })).status).toBe(404);
  });

  it('pages the audit with a cursor (newest first, no event twice) and exports the shapes of `release-gate audit`', async () => {
    const at = h.clock.now().getTime();
    for (let i = 0; i < 120; i++)
      await h.store.recordEvent({
        repo: 'acme/shop',
        sha: IN_DEV,
        environment: 'DEV',
        type: 'NOTE',
        status: 'test',
        actor: 'seed',
        at: new Date(at + (i % 7) * 1000),
        notes: `note ${i}, "quoted"`,
      });
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Json = await json(
        await h.call(`/api/v1/audit?actor=seed&limit=50${cursor ? `&cursor=${cursor}` : ''}`, { cookie: sessions.vic }),
      );
      seen.push(...page.items.map((i: Json) => i.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(120);
    const all = await json(await h.call('/api/v1/audit?repo=acme/shop&limit=200', { cookie: sessions.vic }));
    const times = all.items.map((i: Json) => `${i.at}#${String(i.id).padStart(8, '0')}`);
    expect(times).toEqual([...times].sort().reverse());

    const expectedJson = await exportAudit(h.store, { repo: 'acme/shop', since: new Date(0), format: 'json' });
    const gotJson = await h.call('/api/v1/audit/export?repo=acme/shop&format=json', { cookie: sessions.vic });
    expect(gotJson.headers.get('content-disposition')).toBe('attachment; filename="release-gate-audit.json"');
    expect(await gotJson.text()).toBe(expectedJson);
    const expectedCsv = await exportAudit(h.store, { repo: 'acme/shop', since: new Date(0), format: 'csv' });
    const gotCsv = await h.call('/api/v1/audit/export?repo=acme/shop&format=csv', { token: h.tokens.vic });
    expect(gotCsv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await gotCsv.text()).toBe(expectedCsv);
  });

  it('names the bad query parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/v1/audit?limit=0', /^limit: /],
      ['/api/v1/audit?since=yesterday', /^since: /],
      ['/api/v1/audit?until=2026-13-45', /^until: /],
      ['/api/v1/audit?decision=maybe', /^decision: /],
      ['/api/v1/audit?type=DEPLOY', /^type: /],
      ['/api/v1/audit?cursor=bm90IGEgY3Vyc29y', /^cursor: /],
      ['/api/v1/audit?repo=not-a-repo', /^repo: /],
      ['/api/v1/audit?colour=red', /^colour: unknown parameter/],
      ['/api/v1/audit/export?format=xml', /^format: /],
    ];
    for (const [path, message] of cases) {
      const r = await h.call(path, { cookie: sessions.vic });
      expect(r.status, path).toBe(400);
      const body = await json(r);
      expect(body.error.code, path).toBe('invalid_parameter');
      expect(body.error.message, path).toMatch(message);
    }
    const body = await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}/approve`, {
      token: h.tokens.bob,
      body: '{not json',
    });
    expect(body.status).toBe(400);
    expect((await json(body)).error.code).toBe('invalid_json');
  });

  it('gives every answer a request id', async () => {
    const r = await h.call('/api/v1/board', { cookie: sessions.vic, headers: { 'x-request-id': 'trace-1234567' } });
    expect(r.headers.get('x-request-id')).toBe('trace-1234567');
    expect((await h.call('/api/v1/nope', { cookie: sessions.vic })).headers.get('x-request-id')).toMatch(
      /^[0-9a-f-]{36}$/,
    );
  });

  it('ends a session at its expiry', async () => {
    const cookie = await h.signIn('vic');
    expect((await h.call('/api/v1/me', { cookie })).status).toBe(200);
    h.clock.advance(8 * 3_600_000 + 1000);
    const expired = await h.call('/api/v1/me', { cookie });
    expect(expired.status).toBe(401);
    const page = await h.call('/', { cookie });
    expect(await page.text()).toContain('Sign in with GitHub');
    const forged = cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await h.call('/api/v1/me', { cookie: forged })).status).toBe(401);
  });
});
