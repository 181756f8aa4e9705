import { MIGRATIONS } from '../support/migrations.js';
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAudit } from '../../src/store/audit-export.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store, StoreLogger } from '../../src/store/types.js';
import { postgresTarget, sqliteTarget, type Target } from './targets.js';

function recordingLog(): StoreLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warn: (m) => lines.push(`warn: ${m}`) };
}

const t = (iso: string) => new Date(iso);

describe.each([
  { provider: 'sqlite' as const, target: sqliteTarget },
  { provider: 'postgresql' as const, target: postgresTarget },
])('store on $provider', ({ provider, target }) => {
  let tg: Target;
  let store: Store;
  const log = recordingLog();

  beforeAll(async () => {
    tg = await target();
    store = await openStore({ databaseUrl: tg.url, log });
  });

  afterAll(async () => {
    await store?.close();
    await tg?.cleanup();
  });

  it('migrates an empty database at start, and a second start applies nothing', async () => {
    expect(store.provider).toBe(provider);
    expect(log.lines).toEqual([
      expect.stringMatching(new RegExp(`^Database .+: applied migrations ${MIGRATIONS.join(', ')}$`)),
    ]);
    if (provider === 'sqlite') {
      expect((await stat(tg.url.slice('file:'.length))).isFile()).toBe(true);
    }
    const log2 = recordingLog();
    const again = await openStore({ databaseUrl: tg.url, log: log2 });
    try {
      expect(log2.lines).toEqual([]);
      expect(await again.health()).toEqual({
        ok: true,
        database: 'up',
        migrations: { applied: MIGRATIONS.length, expected: MIGRATIONS.length },
      });
    } finally {
      await again.close();
    }
  });

  it('reports health with the migrations applied', async () => {
    expect(await store.health()).toEqual({
      ok: true,
      database: 'up',
      migrations: { applied: MIGRATIONS.length, expected: MIGRATIONS.length },
    });
  });

  it('upserts a release without erasing fields left out', async () => {
    await store.upsertRelease({
      repo: 'acme/web',
      sha: 'aaa',
      ref: 'refs/tags/v1.2.0',
      tag: 'v1.2.0',
      at: t('2026-11-01T10:00:00Z'),
    });
    const row = await store.upsertRelease({
      repo: 'acme/web',
      sha: 'aaa',
      version: '1.2.0',
      at: t('2026-11-01T11:00:00Z'),
    });
    expect(row).toMatchObject({
      repo: 'acme/web',
      sha: 'aaa',
      ref: 'refs/tags/v1.2.0',
      tag: 'v1.2.0',
      version: '1.2.0',
    });
    expect(row.createdAt.toISOString()).toBe('2026-11-01T10:00:00.000Z');
    expect(row.updatedAt.toISOString()).toBe('2026-11-01T11:00:00.000Z');
  });

  it('keeps deployments with their latest state, and a success alone proves nothing', async () => {
    const big = 9_007_199_254_740_000; // GitHub ids beyond 32 bits survive the round trip
    expect(
      await store.recordDeployment({
        id: big,
        repo: 'acme/web',
        sha: 'aaa',
        environment: 'staging',
        stage: 'PRE_PROD',
        creator: 'ann',
        createdAt: t('2026-11-01T10:00:00Z'),
        payload: { release: '1.2.0' },
      }),
    ).toBe(true);
    expect(
      await store.recordDeployment({
        id: big,
        repo: 'acme/web',
        sha: 'aaa',
        environment: 'staging',
        createdAt: t('2026-11-01T10:00:00Z'),
      }),
    ).toBe(false);
    await store.recordDeploymentStatus({
      id: 1,
      deploymentId: big,
      state: 'in_progress',
      at: t('2026-11-01T10:01:00Z'),
    });
    await store.recordDeploymentStatus({ id: 2, deploymentId: big, state: 'success', at: t('2026-11-01T10:05:00Z') });
    expect(
      await store.recordDeploymentStatus({ id: 2, deploymentId: big, state: 'success', at: t('2026-11-01T10:05:00Z') }),
    ).toBe(false);
    await store.recordDeploymentStatus({ id: 3, deploymentId: big, state: 'success', at: t('2026-11-01T12:00:00Z') });
    await store.recordDeploymentStatus({ id: 4, deploymentId: big, state: 'inactive', at: t('2026-11-02T09:00:00Z') });
    const [d] = await store.listDeployments({ repo: 'acme/web', sha: 'aaa', environment: 'staging' });
    expect(d).toMatchObject({
      id: big,
      stage: 'PRE_PROD',
      creator: 'ann',
      payload: { release: '1.2.0' },
      latestState: 'inactive',
    });
    expect(d?.provenAt).toBeNull();
    expect((await store.listDeploymentStatuses(big)).map((s) => s.state)).toEqual([
      'in_progress',
      'success',
      'success',
      'inactive',
    ]);
  });

  it('proves only a deployment the gate approved, from its earliest bound success, and a revocation takes both away', async () => {
    const id = 4_242_001;
    await store.recordDeployment({
      id,
      repo: 'acme/proof',
      sha: 'bbb',
      environment: 'staging',
      createdAt: t('2026-11-01T10:00:00Z'),
    });
    const environments = ['staging'];
    // A success before the gate's word proves nothing.
    expect(await store.proveDeployment(id, t('2026-11-01T10:02:00Z'))).toBe(false);
    expect(
      await store.approveDeployment(id, {
        via: 'protection-rule',
        at: t('2026-11-01T10:03:00Z'),
        stage: 'PRE_PROD',
        environment: 'staging',
        runId: 9_007_199_254_740_001,
      }),
    ).toBe(true);
    expect(
      await store.approveDeployment(777, {
        via: 'deployment-event',
        at: t('2026-11-01T10:03:00Z'),
        stage: null,
        environment: 'qa',
        runId: null,
      }),
    ).toBe(false);
    expect(await store.recentProvenDeployments({ repo: 'acme/proof', environments, limit: 5 })).toEqual([]);
    expect(await store.proveDeployment(id, t('2026-11-01T12:00:00Z'))).toBe(true);
    expect(await store.proveDeployment(id, t('2026-11-01T10:05:00Z'))).toBe(true);
    expect(await store.proveDeployment(id, t('2026-11-01T13:00:00Z'))).toBe(true);
    const proven = await store.getDeployment(id);
    expect(proven).toMatchObject({
      approvedVia: 'protection-rule',
      approvedStage: 'PRE_PROD',
      approvedEnvironment: 'staging',
      approvedRunId: 9_007_199_254_740_001,
      legacySuccessAt: null,
    });
    expect(proven?.provenAt?.toISOString()).toBe('2026-11-01T10:05:00.000Z');
    expect(
      (await store.recentProvenDeployments({ repo: 'acme/proof', environments, limit: 5 })).map((r) => r.id),
    ).toEqual([id]);
    await store.revokeDeploymentApproval(id);
    expect(await store.getDeployment(id)).toMatchObject({ approvedVia: null, approvedAt: null, provenAt: null });
    expect(await store.recentProvenDeployments({ repo: 'acme/proof', environments, limit: 5 })).toEqual([]);
  });

  it('records evaluations with their JSON and the check run they update', async () => {
    const ev = await store.recordEvaluation({
      repo: 'acme/web',
      sha: 'aaa',
      environment: 'production',
      stage: 'PROD',
      decision: 'wait',
      rules: [{ code: 'APPROVAL_REQUIRED', ok: false }],
      inputs: { approvals: [] },
      score: 87.5,
      policyPath: '.github/release-gate.yml',
      policySha: 'p1',
      actor: 'ann',
      deliveryId: 'dlv-1',
      at: t('2026-11-01T10:00:00Z'),
    });
    await store.setEvaluationCheckRun(ev.id, 40_000_000_001);
    const [row] = await store.listEvaluations({ repo: 'acme/web', sha: 'aaa', since: t('2026-11-01T00:00:00Z') });
    expect(row).toMatchObject({
      decision: 'wait',
      rules: [{ code: 'APPROVAL_REQUIRED', ok: false }],
      inputs: { approvals: [] },
      score: 87.5,
      checkRunId: 40_000_000_001,
    });
    expect(await store.listEvaluations({ repo: 'acme/web', since: t('2026-11-02T00:00:00Z') })).toEqual([]);

    const key = { repo: 'acme/web', sha: 'aaa', environment: 'production', runId: 77 };
    expect(await store.getCheckRunId(key)).toBeNull();
    await store.setCheckRunId(key, 5, t('2026-11-01T10:00:00Z'));
    await store.setCheckRunId(key, 6, t('2026-11-01T10:01:00Z'));
    expect(await store.getCheckRunId(key)).toBe(6);
    expect(await store.getCheckRunId({ ...key, runId: null })).toBeNull();
    // A deployment evaluated outside a protection rule request keeps its own check run,
    // apart from any workflow run's and from the one for neither.
    const byDeployment = { ...key, runId: null, deploymentId: 77 };
    expect(await store.getCheckRunId(byDeployment)).toBeNull();
    await store.setCheckRunId(byDeployment, 7, t('2026-11-01T10:02:00Z'));
    await store.setCheckRunId({ ...key, runId: null }, 8, t('2026-11-01T10:02:00Z'));
    expect(await store.getCheckRunId(byDeployment)).toBe(7);
    expect(await store.getCheckRunId({ ...key, runId: null, deploymentId: null })).toBe(8);
    expect(await store.getCheckRunId(key)).toBe(6);
    // Several keys read at once, each in its place.
    expect(
      await store.getCheckRunIds([
        byDeployment,
        { ...key, runId: 78 },
        key,
        { ...key, sha: 'bbb' },
        { ...key, runId: null },
      ]),
    ).toEqual([7, null, 6, null, 8]);
    expect(await store.getCheckRunIds([])).toEqual([]);
  });

  it('dedupes approvals on their natural key', async () => {
    const a = {
      repo: 'acme/web',
      sha: 'aaa',
      login: 'bob',
      source: 'pr-review' as const,
      state: 'approved',
      submittedAt: t('2026-11-01T09:00:00Z'),
      commitId: 'aaa',
    };
    expect(await store.recordApprovals([a, { ...a, login: 'cy' }], t('2026-11-01T10:00:00Z'))).toBe(2);
    expect(
      await store.recordApprovals(
        [a, { ...a, source: 'deployment-review', environment: 'production' }],
        t('2026-11-01T10:01:00Z'),
      ),
    ).toBe(1);
    const rows = await store.listApprovals({ repo: 'acme/web', sha: 'aaa' });
    expect(rows.map((r) => [r.login, r.source, r.environment])).toEqual([
      ['bob', 'pr-review', null],
      ['cy', 'pr-review', null],
      ['bob', 'deployment-review', 'production'],
    ]);
  });

  it('uses an override once and confirms it once', async () => {
    const o = await store.createOverride({
      repo: 'acme/web',
      sha: 'aaa',
      environment: 'production',
      rules: ['freeze'],
      grantedBy: 'ann',
      reason: 'hotfix',
      risk: 'low',
      grantedAt: t('2026-11-01T10:00:00Z'),
      expiresAt: t('2026-11-02T10:00:00Z'),
    });
    expect(await store.confirmOverride(o.id, 'bob', t('2026-11-01T10:01:00Z'))).toBe(true);
    expect(await store.confirmOverride(o.id, 'cy', t('2026-11-01T10:02:00Z'))).toBe(false);
    const used = await Promise.all([
      store.markOverrideUsed(o.id, t('2026-11-01T11:00:00Z')),
      store.markOverrideUsed(o.id, t('2026-11-01T11:00:01Z')),
    ]);
    expect(used.filter(Boolean)).toHaveLength(1);
    const [row] = await store.listOverrides({ repo: 'acme/web', sha: 'aaa', environment: 'production' });
    expect(row).toMatchObject({ id: o.id, rules: ['freeze'], confirmedBy: 'bob' });
    expect(row?.usedAt?.toISOString()).toMatch(/^2026-11-01T11:00:0[01]\.000Z$/);
    expect(await store.markOverrideUsed('no-such-override', t('2026-11-01T11:00:00Z'))).toBe(false);
  });

  const gateInput = (runId: number) => ({
    repo: 'acme/web',
    installationId: 12,
    runId,
    environment: 'production',
    sha: 'aaa',
    deploymentId: 900,
    callbackUrl: `https://api.github.com/repos/acme/web/actions/runs/${runId}/deployment_protection_rule`,
    createdAt: t('2026-11-01T10:00:00Z'),
    nextCheckAt: t('2026-11-01T12:00:00Z'),
  });

  it('decides a gate once: the first decision stands and a redelivered request does not reset it', async () => {
    const { gate, created } = await store.upsertPendingGate(gateInput(1001));
    expect(created).toBe(true);
    expect(gate.status).toBe('pending');
    const [first, second] = await Promise.all([
      store.decideGate(gate.id, { decision: 'approved', comment: 'all rules pass', at: t('2026-11-01T12:00:00Z') }),
      store.decideGate(gate.id, { decision: 'rejected', comment: 'freeze window', at: t('2026-11-01T12:00:01Z') }),
    ]);
    expect([first.decided, second.decided].filter(Boolean)).toHaveLength(1);
    const winner = first.decided ? first : second;
    const loser = first.decided ? second : first;
    expect(loser).toEqual({ decided: false, decision: winner.decision, comment: winner.comment, status: 'decided' });

    const again = await store.upsertPendingGate({ ...gateInput(1001), sha: 'bbb' });
    expect(again.created).toBe(false);
    expect(again.gate).toMatchObject({ id: gate.id, status: 'decided', sha: 'aaa', decision: winner.decision });
  });

  it('answers a decided-but-unanswered gate after a restart with the stored decision', async () => {
    const { gate } = await store.upsertPendingGate(gateInput(1002));
    await store.decideGate(gate.id, {
      decision: 'rejected',
      comment: 'coverage 71% < 80%',
      at: t('2026-11-01T12:00:00Z'),
    });
    // The process stops here, before calling GitHub back; the next start looks for due gates.
    const now = t('2026-11-01T12:05:00Z');
    const due = await store.gateQueue.listDue(now);
    const found = due.find((g) => g.id === gate.id);
    expect(found).toMatchObject({
      status: 'decided',
      decision: 'rejected',
      decisionComment: 'coverage 71% < 80%',
      answeredAt: null,
    });

    await store.markGateAnswered(gate.id, now, 'GitHub 502');
    expect(await store.getGate(gate.id)).toMatchObject({ status: 'decided', answerError: 'GitHub 502' });
    await store.markGateAnswered(gate.id, now);
    expect(await store.getGate(gate.id)).toMatchObject({ status: 'answered', answerError: null });
    expect((await store.gateQueue.listDue(now)).some((g) => g.id === gate.id)).toBe(false);
  });

  it('lists pending gates when their next check is due', async () => {
    const { gate } = await store.upsertPendingGate(gateInput(1003));
    expect((await store.gateQueue.listDue(t('2026-11-01T11:59:59Z'))).some((g) => g.id === gate.id)).toBe(false);
    expect((await store.gateQueue.listDue(t('2026-11-01T12:00:00Z'))).some((g) => g.id === gate.id)).toBe(true);
    await store.gateQueue.setNextCheck(gate.id, null);
    expect((await store.gateQueue.listDue(t('2026-11-09T00:00:00Z'))).some((g) => g.id === gate.id)).toBe(false);
    expect(await store.incrementGateReports(gate.id)).toBe(1);
    expect(await store.incrementGateReports(gate.id)).toBe(2);
    expect((await store.listPendingGates({ repo: 'acme/web', status: 'pending' })).map((g) => g.runId)).toContain(1003);
    expect(await store.expireGate(gate.id, t('2026-11-30T00:00:00Z'), 'run no longer waits')).toBe(true);
    expect(
      await store.decideGate(gate.id, { decision: 'approved', comment: 'late', at: t('2026-11-30T00:00:01Z') }),
    ).toEqual({ decided: false, decision: null, comment: null, status: 'expired' });
  });

  it('leases a gate to one owner at a time; an expired lease can be taken', async () => {
    const { gate } = await store.upsertPendingGate(gateInput(1004));
    const now = t('2026-11-01T12:00:00Z');
    const until = t('2026-11-01T12:01:00Z');
    const wins = await Promise.all([
      store.gateQueue.claim(gate.id, 'replica-a', until, now),
      store.gateQueue.claim(gate.id, 'replica-b', until, now),
    ]);
    expect(wins.filter(Boolean)).toHaveLength(1);
    const holder = wins[0] ? 'replica-a' : 'replica-b';
    const other = wins[0] ? 'replica-b' : 'replica-a';
    expect(await store.gateQueue.claim(gate.id, other, t('2026-11-01T12:02:00Z'), t('2026-11-01T12:00:30Z'))).toBe(
      false,
    );
    expect((await store.gateQueue.listDue(t('2026-11-01T12:00:30Z'))).some((g) => g.id === gate.id)).toBe(false);
    // After the lease runs out the other replica takes it.
    expect(await store.gateQueue.claim(gate.id, other, t('2026-11-01T12:03:00Z'), t('2026-11-01T12:01:00Z'))).toBe(
      true,
    );
    expect(await store.getGate(gate.id)).toMatchObject({ claimedBy: other });
    await store.gateQueue.release(gate.id, holder); // not the holder any more: no effect
    expect(await store.getGate(gate.id)).toMatchObject({ claimedBy: other });
    await store.gateQueue.release(gate.id, other);
    expect(await store.getGate(gate.id)).toMatchObject({ claimedBy: null, claimedUntil: null });
  });

  it('holds an auto-promotion until it is due, starts it once, and keeps it out of the gate lists', async () => {
    const input = {
      repo: 'acme/promo',
      installationId: 9,
      sha: 'p'.repeat(40),
      sourceDeploymentId: 5001,
      fromStage: 'PRE_PROD',
      toStage: 'PROD',
      environment: 'production',
      createdAt: t('2026-11-01T10:00:00Z'),
      nextCheckAt: t('2026-11-01T10:30:00Z'),
    };
    const { promotion, created } = await store.holdPromotion(input);
    expect(created).toBe(true);
    expect(promotion).toMatchObject({
      repo: 'acme/promo',
      sha: input.sha,
      sourceDeploymentId: 5001,
      fromStage: 'PRE_PROD',
      toStage: 'PROD',
      environment: 'production',
      status: 'pending',
      installationId: 9,
      note: null,
    });
    // The same success seen again holds the same promotion, with the new time.
    const again = await store.holdPromotion({ ...input, nextCheckAt: t('2026-11-01T10:40:00Z') });
    expect(again).toMatchObject({
      created: false,
      promotion: { id: promotion.id, nextCheckAt: t('2026-11-01T10:40:00Z') },
    });
    expect(await store.listPendingGates({ repo: 'acme/promo' })).toEqual([]);
    expect((await store.gateQueue.listDue(t('2026-11-02T00:00:00Z'))).some((g) => g.repo === 'acme/promo')).toBe(false);
    expect((await store.promotionQueue.listDue(t('2026-11-01T10:39:59Z'))).map((p) => p.id)).not.toContain(
      promotion.id,
    );
    expect((await store.promotionQueue.listDue(t('2026-11-01T10:40:00Z'))).map((p) => p.id)).toContain(promotion.id);
    // Two replicas: one lease, one start.
    const now = t('2026-11-01T10:40:00Z');
    const leases = await Promise.all([
      store.promotionQueue.claim(promotion.id, 'a', t('2026-11-01T10:41:00Z'), now),
      store.promotionQueue.claim(promotion.id, 'b', t('2026-11-01T10:41:00Z'), now),
    ]);
    expect(leases.filter(Boolean)).toHaveLength(1);
    const starts = await Promise.all([
      store.startPromotion(promotion.id, now),
      store.startPromotion(promotion.id, now),
    ]);
    expect(starts.filter(Boolean)).toHaveLength(1);
    await store.promotionQueue.release(promotion.id, leases[0] ? 'a' : 'b');
    // Started but not finished (a crash): due again, for a retry that looks for the deployment first.
    expect((await store.promotionQueue.listDue(now)).map((p) => p.id)).toContain(promotion.id);
    expect(await store.finishPromotion(promotion.id, t('2026-11-01T10:40:01Z'), 'deployment 77 created', 77)).toBe(
      true,
    );
    expect(await store.dropPromotion(promotion.id, t('2026-11-01T10:40:02Z'), 'late')).toBe(false);
    expect(await store.listPromotions({ repo: 'acme/promo' })).toEqual([
      expect.objectContaining({
        id: promotion.id,
        status: 'answered',
        note: 'deployment 77 created',
        deploymentId: 77,
        startedAt: now,
        finishedAt: t('2026-11-01T10:40:01Z'),
      }),
    ]);
    expect((await store.promotionQueue.listDue(t('2026-12-01T00:00:00Z'))).map((p) => p.id)).not.toContain(
      promotion.id,
    );
  });

  it('moves the next check of a gate whatever its state, and of a promotion only while it is held', async () => {
    const { gate } = await store.upsertPendingGate(gateInput(1005));
    await store.decideGate(gate.id, { decision: 'approved', comment: 'ok', at: t('2026-11-01T12:00:00Z') });
    await store.gateQueue.setNextCheck(gate.id, t('2026-11-03T00:00:00Z'));
    expect(await store.getGate(gate.id)).toMatchObject({ status: 'decided', nextCheckAt: t('2026-11-03T00:00:00Z') });

    const input = {
      repo: 'acme/promo-next',
      installationId: 9,
      sha: 'q'.repeat(40),
      sourceDeploymentId: 5002,
      fromStage: 'PRE_PROD',
      toStage: 'PROD',
      environment: 'production',
      createdAt: t('2026-11-01T10:00:00Z'),
      nextCheckAt: t('2026-11-01T10:30:00Z'),
    };
    const { promotion } = await store.holdPromotion(input);
    await store.promotionQueue.setNextCheck(promotion.id, t('2026-11-01T11:00:00Z'));
    expect((await store.listPromotions({ repo: input.repo }))[0]).toMatchObject({
      nextCheckAt: t('2026-11-01T11:00:00Z'),
    });
    expect(await store.startPromotion(promotion.id, t('2026-11-01T11:00:00Z'))).toBe(true);
    await store.promotionQueue.setNextCheck(promotion.id, t('2026-11-02T00:00:00Z'));
    expect((await store.listPromotions({ repo: input.repo }))[0]).toMatchObject({
      status: 'decided',
      nextCheckAt: t('2026-11-01T11:00:00Z'),
    });
  });

  it('opens one promotion a person asks for per release and environment, of requests at once; a closed one may be asked for again', async () => {
    const input = {
      repo: 'acme/asked',
      installationId: 9,
      sha: 'r'.repeat(40),
      fromStage: 'PRE_PROD',
      toStage: 'PROD',
      environment: 'Production',
      createdAt: t('2026-11-01T10:00:00Z'),
      deployer: 'bob',
      requestedVia: 'console' as const,
      nextCheckAt: t('2026-11-01T10:01:00Z'),
    };
    const claims = await Promise.all(
      ['bob', 'ada', 'bob', 'kim', 'ada'].map((deployer) => store.requestPromotion({ ...input, deployer })),
    );
    expect(claims.filter((c) => c.created)).toHaveLength(1);
    const opened = claims.find((c) => c.created)!.promotion;
    expect(new Set(claims.map((c) => c.promotion.id))).toEqual(new Set([opened.id]));
    expect(opened).toMatchObject({
      sourceDeploymentId: null,
      status: 'pending',
      requestedVia: 'console',
      openKey: `${input.sha} production`,
      nextCheckAt: input.nextCheckAt,
    });
    expect(await store.getPromotion(opened.id)).toEqual(opened);
    // Another environment, or another release, is another promotion.
    expect((await store.requestPromotion({ ...input, environment: 'staging' })).created).toBe(true);
    // Dropped (the gate blocked it): its key is closed, and it may be asked for again.
    expect(await store.dropPromotion(opened.id, t('2026-11-01T10:02:00Z'), 'blocked')).toBe(true);
    expect(await store.getPromotion(opened.id)).toMatchObject({ status: 'expired', openKey: null });
    const again = await store.requestPromotion({ ...input, createdAt: t('2026-11-01T10:03:00Z') });
    expect(again.created).toBe(true);
    // Closed by its id and key only (its deployment failed).
    expect(await store.closePromotionKey(again.promotion.id, 'someone else')).toBe(false);
    expect(await store.closePromotionKey(again.promotion.id, again.promotion.openKey!)).toBe(true);
    expect((await store.requestPromotion(input)).created).toBe(true);
    expect(await store.getPromotion(987_654)).toBeNull();
  });

  it('keeps the release timeline in order and exports it as JSON and CSV', async () => {
    const base = { repo: 'acme/audit', sha: 'ccc', version: '2.0.0' };
    await store.recordEvent({ ...base, type: 'CREATE', actor: 'ann', at: t('2026-11-01T10:00:00Z') });
    await store.recordEvent({
      ...base,
      type: 'APPROVED',
      environment: 'production',
      status: 'allow',
      actor: 'bob',
      at: t('2026-11-01T11:00:00Z'),
      notes: 'approved by "bob", ok\nsecond line',
      deliveryId: 'dlv-9',
    });
    await store.recordEvent({
      ...base,
      type: 'PROMOTE',
      environment: 'staging',
      actor: 'ann',
      at: t('2026-11-01T10:30:00Z'),
    });
    await store.recordEvent({ ...base, type: 'NOTE', at: t('2026-10-01T00:00:00Z') });
    expect((await store.timeline({ repo: 'acme/audit', sha: 'ccc' })).map((e) => e.type)).toEqual([
      'NOTE',
      'CREATE',
      'PROMOTE',
      'APPROVED',
    ]);

    const options = { repo: 'acme/audit', since: t('2026-10-15T00:00:00Z') };
    const json = JSON.parse(await exportAudit(store, { ...options, format: 'json' })) as Record<string, unknown>[];
    expect(json.map((r) => r.type)).toEqual(['CREATE', 'PROMOTE', 'APPROVED']);
    expect(json[2]).toMatchObject({
      at: '2026-11-01T11:00:00.000Z',
      repo: 'acme/audit',
      sha: 'ccc',
      version: '2.0.0',
      environment: 'production',
      status: 'allow',
      actor: 'bob',
      deliveryId: 'dlv-9',
    });

    const csv = await exportAudit(store, { ...options, format: 'csv' });
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('at,repo,sha,version,environment,type,status,actor,notes,deliveryId,id');
    expect(lines[1]).toMatch(/^2026-11-01T10:00:00\.000Z,acme\/audit,ccc,2\.0\.0,,CREATE,,ann,,,\d+$/);
    expect(lines[2]).toMatch(/^2026-11-01T10:30:00\.000Z,acme\/audit,ccc,2\.0\.0,staging,PROMOTE,,ann,,,\d+$/);
    expect(csv).toContain(
      '2026-11-01T11:00:00.000Z,acme/audit,ccc,2.0.0,production,APPROVED,allow,bob,"approved by ""bob"", ok\nsecond line",dlv-9,',
    );
    expect(csv.endsWith('\r\n')).toBe(true);
  });
});
