import { afterEach, describe, expect, it } from 'vitest';
import { startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { deploymentCreated, deploymentStatusCreated } from '../support/webhooks.js';

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
  afterEach(async () => {
    if (h) expect(h.github.violations).toEqual([]);
    await h?.close();
    h = undefined;
  });

  /** DEV, then PRE_PROD (staging) deployment 801 of SHA succeed now. */
  const stagingSucceeds = async (ref = 'v3.1.0') => {
    const dev = { id: 791, sha: SHA, ref, environment: 'development', creator: 'dev', createdAt: h!.clock.now().toISOString() };
    expect(await h!.deliver(deploymentCreated(h!.ctx, dev))).toBe(200);
    expect(await h!.deliver(deploymentStatusCreated(h!.ctx, dev, { id: 792, state: 'success', at: h!.clock.now().toISOString() }))).toBe(200);
    const d = { id: 801, sha: SHA, ref, environment: 'staging', creator: 'dev', createdAt: h!.clock.now().toISOString() };
    expect(await h!.deliver(deploymentCreated(h!.ctx, d))).toBe(200);
    const status = deploymentStatusCreated(h!.ctx, d, { id: 802, state: 'success', at: h!.clock.now().toISOString() });
    expect(await h!.deliver(status)).toBe(200);
    return status;
  };
  const notes = async () => (await h!.store.timeline({ repo: 'acme/shop', sha: SHA })).filter((e) => e.type === 'NOTE' || (e.type === 'PROMOTE' && e.status === 'auto')).map((e) => [e.type, e.status, e.notes]);

  it('holds the promotion while the soak runs, survives a restart, and creates the deployment once when it clears', async () => {
    h = await startHarness({ policy: SOAK, now: '2026-03-10T12:00:00Z' });
    const status = await stagingSucceeds();
    expect(h.repo.deployments).toEqual([]);
    expect((await h.store.getDelivery(status.id))?.outcome).toBe('recorded success; promotion to production held until 2026-03-10T12:30:00.000Z');
    expect(await notes()).toEqual([
      ['NOTE', 'promotion held', 'Auto-promotion from PRE_PROD to PROD held until 2026-03-10T12:30:00.000Z: SOAK_INCOMPLETE: The release must run in PRE_PROD for 30 minute(s); 30 minute(s) left, until 2026-03-10T12:30:00.000Z. The deployment is created when it clears.'],
    ]);

    h.clock.set('2026-03-10T12:20:00Z');
    expect(await h.app.app.scheduler().tick()).toBe(0);
    await h.restart();
    h.clock.set('2026-03-10T12:30:01Z');
    expect(await h.app.app.scheduler().tick()).toBe(1);
    expect(h.repo.deployments).toEqual([
      { id: expect.any(Number), sha: SHA, ref: SHA, environment: 'production', payload: { releaseGate: { promotedFrom: 'PRE_PROD', stage: 'PROD', sha: SHA, ref: 'v3.1.0' } }, creator: 'release-gate[bot]', created_at: expect.any(String) },
    ]);
    // Later passes and a redelivered status do not promote again.
    h.clock.advance(3_600_000);
    expect(await h.app.app.scheduler().tick()).toBe(0);
    expect(await h.deliver(status)).toBe(200);
    expect(h.repo.deployments).toHaveLength(1);
    expect((await notes()).at(-1)).toEqual(['PROMOTE', 'auto', 'Auto-promoted from PRE_PROD to PROD once the hold cleared']);
    expect(await h.store.listPromotions({ repo: 'acme/shop' })).toEqual([expect.objectContaining({ status: 'answered', note: `deployment ${h.repo.deployments[0]!.id} created`, deploymentId: h.repo.deployments[0]!.id })]);
  });

  it('holds the promotion until a freeze window ends', async () => {
    h = await startHarness({ policy: FREEZE, now: '2026-03-10T15:10:00Z' });
    await stagingSucceeds();
    expect(h.repo.deployments).toEqual([]);
    expect((await notes())[0]?.[2]).toMatch(/^Auto-promotion from PRE_PROD to PROD held until 2026-03-10T16:00:00.000Z: FREEZE_WINDOW_ACTIVE: /);
    h.clock.set('2026-03-10T16:00:01Z');
    expect(await h.app.app.scheduler().tick()).toBe(1);
    expect(h.repo.deployments.map((d) => d.environment)).toEqual(['production']);
  });

  it('does not promote a release the next gate blocks, and says why on the timeline', async () => {
    h = await startHarness({ policy: TAGS_ONLY });
    await stagingSucceeds('main');
    expect(h.repo.deployments).toEqual([]);
    expect(await h.store.listPromotions({ repo: 'acme/shop' })).toEqual([]);
    expect(await notes()).toEqual([['NOTE', 'promotion not done', 'Auto-promotion from PRE_PROD to PROD not done: Release gate: rejected for PROD. REF_NOT_ALLOWED: Ref main may not be deployed to PROD: it must match refs/tags/v*.']]);
  });

  it('drops a held promotion when, at its time, the gate waits on people instead, and says so', async () => {
    h = await startHarness({ policy: SOAK, now: '2026-03-10T12:00:00Z' });
    await stagingSucceeds();
    h.repo.files['.github/release-policy.yml'] = SOAK + '    minApprovals: 1\n';
    h.clock.set('2026-03-10T12:30:01Z');
    expect(await h.app.app.scheduler().tick()).toBe(1);
    expect(h.repo.deployments).toEqual([]);
    expect((await notes()).at(-1)).toEqual(['NOTE', 'promotion not done', 'Auto-promotion from PRE_PROD to PROD not done: Release gate: waiting for PROD. APPROVAL_REQUIRED: Release requires 1 approval(s) for PROD. Current: 0.']);
    expect(await h.store.listPromotions({ repo: 'acme/shop' })).toEqual([expect.objectContaining({ status: 'expired' })]);
  });
});
