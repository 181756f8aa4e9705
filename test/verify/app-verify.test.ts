/**
 * Verification through the App with an HTTP health source the test controls: the next stage
 * and its auto-promotion wait for the verification; a verification survives a restart and is
 * measured once across replicas; a source down for the whole window is inconclusive (nothing
 * rolled back, the later stage refused, saying why); a policy naming a source the operator did
 * not configure is invalid at its line.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/helpers.js';
import { closeChecked, startHarness, TEST_APP_ID } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { startMetricsShop } from '../support/prometheus.js';
import type { MetricsShop } from '../support/prometheus.js';
import { freePort } from '../support/processes.js';
import { deploymentCreated, deploymentStatusCreated, issueCommentCreated } from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';
import { defineSource } from '../../src/verify/sources.js';
import type { DataSource } from '../../src/verify/sources.js';

const SHA = '7'.repeat(40);

function pipeline(source = 'shop-health', staging: string[] = []): string {
  return [
    'version: 1',
    'environments:',
    '  - name: PRE_PROD',
    '    github: staging',
    '    autoPromote: true',
    '    verify:',
    '      duration: 2m',
    '      interval: 1m',
    '      checks:',
    '        - name: health',
    `          source: ${source}`,
    '          path: /health',
    '          expectStatus: 200',
    ...staging.map((l) => `    ${l}`),
    '  - name: PROD',
    '    github: production',
    '',
  ].join('\n');
}

describe('verification through the App', () => {
  let shop: MetricsShop;
  let h: Harness | undefined;
  let sources: Map<string, DataSource>;

  beforeAll(async () => {
    shop = await startMetricsShop();
    const down = await freePort();
    sources = new Map([
      ['shop-health', defineSource('shop-health', 'test', { type: 'http', url: shop.url })],
      ['down', defineSource('down', 'test', { type: 'http', url: `http://127.0.0.1:${down}` })],
    ]);
  });
  afterAll(() => shop?.close());
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  const start = async (policy: string) =>
    (h = await startHarness({ policy, now: '2026-03-10T12:00:00Z', server: { sources, verifyIntervalMs: 0 } }));

  const staging = (id = 801): DeploymentSpec => ({
    id,
    sha: SHA,
    ref: 'v1.0.0',
    environment: 'staging',
    creator: 'dev',
    createdAt: h!.clock.now().toISOString(),
  });

  async function stagingSucceeds(d = staging()): Promise<string> {
    expect(await h!.deliver(deploymentCreated(h!.ctx, d))).toBe(200);
    const status = deploymentStatusCreated(h!.ctx, d, {
      id: d.id + 1,
      state: 'success',
      at: h!.clock.now().toISOString(),
    });
    expect(await h!.deliver(status)).toBe(200);
    return status.id;
  }

  /** One verifier pass on this App (or a replica), its work finished. */
  const tick = async (app = h!.app) => {
    await app.app.verifier().tick();
    await app.app.verifier().idle();
  };

  it('holds the next stage and its auto-promotion until the stage is verified', async () => {
    await start(pipeline());
    const status = await stagingSucceeds();
    expect((await h!.store.getDelivery(status))?.outcome).toBe('recorded success; verifying in PRE_PROD');
    await tick();
    // One round in: PROD is not promoted, and a deployment to it waits.
    expect(h!.repo.deployments).toEqual([]);
    const prod: DeploymentSpec = { ...staging(901), environment: 'production' };
    expect(await h!.deliver(deploymentCreated(h!.ctx, prod))).toBe(200);
    expect(h!.repo.deploymentStatuses.find((s) => s.deploymentId === 901)).toMatchObject({
      state: 'queued',
      description: 'Release gate: waiting for PROD (PROMOTION_ORDER). Held: deploy again once it clears.',
    });
    h!.clock.advance(60_000);
    await tick();
    h!.clock.advance(60_000);
    await tick();
    const row = await h!.store.verifications.byDeployment(801);
    expect([row?.outcome, row?.rounds.length]).toEqual(['verified', 3]);
    // Verified: the auto-promotion creates PROD's deployment.
    expect(h!.repo.deployments.map((d) => [d.environment, d.sha])).toEqual([['production', SHA]]);
    const run = h!.repo.checkRuns.find((c) => c.name === 'Release gate / verify PRE_PROD');
    expect(run).toMatchObject({ status: 'completed', conclusion: 'success' });
  });

  it('survives a restart and measures each round once across two replicas', async () => {
    await start(pipeline());
    await stagingSucceeds();
    await tick();
    await h!.restart();
    h!.clock.advance(60_000);
    const replica = await h!.startReplica({ sources, verifyIntervalMs: 0, replicaId: 'replica-2' });
    try {
      await Promise.all([tick(), tick(replica.app)]);
      h!.clock.advance(60_000);
      await Promise.all([tick(replica.app), tick()]);
    } finally {
      await replica.close();
    }
    const row = await h!.store.verifications.byDeployment(801);
    expect(row?.outcome).toBe('verified');
    // Three rounds: 12:00, 12:01, 12:02, each once.
    expect((row?.rounds as Array<{ at: string }>).map((r) => r.at)).toEqual([
      '2026-03-10T12:00:00.000Z',
      '2026-03-10T12:01:00.000Z',
      '2026-03-10T12:02:00.000Z',
    ]);
    expect(h!.repo.checkRuns.filter((c) => c.name === 'Release gate / verify PRE_PROD')).toHaveLength(1);
  });

  it('is inconclusive when the source cannot be reached for the whole window: nothing rolled back, PROD refused', async () => {
    await start(pipeline('down', ['rollback: auto']));
    await stagingSucceeds();
    for (let i = 0; i < 3; i++) {
      await tick();
      h!.clock.advance(60_000);
    }
    const row = await h!.store.verifications.byDeployment(801);
    expect(row?.outcome).toBe('inconclusive');
    expect(row?.reason).toBe('no data for health in any of the 3 rounds: a check never measured is not a pass');
    expect((row?.rounds as Array<{ measurements: Array<{ note: string }> }>)[0]!.measurements[0]!.note).toMatch(
      /^down could not be reached \(fetch failed: .*ECONNREFUSED/,
    );
    const run = h!.repo.checkRuns.find((c) => c.name === 'Release gate / verify PRE_PROD');
    expect(run).toMatchObject({ status: 'completed', conclusion: 'neutral' });
    expect(run!.output.title).toBe('Verification inconclusive in PRE_PROD');
    expect(h!.repo.deployments).toEqual([]);
    const prod: DeploymentSpec = { ...staging(901), environment: 'production' };
    expect(await h!.deliver(deploymentCreated(h!.ctx, prod))).toBe(200);
    const refused = h!.repo.deploymentStatuses.find((s) => s.deploymentId === 901);
    expect(refused?.state).toBe('failure');
    expect(refused?.description).toMatch(/^Release gate: rejected for PROD\. PROMOTION_ORDER: /);
    const gateRun = h!.repo.checkRuns.find((c) => c.name === 'Release gate / PROD');
    expect(gateRun?.output.summary).toContain(
      'deployment 801 to staging (success): it succeeded, but its verification in PRE_PROD was inconclusive (at 2026-03-10T12:02:00.000Z): deploy it again to verify it again',
    );
  });

  it('proposes a rollback: the incident gives the command, which a writer runs on the issue, once', async () => {
    await start(pipeline('shop-health', ['rollback: propose']));
    const issues: Array<{ number: number; body: string }> = [];
    h!.github.on('POST /repos/{owner}/{repo}/issues', (req) => {
      const issue = { number: 40 + issues.length, body: (req.body as { body: string }).body };
      issues.push(issue);
      return { status: 201, body: { id: issue.number, number: issue.number } };
    });
    // Release 7777777 verifies in staging.
    await stagingSucceeds();
    for (let i = 0; i < 3; i++) {
      await tick();
      h!.clock.advance(60_000);
    }
    // Release 8888888 answers 503 on /health: it fails at once; nothing is deployed yet.
    shop.health = { status: 503, body: { status: 'down' } };
    try {
      await stagingSucceeds({ ...staging(811), sha: '8'.repeat(40) });
      await tick();
    } finally {
      shop.health = { status: 200, body: { status: 'ok' } };
    }
    expect((await h!.store.verifications.byDeployment(811))?.outcome).toBe('failed');
    expect(h!.repo.deployments.filter((d) => d.environment === 'staging')).toEqual([]);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.body).toContain('To roll back, comment `/release-gate rollback staging` on this issue.');
    expect(issues[0]!.body).toContain('- health: 503 (HTTP 503, expected 200)');

    const comment = (commentId: number, author: string) => {
      const d = issueCommentCreated(h!.ctx, {
        issue: issues[0]!.number,
        body: '/release-gate rollback staging',
        author,
        commentId,
      });
      delete (d.payload as { issue: { pull_request?: unknown } }).issue.pull_request;
      return d;
    };
    expect(await h!.deliver(comment(1, 'mallory'))).toBe(200);
    expect(h!.repo.comments.at(-1)?.body).toBe(
      '@mallory Rolling back needs write, maintain or admin permission on acme/shop; you have read.',
    );
    h!.repo.permissions.carol = 'write';
    expect(await h!.deliver(comment(2, 'carol'))).toBe(200);
    const staged = () => h!.repo.deployments.filter((d) => d.environment === 'staging');
    const [rollback] = staged();
    expect(rollback).toMatchObject({ sha: SHA, environment: 'staging', payload: { releaseGate: { rollbackOf: 811 } } });
    expect(h!.repo.comments.at(-1)?.body).toBe(
      `@carol Rolling back PRE_PROD: deployment ${rollback!.id} of 7777777, the last release verified in staging, created by @\u200dcarol to roll back deployment 811.`,
    );
    expect(await h!.deliver(comment(3, 'carol'))).toBe(200);
    expect(staged()).toHaveLength(1);
    expect(h!.repo.comments.at(-1)?.body).toBe(
      `@carol Deployment 811 in PRE_PROD was rolled back already (deployment ${rollback!.id}).`,
    );
  });

  /** A freeze of staging from 12:04, four minutes into each test. */
  const LAUNCH_FREEZE = [
    'freezeWindows:',
    '  - name: launch freeze',
    '    from: "2026-03-10T12:04"',
    '    to: "2026-03-10T18:00"',
    '    timezone: UTC',
  ];

  /**
   * Release 7777777 verifies in staging before the freeze; 8888888 is deployed just before it,
   * fails its verification once the freeze has begun, and is rolled back at once (`auto`).
   * The rollback deployment is held by staging's protection rule like any other: the gate's
   * answer to it is what the test returns.
   */
  async function rollbackDuringFreeze(extra: string[]): Promise<{ answer: string | undefined; comment: string }> {
    await start(pipeline('shop-health', ['rollback: auto', ...LAUNCH_FREEZE, ...extra]));
    h!.github.on('POST /repos/{owner}/{repo}/issues', () => ({ status: 201, body: { id: 1, number: 1 } }));
    await stagingSucceeds();
    for (let i = 0; i < 3; i++) {
      await tick();
      h!.clock.advance(60_000);
    }
    expect((await h!.store.verifications.byDeployment(801))?.outcome).toBe('verified');
    shop.health = { status: 503, body: { status: 'down' } };
    try {
      await stagingSucceeds({ ...staging(811), sha: '8'.repeat(40) });
      h!.clock.advance(120_000); // 12:05: staging is frozen
      await tick();
    } finally {
      shop.health = { status: 200, body: { status: 'ok' } };
    }
    expect((await h!.store.verifications.byDeployment(811))?.outcome).toBe('failed');
    const [rollback] = h!.repo.deployments.filter((d) => d.environment === 'staging');
    expect(rollback).toMatchObject({ sha: SHA, payload: { releaseGate: { rollbackOf: 811 } } });
    // GitHub asks the protection rule of staging about the App's rollback deployment.
    expect(
      await h!.askGate({
        id: rollback!.id,
        sha: SHA,
        ref: SHA,
        environment: 'staging',
        creator: 'release-gate[bot]',
        appId: TEST_APP_ID,
        payload: rollback!.payload as Record<string, unknown>,
        createdAt: h!.clock.now().toISOString(),
        runId: 5150,
      }),
    ).toBe(200);
    const answer = h!.repo.answers.find((a) => a.runId === 5150);
    return { answer: answer?.state, comment: answer?.comment ?? '' };
  }

  it('lets the rollback of a verified release through the protection rule during a freeze', async () => {
    const { answer, comment } = await rollbackDuringFreeze([]);
    expect(answer).toBe('approved');
    expect(comment).toBe('Release gate: allowed for PRE_PROD.');
    // The gate's own approval: the rollback's success proves it and starts its verification.
    const [rollback] = h!.repo.deployments.filter((d) => d.environment === 'staging');
    expect((await h!.store.getDeployment(rollback!.id))?.approvedVia).toBeTruthy();
    const run = h!.repo.checkRuns.filter((c) => c.name === 'Release gate / PRE_PROD' && c.head_sha === SHA).at(-1);
    expect(run?.output.summary).toContain('ROLLBACK_OF_VERIFIED_RELEASE');
    expect(run?.output.summary).toContain('a rollback of deployment 811 to a release verified in PRE_PROD before');
    // Replayed from the record alone, every decision (the rollback's included) comes out the same.
    const replay = await cli(['replay', '--repo', 'acme/shop', '--database', h!.databaseUrl, '--json']);
    expect(replay.json()).toMatchObject({ different: [], notReplayable: [] });
    expect(replay.json().replayed).toBeGreaterThanOrEqual(3);
  });

  it('holds that rollback by the freeze when the stage says rollbackDuringFreeze: false', async () => {
    const { answer, comment } = await rollbackDuringFreeze(['rollbackDuringFreeze: false']);
    expect(answer).toBeUndefined();
    expect(comment).toContain('launch freeze');
  });

  it('judges a deployment whose payload claims to be a rollback, made by someone else, by the rules', async () => {
    await start(pipeline('shop-health', ['rollback: auto', ...LAUNCH_FREEZE]));
    // 7777777 is verified in staging before the freeze: a real rollback to it would pass.
    await stagingSucceeds();
    for (let i = 0; i < 3; i++) {
      await tick();
      h!.clock.advance(60_000);
    }
    expect((await h!.store.verifications.byDeployment(801))?.outcome).toBe('verified');
    h!.clock.advance(120_000);
    // A writer deploys it again during the freeze with the App's rollback payload.
    expect(
      await h!.askGate({
        ...staging(821),
        creator: 'mallory',
        payload: { releaseGate: { rollbackOf: 811, reason: 'trust me' } },
        runId: 5151,
      }),
    ).toBe(200);
    expect(h!.repo.answers.filter((a) => a.runId === 5151 && a.state === 'approved')).toEqual([]);
    const run = h!.repo.checkRuns.filter((c) => c.name === 'Release gate / PRE_PROD' && c.head_sha === SHA).at(-1);
    expect(run?.output.summary).toContain('FREEZE_WINDOW_ACTIVE');
    expect(run?.output.summary).not.toContain('ROLLBACK_OF_VERIFIED_RELEASE');
  });

  // SECURITY.md T15
  it('refuses a policy naming a source the operator did not configure, at its line', async () => {
    await start(pipeline('thanos'));
    const d: DeploymentSpec = { ...staging(), environment: 'staging' };
    expect(await h!.deliver(deploymentCreated(h!.ctx, d))).toBe(200);
    const run = h!.repo.checkRuns.find((c) => c.name.startsWith('Release gate') && c.head_sha === SHA);
    expect(run?.conclusion).toBe('failure');
    expect(run?.output.summary).toContain(
      `.github/release-policy.yml:11:19: verify check "health" names the data source "thanos", which the App's operator has not configured (configured: down, shop-health); use one of those, or ask the operator to add it (PROMETHEUS_URL, RELEASE_GATE_SOURCES)`,
    );
    expect(await h!.store.verifications.byDeployment(801)).toBeNull();
  });
});
