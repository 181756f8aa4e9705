import { afterEach, describe, expect, it } from 'vitest';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import {
  checkRunEvent,
  deliveryId,
  deploymentCreated,
  deploymentStatusCreated,
  webhookExample,
  issueCommentCreated,
  pullRequestReviewSubmitted,
} from '../support/webhooks.js';
import type { Delivery } from '../support/webhooks.js';

const policy = (prod: string) => `version: 1
environments:
  - name: DEV
    github: development
  - name: PRE_PROD
    github: staging
    autoPromote: true
  - name: PROD
    github: production
${prod}`;

const SOAK = policy('    soak: { minutes: 30 }\n');
const FREEZE = policy(`    freezeWindows:
      - name: afternoon freeze
        from: "2026-03-10T15:00"
        to: "2026-03-10T16:00"
        timezone: UTC
`);
const TAGS_ONLY = policy('    refs: ["refs/tags/v*"]\n');

const SHA = '5'.repeat(40);

describe('auto-promotion held by soak or a freeze window', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  /** DEV, then PRE_PROD (staging) deployment 801 of SHA succeed now. */
  const stagingSucceeds = async (ref = 'v3.1.0') => {
    const dev = {
      id: 791,
      sha: SHA,
      ref,
      environment: 'development',
      creator: 'dev',
      createdAt: h!.clock.now().toISOString(),
    };
    expect(await h!.deliver(deploymentCreated(h!.ctx, dev))).toBe(200);
    expect(
      await h!.deliver(
        deploymentStatusCreated(h!.ctx, dev, { id: 792, state: 'success', at: h!.clock.now().toISOString() }),
      ),
    ).toBe(200);
    const d = {
      id: 801,
      sha: SHA,
      ref,
      environment: 'staging',
      creator: 'dev',
      createdAt: h!.clock.now().toISOString(),
    };
    expect(await h!.deliver(deploymentCreated(h!.ctx, d))).toBe(200);
    const status = deploymentStatusCreated(h!.ctx, d, { id: 802, state: 'success', at: h!.clock.now().toISOString() });
    expect(await h!.deliver(status)).toBe(200);
    return status;
  };
  const notes = async () =>
    (await h!.store.timeline({ repo: 'acme/shop', sha: SHA }))
      .filter((e) => e.type === 'NOTE' || (e.type === 'PROMOTE' && e.status === 'auto'))
      .map((e) => [e.type, e.status, e.notes]);

  it('holds the promotion while the soak runs, survives a restart, and creates the deployment once when it clears', async () => {
    h = await startHarness({ policy: SOAK, now: '2026-03-10T12:00:00Z' });
    const status = await stagingSucceeds();
    expect(h.repo.deployments).toEqual([]);
    expect((await h.store.getDelivery(status.id))?.outcome).toBe(
      'recorded success; promotion to production held, waiting for SOAK_INCOMPLETE; at the latest until 2026-03-10T12:30:00.000Z',
    );
    expect(await notes()).toEqual([
      [
        'NOTE',
        'promotion held',
        'Auto-promotion from PRE_PROD to PROD held until 2026-03-10T12:30:00.000Z: SOAK_INCOMPLETE: The release must run in PRE_PROD for 30 minute(s); 30 minute(s) left, until 2026-03-10T12:30:00.000Z. The deployment is created when it clears.',
      ],
    ]);

    h.clock.set('2026-03-10T12:20:00Z');
    expect(await h.tick()).toBe(0);
    await h.restart();
    h.clock.set('2026-03-10T12:30:01Z');
    expect(await h.tick()).toBe(1);
    expect(h.repo.deployments).toEqual([
      {
        id: expect.any(Number),
        sha: SHA,
        ref: SHA,
        environment: 'production',
        // Whoever deployed PRE_PROD deploys PROD: the App names them in its own deployment.
        payload: {
          releaseGate: {
            promotedFrom: 'PRE_PROD',
            stage: 'PROD',
            sha: SHA,
            ref: 'v3.1.0',
            deployer: 'dev',
            promotion: expect.any(Number),
          },
        },
        creator: 'release-gate[bot]',
        created_at: expect.any(String),
        appId: 4242,
      },
    ]);
    // Later passes and a redelivered status do not promote again.
    h.clock.advance(3_600_000);
    expect(await h.tick()).toBe(0);
    expect(await h.deliver(status)).toBe(200);
    expect(h.repo.deployments).toHaveLength(1);
    expect((await notes()).at(-1)).toEqual([
      'PROMOTE',
      'auto',
      'Auto-promoted from PRE_PROD to PROD once the hold cleared',
    ]);
    expect(await h.store.listPromotions({ repo: 'acme/shop' })).toEqual([
      expect.objectContaining({
        status: 'answered',
        note: `deployment ${h.repo.deployments[0]!.id} created`,
        deploymentId: h.repo.deployments[0]!.id,
      }),
    ]);
  });

  it('holds the promotion until a freeze window ends', async () => {
    h = await startHarness({ policy: FREEZE, now: '2026-03-10T15:10:00Z' });
    await stagingSucceeds();
    expect(h.repo.deployments).toEqual([]);
    expect((await notes())[0]?.[2]).toMatch(
      /^Auto-promotion from PRE_PROD to PROD held until 2026-03-10T16:00:00.000Z: FREEZE_WINDOW_ACTIVE: /,
    );
    h.clock.set('2026-03-10T16:00:01Z');
    expect(await h.tick()).toBe(1);
    expect(h.repo.deployments.map((d) => d.environment)).toEqual(['production']);
  });

  it('does not promote a release the next gate blocks, and says why on the timeline', async () => {
    h = await startHarness({ policy: TAGS_ONLY });
    h.repo.refs['heads/main'] = SHA; // the short ref is resolved on GitHub: a branch
    await stagingSucceeds('main');
    expect(h.repo.deployments).toEqual([]);
    expect(await h.store.listPromotions({ repo: 'acme/shop' })).toEqual([]);
    expect(await notes()).toEqual([
      [
        'NOTE',
        'promotion not done',
        'Auto-promotion from PRE_PROD to PROD not done: Release gate: rejected for PROD. REF_NOT_ALLOWED: Ref refs/heads/main may not be deployed to PROD: it must match refs/tags/v*.',
      ],
    ]);
  });

  it('keeps holding the promotion when, at its time, the gate waits on people instead, and says what for', async () => {
    h = await startHarness({ policy: SOAK, now: '2026-03-10T12:00:00Z' });
    await stagingSucceeds();
    h.repo.files['.github/release-policy.yml'] = SOAK + '    minApprovals: 1\n';
    h.clock.set('2026-03-10T12:30:01Z');
    expect(await h.tick()).toBe(1);
    expect(h.repo.deployments).toEqual([]);
    expect((await notes()).at(-1)).toEqual([
      'NOTE',
      'promotion held',
      'Auto-promotion from PRE_PROD to PROD held, waiting for APPROVAL_REQUIRED. Release requires 1 approval(s) for PROD. Current: 0. The deployment is created when the gate allows it; the promotion is dropped if the gate blocks, or if it still waits at 2026-03-17T12:00:00.000Z.',
    ]);
    expect(await h.store.listPromotions({ repo: 'acme/shop' })).toEqual([
      expect.objectContaining({ status: 'pending', nextCheckAt: new Date('2026-03-10T18:30:01Z') }),
    ]);
  });
});

const APPROVERS = policy(`    minApprovals: 1
    approvals:
      fromTeams: [release-owners]
`);
const CHECKS = policy('    requiredChecks: [build]\n');
const ONE_APPROVAL = policy('    minApprovals: 1\n');
const OVERRIDABLE = policy(`    minApprovals: 1
overrides:
  teams: [sre]
`);

describe('auto-promotion held on people or checks', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  /** DEV, then PRE_PROD (staging) deployment 801 of SHA succeed now; SHA is the head of pull request 21. */
  const stagingSucceeds = async () => {
    h!.repo.pulls.push({ number: 21, user: 'alice', headSha: SHA, headRef: 'feature', commits: [SHA] });
    const at = h!.clock.now().toISOString();
    const dev = { id: 791, sha: SHA, ref: 'v3.1.0', environment: 'development', creator: 'dev', createdAt: at };
    expect(await h!.deliver(deploymentCreated(h!.ctx, dev))).toBe(200);
    expect(await h!.deliver(deploymentStatusCreated(h!.ctx, dev, { id: 792, state: 'success', at }))).toBe(200);
    const d = { id: 801, sha: SHA, ref: 'v3.1.0', environment: 'staging', creator: 'dev', createdAt: at };
    expect(await h!.deliver(deploymentCreated(h!.ctx, d))).toBe(200);
    const status = deploymentStatusCreated(h!.ctx, d, { id: 802, state: 'success', at });
    expect(await h!.deliver(status)).toBe(200);
    return status;
  };
  const notes = async () =>
    (await h!.store.timeline({ repo: 'acme/shop', sha: SHA }))
      .filter((e) => e.type === 'NOTE' || (e.type === 'PROMOTE' && e.status === 'auto'))
      .map((e) => [e.type, e.status, e.notes]);
  const review = (reviewer: string, id: number) => {
    const at = h!.clock.now().toISOString();
    (h!.repo.reviews[21] ??= []).push({ id, user: reviewer, state: 'APPROVED', commit_id: SHA, submitted_at: at });
    return pullRequestReviewSubmitted(h!.ctx, {
      pull: 21,
      headSha: SHA,
      author: 'alice',
      reviewer,
      state: 'approved',
      at,
      reviewId: id,
    });
  };
  const promoted = (deployments: Harness['repo']['deployments']) =>
    deployments.map((d) => [d.environment, d.sha, d.payload]);
  const PROMOTED = [
    [
      'production',
      SHA,
      {
        releaseGate: {
          promotedFrom: 'PRE_PROD',
          stage: 'PROD',
          sha: SHA,
          ref: 'v3.1.0',
          deployer: 'dev',
          promotion: expect.any(Number),
        },
      },
    ],
  ];

  it('holds on approvals, and creates the next deployment once when a counted approver reviews; a redelivered review does nothing more', async () => {
    h = await startHarness({ policy: APPROVERS, now: '2026-03-10T12:00:00Z' });
    h.github.teams.set('acme', { 'release-owners': ['tina'] });
    const status = await stagingSucceeds();
    expect((await h.store.getDelivery(status.id))?.outcome).toBe(
      'recorded success; promotion to production held, waiting for APPROVAL_REQUIRED; at the latest until 2026-03-17T12:00:00.000Z',
    );
    expect(await notes()).toEqual([
      [
        'NOTE',
        'promotion held',
        'Auto-promotion from PRE_PROD to PROD held, waiting for APPROVAL_REQUIRED. Release requires 1 approval(s) from release-owners for PROD. Current: 0. The deployment is created when the gate allows it; the promotion is dropped if the gate blocks, or if it still waits at 2026-03-17T12:00:00.000Z.',
      ],
    ]);

    // A review that does not count changes nothing, and says nothing new.
    h.clock.set('2026-03-10T13:00:00Z');
    const bob = review('bob', 1);
    expect(await h.deliver(bob)).toBe(200);
    expect((await h.store.getDelivery(bob.id))?.outcome).toBe(
      're-evaluated 0 gate(s); re-examined 1 held promotion(s)',
    );
    expect(h.repo.deployments).toEqual([]);
    expect(await notes()).toHaveLength(1);

    h.clock.set('2026-03-10T13:05:00Z');
    const tina = review('tina', 2);
    expect(await h.deliver(tina)).toBe(200);
    expect(promoted(h.repo.deployments)).toEqual(PROMOTED);
    expect((await notes()).at(-1)).toEqual([
      'PROMOTE',
      'auto',
      'Auto-promoted from PRE_PROD to PROD once the hold cleared',
    ]);
    const id = h.repo.deployments[0]!.id;
    expect(await h.store.listPromotions({ repo: 'acme/shop' })).toEqual([
      expect.objectContaining({ status: 'answered', note: `deployment ${id} created`, deploymentId: id }),
    ]);

    // The same delivery again, another review, and the scheduler's passes: still one deployment.
    expect(await h.deliver(tina)).toBe(200);
    expect(await h.deliver(review('carol', 3))).toBe(200);
    h.clock.set('2026-03-11T13:05:00Z');
    expect(await h.tick()).toBe(0);
    expect(h.repo.deployments).toHaveLength(1);
    expect(h.github.find('POST', /\/deployments$/)).toHaveLength(1);
  });

  it('holds on a pending required check, and creates the next deployment when it completes with success', async () => {
    h = await startHarness({ policy: CHECKS, now: '2026-03-10T12:00:00Z' });
    h.repo.checkRuns.push({
      id: 31,
      name: 'build',
      head_sha: SHA,
      status: 'in_progress',
      conclusion: null,
      app: { slug: 'github-actions' },
      output: {},
    });
    await stagingSucceeds();
    expect(h.repo.deployments).toEqual([]);
    expect(await notes()).toEqual([
      [
        'NOTE',
        'promotion held',
        'Auto-promotion from PRE_PROD to PROD held, waiting for CHECKS_PENDING. Waiting for required checks: build (in progress). The deployment is created when the gate allows it; the promotion is dropped if the gate blocks, or if it still waits at 2026-03-17T12:00:00.000Z.',
      ],
    ]);

    h.clock.set('2026-03-10T12:20:00Z');
    Object.assign(h.repo.checkRuns[0]!, { status: 'completed', conclusion: 'success' });
    const done = checkRunEvent(h.ctx, {
      action: 'completed',
      name: 'build',
      headSha: SHA,
      appSlug: 'github-actions',
      id: 31,
      sender: 'ci',
    });
    expect(await h.deliver(done)).toBe(200);
    expect((await h.store.getDelivery(done.id))?.outcome).toBe(
      're-evaluated 0 gate(s); re-examined 1 held promotion(s)',
    );
    expect(promoted(h.repo.deployments)).toEqual(PROMOTED);
    expect(await h.deliver(done)).toBe(200);
    expect(h.repo.deployments).toHaveLength(1);
  });

  it('drops the promotion when the check it waits for fails, and says why', async () => {
    h = await startHarness({ policy: CHECKS, now: '2026-03-10T12:00:00Z' });
    h.repo.checkRuns.push({
      id: 31,
      name: 'build',
      head_sha: SHA,
      status: 'in_progress',
      conclusion: null,
      app: { slug: 'github-actions' },
      output: {},
    });
    await stagingSucceeds();
    h.clock.set('2026-03-10T12:20:00Z');
    Object.assign(h.repo.checkRuns[0]!, { status: 'completed', conclusion: 'failure' });
    expect(
      await h.deliver(
        checkRunEvent(h.ctx, {
          action: 'completed',
          name: 'build',
          headSha: SHA,
          appSlug: 'github-actions',
          id: 31,
          sender: 'ci',
          conclusion: 'failure',
        }),
      ),
    ).toBe(200);
    expect(h.repo.deployments).toEqual([]);
    expect((await notes()).at(-1)).toEqual([
      'NOTE',
      'promotion dropped',
      'Auto-promotion from PRE_PROD to PROD dropped: Release gate: rejected for PROD. CHECKS_FAILED: Required checks failed: build (failure).',
    ]);
    expect(await h.store.listPromotions({ repo: 'acme/shop' })).toEqual([
      expect.objectContaining({
        status: 'expired',
        note: 'Release gate: rejected for PROD. CHECKS_FAILED: Required checks failed: build (failure).',
      }),
    ]);

    // A re-run that passes later does not bring the dropped promotion back.
    Object.assign(h.repo.checkRuns[0]!, { conclusion: 'success' });
    expect(
      await h.deliver(
        checkRunEvent(h.ctx, {
          action: 'completed',
          name: 'build',
          headSha: SHA,
          appSlug: 'github-actions',
          id: 31,
          sender: 'ci',
        }),
      ),
    ).toBe(200);
    expect(h.repo.deployments).toEqual([]);
  });

  it('looks again at every poll in case an event was missed, and drops the promotion still waiting after 7 days', async () => {
    h = await startHarness({ policy: APPROVERS, now: '2026-03-10T12:00:00Z' });
    h.github.teams.set('acme', { 'release-owners': ['tina'] });
    await stagingSucceeds();
    h.clock.set('2026-03-10T17:59:00Z');
    expect(await h.tick()).toBe(0);
    h.clock.set('2026-03-10T18:00:00Z');
    expect(await h.tick()).toBe(1);
    expect(h.repo.deployments).toEqual([]);
    expect(await notes()).toHaveLength(1);
    expect(await h.store.listPromotions({ repo: 'acme/shop' })).toEqual([
      expect.objectContaining({ status: 'pending', nextCheckAt: new Date('2026-03-11T00:00:00Z') }),
    ]);

    h.clock.set('2026-03-17T12:00:00Z');
    expect(await h.tick()).toBe(1);
    expect((await notes()).slice(1)).toEqual([
      [
        'NOTE',
        'promotion dropped',
        'Auto-promotion from PRE_PROD to PROD dropped: held since 2026-03-10T12:00:00.000Z, it still waited 7 days later for APPROVAL_REQUIRED.',
      ],
    ]);
    expect(await h.store.listPromotions({ repo: 'acme/shop' })).toEqual([
      expect.objectContaining({ status: 'expired' }),
    ]);
    // An approval after that promotes nothing.
    expect(await h.deliver(review('tina', 2))).toBe(200);
    h.clock.advance(86_400_000);
    expect(await h.tick()).toBe(0);
    expect(h.repo.deployments).toEqual([]);
  });

  it('finds at its poll an approval whose webhook never came, and promotes', async () => {
    h = await startHarness({ policy: APPROVERS, now: '2026-03-10T12:00:00Z' });
    h.github.teams.set('acme', { 'release-owners': ['tina'] });
    await stagingSucceeds();
    h.repo.reviews[21] = [
      { id: 1, user: 'tina', state: 'APPROVED', commit_id: SHA, submitted_at: '2026-03-10T12:30:00Z' },
    ];
    h.clock.set('2026-03-10T18:00:00Z');
    expect(await h.tick()).toBe(1);
    expect(promoted(h.repo.deployments)).toEqual(PROMOTED);
    expect(await h.tick()).toBe(0);
  });

  it('creates the next deployment when a GitHub deployment review approves the next environment', async () => {
    h = await startHarness({ policy: ONE_APPROVAL, now: '2026-03-10T12:00:00Z' });
    await stagingSucceeds();
    expect(h.repo.deployments).toEqual([]);
    h.clock.set('2026-03-10T12:10:00Z');
    // webhooks-examples has only `requested`: the same payload, approved by tina for production.
    const base = webhookExample('deployment_review', 'requested');
    const around = deploymentCreated(h.ctx, {
      id: 1,
      sha: SHA,
      ref: 'v3.1.0',
      environment: 'production',
      creator: 'tina',
      createdAt: '2026-03-10T12:10:00Z',
    }).payload as Record<string, unknown>;
    const approved: Delivery = {
      id: deliveryId(),
      event: 'deployment_review',
      payload: {
        ...base,
        action: 'approved',
        approver: around.sender,
        since: '2026-03-10T12:10:00Z',
        environment: 'production',
        workflow_run: { ...(base.workflow_run as object), head_sha: SHA },
        workflow_job_runs: [
          {
            id: 1,
            environment: 'production',
            status: 'waiting',
            conclusion: null,
            html_url: '',
            created_at: '2026-03-10T12:05:00Z',
            updated_at: '2026-03-10T12:10:00Z',
          },
        ],
        repository: around.repository,
        organization: around.organization,
        installation: around.installation,
        sender: around.sender,
      },
    };
    expect(await h.deliver(approved)).toBe(200);
    expect((await h.store.getDelivery(approved.id))?.outcome).toBe(
      're-evaluated 0 gate(s); re-examined 1 held promotion(s)',
    );
    expect(promoted(h.repo.deployments)).toEqual(PROMOTED);
  });

  it('creates the next deployment when an override lets the waiting release through', async () => {
    h = await startHarness({ policy: OVERRIDABLE, now: '2026-03-10T12:00:00Z' });
    h.github.teams.set('acme', { sre: ['sam'] });
    h.repo.permissions.sam = 'write';
    await stagingSucceeds();
    expect(h.repo.deployments).toEqual([]);
    h.clock.set('2026-03-10T12:10:00Z');
    const o = issueCommentCreated(h.ctx, {
      issue: 21,
      body: '/release-gate override PROD reason="hotfix" risk="low"',
      author: 'sam',
      commentId: 5,
    });
    expect(await h.deliver(o)).toBe(200);
    expect((await h.store.getDelivery(o.id))?.outcome).toBe(
      'override recorded; re-evaluated 0 gate(s); re-examined 1 held promotion(s)',
    );
    expect(promoted(h.repo.deployments)).toEqual(PROMOTED);
    expect(await h.store.listPromotions({ repo: 'acme/shop' })).toEqual([
      expect.objectContaining({ status: 'answered' }),
    ]);
  });
});
