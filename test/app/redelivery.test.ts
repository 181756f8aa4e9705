import { afterEach, describe, expect, it } from 'vitest';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { deploymentCreated, deploymentStatusCreated, protectionRuleRequested } from '../support/webhooks.js';
import { policy, PROD_ONLY } from '../support/policies.js';

const AUTO = policy({ DEV: ['autoPromote: true'], PRE_PROD: [] });

const SHA = '9'.repeat(40);

describe('a delivery that failed is not lost', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  it('acknowledges at once, records the failure, retries it by itself with backoff, and a redelivery after success is a no-op', async () => {
    // The first retry comes 2 s after the failure: long enough to look at the failed attempt first.
    h = await startHarness({ policy: PROD_ONLY, inbox: { retryBaseMs: 2_000 } });
    h.repo.pendingRules.add('71/production');
    const delivery = protectionRuleRequested(h.ctx, {
      id: 710,
      runId: 71,
      sha: SHA,
      ref: 'v1.0.0',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    });
    // GitHub has a bad moment while the App reads the policy.
    h.github.interceptor = ({ method, path }) =>
      method === 'GET' && path.includes('/contents/') ? { status: 502, body: { message: 'Server Error' } } : undefined;
    // The delivery is stored and acknowledged: GitHub sees 200 whatever happens next.
    expect(await h.deliver(delivery)).toBe(200);
    expect(h.repo.answers).toEqual([]);
    expect((await h.store.getDelivery(delivery.id))?.outcome).toBe('error: Server Error');
    expect(await h.store.getInboxDelivery(delivery.id)).toMatchObject({
      status: 'ready',
      attempts: 1,
      lastError: 'Server Error',
    });

    // GitHub recovers; nobody redelivers: the inbox retries on its own.
    h.github.interceptor = null;
    const row = await h.handled(delivery.id, 30_000);
    expect(row).toMatchObject({ status: 'done', attempts: 2 });
    expect(h.repo.answers.map((a) => [a.state, a.comment])).toEqual([['approved', 'Release gate: allowed for PROD.']]);
    expect(await h.store.getDelivery(delivery.id)).toMatchObject({ outcome: 'approved', redeliveries: 1 });

    expect(await h.deliver(delivery)).toBe(200);
    expect(h.repo.answers).toHaveLength(1);
    expect(await h.store.getDelivery(delivery.id)).toMatchObject({ outcome: 'approved', redeliveries: 2 });
    const text = await (await fetch(`${h.app.url}/metrics`)).text();
    expect(text).toContain(
      'release_gate_webhook_deliveries_total{event="deployment_protection_rule",result="error"} 1',
    );
    expect(text).toContain(
      'release_gate_webhook_deliveries_total{event="deployment_protection_rule",result="retry"} 1',
    );
    expect(text).toContain(
      'release_gate_webhook_deliveries_total{event="deployment_protection_rule",result="handled"} 1',
    );
    expect(text).toContain(
      'release_gate_webhook_deliveries_total{event="deployment_protection_rule",result="queued"} 1',
    );
    expect(text).toContain(
      'release_gate_webhook_deliveries_total{event="deployment_protection_rule",result="duplicate"} 1',
    );
  });

  it('handles a redelivery of a delivery a dead process claimed and never finished, instead of calling it a duplicate', async () => {
    h = await startHarness({ policy: PROD_ONLY });
    h.repo.pendingRules.add('72/production');
    const delivery = protectionRuleRequested(h.ctx, {
      id: 711,
      runId: 72,
      sha: SHA,
      ref: 'v1.0.0',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    });
    // What a process killed right after claiming the delivery leaves behind: the delivery
    // stored, claimed by a worker that is gone, its claim run out.
    const now = new Date();
    expect(
      await h.store.enqueueDelivery({
        deliveryId: delivery.id,
        event: 'deployment_protection_rule',
        action: 'requested',
        repo: 'acme/shop',
        orderKey: 'acme/shop|dead-process',
        priority: 0,
        payload: JSON.stringify(delivery.payload),
        now: new Date(now.getTime() + 3_600_000),
      }),
    ).toBe('queued');
    expect(await h.store.claimInboxDelivery('dead-process#1', now, new Date(now.getTime() + 3_600_000))).toMatchObject({
      deliveryId: delivery.id,
    });
    expect(await h.deliver(delivery)).toBe(200);
    expect(h.repo.answers.map((a) => a.state)).toEqual(['approved']);
    expect((await h.store.getDelivery(delivery.id))?.outcome).toBe('approved');
  });

  it('finishes an auto-promotion that failed half-way when the deployment_status delivery comes again, once', async () => {
    h = await startHarness({ policy: AUTO });
    const d = {
      id: 720,
      sha: SHA,
      ref: 'main',
      environment: 'development',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    };
    await h.deliver(deploymentCreated(h.ctx, d));
    const success = deploymentStatusCreated(h.ctx, d, { id: 721, state: 'success', at: h.clock.now().toISOString() });
    h.github.interceptor = ({ method, path }) =>
      method === 'POST' && path.endsWith('/deployments')
        ? { status: 503, body: { message: 'Service Unavailable' } }
        : undefined;
    expect(await h.deliver(success)).toBe(200);
    expect(h.repo.deployments).toEqual([]);
    expect((await h.store.getDelivery(success.id))?.outcome).toBe('error: Service Unavailable');

    h.github.interceptor = null;
    // GitHub's redelivery of a delivery waiting for its retry makes it due at once.
    expect(await h.deliver(success)).toBe(200);
    expect(await h.deliver(success)).toBe(200);
    expect(h.repo.deployments.map((x) => [x.environment, x.sha])).toEqual([['staging', SHA]]);
    const timeline = (await h.store.timeline({ repo: 'acme/shop', sha: SHA })).map((e) => `${e.type}:${e.environment}`);
    expect(timeline.filter((e) => e === 'DEPLOYED:development')).toHaveLength(1);
    expect(timeline.filter((e) => e === 'PROMOTE:staging')).toHaveLength(1);
    expect((await h.store.getDelivery(success.id))?.outcome).toBe('recorded success; promoted to staging');
  });
});
