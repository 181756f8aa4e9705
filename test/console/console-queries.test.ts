import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { ReleaseEventRow, Store } from '../../src/store/types.js';
import { postgresTarget, sqliteTarget, type Target } from '../store/targets.js';

const base = Date.parse('2026-03-01T00:00:00Z');
const at = (minutes: number) => new Date(base + minutes * 60_000);

describe.each([
  { provider: 'sqlite' as const, target: sqliteTarget },
  { provider: 'postgresql' as const, target: postgresTarget },
])('console reads on $provider', ({ target }) => {
  let tg: Target;
  let store: Store;

  beforeAll(async () => {
    tg = await target();
    store = await openStore({ databaseUrl: tg.url });
    // 1,500 events over two repositories, several on the same instant (ties broken by id).
    for (let i = 0; i < 1500; i++) {
      await store.recordEvent({
        repo: i % 3 === 0 ? 'acme/api' : 'acme/shop',
        sha: 'a'.repeat(40),
        environment: ['DEV', 'PRE_PROD', 'PROD'][i % 3]!,
        type: i % 5 === 0 ? 'BLOCKED' : 'APPROVED',
        status: i % 5 === 0 ? 'block' : 'allow',
        actor: `user${i % 4}`,
        at: at(Math.floor(i / 3)),
      });
    }
    for (let i = 0; i < 60; i++)
      await store.recordEvaluation({
        repo: 'acme/shop',
        sha: 'b'.repeat(40),
        environment: i % 2 ? 'production' : 'staging',
        stage: i % 2 ? 'PROD' : 'PRE_PROD',
        decision: 'wait',
        rules: [{ code: 'APPROVAL_REQUIRED', ok: false }],
        inputs: { big: 'x'.repeat(1000) },
        at: at(i),
      });
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await tg?.cleanup();
  });

  async function all(
    query: Omit<Parameters<Store['pageEvents']>[0], 'after' | 'limit'>,
    limit: number,
  ): Promise<{ rows: ReleaseEventRow[]; pages: number }> {
    const rows: ReleaseEventRow[] = [];
    let after = null;
    let pages = 0;
    do {
      const page = await store.pageEvents({ ...query, after, limit });
      rows.push(...page.rows);
      after = page.next;
      pages++;
    } while (after);
    return { rows, pages };
  }

  it('pages every event of several repositories once, newest first, ties broken by id', async () => {
    const { rows, pages } = await all({ repos: ['acme/shop', 'acme/api'] }, 70);
    expect(rows).toHaveLength(1500);
    expect(pages).toBe(22);
    expect(new Set(rows.map((r) => r.id)).size).toBe(1500);
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]!;
      const b = rows[i]!;
      expect(a.at.getTime() > b.at.getTime() || (a.at.getTime() === b.at.getTime() && a.id > b.id)).toBe(true);
    }
  });

  it('applies every filter together, within a time range', async () => {
    const { rows } = await all(
      {
        repos: ['acme/shop'],
        environment: 'PROD',
        actor: 'user1',
        type: 'BLOCKED',
        status: 'block',
        since: at(100),
        until: at(400),
      },
      7,
    );
    const expected: number[] = [];
    for (let i = 0; i < 1500; i++) {
      const minute = Math.floor(i / 3);
      if (i % 3 === 2 && i % 4 === 1 && i % 5 === 0 && minute >= 100 && minute < 400) expected.push(i);
    }
    expect(rows.length).toBe(expected.length);
    expect(rows.length).toBeGreaterThan(0);
    expect(
      rows.every(
        (r) =>
          r.repo === 'acme/shop' &&
          r.environment === 'PROD' &&
          r.actor === 'user1' &&
          r.type === 'BLOCKED' &&
          r.at >= at(100) &&
          r.at < at(400),
      ),
    ).toBe(true);
  });

  it('pages evaluations of one stage without their inputs', async () => {
    const first = await store.pageEvaluationSummaries({ repo: 'acme/shop', environment: 'production', limit: 20 });
    expect(first.rows).toHaveLength(20);
    expect(first.rows[0]).not.toHaveProperty('inputs');
    expect(first.rows.every((r) => r.stage === 'PROD')).toBe(true);
    const second = await store.pageEvaluationSummaries({
      repo: 'acme/shop',
      environment: 'production',
      limit: 20,
      after: first.next,
    });
    expect(second.rows).toHaveLength(10);
    expect(second.next).toBeNull();
    expect(second.rows[0]!.at.getTime()).toBeLessThan(first.rows.at(-1)!.at.getTime());
  });

  it('finds the newest deployment of a stage with its latest state, and counts waiting requests per environment', async () => {
    await store.recordDeployment({
      id: 1,
      repo: 'acme/shop',
      sha: 'c'.repeat(40),
      environment: 'production',
      stage: 'PROD',
      createdAt: at(1),
    });
    await store.recordDeployment({
      id: 2,
      repo: 'acme/shop',
      sha: 'd'.repeat(40),
      environment: 'prod-eu',
      stage: 'PROD',
      createdAt: at(2),
    });
    await store.recordDeploymentStatus({ id: 10, deploymentId: 2, state: 'in_progress', at: at(3) });
    await store.recordDeploymentStatus({ id: 11, deploymentId: 2, state: 'success', at: at(4) });
    const d = await store.latestDeployment('acme/shop', ['production', 'prod-eu']);
    expect(d).toMatchObject({ id: 2, sha: 'd'.repeat(40), latestState: 'success', provenAt: null });
    expect(await store.latestDeployment('acme/shop', ['staging'])).toBeNull();
    for (const runId of [1, 2])
      await store.upsertPendingGate({
        repo: 'acme/shop',
        installationId: 1,
        runId,
        environment: 'production',
        sha: 'c'.repeat(40),
        callbackUrl: 'x',
        createdAt: at(5),
      });
    await store.upsertPendingGate({
      repo: 'acme/shop',
      installationId: 1,
      runId: 3,
      environment: 'staging',
      sha: 'c'.repeat(40),
      callbackUrl: 'x',
      createdAt: at(5),
    });
    await store.expireGate(
      (await store.listPendingGates({ repo: 'acme/shop', environment: 'staging' }))[0]!.id,
      at(6),
      'gone',
    );
    expect(await store.countWaitingGates('acme/shop')).toEqual({ production: 2 });
  });
});
