import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { deploymentCreated, deploymentStatusCreated } from '../support/webhooks.js';
import { policy } from '../support/policies.js';

const POLICY = policy({ DEV: ['autoPromote: true'], PRE_PROD: [], PROD: ['refs: ["refs/tags/v*"]'] });

describe('deployments and auto-promotion', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: POLICY });
  });
  afterAll(() => closeChecked(h));

  it('sets a failure status on a deployment created outside the rules, saying why', async () => {
    const d = {
      id: 301,
      sha: '3'.repeat(40),
      ref: 'main',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    };
    expect(await h.deliver(deploymentCreated(h.ctx, d))).toBe(200);
    expect(h.repo.deploymentStatuses).toEqual([
      {
        id: expect.any(Number),
        deploymentId: 301,
        state: 'failure',
        description: expect.stringMatching(/^Release gate: rejected for PROD\. PROMOTION_ORDER: /),
        creator: 'release-gate[bot]',
      },
    ]);
    const events = await h.store.timeline({ repo: 'acme/shop', sha: d.sha });
    expect(events.map((e) => e.type)).toEqual(['CREATE', 'BLOCKED', 'NOTE']);
  });

  it("creates the next stage's deployment when DEV succeeds and the gate allows it", async () => {
    const d = {
      id: 302,
      sha: '4'.repeat(40),
      ref: 'main',
      environment: 'development',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    };
    await h.deliver(deploymentCreated(h.ctx, d));
    expect(h.repo.deploymentStatuses.filter((s) => s.deploymentId === 302)).toEqual([]);
    await h.deliver(deploymentStatusCreated(h.ctx, d, { id: 401, state: 'success', at: h.clock.now().toISOString() }));
    expect(h.repo.deployments).toEqual([
      {
        id: expect.any(Number),
        sha: d.sha,
        ref: d.sha,
        environment: 'staging',
        payload: { releaseGate: { promotedFrom: 'DEV', stage: 'PRE_PROD', sha: d.sha, ref: 'main', deployer: 'dev' } },
        creator: 'release-gate[bot]',
        created_at: expect.any(String),
        appId: 4242,
      },
    ]);
    const types = (await h.store.timeline({ repo: 'acme/shop', sha: d.sha })).map((e) => `${e.type}:${e.environment}`);
    expect(types).toEqual([
      'CREATE:development',
      'APPROVED:DEV',
      'DEPLOYED:development',
      'APPROVED:PRE_PROD',
      'PROMOTE:staging',
    ]);
  });
});

describe('a deployment and its protection rule request share one check run', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: 'version: 1\nenvironments:\n  - name: PROD\n    github: production\n' });
  });
  afterAll(() => closeChecked(h));

  const gateRuns = (sha: string) =>
    h.repo.checkRuns.filter((c) => c.head_sha === sha && c.name === 'Release gate / PROD');

  it('updates the check run deployment.created wrote when the protection rule request for that deployment follows', async () => {
    const d = {
      id: 310,
      sha: '6'.repeat(40),
      ref: 'v1.0.0',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    };
    expect(await h.deliver(deploymentCreated(h.ctx, d))).toBe(200);
    expect(gateRuns(d.sha)).toHaveLength(1);
    expect(await h.askGate({ ...d, runId: 31 })).toBe(200);
    expect(h.repo.answers.map((a) => [a.runId, a.state])).toEqual([[31, 'approved']]);
    expect(gateRuns(d.sha)).toEqual([
      expect.objectContaining({ conclusion: 'success', external_id: 'release-gate:production:none' }),
    ]);
    expect(h.github.find('PATCH', /\/check-runs\/\d+$/).map((r) => r.path)).toEqual([
      `/repos/acme/shop/check-runs/${gateRuns(d.sha)[0]!.id}`,
    ]);
    // Another workflow run for the same commit is another deployment: its own check run.
    expect(await h.askGate({ ...d, id: 312, runId: 32 })).toBe(200);
    expect(gateRuns(d.sha)).toHaveLength(2);
  });

  it('does not evaluate a deployment again when its protection rule request came first', async () => {
    const d = {
      id: 311,
      sha: '8'.repeat(40),
      ref: 'v1.0.1',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    };
    expect(await h.askGate({ ...d, runId: 33 })).toBe(200);
    const created = deploymentCreated(h.ctx, d);
    expect(await h.deliver(created)).toBe(200);
    expect((await h.store.getDelivery(created.id))?.outcome).toBe('recorded: decided by its protection rule');
    expect(gateRuns(d.sha)).toHaveLength(1);
    expect(await h.store.listEvaluations({ repo: 'acme/shop', sha: d.sha })).toHaveLength(1);
  });
});
