import { join } from 'node:path';
import { createClient } from '@libsql/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAudit } from '../../src/store/audit-export.js';
import { parseDatabaseUrl } from '../../src/store/database-url.js';
import { openStore } from '../../src/store/open-store.js';
import { startHarness } from '../support/app-harness.js';
import { protectionRuleRequested, pullRequestReviewSubmitted } from '../support/webhooks.js';
import { postgresTarget, sqliteTarget } from '../store/targets.js';
import type { Target } from '../store/targets.js';
import { cli } from './helpers.js';

const POLICY =
  'version: 1\nenvironments:\n  - name: DEV\n    github: development\n  - name: PROD\n    github: production\n    minApprovals: 1\n';

async function countsOf(url: string): Promise<Record<string, number>> {
  const parsed = parseDatabaseUrl(url, '/');
  const out: Record<string, number> = {};
  if (parsed.provider === 'sqlite') {
    const db = createClient({ url: `file:${parsed.file}` });
    const tables = (
      await db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'",
      )
    ).rows.map((r) => String(r.name));
    for (const t of tables) out[t] = Number((await db.execute(`SELECT count(*) AS n FROM "${t}"`)).rows[0]!.n);
    db.close();
  } else {
    const c = new pg.Client({ connectionString: parsed.connectionString });
    await c.connect();
    const tables = (
      await c.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> '_prisma_migrations'",
        [parsed.schema],
      )
    ).rows.map((r: { table_name: string }) => r.table_name);
    for (const t of tables)
      out[t] = (await c.query(`SELECT count(*)::int AS n FROM "${parsed.schema}"."${t}"`)).rows[0].n as number;
    await c.end();
  }
  return out;
}

describe('release-gate db copy: SQLite to PostgreSQL', () => {
  let source: Target;
  let target: Target;

  beforeAll(async () => {
    source = await sqliteTarget();
    target = await postgresTarget();
    // A real record: the App decides, holds and answers gates on the SQLite file...
    const h = await startHarness({ policy: POLICY, databaseUrl: source.url });
    h.repo.pendingRules.add('1/development');
    h.repo.pendingRules.add('2/production');
    expect(
      await h.deliver(
        protectionRuleRequested(h.ctx, {
          id: 11,
          runId: 1,
          sha: 'a'.repeat(40),
          ref: 'v1.0.0',
          environment: 'development',
          creator: 'dev',
          createdAt: '2026-03-10T15:00:00Z',
        }),
      ),
    ).toBe(200);
    expect(
      await h.deliver(
        protectionRuleRequested(h.ctx, {
          id: 12,
          runId: 2,
          sha: 'a'.repeat(40),
          ref: 'v1.0.0',
          environment: 'production',
          creator: 'dev',
          createdAt: '2026-03-10T15:01:00Z',
        }),
      ),
    ).toBe(200);
    h.repo.pulls.push({
      number: 3,
      headSha: 'a'.repeat(40),
      headRef: 'f',
      user: 'dev',
      commits: ['a'.repeat(40)],
    } as never);
    expect(
      await h.deliver(
        pullRequestReviewSubmitted(h.ctx, {
          pull: 3,
          headSha: 'a'.repeat(40),
          author: 'dev',
          reviewer: 'ana',
          state: 'approved',
          at: '2026-03-10T15:02:00Z',
          reviewId: 5,
        }),
      ),
    ).toBe(200);
    // ...and a long audit trail.
    for (let i = 0; i < 2500; i++) {
      await h.store.recordEvent({
        repo: 'acme/shop',
        sha: i.toString(16).padStart(40, '0'),
        environment: 'PROD',
        type: 'NOTE',
        status: 'n',
        actor: `user${i % 7}`,
        at: new Date(Date.UTC(2026, 2, 10, 15, 0, i)),
        notes: `note ${i} with "quotes" and 'apostrophes' and ünïcode`,
      });
    }
    await h.close();
  }, 120_000);

  afterAll(async () => {
    await source?.cleanup();
    await target?.cleanup();
  });

  it('copies every table, keeps every row and value, and new rows get ids after the copied ones', async () => {
    const before = await countsOf(source.url);
    expect(before.ReleaseEvent).toBeGreaterThan(2500);
    expect(Object.values(before).filter((n) => n > 0).length).toBeGreaterThanOrEqual(5);

    const r = await cli(['db', 'copy', '--from', source.url, '--to', target.url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const total = Object.values(before).reduce((a, b) => a + b, 0);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(
      `Copied ${total} rows in ${Object.keys(before).length} tables; every table's row count matches. Point DATABASE_URL at the new database and start the App.`,
    );
    expect(await countsOf(target.url)).toEqual(before);

    const from = await openStore({ databaseUrl: source.url });
    const to = await openStore({ databaseUrl: target.url });
    try {
      const since = new Date('2020-01-01T00:00:00Z');
      expect(await exportAudit(to, { repo: 'acme/shop', since, format: 'csv' })).toBe(
        await exportAudit(from, { repo: 'acme/shop', since, format: 'csv' }),
      );
      expect(await to.listPendingGates({ repo: 'acme/shop' })).toEqual(
        await from.listPendingGates({ repo: 'acme/shop' }),
      );
      const next = await to.recordEvent({
        repo: 'acme/shop',
        sha: 'f'.repeat(40),
        environment: 'PROD',
        type: 'NOTE',
        status: 'n',
        actor: 'x',
        at: new Date(),
        notes: 'after the copy',
      });
      expect(next.id).toBe(before.ReleaseEvent! + 1);
    } finally {
      await from.close();
      await to.close();
    }
  }, 120_000);

  it('refuses a target that already has rows, and changes nothing', async () => {
    const before = await countsOf(target.url);
    const r = await cli(['db', 'copy', '--from', source.url, '--to', target.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^release-gate db: copy: the target is not empty \(\w+\.\w+ has rows\)/);
    expect(await countsOf(target.url)).toEqual(before);
  });

  it('says what is missing', async () => {
    expect((await cli(['db', 'copy', '--from', source.url])).stderr).toBe(
      'release-gate db: copy: --from file:PATH and --to postgresql://URL are both required.\n',
    );
    expect(
      (await cli(['db', 'copy', '--from', `file:${join(source.url.slice(5), 'nope.db')}`, '--to', target.url])).stderr,
    ).toMatch(/^release-gate db: copy: no SQLite file at /);
  });
});
