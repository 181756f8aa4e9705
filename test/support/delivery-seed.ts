import type { Store } from '../../src/store/types.js';

const t = (iso: string) => new Date(iso);

/** A policy whose last stage is LIVE (not named PROD): production is the last stage, whatever its name. */
export const LIVE_POLICY = `version: 1
environments:
  - name: STAGING
    github: staging
  - name: LIVE
    github: live
`;

export interface SeededDeployment {
  id: number;
  sha: string;
  environment: string;
  stage: string;
  createdAt: string;
  /** When its creator's success came (proven); null for a deployment that never succeeded. */
  successAt: string | null;
  /** A later failure or error status, and when. */
  failed?: { state: 'failure' | 'error'; at: string };
  rollbackOf?: number;
  /** Created by this App's installation (GitHub's performed_via_github_app). */
  byApp?: boolean;
}

let statusIds = 700_000;

/** Records a deployment the way the App does: recorded, let through, its success bound (proven), later statuses. */
export async function seedDeployment(store: Store, repo: string, d: SeededDeployment): Promise<void> {
  await store.recordDeployment({
    id: d.id,
    repo,
    sha: d.sha,
    ref: 'main',
    environment: d.environment,
    stage: d.stage,
    creator: 'ci',
    createdAt: t(d.createdAt),
    payload: d.rollbackOf ? { releaseGate: { rollbackOf: d.rollbackOf } } : {},
    byApp: d.byApp ?? false,
  });
  await store.approveDeployment(d.id, {
    via: 'deployment-event',
    at: t(d.createdAt),
    stage: d.stage,
    environment: d.environment,
    runId: null,
  });
  if (d.successAt) {
    await store.recordDeploymentStatus({
      id: statusIds++,
      deploymentId: d.id,
      state: 'success',
      at: t(d.successAt),
      creator: 'ci',
    });
    await store.proveDeployment(d.id, t(d.successAt));
  }
  if (d.failed)
    await store.recordDeploymentStatus({
      id: statusIds++,
      deploymentId: d.id,
      state: d.failed.state,
      at: t(d.failed.at),
      creator: 'ci',
    });
}

/** The policy the gate decided `repo` with, as the record keeps it (the policy in force for delivery metrics and notifications). */
export async function seedPolicyInForce(store: Store, repo: string, text: string, at: string): Promise<void> {
  await store.recordEvaluation({
    repo,
    sha: '0'.repeat(40),
    environment: 'staging',
    stage: 'STAGING',
    decision: 'allow',
    rules: [],
    inputs: {},
    at: t(at),
    policyFiles: [
      {
        role: 'repository',
        source: '.github/release-policy.yml',
        repository: repo,
        path: '.github/release-policy.yml',
        ref: 'main',
        blobSha: null,
        text,
      },
    ],
  });
}

/**
 * The month of test/core/delivery-metrics.test.ts in the record, in LIVE (the last stage),
 * with STAGING deployments beside it that are not production and must not count:
 * 7 LIVE deployments in March (the core test's 6 and a writer's 9), 3 failed (2 marked
 * failure, 4 rolled back by the App's 5, 6 error), lead times 24 h, 6 h, 48 h (release e has
 * no pull request), restores 1 h and 30 min.
 */
export async function seedDeliveryMonth(store: Store, repo: string, base = 0): Promise<void> {
  await seedPolicyInForce(store, repo, LIVE_POLICY, '2026-02-01T00:00:00Z');
  const sha = (c: string) => c.repeat(40);
  const live = (d: Omit<SeededDeployment, 'environment' | 'stage'>) =>
    seedDeployment(store, repo, {
      ...d,
      id: base + d.id,
      environment: 'live',
      stage: 'LIVE',
      ...(d.rollbackOf ? { rollbackOf: base + d.rollbackOf } : {}),
    });
  await live({ id: 7, sha: sha('f'), createdAt: '2026-02-27T11:00:00Z', successAt: '2026-02-27T12:00:00Z' });
  await live({ id: 1, sha: sha('a'), createdAt: '2026-03-02T09:50:00Z', successAt: '2026-03-02T10:00:00Z' });
  await live({
    id: 2,
    sha: sha('b'),
    createdAt: '2026-03-05T11:50:00Z',
    successAt: '2026-03-05T12:00:00Z',
    failed: { state: 'failure', at: '2026-03-05T13:00:00Z' },
  });
  await live({
    id: 3,
    sha: sha('a'),
    createdAt: '2026-03-05T13:30:00Z',
    successAt: '2026-03-05T14:00:00Z',
    rollbackOf: 2,
    byApp: true,
  });
  await live({ id: 4, sha: sha('c'), createdAt: '2026-03-10T08:50:00Z', successAt: '2026-03-10T09:00:00Z' });
  await live({
    id: 5,
    sha: sha('a'),
    createdAt: '2026-03-10T10:00:00Z',
    successAt: '2026-03-10T10:30:00Z',
    rollbackOf: 4,
    byApp: true,
  });
  // A writer's deployment (let through, proven) whose payload says it rolls 1 back: a
  // payload key anyone can write, so 1 has not failed; it is one more deployment.
  await live({
    id: 9,
    sha: sha('a'),
    createdAt: '2026-03-03T11:50:00Z',
    successAt: '2026-03-03T12:00:00Z',
    rollbackOf: 1,
  });
  await live({
    id: 6,
    sha: sha('e'),
    createdAt: '2026-03-20T07:50:00Z',
    successAt: '2026-03-20T08:00:00Z',
    failed: { state: 'error', at: '2026-03-20T09:00:00Z' },
  });
  // A writer's failure status on deployment 1, which only its creator may move: not a failure.
  await store.recordDeploymentStatus({
    id: statusIds++,
    deploymentId: base + 1,
    state: 'failure',
    at: t('2026-03-03T00:00:00Z'),
    creator: 'mallory',
    trusted: false,
  });
  // Not proven (no success): not a deployment of the record's count.
  await live({ id: 8, sha: sha('d'), createdAt: '2026-03-21T07:50:00Z', successAt: null });
  // STAGING is not the last stage: none of these count, failed or not.
  for (let i = 0; i < 5; i++)
    await seedDeployment(store, repo, {
      id: base + 50 + i,
      sha: sha('c'),
      environment: 'staging',
      stage: 'STAGING',
      createdAt: `2026-03-0${i + 1}T08:00:00Z`,
      successAt: `2026-03-0${i + 1}T08:10:00Z`,
      failed: { state: 'failure', at: `2026-03-0${i + 1}T09:00:00Z` },
    });
  // The first commits of the releases' pull requests, as the gate records them.
  await store.linkReleasePulls(
    [
      { repo, sha: sha('a'), pullNumber: 1, headSha: sha('a'), firstCommitAt: t('2026-03-01T10:00:00Z') },
      { repo, sha: sha('a'), pullNumber: 2, headSha: sha('a'), firstCommitAt: t('2026-03-01T12:00:00Z') },
      { repo, sha: sha('b'), pullNumber: 3, headSha: sha('b'), firstCommitAt: t('2026-03-05T06:00:00Z') },
      { repo, sha: sha('c'), pullNumber: 4, headSha: sha('c'), firstCommitAt: t('2026-03-08T09:00:00Z') },
    ],
    t('2026-03-01T00:00:00Z'),
  );
}
