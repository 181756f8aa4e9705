import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleHarness } from './harness.js';
import type { ConsoleHarness } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field and checked by the assertions
type Json = Record<string, any>;

const REPOS = 250;
/** What one user's listing costs: `GET /user/installations`, then 100 repositories a page. */
const LISTING = 1 + Math.ceil((REPOS + 1) / 100);

// SECURITY.md C9
describe('what a board or audit request costs GitHub, on a record of many repositories', () => {
  let h: ConsoleHarness;
  let cookies: Record<'ada' | 'bob' | 'vic', string>;

  beforeAll(async () => {
    h = await startConsoleHarness({ seed: false });
    for (let i = 0; i < REPOS; i++) {
      const repo = h.github.addRepo('acme', `service-${String(i).padStart(3, '0')}`);
      repo.permissions = { ada: 'admin', bob: i % 2 === 0 ? 'write' : 'read', vic: i < 10 ? 'read' : 'none' };
    }
    cookies = { ada: await h.signIn('ada'), bob: await h.signIn('bob'), vic: await h.signIn('vic') };
    // The App's own view (its installations, their repositories, each policy) is shared by all users: warm it.
    expect((await h.call('/api/v1/board', { cookie: cookies.ada })).status).toBe(200);
  });
  afterAll(async () => h?.close());

  /** The GitHub requests `run` makes, as `METHOD /path`. */
  async function requestsOf(run: () => Promise<unknown>): Promise<string[]> {
    const before = h.github.requests.length;
    await run();
    return h.github.requests.slice(before).map((r) => `${r.method} ${r.path}`);
  }

  it("costs one listing of the user's reach, not one permission request per installed repository", async () => {
    let board: Json = {};
    const made = await requestsOf(async () => {
      board = (await (await h.call('/api/v1/board', { cookie: cookies.bob })).json()) as Json;
    });
    expect(board.repositories).toHaveLength(REPOS + 1);
    expect(board.repositories.filter((r: Json) => r.role === 'approver')).toHaveLength(REPOS / 2 + 1);
    expect(made).toEqual([
      'GET /user/installations',
      'GET /user/installations/77/repositories',
      'GET /user/installations/77/repositories',
      'GET /user/installations/77/repositories',
    ]);
    expect(made).toHaveLength(LISTING);
    expect(made.filter((r) => r.includes('/collaborators/'))).toEqual([]);
    expect(h.github.violations).toEqual([]);
  });

  it('costs nothing more for the same user within the cache period, board or audit', async () => {
    const made = await requestsOf(async () => {
      for (let i = 0; i < 5; i++) {
        expect((await h.call('/api/v1/board', { cookie: cookies.bob })).status).toBe(200);
        expect((await h.call('/api/v1/audit', { cookie: cookies.bob })).status).toBe(200);
        expect((await h.call('/api/v1/audit?repo=acme/service-007', { cookie: cookies.bob })).status).toBe(200);
      }
    });
    expect(made).toEqual([]);
  });

  it('costs another user their own listing only, and shows them only what they can read', async () => {
    let audit: Json = {};
    const made = await requestsOf(async () => {
      audit = (await (await h.call('/api/v1/audit', { cookie: cookies.vic })).json()) as Json;
      const board = (await (await h.call('/api/v1/board', { cookie: cookies.vic })).json()) as Json;
      expect(board.repositories.map((r: Json) => r.fullName)).toEqual([
        'acme/service-000',
        'acme/service-001',
        'acme/service-002',
        'acme/service-003',
        'acme/service-004',
        'acme/service-005',
        'acme/service-006',
        'acme/service-007',
        'acme/service-008',
        'acme/service-009',
        'acme/shop',
      ]);
    });
    expect(audit.items).toEqual([]);
    expect(made).toEqual(['GET /user/installations', 'GET /user/installations/77/repositories']);
    const denied = await h.call('/api/v1/repos/acme/service-100', { cookie: cookies.vic });
    expect(denied.status).toBe(404);
  });

  it('asks again after the cache period, one listing per user', async () => {
    h.clock.advance(5 * 60_000 + 1000);
    const made = await requestsOf(async () => {
      expect((await h.call('/api/v1/audit', { cookie: cookies.bob })).status).toBe(200);
      expect((await h.call('/api/v1/audit', { cookie: cookies.bob })).status).toBe(200);
    });
    expect(made.filter((r) => r.startsWith('GET /user/'))).toHaveLength(LISTING);
    expect(made.filter((r) => r.includes('/collaborators/'))).toEqual([]);
  });
});
