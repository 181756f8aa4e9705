import { MIGRATIONS } from '../support/migrations.js';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import type { StoreLogger } from '../../src/store/types.js';
import { olderDatabase, postgresTarget, sqliteTarget, type Target } from './targets.js';

const t = (iso: string) => new Date(iso);

describe.each([
  { provider: 'sqlite' as const, target: sqliteTarget },
  { provider: 'postgresql' as const, target: postgresTarget },
])('a $provider database made by 0001_init', ({ provider, target }) => {
  let tg: Target;
  let prismaDir: string;

  beforeAll(async () => {
    tg = await target();
    // Rows as the release before 0002 wrote them: a protection rule request, and two held
    // promotions kept in the same table (runId = minus the source deployment id).
    const older = await olderDatabase(tg, provider, ['0001_init'], async (db) => {
      const common = {
        repo: 'acme/old',
        installationId: BigInt(7),
        environment: 'production',
        sha: 'o'.repeat(40),
        createdAt: t('2026-11-01T09:00:00Z'),
      };
      await db.pendingGate.create({
        data: {
          ...common,
          runId: BigInt(4242),
          deploymentId: BigInt(900),
          callbackUrl: 'https://api.github.com/repos/acme/old/actions/runs/4242/deployment_protection_rule',
          status: 'pending',
          nextCheckAt: t('2026-11-01T09:30:00Z'),
        },
      });
      await db.pendingGate.create({
        data: {
          ...common,
          runId: BigInt(-5001),
          deploymentId: BigInt(5001),
          callbackUrl: 'release-gate:promotion/PRE_PROD/PROD',
          status: 'pending',
          nextCheckAt: t('2026-11-01T10:00:00Z'),
        },
      });
      await db.pendingGate.create({
        data: {
          ...common,
          environment: 'staging',
          runId: BigInt(-5000),
          deploymentId: BigInt(5000),
          callbackUrl: 'release-gate:promotion/DEV/PRE_PROD',
          status: 'answered',
          decision: 'approved',
          decidedAt: t('2026-11-01T09:10:00Z'),
          answeredAt: t('2026-11-01T09:10:05Z'),
          answerError: 'deployment 6000 created',
        },
      });
      // Check runs: a protection rule request's, and a deployment's kept under minus its id.
      for (const [runId, checkRunId] of [
        [4242, 11],
        [-5001, 12],
      ] as const) {
        await db.$executeRawUnsafe(
          `INSERT INTO "CheckRun" ("repo", "sha", "environment", "runId", "checkRunId", "createdAt", "updatedAt") SELECT "repo", "sha", "environment", ${runId}, ${checkRunId}, "createdAt", "createdAt" FROM "PendingGate" WHERE "runId" = 4242`,
        );
      }
    });
    prismaDir = older.prismaDir;
    expect(older.applied).toEqual(['0001_init']);
  });

  afterAll(async () => {
    await tg?.cleanup();
    if (prismaDir) await rm(prismaDir, { recursive: true, force: true });
  });

  it('is upgraded in place by openStore: its gate stays a gate, its promotions move to their own table and keep working, the check run of a deployment is found by the deployment', async () => {
    const lines: string[] = [];
    const log: StoreLogger = { info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`) };
    const store = await openStore({ databaseUrl: tg.url, log });
    try {
      expect(lines).toEqual([
        expect.stringMatching(new RegExp(`^Database .+: applied migrations ${MIGRATIONS.slice(1).join(', ')}$`)),
      ]);
      expect(await store.health()).toEqual({
        ok: true,
        database: 'up',
        migrations: { applied: MIGRATIONS.length, expected: MIGRATIONS.length },
      });

      expect(await store.listPendingGates({ repo: 'acme/old' })).toEqual([
        expect.objectContaining({
          runId: 4242,
          deploymentId: 900,
          status: 'pending',
          nextCheckAt: t('2026-11-01T09:30:00Z'),
        }),
      ]);
      const checkKey = { repo: 'acme/old', sha: 'o'.repeat(40), environment: 'production' };
      expect(await store.getCheckRunId({ ...checkKey, runId: 4242 })).toBe(11);
      expect(await store.getCheckRunId({ ...checkKey, runId: null, deploymentId: 5001 })).toBe(12);
      await expect(store.getCheckRunId({ ...checkKey, runId: -5001 })).rejects.toThrow(
        "A check run key's runId must be a positive GitHub id or null, got -5001.",
      );
      const promotions = await store.listPromotions({ repo: 'acme/old' });
      expect(promotions).toEqual([
        {
          id: expect.any(Number),
          repo: 'acme/old',
          installationId: 7,
          sha: 'o'.repeat(40),
          sourceDeploymentId: 5001,
          fromStage: 'PRE_PROD',
          toStage: 'PROD',
          environment: 'production',
          createdAt: t('2026-11-01T09:00:00Z'),
          status: 'pending',
          nextCheckAt: t('2026-11-01T10:00:00Z'),
          startedAt: null,
          finishedAt: null,
          deploymentId: null,
          note: null,
          claimedBy: null,
          claimedUntil: null,
          deployer: null,
          requestedVia: null,
          openKey: null,
        },
        {
          id: expect.any(Number),
          repo: 'acme/old',
          installationId: 7,
          sha: 'o'.repeat(40),
          sourceDeploymentId: 5000,
          fromStage: 'DEV',
          toStage: 'PRE_PROD',
          environment: 'staging',
          createdAt: t('2026-11-01T09:00:00Z'),
          status: 'answered',
          nextCheckAt: null,
          startedAt: t('2026-11-01T09:10:00Z'),
          finishedAt: t('2026-11-01T09:10:05Z'),
          deploymentId: null,
          note: 'deployment 6000 created',
          claimedBy: null,
          claimedUntil: null,
          deployer: null,
          requestedVia: null,
          openKey: null,
        },
      ]);
      const held = promotions[0]!;
      // The moved promotion is due, is the one a repeated success finds, and starts once.
      expect((await store.promotionQueue.listDue(t('2026-11-01T10:00:00Z'))).map((p) => p.id)).toEqual([held.id]);
      expect(
        await store.holdPromotion({
          repo: 'acme/old',
          installationId: 7,
          sha: 'o'.repeat(40),
          sourceDeploymentId: 5001,
          fromStage: 'PRE_PROD',
          toStage: 'PROD',
          environment: 'production',
          createdAt: t('2026-11-01T10:00:00Z'),
          nextCheckAt: t('2026-11-01T10:05:00Z'),
        }),
      ).toMatchObject({ created: false, promotion: { id: held.id, nextCheckAt: t('2026-11-01T10:05:00Z') } });
      expect(await store.startPromotion(held.id, t('2026-11-01T10:05:00Z'))).toBe(true);
      expect(await store.startPromotion(held.id, t('2026-11-01T10:05:00Z'))).toBe(false);
      // New rows get ids of their own next to the moved ones.
      const fresh = await store.holdPromotion({
        repo: 'acme/old',
        installationId: 7,
        sha: 'o'.repeat(40),
        sourceDeploymentId: 5002,
        fromStage: 'PRE_PROD',
        toStage: 'PROD',
        environment: 'production',
        createdAt: t('2026-11-01T11:00:00Z'),
        nextCheckAt: t('2026-11-01T11:30:00Z'),
      });
      expect(fresh.created).toBe(true);
      expect(promotions.map((p) => p.id)).not.toContain(fresh.promotion.id);
    } finally {
      await store.close();
    }
    const again: string[] = [];
    const second = await openStore({
      databaseUrl: tg.url,
      log: { info: (m) => again.push(m), warn: (m) => again.push(m) },
    });
    try {
      expect(again).toEqual([]);
      expect((await second.listPromotions({ repo: 'acme/old' })).map((p) => p.sourceDeploymentId)).toEqual([
        5001, 5000, 5002,
      ]);
    } finally {
      await second.close();
    }
  });
});
