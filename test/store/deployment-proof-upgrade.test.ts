import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { policy } from '../support/policies.js';
import { deploymentCreated, deploymentStatusCreated } from '../support/webhooks.js';
import { olderDatabase, postgresTarget, sqliteTarget, type Target } from './targets.js';

const t = (iso: string) => new Date(iso);
const SHA = 'a'.repeat(40);
const BLOCKED = 'b'.repeat(40);
const BEFORE = [
  '0001_init',
  '0002_promotions',
  '0003_check_run_deployment',
  '0004_decision_indexes',
  '0005_inbox',
  '0006_replayable_record',
  '0007_console_indexes',
  '0008_inbox_priority',
  '0009_promotion_requests',
];

/**
 * SECURITY.md I1: deployments an installation recorded before the gate kept its approval on each
 * deployment: none becomes proof (fail closed), and a release that was on its way waits,
 * saying why, until it is deployed again through the gate.
 */
describe.each([
  { provider: 'sqlite' as const, target: sqliteTarget },
  { provider: 'postgresql' as const, target: postgresTarget },
])('a $provider record of deployments made before approvals were kept', ({ provider, target }) => {
  let tg: Target;
  let prismaDir: string;
  let h: Harness | undefined;

  beforeAll(async () => {
    tg = await target();
    const older = await olderDatabase(tg, provider, BEFORE, async (db) => {
      const deployment = (id: number, sha: string, state: string | null, at: string) =>
        db.deployment.create({
          data: {
            id: BigInt(id),
            repo: 'acme/shop',
            sha,
            ref: 'main',
            environment: 'staging',
            creator: 'ci',
            createdAt: t('2026-03-09T09:00:00Z'),
            latestState: state,
            latestStateAt: state ? t(at) : null,
          },
          // Only columns this release's migrations made: the client knows the later ones too.
          select: { id: true },
        });
      // 900: succeeded, trusted then (its creator's success, not blocked by the gate).
      await deployment(900, SHA, 'success', '2026-03-09T09:05:00Z');
      // 901: the gate had set `failure` on it; its creator posted success afterwards.
      await deployment(901, BLOCKED, 'success', '2026-03-09T09:06:00Z');
      // 902: still running.
      await deployment(902, SHA, 'in_progress', '2026-03-09T09:07:00Z');
      await db.$executeRawUnsafe(`UPDATE "Deployment" SET "firstSuccessAt" = "latestStateAt" WHERE "id" = 900`);
      await db.$executeRawUnsafe(`UPDATE "Deployment" SET "gateBlocked" = true WHERE "id" = 901`);
    });
    prismaDir = older.prismaDir;
    expect(older.applied).toEqual(BEFORE);
  });

  afterAll(async () => {
    await closeChecked(h);
    await tg?.cleanup();
    if (prismaDir) await rm(prismaDir, { recursive: true, force: true });
  });

  it('keeps the success the earlier rule took as legacySuccessAt, and proves none of them', async () => {
    const store = await openStore({ databaseUrl: tg.url });
    try {
      const row = (id: number) => store.getDeployment(id);
      expect(await row(900)).toMatchObject({
        approvedVia: null,
        approvedAt: null,
        provenAt: null,
        legacySuccessAt: t('2026-03-09T09:05:00Z'),
        latestState: 'success',
      });
      expect(await row(901)).toMatchObject({ approvedVia: null, provenAt: null, legacySuccessAt: null });
      expect(await row(902)).toMatchObject({ approvedVia: null, provenAt: null, legacySuccessAt: null });
      expect(await store.recentProvenDeployments({ repo: 'acme/shop', environments: ['staging'], limit: 10 })).toEqual(
        [],
      );
    } finally {
      await store.close();
    }
  });

  it('makes a release on its way wait, saying why, and goes on once it is deployed again through the gate', async () => {
    h = await startHarness({
      policy: policy({ PRE_PROD: [], PROD: [] }),
      databaseUrl: tg.url,
      now: '2026-03-10T15:00:00Z',
    });
    expect(
      await h.askGate({
        id: 950,
        runId: 95,
        sha: SHA,
        ref: 'v1.0.0',
        environment: 'production',
        creator: 'ci',
        createdAt: '2026-03-10T15:00:00Z',
      }),
    ).toBe(200);
    expect(h.repo.answers.map((a) => [a.state, a.comment])).toEqual([
      [
        undefined,
        "Release gate: waiting for PROD. PROMOTION_ORDER: PROD needs a deployment of this release to PRE_PROD that the gate let through: deployment 900 to staging (success) succeeded at 2026-03-09T09:05:00.000Z, before this version of Release Gate recorded the gate's approval on each deployment, so it proves nothing. Deploy the release to PRE_PROD again; this request goes on when that deployment succeeds.",
      ],
    ]);
    // The release deployed to staging again, through the gate: the waiting request goes on.
    const again = {
      id: 951,
      sha: SHA,
      ref: 'v1.0.0',
      environment: 'staging',
      creator: 'ci',
      createdAt: h.clock.now().toISOString(),
    };
    expect(await h.deliver(deploymentCreated(h.ctx, again))).toBe(200);
    expect(
      await h.deliver(
        deploymentStatusCreated(h.ctx, again, { id: 952, state: 'success', at: h.clock.now().toISOString() }),
      ),
    ).toBe(200);
    expect(h.repo.answers.at(-1)).toMatchObject({ runId: 95, state: 'approved' });
    // A release the gate had blocked stays unproven, and is not waited for: it is rejected.
    expect(
      await h.askGate({
        id: 960,
        runId: 96,
        sha: BLOCKED,
        ref: 'v1.0.1',
        environment: 'production',
        creator: 'ci',
        createdAt: '2026-03-10T15:00:00Z',
      }),
    ).toBe(200);
    expect(h.repo.answers.at(-1)).toMatchObject({ runId: 96, state: 'rejected' });
  });
});
