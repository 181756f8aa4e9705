import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, TEST_SECRET, type Harness } from '../support/app-harness.js';
import { deliveryPriority } from '../../src/app/delivery-order.js';
import { deploymentStatusCreated, protectionRuleRequested, sendWebhook, webhookExample } from '../support/webhooks.js';

const POLICY = `version: 1
environments:
  - name: DEV
    github: development
  - name: PRE_PROD
    github: staging
  - name: PROD
    github: production
`;

describe('the gate answers first', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  it('answers a protection rule request that arrives behind a burst of status events before the burst is handled, and still records every status once', async () => {
    // Two workers, one of them kept for deliveries someone waits on; GitHub answers slowly (50 ms
    // a request), so the burst is still queued when the request comes, however fast the App is.
    h = await startHarness({ policy: POLICY, inbox: { concurrency: 2, urgentWorkers: 1 } });
    h.github.latencyMs = 50;
    const burst = Array.from({ length: 60 }, (_, i) =>
      deploymentStatusCreated(
        h!.ctx,
        {
          id: 500 + i,
          sha: (0xb00 + i).toString(16).padStart(40, '0'),
          ref: 'main',
          environment: i % 2 ? 'staging' : 'development',
          creator: 'github-actions[bot]',
          createdAt: h!.clock.now().toISOString(),
        },
        { id: 9_000 + i, state: 'success', at: h!.clock.now().toISOString() },
      ),
    );
    // Deployments the gate let through: each success proves one and wakes the next stage's
    // gates (a success on a deployment it never let through is recorded and goes no further).
    for (const [i, d] of burst.entries()) {
      const deployment = (d.payload as { deployment: { sha: string; environment: string } }).deployment;
      await h.store.recordDeployment({
        id: 500 + i,
        repo: 'acme/shop',
        sha: deployment.sha,
        environment: deployment.environment,
        creator: 'github-actions[bot]',
        createdAt: h.clock.now(),
      });
      await h.store.approveDeployment(500 + i, {
        via: 'deployment-event',
        at: h.clock.now(),
        stage: deployment.environment === 'staging' ? 'PRE_PROD' : 'DEV',
        environment: deployment.environment,
        runId: null,
      });
    }
    for (const d of burst) expect(await sendWebhook(h.app.url, TEST_SECRET, d)).toBe(200);
    h.repo.pendingRules.add('31/production');
    const request = protectionRuleRequested(h.ctx, {
      id: 31,
      runId: 31,
      sha: 'f'.repeat(40),
      ref: 'v1.0.0',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    });
    expect(await sendWebhook(h.app.url, TEST_SECRET, request)).toBe(200);
    expect(await h.handled(request.id)).toMatchObject({ status: 'done' });
    expect(h.repo.answers.map((a) => a.state)).toEqual(['rejected']);
    // Answered while most of the burst still waits in the inbox.
    expect((await h.store.countInbox()).ready).toBeGreaterThan(30);

    for (const d of burst) expect(await h.handled(d.id, 60_000)).toMatchObject({ status: 'done', attempts: 1 });
    for (const [i] of burst.entries()) expect(await h.store.listDeploymentStatuses(500 + i)).toHaveLength(1);
  });
});

describe('which deliveries go first', () => {
  it('puts what someone waits on first, then what can wake a waiting gate, then what only adds to the record', () => {
    const comment = (body: string) => ({ comment: { body } });
    expect(deliveryPriority('deployment_protection_rule', webhookExample('deployment'))).toBe(0);
    expect(deliveryPriority('deployment', webhookExample('deployment', 'created'))).toBe(0);
    expect(deliveryPriority('issue_comment', comment('/release-gate promote production'))).toBe(0);
    expect(deliveryPriority('issue_comment', comment('looks good to me'))).toBe(2);
    expect(deliveryPriority('pull_request_review', webhookExample('pull_request_review', 'submitted'))).toBe(1);
    expect(deliveryPriority('check_run', webhookExample('check_run', 'completed'))).toBe(1);
    expect(deliveryPriority('deployment_status', { deployment_status: { state: 'success' } })).toBe(1);
    expect(deliveryPriority('deployment_status', { deployment_status: { state: 'in_progress' } })).toBe(2);
    expect(deliveryPriority('push', webhookExample('push'))).toBe(2);
  });
});
