/**
 * Verification after a deploy against a real Prometheus scraping a shop the test controls,
 * through the App (signed webhooks, the fake GitHub checking every request against GitHub's
 * REST description): a healthy release verifies; a release at 50% errors fails, is marked
 * `failure`, rolled back to the last verified release (which the gate lets through), and an
 * incident is opened, then closed when the rolled-back release verifies again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { startMetricsShop, startPrometheus } from '../support/prometheus.js';
import type { MetricsShop, RealPrometheus } from '../support/prometheus.js';
import { deploymentCreated, deploymentStatusCreated } from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';
import { defineSource } from '../../src/verify/sources.js';
import type { DataSource } from '../../src/verify/sources.js';
import type { ReleaseEvent } from '../../src/core/release-events.js';
import { INCIDENT_LABEL } from '../../src/verify/incidents.js';

const ERROR_RATE = 'sum(rate(http_requests_total{status=~"5.."}[3s])) / sum(rate(http_requests_total[3s]))';

function verifyPolicy(): string {
  return [
    'version: 1',
    'environments:',
    '  - name: PROD',
    '    github: production',
    '    verify:',
    '      duration: 4s',
    '      interval: 2s',
    '      failureLimit: 0',
    '      noData: inconclusive',
    '      checks:',
    '        - name: error-rate',
    '          source: prometheus',
    `          query: '${ERROR_RATE}'`,
    '          max: 0.01',
    '        - name: health',
    '          source: shop-health',
    '          path: /health',
    '          expectStatus: 200',
    '          jsonPath: $.status',
    '          equals: ok',
    '    rollback: auto',
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('verification against a real Prometheus', () => {
  let shop: MetricsShop;
  let prom: RealPrometheus;
  let h: Harness;
  const events: ReleaseEvent[] = [];
  let issues: Array<{ number: number; title: string; body: string; labels: string[]; state: string }> = [];

  beforeAll(async () => {
    shop = await startMetricsShop();
    prom = await startPrometheus(new URL(shop.url).host);
    await prom.waitForValue(ERROR_RATE);
    const sources = new Map<string, DataSource>([
      ['prometheus', defineSource('prometheus', 'test', { type: 'prometheus', url: prom.url })],
      ['shop-health', defineSource('shop-health', 'test', { type: 'http', url: shop.url })],
    ]);
    h = await startHarness({
      policy: verifyPolicy(),
      now: new Date().toISOString(),
      server: { sources, verifyIntervalMs: 0, events: { publish: (e) => events.push(e) } },
    });
    issues = [];
    h.github.on('POST /repos/{owner}/{repo}/issues', (req) => {
      const b = req.body as { title: string; body: string; labels: string[] };
      const issue = { number: 900 + issues.length, title: b.title, body: b.body, labels: b.labels, state: 'open' };
      issues.push(issue);
      return { status: 201, body: { id: issue.number * 10, number: issue.number, title: b.title, state: 'open' } };
    });
    h.github.on('PATCH /repos/{owner}/{repo}/issues/{issue_number}', (req) => {
      const issue = issues.find((i) => i.number === Number(req.params.issue_number));
      if (issue) issue.state = String((req.body as { state?: string }).state ?? issue.state);
      return { status: 200, body: { number: issue?.number, state: issue?.state } };
    });
  }, 120_000);

  afterAll(async () => {
    await closeChecked(h);
    await prom?.close();
    await shop?.close();
  });

  /** Deploys `sha` to production as alice through the REST API, then reports its success (real time on the App's clock). */
  async function deploy(id: number, sha: string): Promise<DeploymentSpec> {
    h.clock.set(new Date().toISOString());
    const d: DeploymentSpec = {
      id,
      sha,
      ref: 'main',
      environment: 'production',
      creator: 'alice',
      createdAt: new Date().toISOString(),
    };
    expect(await h.deliver(deploymentCreated(h.ctx, d))).toBe(200);
    expect(
      await h.deliver(
        deploymentStatusCreated(h.ctx, d, { id: id + 1, state: 'success', at: new Date().toISOString() }),
      ),
    ).toBe(200);
    return d;
  }

  /** Lets the verifier work on real time until the deployment's verification is written out. */
  async function verified(deploymentId: number, ms = 30_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      h.clock.set(new Date().toISOString());
      await h.app.app.verifier().tick();
      await h.app.app.verifier().idle();
      const row = await h.store.verifications.byDeployment(deploymentId);
      if (row?.status === 'answered') return row;
      if (Date.now() > deadline)
        throw new Error(`verification of ${deploymentId} not finished: ${JSON.stringify(row)}`);
      await sleep(200);
    }
  }

  const verifyRuns = (sha: string) =>
    h.repo.checkRuns.filter((c) => c.head_sha === sha && c.name === 'Release gate / verify PROD');

  it('verifies a healthy release: the check run shows each round and concludes success', async () => {
    shop.setErrorRatio(0);
    const good = 'a'.repeat(40);
    await deploy(5001, good);
    const [running] = verifyRuns(good);
    expect(running?.status).toBe('in_progress');
    const row = await verified(5001);
    expect(row.outcome).toBe('verified');
    expect(row.rounds).toHaveLength(3);
    const [run] = verifyRuns(good);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(run!.output.title).toBe('Verified in PROD');
    // A table row per round, each with the error rate and the health check's value.
    expect(run!.output.summary).toMatch(/\| 3 \| .* \| ✅ 0 \| ✅ ok \|/);
    expect((await h.store.getDeployment(5001))?.verificationState).toBe('verified');
    expect(events.map((e) => e.kind)).toEqual(['deployed', 'verifying', 'verified']);
    expect(events[0]).toMatchObject({ stage: 'PROD', environment: 'production', deploymentId: 5001, sha: good });
  }, 60_000);

  it('fails a release at 50% errors, marks it failure, rolls back to the verified release and opens an incident', async () => {
    shop.setErrorRatio(0.5);
    await prom.waitForValue(`(${ERROR_RATE}) > 0.4`);
    const bad = 'b'.repeat(40);
    await deploy(6001, bad);
    const row = await verified(6001);
    expect(row.outcome).toBe('failed');
    expect(row.reason).toMatch(
      /^1 of 1 measurement round\(s\) failed, more than failureLimit 0 allows \(error-rate: 0\.\d+ is above max 0\.01\)$/,
    );

    // The failed deployment is marked failure with the reason.
    const failure = h.repo.deploymentStatuses.find((s) => s.deploymentId === 6001 && s.state === 'failure');
    expect(failure?.description).toMatch(
      /^Verification failed in PROD: error-rate = 0\.\d+ \(0\.\d+ is above max 0\.01\)$/,
    );

    // A deployment of the last verified release, through the Deployments API, naming what it rolls back.
    const created = h.github.requests.filter((r) => r.method === 'POST' && r.path === '/repos/acme/shop/deployments');
    expect(created).toHaveLength(1);
    expect(created[0]!.body).toMatchObject({
      ref: 'a'.repeat(40),
      environment: 'production',
      auto_merge: false,
      required_contexts: [],
      payload: { releaseGate: { rollbackOf: 6001 } },
    });
    const rollback = h.repo.deployments.find((d) => d.sha === 'a'.repeat(40) && d.appId === h.github.appId)!;
    expect(row.rollbackDeploymentId).toBe(rollback.id);

    // The check run concludes failure; the incident names the release, the failed check and its value, and the check run.
    const [run] = verifyRuns(bad);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(run!.output.summary).toContain(`deployment ${rollback.id} of aaaaaaa`);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.labels).toEqual([INCIDENT_LABEL]);
    expect(issues[0]!.title).toMatch(/^Verification failed in PROD: bbbbbbb \(error-rate = 0\.\d+/);
    expect(issues[0]!.body).toContain(`/runs/${run!.id}`);
    expect(issues[0]!.body).toMatch(/- error-rate: 0\.\d+ \(0\.\d+ is above max 0\.01\)/);
    expect(events.slice(-2).map((e) => e.kind)).toEqual(['rolled_back', 'verification_failed']);
    expect(events.at(-2)).toMatchObject({ rollbackOf: 6001, deploymentId: rollback.id, sha: 'a'.repeat(40) });
  }, 90_000);

  it('lets the rollback through, and closes the incident when the release verifies there again', async () => {
    shop.setErrorRatio(0);
    await prom.waitForValue(`(${ERROR_RATE}) < 0.001`);
    const rollback = h.repo.deployments.find((d) => d.sha === 'a'.repeat(40) && d.appId === h.github.appId)!;
    const spec: DeploymentSpec = {
      id: rollback.id,
      sha: rollback.sha,
      ref: rollback.ref,
      environment: 'production',
      creator: 'release-gate[bot]',
      createdAt: rollback.created_at,
      payload: rollback.payload as Record<string, unknown>,
      appId: h.github.appId,
    };
    h.clock.set(new Date().toISOString());
    expect(await h.deliver(deploymentCreated(h.ctx, spec))).toBe(200);
    const row = await h.store.getDeployment(rollback.id);
    expect(row).toMatchObject({ approvedVia: 'deployment-event', approvedStage: 'PROD' });
    const note = (await h.store.timeline({ repo: 'acme/shop', sha: 'a'.repeat(40) }))
      .filter((e) => e.type === 'APPROVED')
      .at(-1);
    expect(note?.notes).toBe(
      `Deployment ${rollback.id} let through: a rollback of deployment 6001 to a release verified in PROD before`,
    );
    // The release deployed again through the gate verifies: the incident is closed, saying by which release.
    await deploy(7001, 'a'.repeat(40));
    const again = await verified(7001);
    expect(again.outcome).toBe('verified');
    expect(issues[0]!.state).toBe('closed');
    expect(h.repo.comments.at(-1)).toEqual({
      issue: issues[0]!.number,
      body: expect.stringMatching(/^Release aaaaaaa was verified in production at .*Z \(deployment 7001\): closing\.$/),
    });
  }, 90_000);
});
