import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReleaseEvent, ReleaseEventKind } from '../../src/core/release-events.js';
import type { RuleResult } from '../../src/core/types.js';
import { backoffDelay, NotificationOutbox, NotificationWorker } from '../../src/notify/index.js';
import { publishingStore } from '../../src/notify/publishing-store.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/types.js';
import { TestClock } from '../support/app-harness.js';
import { cloudEventsReceiver, slackReceiver } from '../support/event-receivers.js';
import { postgresTarget, type Target } from '../store/targets.js';

const SECRET = 'a-receiver-secret-of-32-characters';
const silent = { warn: () => {} };
const SHA = 'a1b2c3d'.padEnd(40, '0');

function event(kind: ReleaseEventKind, n = 1, extra: Partial<ReleaseEvent> = {}): ReleaseEvent {
  return {
    kind,
    id: `${kind}:${n}`,
    at: new Date('2026-03-10T15:00:00Z'),
    repository: { owner: 'acme', repo: 'shop', installationId: 77 },
    sha: SHA,
    version: 'v1.4.0',
    stage: 'PROD',
    environment: 'production',
    deploymentId: 1000 + n,
    summary: `The release is ${kind} <here> & now.`,
    url: 'https://github.com/acme/shop/runs/1',
    ...(kind === 'waiting' ? { whoCanApprove: ['@acme/release-managers'], codes: ['APPROVAL_REQUIRED'] } : {}),
    ...(kind === 'blocked' ? { codes: ['FREEZE_WINDOW_ACTIVE'] } : {}),
    ...(kind === 'verified' || kind === 'verification_failed'
      ? { measurements: [{ check: 'error-rate', value: kind === 'verified' ? 0.001 : 0.5, ok: kind === 'verified' }] }
      : {}),
    ...(kind === 'rolled_back' ? { rollbackOf: 999 } : {}),
    ...extra,
  };
}

const KINDS: ReleaseEventKind[] = [
  'waiting',
  'blocked',
  'promoted',
  'deployed',
  'verifying',
  'verified',
  'verification_failed',
  'rolled_back',
];

describe('release notifications', () => {
  let dir: string;
  let store: Store;
  const clock = new TestClock(Date.parse('2026-03-10T15:00:00Z'));
  const closers: Array<() => Promise<void>> = [];

  let n = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rg-notify-'));
  });
  // Each test has an outbox of its own: what one leaves pending is not sent by the next.
  beforeEach(async () => {
    store = await openStore({ databaseUrl: `file:${join(dir, `gate-${++n}.db`)}` });
  });
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
    await store.close();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const worker = (env: Record<string, string>, replicaId = 'replica-a', on: Store = store, timeoutMs = 10_000) =>
    new NotificationWorker({
      store: on,
      env,
      replicaId,
      clock: clock.now,
      log: silent,
      settings: { pollMs: 0, timeoutMs, backoffMs: 10_000, maxAttempts: 4 },
    });

  it('sends every kind of event to Slack as Block Kit and to a webhook as signed CloudEvents carrying CDEvents', async () => {
    // SECURITY.md N1: signed, and people's text escaped in Slack.
    const slack = await slackReceiver();
    const ce = await cloudEventsReceiver(SECRET);
    closers.push(slack.close, ce.close);
    const outbox = new NotificationOutbox(store, clock.now, silent);
    const channels = [
      { kind: 'slack' as const, variable: 'SLACK_WEBHOOK_URL' },
      { kind: 'webhook' as const, variable: 'RELEASE_EVENTS_URL' },
    ];
    for (const kind of KINDS) expect(await outbox.enqueue(event(kind, 1), channels)).toBe(2);
    // The same event published again (a redelivered webhook) is queued once.
    expect(await outbox.enqueue(event('waiting', 1), channels)).toBe(0);

    const w = worker({ SLACK_WEBHOOK_URL: slack.url, RELEASE_EVENTS_URL: ce.url, RELEASE_EVENTS_URL_SECRET: SECRET });
    expect(await w.tick()).toBe(16);

    expect(slack.invalid).toEqual([]);
    expect(ce.invalid).toEqual([]);
    expect((await store.notifications.listNotifications({})).filter((r) => r.status !== 'delivered')).toEqual([]);
    expect(slack.received).toHaveLength(8);
    expect(ce.received.map((e) => e.type).sort()).toEqual(
      [
        'dev.cdevents.service.deployed.0.2.0',
        'dev.cdevents.service.rolledback.0.2.0',
        'dev.cdevents.testsuiterun.finished.0.2.0',
        'dev.cdevents.testsuiterun.finished.0.2.0',
        'dev.cdevents.testsuiterun.started.0.2.0',
        'dev.cdeventsx.releasegate-gate.blocked.0.1.0',
        'dev.cdeventsx.releasegate-gate.waiting.0.1.0',
        'dev.cdeventsx.releasegate-promotion.created.0.1.0',
      ].sort(),
    );
    const deployed = ce.received.find((e) => e.id === 'deployed:1')!;
    expect(deployed.source).toBe('/repos/acme/shop');
    expect((deployed.data as { subject: unknown }).subject).toEqual({
      id: '/repos/acme/shop/PROD',
      source: '/repos/acme/shop',
      type: 'service',
      content: {
        environment: { id: 'production', source: '/repos/acme/shop' },
        artifactId: `pkg:github/acme/shop@${SHA}`,
      },
    });
    const failed = ce.received.find((e) => e.id === 'verification_failed:1')!;
    expect((failed.data as { subject: { content: { outcome: string } } }).subject.content.outcome).toBe('fail');

    const waiting = slack.received.find((m) => m.text.startsWith('Waiting for approval'))!;
    expect(waiting.text).toBe('Waiting for approval: acme/shop v1.4.0 → PROD: The release is waiting <here> & now.');
    expect(JSON.stringify(waiting.blocks)).toContain('*Who can approve*\\n@acme/release-managers');
    // Slack's control characters are escaped in mrkdwn, so a summary cannot forge a link or a mention.
    expect(JSON.stringify(waiting.blocks)).toContain('waiting &lt;here&gt; &amp; now.');
    const rolledBack = slack.received.find((m) => m.text.startsWith('Rolled back'))!;
    expect(JSON.stringify(rolledBack.blocks)).toContain('*Rolls back*\\ndeployment 999');

    const rows = await store.notifications.listNotifications({ eventId: 'waiting:1' });
    expect(rows.map((r) => [r.channel, r.status, r.attempts])).toEqual([
      ['slack:SLACK_WEBHOOK_URL', 'delivered', 1],
      ['webhook:RELEASE_EVENTS_URL', 'delivered', 1],
    ]);
  });

  it('retries a receiver that fails with exponential backoff, then delivers', async () => {
    const slack = await slackReceiver([503, 503]);
    closers.push(slack.close);
    const outbox = new NotificationOutbox(store, clock.now, silent);
    await outbox.enqueue(event('blocked', 2), [{ kind: 'slack', variable: 'SLACK_WEBHOOK_URL' }]);
    const w = worker({ SLACK_WEBHOOK_URL: slack.url });
    const start = clock.now().getTime();

    expect(await w.tick()).toBe(1);
    let [row] = await store.notifications.listNotifications({ eventId: 'blocked:2' });
    expect(row).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'SLACK_WEBHOOK_URL answered 503: service_unavailable',
    });
    expect(row!.nextAttemptAt.getTime() - start).toBe(10_000);
    // Not due yet: nothing is sent.
    clock.advance(9_999);
    expect(await w.tick()).toBe(0);

    clock.advance(1);
    expect(await w.tick()).toBe(1);
    [row] = await store.notifications.listNotifications({ eventId: 'blocked:2' });
    expect(row).toMatchObject({ status: 'pending', attempts: 2 });
    expect(row!.nextAttemptAt.getTime() - clock.now().getTime()).toBe(20_000);

    clock.advance(20_000);
    expect(await w.tick()).toBe(1);
    [row] = await store.notifications.listNotifications({ eventId: 'blocked:2' });
    expect(row).toMatchObject({ status: 'delivered', attempts: 3, lastError: null });
    expect(slack.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect([1, 2, 3, 4, 20].map((n) => backoffDelay(n, { backoffMs: 10_000, maxBackoffMs: 3_600_000 }))).toEqual([
      10_000, 20_000, 40_000, 80_000, 3_600_000,
    ]);
  });

  it('gives up on a refusal (4xx) at once and on a receiver still failing after the last attempt', async () => {
    const refusing = await slackReceiver([404]);
    const down = await slackReceiver([500, 500, 500, 500]);
    closers.push(refusing.close, down.close);
    const outbox = new NotificationOutbox(store, clock.now, silent);
    await outbox.enqueue(event('promoted', 3), [{ kind: 'slack', variable: 'SLACK_GONE' }]);
    await outbox.enqueue(event('promoted', 4), [{ kind: 'slack', variable: 'SLACK_DOWN' }]);
    const w = worker({ SLACK_GONE: refusing.url, SLACK_DOWN: down.url });
    for (let i = 0; i < 4; i++) {
      await w.tick();
      clock.advance(3_600_000);
    }
    const [gone] = await store.notifications.listNotifications({ eventId: 'promoted:3' });
    const [stuck] = await store.notifications.listNotifications({ eventId: 'promoted:4' });
    expect(gone).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'SLACK_GONE answered 404: service_unavailable',
    });
    expect(stuck).toMatchObject({ status: 'failed', attempts: 4 });
    expect(down.requests).toHaveLength(4);
  });

  it('refuses channels the operator has not set for notifications, saying what to set, and sends nothing unsigned', async () => {
    // SECURITY.md N1
    const ce = await cloudEventsReceiver(SECRET);
    closers.push(ce.close);
    const outbox = new NotificationOutbox(store, clock.now, silent);
    await outbox.enqueue(event('deployed', 5), [
      { kind: 'webhook', variable: 'DATABASE_URL' },
      { kind: 'webhook', variable: 'RELEASE_EVENTS_URL' },
      { kind: 'slack', variable: 'SLACK_UNSET' },
    ]);
    await worker({ DATABASE_URL: ce.url, RELEASE_EVENTS_URL: ce.url }).tick();
    const rows = await store.notifications.listNotifications({ eventId: 'deployed:5' });
    expect(rows.map((r) => [r.status, r.lastError])).toEqual([
      [
        'failed',
        "notify.webhook names DATABASE_URL, a variable of the App's own configuration: name a variable set for notifications (for example RELEASE_EVENTS_URL).",
      ],
      [
        'failed',
        'RELEASE_EVENTS_URL_SECRET is not set: set it to the secret the receiver checks X-Release-Gate-Signature with (events are never sent unsigned).',
      ],
      [
        'failed',
        "notify.slack names SLACK_UNSET, which is not set in the App's environment: set it to the Slack incoming-webhook URL.",
      ],
    ]);
    expect(ce.requests).toEqual([]);
  });

  it('a receiver that never answers does not hold the record, and its delivery times out and is retried', async () => {
    const hung = await cloudEventsReceiver(SECRET, ['hang']);
    closers.push(hung.close);
    const outbox = new NotificationOutbox(store, clock.now, silent);
    const record = publishingStore(store, outbox);
    await record.recordEvaluation(decision('sha-hung', 'production', 'PROD', 'wait', NOTIFY_POLICY));
    await outbox.idle();
    const w = worker({ RELEASE_EVENTS_URL: hung.url, RELEASE_EVENTS_URL_SECRET: SECRET }, 'replica-a', store, 500);
    // A first event is being sent to the receiver, which holds it...
    await outbox.enqueue(event('deployed', 6), [{ kind: 'webhook', variable: 'RELEASE_EVENTS_URL' }]);
    const sending = w.tick();
    await until(() => hung.requests.length === 1);
    // ...while the gate records its next decision at once.
    const row = await record.recordEvent(waitingEvent('sha-hung'));
    expect(row.type).toBe('WAITING');
    await outbox.idle();
    expect(await sending).toBe(1);
    const [stuck] = await store.notifications.listNotifications({ eventId: 'deployed:6' });
    expect(stuck).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'RELEASE_EVENTS_URL could not be reached: no answer within 500 ms',
    });
  });

  it('delivers each row once across two replicas working the same outbox', async () => {
    const ce = await cloudEventsReceiver(SECRET);
    closers.push(ce.close);
    const outbox = new NotificationOutbox(store, clock.now, silent);
    for (let n = 100; n < 140; n++)
      await outbox.enqueue(event('deployed', n), [{ kind: 'webhook', variable: 'EVENTS' }]);
    const env = { EVENTS: ce.url, EVENTS_SECRET: SECRET };
    const a = worker(env, 'replica-a');
    const b = worker(env, 'replica-b');
    for (let i = 0; i < 3; i++) await Promise.all([a.tick(), b.tick()]);
    expect(ce.invalid).toEqual([]);
    const ids = ce.received.map((e) => e.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });

  it('keeps queued events across a restart, and a dead replica’s claim is taken over once its lease expires', async () => {
    const slack = await slackReceiver();
    closers.push(slack.close);
    const file = `file:${join(dir, 'restart.db')}`;
    let first = await openStore({ databaseUrl: file });
    await new NotificationOutbox(first, clock.now, silent).enqueue(event('verified', 7), [
      { kind: 'slack', variable: 'SLACK' },
    ]);
    // A replica claims the row and dies before sending it.
    expect(
      await first.notifications.claimNotifications(
        'dead-replica',
        new Date(clock.now().getTime() + 60_000),
        clock.now(),
        10,
      ),
    ).toHaveLength(1);
    await first.close();
    first = await openStore({ databaseUrl: file });
    const w = worker({ SLACK: slack.url }, 'replica-b', first);
    expect(await w.tick()).toBe(0);
    clock.advance(60_000);
    expect(await w.tick()).toBe(1);
    expect(slack.received.map((m) => m.text)).toEqual([
      'Verified: acme/shop v1.4.0 → PROD: The release is verified <here> & now.',
    ]);
    await first.close();
  });

  it('publishes the gate’s decisions, promotions and proven deployments to the channels the policy in force names', async () => {
    const outbox = new NotificationOutbox(store, clock.now, silent);
    const record = publishingStore(store, outbox);
    const at = clock.now();
    await record.recordEvaluation(decision('sha-pub', 'production', 'PROD', 'wait', NOTIFY_POLICY));
    await record.recordEvent(waitingEvent('sha-pub'));
    await record.recordEvaluation(decision('sha-pub', 'staging', 'PRE_PROD', 'block', NOTIFY_POLICY));
    await record.recordEvent({
      ...waitingEvent('sha-pub'),
      environment: 'PRE_PROD',
      type: 'BLOCKED',
      notes: 'Frozen.',
    });
    await record.recordEvent({
      repo: 'acme/shop',
      sha: 'sha-pub',
      environment: 'production',
      type: 'PROMOTE',
      status: 'auto',
      at,
      notes: 'Auto-promoted from PRE_PROD to PROD',
    });
    // A deployment GitHub told us about is not a promotion the App made.
    await record.recordEvent({
      repo: 'acme/shop',
      sha: 'sha-pub',
      environment: 'production',
      type: 'PROMOTE',
      status: 'created',
      at,
    });
    await store.recordDeployment({
      id: 5551,
      repo: 'acme/shop',
      sha: 'sha-pub',
      environment: 'production',
      createdAt: at,
    });
    await store.approveDeployment(5551, {
      via: 'deployment-event',
      at,
      stage: 'PROD',
      environment: 'production',
      runId: null,
    });
    expect(await record.proveDeployment(5551, at)).toBe(true);
    await outbox.idle();

    const rows = (await store.notifications.listNotifications({ repo: 'acme/shop', limit: 1000 })).filter((r) =>
      r.event.includes('sha-pub'),
    );
    const seen = rows.map((r) => [r.kind, r.channel]);
    expect(seen).toEqual([
      ['waiting', 'slack:SLACK_WEBHOOK_URL'],
      ['waiting', 'webhook:RELEASE_EVENTS_URL'],
      // PRE_PROD names its own channel: the top level's do not apply to it.
      ['blocked', 'slack:SLACK_STAGING'],
      ['promoted', 'slack:SLACK_WEBHOOK_URL'],
      ['promoted', 'webhook:RELEASE_EVENTS_URL'],
      ['deployed', 'slack:SLACK_WEBHOOK_URL'],
      ['deployed', 'webhook:RELEASE_EVENTS_URL'],
    ]);
    const waiting = JSON.parse(rows[0]!.event) as ReleaseEvent;
    expect(waiting).toMatchObject({
      kind: 'waiting',
      stage: 'PROD',
      environment: 'production',
      codes: ['APPROVAL_REQUIRED'],
      whoCanApprove: ['@acme/release-managers'],
      summary: 'Waiting for 1 approval from @acme/release-managers.',
    });
    expect(JSON.parse(rows[5]!.event)).toMatchObject({ id: 'deployed:5551', deploymentId: 5551, stage: 'PROD' });
  });
});

const NOTIFY_POLICY = `version: 1
notify:
  slack: SLACK_WEBHOOK_URL
  webhook: RELEASE_EVENTS_URL
environments:
  - name: PRE_PROD
    github: staging
    notify:
      slack: SLACK_STAGING
  - name: PROD
    github: production
    minApprovals: 1
`;

function decision(sha: string, environment: string, stage: string, outcome: 'wait' | 'block', policy: string) {
  const role = {
    kind: 'release',
    teams: ['acme/release-managers'],
    paths: [],
    needed: true,
    touched: null,
    touchedCount: 0,
    required: 1,
    counted: [],
    missing: 1,
    excluded: [],
    unreadable: [],
  };
  const rules: RuleResult[] = [
    outcome === 'wait'
      ? {
          code: 'APPROVAL_REQUIRED',
          rule: 'approvals',
          ok: false,
          outcome: 'wait',
          message: 'Needs 1 approval.',
          values: { role },
        }
      : { code: 'FREEZE_WINDOW_ACTIVE', rule: 'freeze', ok: false, outcome: 'block', message: 'Frozen.', values: {} },
    { code: 'OK_ORDER', rule: 'order', ok: true, outcome: 'pass', message: 'In order.', values: {} },
  ];
  return {
    repo: 'acme/shop',
    sha,
    environment,
    stage,
    decision: outcome,
    rules,
    inputs: {},
    at: new Date('2026-03-10T15:00:00Z'),
    policyFiles: [
      {
        role: 'repository' as const,
        source: '.github/release-policy.yml',
        repository: 'acme/shop',
        path: '.github/release-policy.yml',
        ref: 'main',
        blobSha: null,
        text: policy,
      },
    ],
  };
}

function waitingEvent(sha: string) {
  return {
    repo: 'acme/shop',
    sha,
    // The gate's timeline names the stage (the decision names the GitHub environment).
    environment: 'PROD',
    type: 'WAITING' as const,
    status: 'wait',
    at: new Date('2026-03-10T15:00:00Z'),
    notes: 'Waiting for 1 approval from @acme/release-managers.\nMore below.',
  };
}

async function until(done: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the notification outbox on PostgreSQL, two replicas', () => {
  let tg: Target;
  let a: Store;
  let b: Store;
  beforeAll(async () => {
    tg = await postgresTarget();
    a = await openStore({ databaseUrl: tg.url });
    b = await openStore({ databaseUrl: tg.url });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await tg?.cleanup();
  });

  it('sends each row once when two replicas, each with its own connection pool, claim at the same time', async () => {
    const clock = new TestClock(Date.parse('2026-03-10T15:00:00Z'));
    const ce = await cloudEventsReceiver(SECRET);
    try {
      const outbox = new NotificationOutbox(a, clock.now, silent);
      for (let n = 0; n < 60; n++)
        await outbox.enqueue(event('promoted', n), [{ kind: 'webhook', variable: 'EVENTS' }]);
      const env = { EVENTS: ce.url, EVENTS_SECRET: SECRET };
      const settings = { pollMs: 0, batch: 10, timeoutMs: 10_000 };
      const one = new NotificationWorker({ store: a, env, replicaId: 'pg-a', clock: clock.now, log: silent, settings });
      const two = new NotificationWorker({ store: b, env, replicaId: 'pg-b', clock: clock.now, log: silent, settings });
      for (let i = 0; i < 6; i++) await Promise.all([one.tick(), two.tick()]);
      expect(ce.invalid).toEqual([]);
      expect(ce.received.map((e) => e.id).sort()).toEqual(Array.from({ length: 60 }, (_, n) => `promoted:${n}`).sort());
      expect(await a.notifications.countNotifications()).toEqual({ pending: 0, delivered: 60, failed: 0 });
    } finally {
      await ce.close();
    }
  });
});
