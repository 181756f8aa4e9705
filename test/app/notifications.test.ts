import { afterEach, describe, expect, it } from 'vitest';
import { closeChecked, startHarness, type Harness } from '../support/app-harness.js';
import { cloudEventsReceiver, slackReceiver } from '../support/event-receivers.js';
import { policy } from '../support/policies.js';
import { deploymentCreated, deploymentStatusCreated, type DeploymentSpec } from '../support/webhooks.js';

/**
 * The App publishes its decisions, promotions and proven deployments to the channels the
 * policy names, through signed webhooks from the fake GitHub, to real HTTP receivers.
 */

const SECRET = 'the-receiver-secret-0123456789';
const SHA = '4'.repeat(40);
const NOTIFY = ['notify:', '  slack: SLACK_WEBHOOK_URL', '  webhook: RELEASE_EVENTS_URL'];

describe('the App tells Slack and a CloudEvents receiver what the gate does', () => {
  let h: Harness | undefined;
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await closeChecked(h).finally(() => (h = undefined));
    for (const c of closers.splice(0)) await c();
  });

  let next = 60_000;
  const start = async (urls: { slack: string; webhook: string }) => {
    h = await startHarness({
      policy: policy({ PROD: ['minApprovals: 1'] }, ...NOTIFY),
      now: '2026-03-10T15:00:00Z',
      server: {
        notifications: {
          env: { SLACK_WEBHOOK_URL: urls.slack, RELEASE_EVENTS_URL: urls.webhook, RELEASE_EVENTS_URL_SECRET: SECRET },
          pollMs: 20,
          timeoutMs: 10_000,
        },
      },
    });
    h.repo.pulls.push({ number: 7, user: 'author', headSha: SHA, headRef: 'feature', commits: [SHA] });
    h.repo.reviews[7] = [];
    return h;
  };
  const spec = (): DeploymentSpec => ({
    id: next++,
    sha: SHA,
    ref: 'main',
    environment: 'production',
    creator: 'ci',
    createdAt: h!.clock.now().toISOString(),
  });

  it('sends a held release as waiting, with who can approve, and a proven deployment as deployed', async () => {
    const slack = await slackReceiver();
    const ce = await cloudEventsReceiver(SECRET);
    closers.push(slack.close, ce.close);
    await start({ slack: slack.url, webhook: ce.url });

    const held = spec();
    const created = deploymentCreated(h!.ctx, held);
    expect(await h!.deliver(created)).toBe(200);
    expect((await h!.store.getDelivery(created.id))?.outcome).toBe('recorded: held, queued status set');
    await until(() => slack.received.length === 1 && ce.received.length === 1);
    expect(slack.received[0]!.text).toMatch(/^Waiting for approval: acme\/shop 4444444 → PROD: /);
    expect(JSON.stringify(slack.received[0]!.blocks)).toContain('*Who can approve*\\nanyone with write access');
    expect(ce.received[0]).toMatchObject({
      type: 'dev.cdeventsx.releasegate-gate.waiting.0.1.0',
      source: '/repos/acme/shop',
    });

    // Approved, deployed again, and its creator's success proves it.
    h!.repo.reviews[7]!.push({
      id: 1,
      user: 'reviewer',
      state: 'APPROVED',
      commit_id: SHA,
      submitted_at: h!.clock.now().toISOString(),
    });
    const deployed = spec();
    const again = deploymentCreated(h!.ctx, deployed);
    expect(await h!.deliver(again)).toBe(200);
    expect((await h!.store.getDelivery(again.id))?.outcome).toBe('recorded: allow');
    const success = deploymentStatusCreated(h!.ctx, deployed, {
      id: next++,
      state: 'success',
      at: h!.clock.now().toISOString(),
    });
    expect(await h!.deliver(success)).toBe(200);
    await until(() => ce.received.some((e) => e.type === 'dev.cdevents.service.deployed.0.2.0'));
    const event = ce.received.find((e) => e.type === 'dev.cdevents.service.deployed.0.2.0')!;
    expect(event.id).toBe(`deployed:${deployed.id}`);
    expect(ce.invalid).toEqual([]);
    expect(slack.invalid).toEqual([]);
  });

  it('answers GitHub while the receivers hold their requests: delivery never holds a decision', async () => {
    const slack = await slackReceiver(['hang', 'hang']);
    const ce = await cloudEventsReceiver(SECRET, ['hang', 'hang']);
    closers.push(slack.close, ce.close);
    await start({ slack: slack.url, webhook: ce.url });

    const first = spec();
    const a = deploymentCreated(h!.ctx, first);
    expect(await h!.deliver(a)).toBe(200);
    expect((await h!.store.getDelivery(a.id))?.outcome).toBe('recorded: held, queued status set');
    await until(() => slack.requests.length === 1 && ce.requests.length === 1);
    // Both receivers hold the first event; the next decision is made and answered all the same.
    const second = spec();
    const b = deploymentCreated(h!.ctx, second);
    expect(await h!.deliver(b)).toBe(200);
    expect((await h!.store.getDelivery(b.id))?.outcome).toBe('recorded: held, queued status set');
    expect(h!.repo.deploymentStatuses.filter((s) => s.state === 'queued').map((s) => s.deploymentId)).toEqual([
      first.id,
      second.id,
    ]);
  });
});

async function until(done: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting for the receivers');
    await new Promise((r) => setTimeout(r, 20));
  }
}
