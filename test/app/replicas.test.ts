import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET, startHarness, waitHandled } from '../support/app-harness.js';
import type { Harness, Replica } from '../support/app-harness.js';
import {
  deploymentCreated,
  deploymentStatusCreated,
  protectionRuleRequested,
  pullRequestReviewSubmitted,
  sendWebhook,
} from '../support/webhooks.js';
import { policy, PROD_FROZEN } from '../support/policies.js';
import { postgresTarget } from '../store/targets.js';
import type { Target } from '../store/targets.js';

describe('two replicas on one PostgreSQL database', () => {
  let tg: Target;
  let h: Harness;
  let storeB: Replica['store'];
  let appB: Replica['app'];
  let replicaB: Replica;

  beforeAll(async () => {
    tg = await postgresTarget();
    h = await startHarness({ policy: PROD_FROZEN, now: '2026-03-10T16:30:00Z', databaseUrl: tg.url });
    replicaB = await h.startReplica({ replicaId: 'replica-b', inbox: { pollMs: 20 } });
    ({ store: storeB, app: appB } = replicaB);
  });

  afterAll(async () => {
    await replicaB?.close();
    await h?.close();
    await tg?.cleanup();
  });

  it('handles a delivery sent to both replicas once, and the due gate is answered by one of them', async () => {
    h.repo.pendingRules.add('1/production');
    const d = protectionRuleRequested(h.ctx, {
      id: 1,
      runId: 1,
      sha: 'a'.repeat(40),
      ref: 'v1',
      environment: 'production',
      creator: 'dev',
      createdAt: '2026-03-10T16:30:00Z',
    });
    const statuses = await Promise.all([h.deliver(d), sendWebhook(appB.url, TEST_SECRET, d)]);
    expect(statuses).toEqual([200, 200]);
    expect(h.repo.answers.map((a) => a.state)).toEqual([undefined]);
    // Stored once by whichever replica came first, handled once.
    expect(await h.store.getInboxDelivery(d.id)).toMatchObject({ status: 'done', attempts: 1 });
    expect((await h.store.getDelivery(d.id))?.redeliveries).toBe(0);

    h.clock.set('2026-03-10T18:00:05Z');
    const worked = await Promise.all([h.app.app.scheduler().tick(), appB.app.scheduler().tick()]);
    expect(worked.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    expect(h.repo.answers.filter((a) => a.state).map((a) => a.state)).toEqual(['approved']);
    expect(h.github.violations).toEqual([]);
  });

  it('creates a held auto-promotion once when both replicas find it due', async () => {
    h.repo.files['.github/release-policy.yml'] = policy({
      PRE_PROD: ['autoPromote: true'],
      PROD: ['soak: { minutes: 30 }'],
    });
    h.clock.set('2026-03-11T09:00:00Z');
    const sha = 'b'.repeat(40);
    const d = { id: 11, sha, ref: 'v2', environment: 'staging', creator: 'dev', createdAt: '2026-03-11T09:00:00Z' };
    expect(await h.deliver(deploymentCreated(h.ctx, d))).toBe(200);
    const status = deploymentStatusCreated(h.ctx, d, { id: 12, state: 'success', at: '2026-03-11T09:00:00Z' });
    expect(await sendWebhook(appB.url, TEST_SECRET, status)).toBe(200);
    expect(await waitHandled(storeB, status.id)).toMatchObject({ status: 'done' });
    expect(h.repo.deployments).toEqual([]);
    h.clock.set('2026-03-11T09:30:01Z');
    const worked = await Promise.all([h.app.app.scheduler().tick(), appB.app.scheduler().tick()]);
    expect(worked.reduce((a, b) => a + b, 0)).toBe(1);
    expect(h.repo.deployments.map((x) => [x.environment, x.sha])).toEqual([['production', sha]]);
    expect(await Promise.all([h.app.app.scheduler().tick(), appB.app.scheduler().tick()])).toEqual([0, 0]);
    expect(h.repo.deployments).toHaveLength(1);
    expect(h.github.violations).toEqual([]);
  });

  it('creates an auto-promotion held on approvals once when reviews reach both replicas at the same time', async () => {
    h.repo.files['.github/release-policy.yml'] = policy({ PRE_PROD: ['autoPromote: true'], PROD: ['minApprovals: 1'] });
    h.clock.set('2026-03-12T09:00:00Z');
    const sha = 'c'.repeat(40);
    h.repo.pulls.push({ number: 31, user: 'alice', headSha: sha, headRef: 'feature', commits: [sha] });
    const d = { id: 21, sha, ref: 'v3', environment: 'staging', creator: 'dev', createdAt: '2026-03-12T09:00:00Z' };
    expect(await h.deliver(deploymentCreated(h.ctx, d))).toBe(200);
    expect(
      await h.deliver(deploymentStatusCreated(h.ctx, d, { id: 22, state: 'success', at: '2026-03-12T09:00:00Z' })),
    ).toBe(200);
    expect(h.repo.deployments.filter((x) => x.sha === sha)).toEqual([]);

    h.clock.set('2026-03-12T09:10:00Z');
    h.repo.reviews[31] = [
      { id: 41, user: 'bob', state: 'APPROVED', commit_id: sha, submitted_at: '2026-03-12T09:10:00Z' },
      { id: 42, user: 'carol', state: 'APPROVED', commit_id: sha, submitted_at: '2026-03-12T09:10:00Z' },
    ];
    const bob = pullRequestReviewSubmitted(h.ctx, {
      pull: 31,
      headSha: sha,
      author: 'alice',
      reviewer: 'bob',
      state: 'approved',
      at: '2026-03-12T09:10:00Z',
      reviewId: 41,
    });
    const carol = pullRequestReviewSubmitted(h.ctx, {
      pull: 31,
      headSha: sha,
      author: 'alice',
      reviewer: 'carol',
      state: 'approved',
      at: '2026-03-12T09:10:00Z',
      reviewId: 42,
    });
    expect(
      await Promise.all([
        h.deliver(bob),
        sendWebhook(appB.url, TEST_SECRET, carol),
        sendWebhook(appB.url, TEST_SECRET, bob),
        h.deliver(carol),
      ]),
    ).toEqual([200, 200, 200, 200]);
    for (const x of [bob, carol]) expect(await waitHandled(storeB, x.id)).toMatchObject({ status: 'done' });
    expect(await Promise.all([h.app.app.scheduler().tick(), appB.app.scheduler().tick()])).toEqual([0, 0]);
    expect(h.repo.deployments.filter((x) => x.sha === sha).map((x) => x.environment)).toEqual(['production']);
    expect(await h.store.listPromotions({ repo: 'acme/shop', sha })).toEqual([
      expect.objectContaining({ status: 'answered' }),
    ]);
    expect(h.github.violations).toEqual([]);
  });
});
