import { afterEach, describe, expect, it } from 'vitest';
import { LEASE_MS } from '../../src/app/gate.js';
import { gitBlobSha } from '../support/fake-github.js';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { deploymentCreated, deploymentStatusCreated, protectionRuleRequested } from '../support/webhooks.js';
import { PROD_APPROVALS, PROD_ONLY } from '../support/policies.js';

const SHA = 'e'.repeat(40);
const DAY = 86_400_000;

describe('a poisoned gate is answered, not retried forever', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  const ask = async (runId: number) => {
    h!.repo.pendingRules.add(`${runId}/production`);
    const d = protectionRuleRequested(h!.ctx, {
      id: 5000 + runId,
      runId,
      sha: SHA,
      ref: 'v3.0.0',
      environment: 'production',
      creator: 'dev',
      createdAt: h!.clock.now().toISOString(),
    });
    expect(await h!.deliver(d)).toBe(200);
    return d;
  };
  const answersOf = (runId: number) =>
    h!.repo.answers.filter((a) => a.runId === runId && a.state).map((a) => [a.state, a.comment]);

  it('rejects at once, naming the problem, when evaluating the policy runs past its time budget; the same policy content is refused without evaluating it again', async () => {
    h = await startHarness({
      policy: PROD_ONLY,
      server: { evaluationBudget: { ms: 0, heapBytes: 512 * 1024 * 1024 } },
    });
    const blob = gitBlobSha(PROD_ONLY).slice(0, 12);
    const d = await ask(1);
    expect(await h.handled(d.id)).toMatchObject({ status: 'done', attempts: 1 });
    const [[state, comment]] = answersOf(1) as [[string, string]];
    expect(state).toBe('rejected');
    expect(comment).toMatch(
      new RegExp(
        `^Release gate: rejected for production\\. POLICY_INVALID: The release policy is invalid, so the gate cannot decide and does not approve: \\.github/release-policy\\.yml \\(blob ${blob}\\): its evaluation took \\d+ ms, over the 0 ms budget; it is refused until the policy changes`,
      ),
    );
    const evaluations = await h.store.listEvaluations({ repo: 'acme/shop', sha: SHA, environment: 'production' });
    expect(evaluations.map((e) => e.decision)).toEqual(['block']);
    expect(await h.store.getPoisonedPolicy(gitBlobSha(PROD_ONLY))).toMatchObject({ repo: 'acme/shop' });

    // The next request with the same policy is refused before any fact is loaded.
    const before = h.github.requests.length;
    await ask(2);
    expect(answersOf(2).map(([s]) => s)).toEqual(['rejected']);
    const reads = h.github.requests
      .slice(before)
      .filter((r) => r.method === 'GET')
      .map((r) => r.path);
    expect(reads.every((p) => p.includes('/contents/') || p.includes('/commits'))).toBe(true);
    expect(
      h.github.requests
        .slice(before)
        .some((r) => r.path.includes('/pulls') || (r.path.includes('/check-runs') && r.method === 'GET')),
    ).toBe(false);
  });

  it('stops a crash loop: a policy whose evaluation never finished twice is rejected with the reason, and evaluated again once it changes', async () => {
    h = await startHarness({ policy: PROD_ONLY });
    // What a dead process leaves behind twice in a row: evaluations started and never finished.
    const blob = gitBlobSha(PROD_ONLY);
    await h.store.startEvaluationAttempt(blob, `acme/shop@${SHA}/production`, h.clock.now());
    await h.store.startEvaluationAttempt(blob, `acme/shop@${SHA}/production`, h.clock.now());
    await ask(3);
    expect(answersOf(3)).toEqual([
      [
        'rejected',
        `Release gate: rejected for production. POLICY_INVALID: The release policy is invalid, so the gate cannot decide and does not approve: .github/release-policy.yml (blob ${blob.slice(0, 12)}): its evaluation never finished: the App stopped 2 times while evaluating it (out of memory or killed); it is refused until the policy changes`,
      ],
    ]);
    // A fixed policy is another blob: evaluated normally.
    h.repo.files['.github/release-policy.yml'] = `${PROD_ONLY}# fixed\n`;
    await ask(4);
    expect(answersOf(4)).toEqual([['approved', 'Release gate: allowed for PROD.']]);
  });

  it('rejects, naming the error, a policy whose evaluation throws', async () => {
    const SOAK = `version: 1
environments:
  - name: STAGING
    github: staging
  - name: PROD
    github: production
    soak: { minutes: 200000000000 }
`;
    h = await startHarness({ policy: SOAK });
    const dep = {
      id: 81,
      sha: SHA,
      ref: 'v3.0.0',
      environment: 'staging',
      creator: 'dev',
      createdAt: '2026-03-01T00:00:00Z',
    };
    expect(await h.deliver(deploymentCreated(h.ctx, dep))).toBe(200);
    expect(
      await h.deliver(deploymentStatusCreated(h.ctx, dep, { id: 82, state: 'success', at: '2026-03-01T00:00:00Z' })),
    ).toBe(200);
    const d = await ask(8);
    // Answered once, not retried: the delivery is done after one try and no gate is due again.
    expect(await h.store.getInboxDelivery(d.id)).toMatchObject({ status: 'done', attempts: 1 });
    const [[state, comment]] = answersOf(8) as [[string, string]];
    expect(state).toBe('rejected');
    expect(
      comment.startsWith(
        'Release gate: rejected for production. POLICY_INVALID: The release policy is invalid, so the gate cannot decide and does not approve: ',
      ),
    ).toBe(true);
    // Today the evaluation throws on the date it cannot represent; a policy check that refuses the value first says so instead.
    expect(comment).toMatch(
      /\(blob [0-9a-f]{12}\): its evaluation failed: Invalid time value; it is refused until the policy changes$|soak/,
    );
    h.clock.advance(31 * DAY);
    expect(await h.app.app.scheduler().tick()).toBe(0);
    expect(answersOf(8)).toHaveLength(1);
  });

  it('answers before the 30-day limit when the gate keeps failing to evaluate', async () => {
    h = await startHarness({ policy: PROD_ONLY, now: '2026-03-01T00:00:00Z' });
    h.github.fault = ({ method, path }) => (method === 'GET' && path.includes('/contents/') ? 502 : undefined);
    const d = await ask(5);
    expect(await h.store.getInboxDelivery(d.id)).toMatchObject({ status: 'ready', lastError: 'Bad Gateway' });
    expect(answersOf(5)).toEqual([]);
    h.clock.set('2026-03-15T00:00:00Z');
    await h.app.app.scheduler().tick();
    expect(answersOf(5)).toEqual([]);
    h.clock.set('2026-03-30T00:00:01Z');
    await h.app.app.scheduler().tick();
    expect(answersOf(5)).toEqual([
      [
        'rejected',
        'Release gate: rejected for production because the request waited 29 days and GitHub fails it at 30. The gate could not be evaluated: Bad Gateway',
      ],
    ]);
    expect((await h.store.listPendingGates({ repo: 'acme/shop' }))[0]).toMatchObject({
      status: 'answered',
      decision: 'rejected',
    });
  });

  it('answers before the 30-day limit a gate leased by a replica that died', async () => {
    h = await startHarness({ policy: PROD_APPROVALS, now: '2026-03-01T00:00:00Z' });
    await ask(6);
    const gate = (await h.store.listPendingGates({ repo: 'acme/shop' }))[0]!;
    expect(gate.status).toBe('pending');
    // A replica took it and died: its lease is never renewed nor released.
    h.clock.set('2026-03-29T23:59:00Z');
    expect(
      await h.store.gateQueue.claim(
        gate.id,
        'replica-dead',
        new Date(h.clock.now().getTime() + LEASE_MS),
        h.clock.now(),
      ),
    ).toBe(true);
    h.clock.set('2026-03-30T00:00:01Z');
    expect(await h.app.app.scheduler().tick()).toBe(1);
    expect(answersOf(6).map(([s]) => s)).toEqual(['rejected']);
    expect(answersOf(6)[0]![1]).toContain('because the request waited 29 days and GitHub fails it at 30');
    expect(h.clock.now().getTime() - gate.createdAt.getTime()).toBeLessThan(30 * DAY);
  });

  it('answers a poisoned request of a deployment created before the policy was poisoned', async () => {
    h = await startHarness({
      policy: PROD_ONLY,
      server: { evaluationBudget: { ms: 0, heapBytes: 512 * 1024 * 1024 } },
    });
    const dep = {
      id: 61,
      sha: SHA,
      ref: 'v3.0.0',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    };
    expect(await h.deliver(deploymentCreated(h.ctx, dep))).toBe(200);
    expect(
      await h.deliver(
        deploymentStatusCreated(h.ctx, dep, { id: 62, state: 'in_progress', at: h.clock.now().toISOString() }),
      ),
    ).toBe(200);
    await ask(7);
    expect(answersOf(7).map(([s]) => s)).toEqual(['rejected']);
    // Nothing is left to retry: no due gate, no delivery waiting.
    h.clock.advance(DAY);
    expect(await h.app.app.scheduler().tick()).toBe(0);
    expect(await h.store.countInbox()).toMatchObject({ ready: 0, working: 0, failed: 0 });
  });
});
