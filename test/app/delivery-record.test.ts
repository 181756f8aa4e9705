import { afterEach, describe, expect, it } from 'vitest';
import { deliveryReport } from '../../src/delivery/delivery-report.js';
import { closeChecked, startHarness, type Harness } from '../support/app-harness.js';
import { policy } from '../support/policies.js';
import { deploymentCreated, deploymentStatusCreated, type DeploymentSpec } from '../support/webhooks.js';

/**
 * Delivery figures from what the App itself records in a real flow: a squash-merged pull
 * request whose commits GitHub lists with their dates, REST deployments to PROD that the
 * gate lets through and that then succeed (proven), a later failure, and a rollback.
 */

const FIRST = '1'.repeat(40);
const RELEASE = '2'.repeat(40);
const NEXT = '3'.repeat(40);

describe('delivery figures from the App’s own record', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  let next = 40_000;
  const deploy = async (sha: string, minutesLater: number, payload?: Record<string, unknown>) => {
    const d: DeploymentSpec = {
      id: next++,
      sha,
      ref: 'main',
      environment: 'production',
      creator: 'ci',
      createdAt: h!.clock.now().toISOString(),
      ...(payload ? { payload } : {}),
    };
    const created = deploymentCreated(h!.ctx, d);
    expect(await h!.deliver(created)).toBe(200);
    expect((await h!.store.getDelivery(created.id))?.outcome).toBe('recorded: allow');
    h!.clock.advance(minutesLater * 60_000);
    const success = deploymentStatusCreated(h!.ctx, d, {
      id: next++,
      state: 'success',
      at: h!.clock.now().toISOString(),
    });
    expect(await h!.deliver(success)).toBe(200);
    expect((await h!.store.getDelivery(success.id))?.outcome).toMatch(/^recorded success/);
    return d;
  };

  it('measures lead time from the first commit of the release’s pull request, and a failure to its restore', async () => {
    // PROD reads the release's pull requests (its approval rule), so the gate lists their commits.
    h = await startHarness({ policy: policy({ PROD: ['minApprovals: 1'] }), now: '2026-03-10T15:00:00Z' });
    h.repo.pulls.push({
      number: 7,
      user: 'author',
      headSha: FIRST,
      headRef: 'feature',
      commits: ['c'.repeat(40), FIRST],
      commitDates: { ['c'.repeat(40)]: '2026-03-09T09:00:00Z', [FIRST]: '2026-03-10T09:00:00Z' },
      state: 'closed',
      mergeCommitSha: RELEASE,
      mergedAt: '2026-03-10T14:00:00Z',
    });
    h.repo.reviews[7] = [
      { id: 1, user: 'reviewer', state: 'APPROVED', commit_id: FIRST, submitted_at: '2026-03-10T13:00:00Z' },
    ];
    h.repo.pulls.push({
      number: 8,
      user: 'author',
      headSha: NEXT,
      headRef: 'fix',
      commits: [NEXT],
      commitDates: { [NEXT]: '2026-03-10T15:30:00Z' },
    });
    h.repo.reviews[8] = [
      { id: 2, user: 'reviewer', state: 'APPROVED', commit_id: NEXT, submitted_at: '2026-03-10T15:40:00Z' },
    ];

    // Squash-merged release, proven at 15:10: 30 h 10 min after the PR's first commit.
    const release = await deploy(RELEASE, 10);
    // It fails at 16:00; NEXT is deployed and proven at 16:20 (restored: 20 min).
    h.clock.set('2026-03-10T16:00:00Z');
    const failed = deploymentStatusCreated(h.ctx, release, {
      id: next++,
      state: 'failure',
      at: '2026-03-10T16:00:00Z',
    });
    expect(await h.deliver(failed)).toBe(200);
    h.clock.set('2026-03-10T16:10:00Z');
    await deploy(NEXT, 10);

    const report = await deliveryReport(h.store.deliveryRecord, {
      repo: 'acme/shop',
      days: 30,
      now: new Date('2026-03-31T00:00:00Z'),
    });
    expect(report.repositories[0]).toMatchObject({ prodStage: 'PROD', prodStageFrom: 'policy' });
    expect(report.total).toMatchObject({
      deployments: 2,
      leadTime: { count: 2, p50: 3_000, p90: 108_600 },
      failures: 1,
      changeFailureRate: 0.5,
      timeToRestore: { count: 1, p50: 1_200 },
      unrestored: 0,
    });
  });
});
