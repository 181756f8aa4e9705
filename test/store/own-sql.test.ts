import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter, parseDatabaseUrl } from '../../src/store/database-url.js';
import { PrismaClient as SqliteClient } from '../../src/store/generated/sqlite/client.js';
import { openStore } from '../../src/store/open-store.js';
import { postgresRunner, sqlRunner, type SqlRunner } from '../../src/store/sql-runner.js';
import type { OneConnectionLibSql } from '../../src/store/sqlite-adapter.js';
import type { Store } from '../../src/store/types.js';
import { postgresTarget, sqliteTarget, type Target } from './targets.js';

// A time zone other than UTC, as the seeds' teams run in: a `timestamp` read or written in local
// time (node-postgres' default) would be off by three hours against Prisma's reads.
process.env.TZ = 'America/Sao_Paulo';

/**
 * The statements every decision runs are the record's own SQL (src/store/sql-runner.ts), not
 * Prisma's: what they read must be what Prisma reads, column for column, on both databases,
 * and what they write must be what Prisma's readers read back.
 */
describe.each([
  { provider: 'sqlite' as const, target: sqliteTarget },
  { provider: 'postgresql' as const, target: postgresTarget },
])('the record own SQL on $provider', ({ target }) => {
  let tg: Target;
  let store: Store;
  const repo = 'acme/shop';
  const sha = 'a'.repeat(40);
  const at = new Date('2026-12-07T10:11:12.345Z');

  beforeAll(async () => {
    tg = await target();
    store = await openStore({ databaseUrl: tg.url });
  });

  afterAll(async () => {
    await store?.close();
    await tg?.cleanup();
  });

  it("reads a release's evaluations as Prisma reads one: every column, dates, GitHub ids and JSON", async () => {
    const written = await store.recordEvaluation({
      repo,
      sha,
      environment: 'PROD',
      stage: 'PROD',
      decision: 'block',
      rules: [{ code: 'MISSING_APPROVALS', ok: false, message: 'needs 2' }],
      inputs: { pulls: [7], score: 0.5 },
      score: 71.5,
      policyPath: '.github/release-policy.yml',
      policySha: 'b'.repeat(40),
      actor: 'octocat',
      deliveryId: 'delivery-1',
      checkRunId: 9_007_199_254_740_000,
      at,
      policyFiles: [],
    });
    const [latest] = await store.listEvaluations({ repo, sha, environment: 'PROD', last: 1 });
    expect(latest).toEqual(await store.getEvaluation(written.id));
    expect(latest?.at).toEqual(at);
    expect(latest?.checkRunId).toBe(9_007_199_254_740_000);
    expect(latest?.score).toBe(71.5);
    // Filters: another stage, a time after it, and the whole list oldest first.
    expect(await store.listEvaluations({ repo, sha, environment: 'DEV' })).toEqual([]);
    expect(await store.listEvaluations({ repo, since: new Date(at.getTime() + 1) })).toEqual([]);
    expect(await store.listEvaluations({ repo, since: at })).toEqual([latest]);
  });

  it("reads a release's timeline as Prisma's event list reads it", async () => {
    await store.recordEvent({ repo, sha, type: 'WAITING', status: 'wait', environment: 'PROD', actor: 'a', at });
    await store.recordEvent({ repo, sha, type: 'BLOCKED', at: new Date(at.getTime() + 1) });
    const timeline = await store.timeline({ repo, sha });
    expect(timeline.map((e) => e.type)).toEqual(['WAITING', 'BLOCKED']);
    expect(timeline).toEqual((await store.listEvents({ repo })).filter((e) => e.sha === sha));
  });

  it('reads overrides and approvals with their dates, and filters as Prisma did', async () => {
    const override = await store.createOverride({
      repo,
      sha,
      environment: 'PROD',
      rules: ['MISSING_APPROVALS'],
      grantedBy: 'lead',
      reason: 'incident 42',
      risk: 'low',
      grantedAt: at,
      expiresAt: new Date(at.getTime() + 3_600_000),
    });
    await store.confirmOverride(override.id, 'second', new Date(at.getTime() + 1_000));
    const [read] = await store.listOverrides({ repo, sha, environment: 'PROD' });
    expect(read).toEqual(await store.getOverride(override.id));
    expect(read?.confirmedAt).toEqual(new Date(at.getTime() + 1_000));
    expect(await store.listOverrides({ repo, sha, environment: 'DEV' })).toEqual([]);

    await store.recordApprovals(
      [
        { repo, sha, login: 'reviewer', source: 'pr-review', state: 'approved', submittedAt: at, commitId: sha },
        {
          repo,
          sha,
          environment: 'PROD',
          login: 'owner',
          source: 'deployment-review',
          state: 'approved',
          submittedAt: new Date(at.getTime() + 5),
        },
      ],
      at,
    );
    const approvals = await store.listApprovals({ repo, sha });
    expect(approvals).toMatchObject([
      { login: 'reviewer', environment: null, source: 'pr-review', submittedAt: at, commitId: sha, recordedAt: at },
      { login: 'owner', environment: 'PROD', source: 'deployment-review', submittedAt: new Date(at.getTime() + 5) },
    ]);
    expect(await store.listApprovals({ repo, sha, environment: 'PROD' })).toEqual([approvals[1]]);
  });

  it('learns the tree of a recorded release without moving when it was last updated (the console sorts by it)', async () => {
    const known = 'f'.repeat(40);
    await store.upsertRelease({ repo, sha: known, ref: 'main', at });
    await store.writeDecision({
      release: { repo, sha: '9'.repeat(40), at: new Date(at.getTime() + 60_000) },
      evaluation: {
        repo,
        sha: '9'.repeat(40),
        environment: 'DEV',
        decision: 'allow',
        rules: [],
        inputs: {},
        at: new Date(at.getTime() + 60_000),
        policyFiles: [],
      },
      events: [],
      gate: null,
      learned: {
        trees: [
          { sha: known, tree: '1'.repeat(40) },
          { sha: '8'.repeat(40), tree: '1'.repeat(40) },
        ],
        pulls: [],
      },
    });
    expect(await store.getRelease(repo, known)).toMatchObject({ tree: '1'.repeat(40), ref: 'main', updatedAt: at });
    // A commit not recorded before: its row has the tree and no date of its own.
    expect(await store.getRelease(repo, '8'.repeat(40))).toMatchObject({
      tree: '1'.repeat(40),
      updatedAt: new Date(0),
    });
  });

  it("writes a gate and its deployment that Prisma's readers read back whole", async () => {
    expect(
      await store.recordDeployment({
        id: 8_000_000_001,
        repo,
        sha,
        environment: 'PROD',
        stage: 'PROD',
        creator: 'octocat',
        createdAt: at,
        payload: { rollback: false },
        byApp: true,
      }),
    ).toBe(true);
    // Known before: not recorded again.
    expect(await store.recordDeployment({ id: 8_000_000_001, repo, sha, environment: 'PROD', createdAt: at })).toBe(
      false,
    );
    expect(await store.getDeployment(8_000_000_001)).toMatchObject({
      id: 8_000_000_001,
      creator: 'octocat',
      createdAt: at,
      payload: { rollback: false },
      byApp: true,
    });
    const until = new Date(at.getTime() + 60_000);
    const { gate, created } = await store.upsertPendingGate({
      repo,
      installationId: 4_000_000_000,
      runId: 7_000_000_000,
      environment: 'PROD',
      sha,
      deploymentId: 8_000_000_001,
      callbackUrl: 'https://api.github.com/repos/acme/shop/actions/runs/7000000000/deployment_protection_rule',
      createdAt: at,
      nextCheckAt: null,
      lease: { owner: 'replica-1', until },
    });
    expect(created).toBe(true);
    expect(gate).toEqual(await store.getGate(gate.id));
    expect(gate).toMatchObject({
      runId: 7_000_000_000,
      claimedBy: 'replica-1',
      claimedUntil: until,
      status: 'pending',
    });
    // The lease: another replica cannot take it before it expires; its holder frees it.
    expect(await store.gateQueue.claim(gate.id, 'replica-2', until, at)).toBe(false);
    expect(await store.gateQueue.claim(gate.id, 'replica-2', until, until)).toBe(true);
    await store.gateQueue.release(gate.id, 'replica-1');
    expect((await store.getGate(gate.id))?.claimedBy).toBe('replica-2');
    await store.gateQueue.release(gate.id, 'replica-2');
    expect(await store.getGate(gate.id)).toMatchObject({ claimedBy: null, claimedUntil: null });
  });
});

describe('the record own SQL on SQLite shares its one connection with Prisma', () => {
  let tg: Target;
  let db: SqliteClient;
  let sql: SqlRunner;
  const delivery = (id: string) => ({ id, event: 'deployment', receivedAt: new Date('2026-12-07T10:00:00.000Z') });
  const insert = (id: string) =>
    [`INSERT INTO "Delivery" ("id", "event", "receivedAt") VALUES ($1, 'deployment', $2)`, [id, new Date()]] as const;
  const stored = async (id: string) => (await db.delivery.findUnique({ where: { id } })) !== null;

  beforeAll(async () => {
    tg = await sqliteTarget();
    await (await openStore({ databaseUrl: tg.url })).close();
    const { factory } = createAdapter(parseDatabaseUrl(tg.url, process.cwd()));
    db = new SqliteClient({ adapter: factory });
    sql = sqlRunner(db, 'sqlite', factory as OneConnectionLibSql, null);
  });

  afterAll(async () => {
    await db?.$disconnect();
    await tg?.cleanup();
  });

  it("runs no Prisma statement inside the record's own transaction, which rolls back alone", async () => {
    let outside: Promise<unknown> | undefined;
    await expect(
      sql.transaction(async (tx) => {
        await tx.run(...insert('own-inside'));
        // Another delivery written through Prisma while the transaction is open (a Prisma
        // query starts when it is awaited: `then` starts it now).
        outside = db.delivery.create({ data: delivery('prisma-outside') }).then(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 100));
        throw new Error('the decision failed');
      }),
    ).rejects.toThrow('the decision failed');
    await outside;
    expect(await stored('own-inside')).toBe(false);
    expect(await stored('prisma-outside')).toBe(true);
  });

  it("runs none of its own statements inside Prisma's transaction, which rolls back alone", async () => {
    let outside: Promise<unknown> | undefined;
    await expect(
      db.$transaction(async (tx) => {
        await tx.delivery.create({ data: delivery('prisma-inside') });
        outside = sql.run(...insert('own-outside'));
        await new Promise((resolve) => setTimeout(resolve, 100));
        throw new Error('the promotion failed');
      }),
    ).rejects.toThrow('the promotion failed');
    await outside;
    expect(await stored('prisma-inside')).toBe(false);
    expect(await stored('own-outside')).toBe(true);
  });
});

describe('a transaction of the record own SQL on PostgreSQL', () => {
  let tg: Target;
  let handle: ReturnType<typeof createAdapter>;

  beforeAll(async () => {
    tg = await postgresTarget();
    await (await openStore({ databaseUrl: tg.url })).close();
    handle = createAdapter(parseDatabaseUrl(tg.url, process.cwd()));
  });

  afterAll(async () => {
    await handle?.dispose();
    await tg?.cleanup();
  });

  it('waits for a lock another holds at most its time limit, rolls back, and leaves the pool usable', async () => {
    const sql = postgresRunner(handle.pool!, 300);
    const row = [
      `INSERT INTO "Delivery" ("id", "event", "receivedAt") VALUES ($1, 'deployment', $2)`,
      ['held', new Date()],
    ] as const;
    await sql.run(...row);
    // Another replica's transaction holds the row.
    const other = await handle.pool!.connect();
    await other.query('BEGIN');
    await other.query(`UPDATE "Delivery" SET "outcome" = 'theirs' WHERE "id" = 'held'`);
    try {
      const mine = sql.transaction(async (tx) => {
        await tx.run(`INSERT INTO "Delivery" ("id", "event", "receivedAt") VALUES ('mine', 'deployment', $1)`, [
          new Date(),
        ]);
        return tx.run(`UPDATE "Delivery" SET "outcome" = 'mine' WHERE "id" = 'held'`);
      });
      const stuck = new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000));
      expect(
        await Promise.race([
          mine.then(
            () => 'committed',
            (e: Error) => e.message,
          ),
          stuck,
        ]),
      ).toMatch(/statement timeout/);
    } finally {
      await other.query('ROLLBACK');
      other.release();
    }
    // Rolled back whole; the next transaction runs on the same pool.
    expect(await sql.rows(`SELECT "id" FROM "Delivery" WHERE "id" = 'mine'`)).toEqual([]);
    expect(await sql.transaction((tx) => tx.run(`UPDATE "Delivery" SET "outcome" = 'mine' WHERE "id" = 'held'`))).toBe(
      1,
    );
  });
});
