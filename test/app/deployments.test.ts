import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { deploymentCreated, deploymentStatusCreated } from '../support/webhooks.js';

const POLICY = `version: 1
environments:
  - name: DEV
    github: development
    autoPromote: true
  - name: PRE_PROD
    github: staging
  - name: PROD
    github: production
    refs: ["refs/tags/v*"]
`;

describe('deployments and auto-promotion', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: POLICY });
  });
  afterAll(async () => {
    expect(h.github.violations).toEqual([]);
    await h?.close();
  });

  it('sets a failure status on a deployment created outside the rules, saying why', async () => {
    const d = { id: 301, sha: '3'.repeat(40), ref: 'main', environment: 'production', creator: 'dev', createdAt: h.clock.now().toISOString() };
    expect(await h.deliver(deploymentCreated(h.ctx, d))).toBe(200);
    expect(h.repo.deploymentStatuses).toEqual([
      { id: expect.any(Number), deploymentId: 301, state: 'failure', description: expect.stringMatching(/^Release gate: rejected for PROD\. PROMOTION_ORDER: /) },
    ]);
    const events = await h.store.timeline({ repo: 'acme/shop', sha: d.sha });
    expect(events.map((e) => e.type)).toEqual(['CREATE', 'BLOCKED', 'NOTE']);
  });

  it('creates the next stage\'s deployment when DEV succeeds and the gate allows it', async () => {
    const d = { id: 302, sha: '4'.repeat(40), ref: 'main', environment: 'development', creator: 'dev', createdAt: h.clock.now().toISOString() };
    await h.deliver(deploymentCreated(h.ctx, d));
    expect(h.repo.deploymentStatuses.filter((s) => s.deploymentId === 302)).toEqual([]);
    await h.deliver(deploymentStatusCreated(h.ctx, d, { id: 401, state: 'success', at: h.clock.now().toISOString() }));
    expect(h.repo.deployments).toEqual([
      { id: expect.any(Number), sha: d.sha, ref: d.sha, environment: 'staging', payload: { releaseGate: { promotedFrom: 'DEV', stage: 'PRE_PROD', sha: d.sha, ref: 'main' } }, creator: 'release-gate[bot]', created_at: expect.any(String) },
    ]);
    const types = (await h.store.timeline({ repo: 'acme/shop', sha: d.sha })).map((e) => `${e.type}:${e.environment}`);
    expect(types).toEqual(['CREATE:development', 'APPROVED:DEV', 'DEPLOYED:development', 'APPROVED:PRE_PROD', 'PROMOTE:staging']);
  });
});
