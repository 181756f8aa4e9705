import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/helpers.js';
import { startHarness } from '../support/app-harness.js';
import { evidenceText } from '../support/evidence.js';
import type { Harness } from '../support/app-harness.js';
import {
  deploymentStatusCreated,
  issueCommentCreated,
  protectionRuleRequested,
  pullRequestReviewSubmitted,
} from '../support/webhooks.js';
import type { Delivery, DeploymentSpec } from '../support/webhooks.js';
import { freezeWindow, overrides, policy } from '../support/policies.js';

const POLICY = policy(
  {
    DEV: [],
    PRE_PROD: [],
    PROD: ['minApprovals: 1', 'minScore: 70', ...freezeWindow('release freeze'), 'onBlocked: wait'],
  },
  'scoring:',
  '  tests: 40',
  '  coverage: 20',
  '  security: 20',
  '  checklist: 20',
  ...overrides({ secondApprover: false, expires: '24h' }),
);

const sha = (c: string) => c.repeat(40);
const A = sha('a');
const B = sha('b');
const C = sha('c');
const D = sha('d');

describe('the story of a release through DEV, PRE_PROD and PROD', () => {
  let h: Harness;
  const story: Delivery[] = [];
  let nextId = 500;

  beforeAll(async () => {
    h = await startHarness({ policy: POLICY, now: '2026-03-10T15:00:00Z' });
    h.github.teams.set('acme', { 'release-managers': ['maria'] });
    // Writers both: an override needs write access and a seat in an override team.
    h.repo.permissions = { maria: 'write', mallory: 'write' };
  });
  afterAll(async () => {
    await h?.close();
  });

  async function send(d: Delivery): Promise<void> {
    story.push(d);
    expect(await h.deliver(d)).toBe(200);
  }

  function answersFor(runId: number) {
    return h.repo.answers.filter((a) => a.runId === runId);
  }

  /** GitHub asks the gate about a deployment; returns the deployment. */
  async function request(
    runId: number,
    commit: string,
    environment: string,
    ref = 'v1.0.0',
    creator = 'deployer',
  ): Promise<DeploymentSpec> {
    const d: DeploymentSpec = {
      id: nextId++,
      sha: commit,
      ref,
      environment,
      creator,
      createdAt: h.clock.now().toISOString(),
    };
    h.repo.pendingRules.add(`${runId}/${environment}`);
    await send(protectionRuleRequested(h.ctx, { ...d, runId }));
    return d;
  }

  async function succeeded(d: DeploymentSpec): Promise<void> {
    await send(deploymentStatusCreated(h.ctx, d, { id: nextId++, state: 'success', at: h.clock.now().toISOString() }));
  }

  function evidence(commit: string, score: number): void {
    h.repo.checkRuns.push({
      id: nextId++,
      name: 'Release evidence',
      head_sha: commit,
      status: 'completed',
      conclusion: 'success',
      app: { slug: 'github-actions' },
      output: { summary: `Score ${score}`, text: evidenceText(score) },
    });
  }

  async function throughPreProd(commit: string, runBase: number): Promise<void> {
    await succeeded(await request(runBase, commit, 'development'));
    await succeeded(await request(runBase + 1, commit, 'staging'));
    expect(answersFor(runBase).map((a) => a.state)).toEqual(['approved']);
    expect(answersFor(runBase + 1).map((a) => a.state)).toEqual(['approved']);
  }

  it('allows DEV and records the deployment and its success', async () => {
    const dev = await request(1, A, 'development');
    expect(answersFor(1)).toEqual([
      {
        runId: 1,
        environment: 'development',
        state: 'approved',
        comment: 'Release gate: allowed for DEV.',
        status: 204,
      },
    ]);
    await succeeded(dev);
    const rows = await h.store.listDeployments({ repo: 'acme/shop', sha: A });
    expect(rows.map((r) => [r.environment, r.latestState])).toEqual([['development', 'success']]);
    const run = h.repo.checkRuns.find((c) => c.name === 'Release gate / DEV');
    expect(run?.conclusion).toBe('success');
    expect(run?.output.summary).toContain('✅ **Allowed**');
  });

  it('rejects PRE_PROD before DEV succeeded and allows it after', async () => {
    await request(2, B, 'staging', 'v1.1.0');
    expect(answersFor(2)).toHaveLength(1);
    expect(answersFor(2)[0]!.state).toBe('rejected');
    expect(answersFor(2)[0]!.comment).toBe(
      `Release gate: rejected for PRE_PROD. PROMOTION_ORDER: PRE_PROD needs a successful deployment of this release (bbbbbbb) to DEV first: no stage may be skipped.`,
    );
    const pre = await request(3, A, 'staging');
    expect(answersFor(3).map((a) => a.state)).toEqual(['approved']);
    await succeeded(pre);
  });

  it('holds PROD during a freeze window and approves it when the scheduler sees the window end', async () => {
    h.repo.pulls.push({ number: 7, user: 'alice', headSha: A, headRef: 'feature', commits: [A] });
    h.repo.reviews[7] = [{ id: 1, user: 'bob', state: 'APPROVED', commit_id: A, submitted_at: '2026-03-10T14:00:00Z' }];
    evidence(A, 90);
    h.clock.set('2026-03-10T16:30:00Z');
    await request(4, A, 'production');
    const reports = answersFor(4);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.state).toBeUndefined();
    expect(reports[0]!.comment).toMatch(
      /^Release gate: waiting for PROD until 2026-03-10T18:00:00.000Z\. FREEZE_WINDOW_ACTIVE: /,
    );
    const gates = await h.store.listPendingGates({ repo: 'acme/shop', status: 'pending' });
    expect(gates.map((g) => [g.runId, g.nextCheckAt?.toISOString()])).toEqual([[4, '2026-03-10T18:00:00.000Z']]);

    // Before the window ends nothing happens; after it, the scheduler answers.
    h.clock.set('2026-03-10T17:59:00Z');
    await h.tick();
    expect(answersFor(4)).toHaveLength(1);
    h.clock.set('2026-03-10T18:00:30Z');
    await h.tick();
    expect(answersFor(4).map((a) => [a.state, a.comment])).toEqual([
      [undefined, expect.any(String)],
      ['approved', 'Release gate: allowed for PROD.'],
    ]);
    const prodRun = h.repo.checkRuns.find((c) => c.name === 'Release gate / PROD' && c.head_sha === A);
    expect(prodRun?.conclusion).toBe('success');
  });

  it('holds PROD with too few approvals and approves it when a review arrives', async () => {
    await throughPreProd(B, 10);
    h.repo.pulls.push({ number: 8, user: 'alice', headSha: B, headRef: 'feature-b', commits: [B] });
    evidence(B, 85);
    await request(12, B, 'production', 'v1.1.0');
    expect(answersFor(12)).toHaveLength(1);
    expect(answersFor(12)[0]!.comment).toBe(
      'Release gate: waiting for PROD. APPROVAL_REQUIRED: Release requires 1 approval(s) for PROD. Current: 0.',
    );
    h.repo.reviews[8] = [
      { id: 2, user: 'carol', state: 'APPROVED', commit_id: B, submitted_at: h.clock.now().toISOString() },
    ];
    await send(
      pullRequestReviewSubmitted(h.ctx, {
        pull: 8,
        headSha: B,
        author: 'alice',
        reviewer: 'carol',
        state: 'approved',
        at: h.clock.now().toISOString(),
        reviewId: 2,
      }),
    );
    expect(answersFor(12).map((a) => a.state)).toEqual([undefined, 'approved']);
  });

  it('rejects PROD with a low score, naming the codes', async () => {
    await throughPreProd(C, 20);
    h.repo.pulls.push({ number: 9, user: 'alice', headSha: C, headRef: 'feature-c', commits: [C] });
    h.repo.reviews[9] = [
      { id: 3, user: 'bob', state: 'APPROVED', commit_id: C, submitted_at: h.clock.now().toISOString() },
    ];
    evidence(C, 40);
    await request(22, C, 'production', 'v1.2.0');
    expect(answersFor(22)).toEqual([
      {
        runId: 22,
        environment: 'production',
        state: 'rejected',
        comment: 'Release gate: rejected for PROD. SCORE_TOO_LOW: Score 40 < minScore 70 required for PROD.',
        status: 204,
      },
    ]);
  });

  it("refuses an override by a non-member; lets an allowed member's override pass once and shows it", async () => {
    await throughPreProd(D, 30);
    h.repo.pulls.push({ number: 10, user: 'alice', headSha: D, headRef: 'feature-d', commits: [D] });
    h.repo.reviews[10] = [
      { id: 4, user: 'bob', state: 'APPROVED', commit_id: D, submitted_at: h.clock.now().toISOString() },
    ];
    evidence(D, 40);
    await send(
      issueCommentCreated(h.ctx, {
        issue: 10,
        author: 'mallory',
        commentId: 9001,
        body: '/release-gate override PROD reason="hotfix" risk="low"',
      }),
    );
    expect(h.repo.comments.at(-1)).toEqual({
      issue: 10,
      body: '@mallory Only members of release-managers may grant an override.',
    });
    expect(await h.store.listOverrides({ repo: 'acme/shop', sha: D })).toEqual([]);

    await send(
      issueCommentCreated(h.ctx, {
        issue: 10,
        author: 'maria',
        commentId: 9002,
        body: '/release-gate override PROD reason="payment outage fix" risk="coverage gap in refunds"',
      }),
    );
    expect(h.repo.comments.at(-1)!.body).toMatch(
      /^@maria Override granted for PROD on ddddddd \(id [^)]+\), until 2026-03-11T18:00:30.000Z; it lets one deployment through\.$/,
    );

    await request(32, D, 'production', 'v1.3.0');
    expect(answersFor(32).map((a) => a.state)).toEqual(['approved']);
    expect(answersFor(32)[0]!.comment).toContain('SCORE_TOO_LOW overridden by maria');
    const summary = h.repo.checkRuns.filter((c) => c.name === 'Release gate / PROD' && c.head_sha === D).at(-1)!.output
      .summary!;
    expect(summary).toContain('### Overrides');
    expect(summary).toContain('| maria |  | payment outage fix | coverage gap in refunds | all |');

    // Once: the next request for the same commit is judged without it.
    await request(33, D, 'production', 'v1.3.0');
    expect(answersFor(33).map((a) => a.state)).toEqual(['rejected']);
  });

  it('changes nothing when every webhook of the story is delivered again', async () => {
    const before = {
      requests: h.github.requests.length,
      answers: h.repo.answers.length,
      evaluations: (await h.store.listEvaluations({ repo: 'acme/shop' })).length,
      events: (await h.store.listEvents({ repo: 'acme/shop' })).length,
    };
    for (const d of story) expect(await h.deliver(d)).toBe(200);
    expect(h.github.requests.length).toBe(before.requests);
    expect(h.repo.answers.length).toBe(before.answers);
    expect((await h.store.listEvaluations({ repo: 'acme/shop' })).length).toBe(before.evaluations);
    expect((await h.store.listEvents({ repo: 'acme/shop' })).length).toBe(before.events);
    const first = await h.store.getDelivery(story[0]!.id);
    expect(first?.redeliveries).toBe(1);
  });

  it('replays every decision it made from the record alone, all identical', async () => {
    const evaluations = await h.store.listEvaluations({ repo: 'acme/shop' });
    expect(evaluations.length).toBeGreaterThanOrEqual(10);
    expect(new Set(evaluations.map((e) => e.decision))).toEqual(new Set(['allow', 'wait', 'block']));
    const requestsBefore = h.github.requests.length;
    const run = await cli(['replay', '--repo', 'acme/shop', '--database', h.databaseUrl, '--json']);
    expect(run.stderr).toBe('');
    expect(run.json()).toEqual({
      replayed: evaluations.length,
      identical: evaluations.length,
      different: [],
      notReplayable: [],
    });
    expect(run.code).toBe(0);
    // Without GitHub: replay asked it nothing.
    expect(h.github.requests.length).toBe(requestsBefore);
    const text = await cli(['replay', '--id', String(evaluations.at(-1)!.id), '--database', h.databaseUrl]);
    expect(text.stdout).toBe(
      `#${evaluations.at(-1)!.id} acme/shop ddddddd production at 2026-03-10T18:00:30.000Z: stored block, replayed block: identical\n` +
        'Replayed 1 of 1 evaluation(s): 1 identical, 0 different, 0 not replayable.\n',
    );
  });

  it('explains a recorded decision from the record alone, as its check run showed it', async () => {
    const last = (await h.store.listEvaluations({ repo: 'acme/shop', sha: D, environment: 'production' })).at(-1)!;
    const run = h.repo.checkRuns.filter((c) => c.name === 'Release gate / PROD' && c.head_sha === D).at(-1)!;
    const requestsBefore = h.github.requests.length;
    const explained = await cli(['explain', '--id', String(last.id), '--database', h.databaseUrl]);
    expect(explained.stderr).toBe('');
    expect(explained.code).toBe(0);
    expect(h.github.requests.length).toBe(requestsBefore);
    // The record does not keep what asked for the decision nor the evidence check run's id:
    // those two phrases aside, the text is the check run's.
    const comparable = (text: string) =>
      text.replace(/, on [^\n]*?\.\n/, '.\n').replace(/\n\nFrom check run \d+ by `[^`]+`\./, '');
    const [heading, blank, ...rest] = explained.stdout.split('\n');
    expect(heading).toBe(`# ${run.output.title}`);
    expect(blank).toBe('');
    const summary = rest.join('\n').replace(/\n\nReplayed from the record[^\n]*\n$/, '');
    expect(comparable(summary)).toBe(comparable(run.output.summary!));
    expect(summary).toContain('SCORE_TOO_LOW');
    expect(summary).toContain('### Overrides');
    expect(explained.stdout.trimEnd().split('\n').at(-1)).toBe(
      'Replayed from the record (policy texts, facts, instant): identical to the decision stored by engine 0.1.0.',
    );

    const words = await cli(['explain', '--id', String(last.id), '--database', h.databaseUrl, '--format', 'text']);
    expect(words.stdout.split('\n')[0]).toBe('PROD: BLOCK: the release must not go on');
  });

  it('sent GitHub only requests its REST description allows', () => {
    expect(h.github.violations).toEqual([]);
  });
});
