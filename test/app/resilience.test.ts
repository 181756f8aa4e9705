import { afterEach, describe, expect, it } from 'vitest';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { protectionRuleRequested } from '../support/webhooks.js';
import { PROD_APPROVALS, PROD_FROZEN } from '../support/policies.js';

const SHA = 'f'.repeat(40);

describe('crash safety and GitHub limits', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  const ask = async (runId: number, environment = 'production') => {
    return h!.askGate({
      id: 900 + runId,
      runId,
      sha: SHA,
      ref: 'v2.0.0',
      environment,
      creator: 'dev',
      createdAt: h!.clock.now().toISOString(),
    });
  };

  it('loses no waiting gate when the App is killed and started again on the same SQLite file', async () => {
    h = await startHarness({ policy: PROD_FROZEN, now: '2026-03-10T16:10:00Z' });
    await ask(1);
    expect(h.repo.answers.map((a) => a.state)).toEqual([undefined]);
    await h.restart();
    h.clock.set('2026-03-10T18:00:01Z');
    expect(await h.tick()).toBe(1);
    expect(h.repo.answers.map((a) => [a.state, a.comment])).toEqual([
      [undefined, expect.stringMatching(/^Release gate: waiting for PROD until 2026-03-10T18:00:00.000Z/)],
      ['approved', 'Release gate: allowed for PROD.'],
    ]);
  });

  it('answers a decided but unanswered gate after a restart with the stored decision, never a new one', async () => {
    h = await startHarness({ policy: PROD_FROZEN, now: '2026-03-10T15:00:00Z' });
    // GitHub is unreachable for the callback: the decision is stored, the answer fails.
    h.github.interceptor = ({ path }) =>
      path.endsWith('/deployment_protection_rule') ? { status: 502, body: { message: 'Bad gateway' } } : undefined;
    await ask(2);
    const [gate] = await h.store.listPendingGates({ repo: 'acme/shop' });
    expect(gate?.status).toBe('decided');
    expect(gate?.decision).toBe('approved');
    expect(gate?.answerError).toMatch(/^502/);
    // Restart in the freeze: a fresh evaluation would wait, but the stored decision stands.
    await h.restart();
    h.github.interceptor = null;
    h.clock.set('2026-03-10T16:30:00Z');
    await h.tick();
    const answered = h.repo.answers.filter((a) => a.status === 204);
    expect(answered.map((a) => [a.state, a.comment])).toEqual([['approved', 'Release gate: allowed for PROD.']]);
    expect((await h.store.getGate(gate!.id))?.status).toBe('answered');
  });

  it('records a 422 (nothing pending any more) and does not retry it', async () => {
    h = await startHarness({ policy: PROD_APPROVALS });
    // GitHub no longer waits: the run was cancelled before the gate answered.
    await h.deliver(
      protectionRuleRequested(h.ctx, {
        id: 950,
        runId: 3,
        sha: SHA,
        ref: 'v2.0.0',
        environment: 'development',
        creator: 'dev',
        createdAt: h.clock.now().toISOString(),
      }),
    );
    const gate = (await h.store.listPendingGates({ repo: 'acme/shop' }))[0]!;
    expect(gate.status).toBe('expired');
    expect(h.repo.answers.map((a) => [a.state, a.status])).toEqual([['approved', 422]]);
    h.clock.advance(3_600_000);
    expect(await h.tick()).toBe(0);
    expect(h.repo.answers).toHaveLength(1);
  });

  it("answers before GitHub's 30-day limit, with the reason", async () => {
    h = await startHarness({ policy: PROD_APPROVALS, now: '2026-03-01T00:00:00Z' });
    await ask(4);
    const gate = (await h.store.listPendingGates({ repo: 'acme/shop' }))[0]!;
    expect(gate.nextCheckAt?.toISOString()).toBe('2026-03-01T06:00:00.000Z');
    h.clock.set('2026-03-30T00:00:01Z');
    await h.tick();
    const last = h.repo.answers.at(-1)!;
    expect(last.state).toBe('rejected');
    expect(last.comment).toBe(
      'Release gate: rejected for PROD because the request waited 29 days and GitHub fails it at 30. Still waiting on: APPROVAL_REQUIRED: Release requires 1 approval(s) for PROD. Current: 0.',
    );
  });

  it('posts at most 10 status reports per request', async () => {
    h = await startHarness({ policy: PROD_APPROVALS });
    await ask(5);
    // Each new failing set reports; force changes by alternating the required approvals.
    for (let i = 0; i < 14; i++) {
      h.repo.files['.github/release-policy.yml'] = PROD_APPROVALS.replace('minApprovals: 1', `minApprovals: ${i + 2}`);
      h.clock.advance(6 * 3_600_000 + 1);
      await h.tick();
    }
    const reports = h.repo.answers.filter((a) => a.state === undefined);
    expect(reports.length).toBe(10);
    expect(reports.every((r) => (r.comment ?? '').length <= 1024)).toBe(true);
  });
});
