import { describe, expect, it } from 'vitest';
import { computeDeliveryFigures, type DeliveryDeployment } from '../../src/core/delivery-metrics.js';

const t = (iso: string) => new Date(iso);
const WINDOW = { since: t('2026-03-01T00:00:00Z'), until: t('2026-03-31T00:00:00Z') };

function dep(
  id: number,
  sha: string,
  provenAt: string,
  extra: Partial<DeliveryDeployment> = {},
  repo = 'acme/shop',
): DeliveryDeployment {
  return {
    id,
    repo,
    sha,
    createdAt: t(provenAt),
    provenAt: t(provenAt),
    latestState: 'success',
    latestStateAt: t(provenAt),
    firstCommitAt: null,
    ...extra,
  };
}

/**
 * A month of one repository's production, with the figures computed by hand:
 * 1 (release a) ok; 2 (release b) marked failure an hour after; 3 rolls 2 back (release a
 * again); 4 (release c) rolled back by 5; 6 (release e, no pull request recorded) ends in
 * `error` and nothing follows it; 7 is before the window.
 */
const SHOP: DeliveryDeployment[] = [
  dep(7, 'z', '2026-02-27T12:00:00Z', { firstCommitAt: t('2026-02-20T00:00:00Z') }),
  dep(1, 'a', '2026-03-02T10:00:00Z', { firstCommitAt: t('2026-03-01T10:00:00Z') }),
  dep(2, 'b', '2026-03-05T12:00:00Z', {
    firstCommitAt: t('2026-03-05T06:00:00Z'),
    latestState: 'failure',
    latestStateAt: t('2026-03-05T13:00:00Z'),
  }),
  dep(3, 'a', '2026-03-05T14:00:00Z', {
    createdAt: t('2026-03-05T13:30:00Z'),
    firstCommitAt: t('2026-03-01T10:00:00Z'),
  }),
  dep(4, 'c', '2026-03-10T09:00:00Z', { firstCommitAt: t('2026-03-08T09:00:00Z') }),
  dep(5, 'a', '2026-03-10T10:30:00Z', { createdAt: t('2026-03-10T10:00:00Z') }),
  dep(6, 'e', '2026-03-20T08:00:00Z', { latestState: 'error', latestStateAt: t('2026-03-20T09:00:00Z') }),
];

/** The rollbacks the App created: 3 rolls 2 back, 5 rolls 4 back (as their payloads say). */
const ROLLBACKS = [
  { repo: 'acme/shop', of: 2, createdAt: t('2026-03-05T13:30:00Z') },
  { repo: 'acme/shop', of: 4, createdAt: t('2026-03-10T10:00:00Z') },
];

describe('delivery figures (the four keys) from the record', () => {
  it('computes one repository’s month by hand', () => {
    const f = computeDeliveryFigures(SHOP, WINDOW, ROLLBACKS);
    expect(f).toMatchObject({
      days: 30,
      deployments: 6,
      deploymentsPerDay: 0.2,
      // Releases a, b, c once each (a's redeploys are not new changes): 24 h, 6 h, 48 h; e has no first commit.
      leadTime: { count: 3, p50: 86_400, p90: 172_800 },
      leadTimeUnknown: 1,
      // 2 (failure status), 4 (rolled back), 6 (error), over 6 deployments.
      failures: 3,
      changeFailureRate: 0.5,
      // 2 failed at 13:00 (its status, before its rollback's creation at 13:30), restored at 14:00: 1 h;
      // 4 failed when its rollback was created at 10:00, restored at 10:30: 30 min; 6 is not restored.
      timeToRestore: { count: 2, p50: 1_800, p90: 3_600 },
      unrestored: 1,
    });
    expect(f.daily).toHaveLength(30);
    expect(f.daily.filter((d) => d.deployments > 0)).toEqual([
      { day: '2026-03-02', deployments: 1, failures: 0 },
      { day: '2026-03-05', deployments: 2, failures: 1 },
      { day: '2026-03-10', deployments: 2, failures: 1 },
      { day: '2026-03-20', deployments: 1, failures: 1 },
    ]);
  });

  it('adds repositories together, each failure restored only by its own repository', () => {
    const api = dep(100, 'q', '2026-03-25T12:00:00Z', { firstCommitAt: t('2026-03-25T10:00:00Z') }, 'acme/api');
    // A rollback of acme/api's deployment 1 does not fail acme/shop's deployment 1.
    const f = computeDeliveryFigures([...SHOP, api], WINDOW, [
      ...ROLLBACKS,
      { repo: 'acme/api', of: 1, createdAt: t('2026-03-03T00:00:00Z') },
    ]);
    expect(f).toMatchObject({
      deployments: 7,
      leadTime: { count: 4, p50: 21_600, p90: 172_800 },
      failures: 3,
      changeFailureRate: 3 / 7,
      timeToRestore: { count: 2, p50: 1_800, p90: 3_600 },
      // acme/api's success after shop's error does not restore shop.
      unrestored: 1,
    });
  });

  it('says nothing was deployed rather than a rate of zero', () => {
    const f = computeDeliveryFigures([], WINDOW);
    expect(f).toMatchObject({
      deployments: 0,
      deploymentsPerDay: 0,
      changeFailureRate: null,
      leadTime: { count: 0, p50: null, p90: null },
      timeToRestore: { count: 0, p50: null, p90: null },
    });
  });
});
