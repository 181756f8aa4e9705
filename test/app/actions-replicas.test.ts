import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Replica } from '../support/app-harness.js';
import { deploymentStatusCreated } from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';
import { sha, startConsoleHarness } from '../console/harness.js';
import type { ConsoleHarness } from '../console/harness.js';
import { postgresTarget } from '../store/targets.js';
import type { Target } from '../store/targets.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field and checked by the assertions
type Json = Record<string, any>;

/** Releases in DEV, each asked for twice at once: once on each replica. */
const RELEASES = [sha('4'), sha('5'), sha('6')];

describe('two replicas on one PostgreSQL database act once', () => {
  let tg: Target;
  let h: ConsoleHarness;
  let b: Replica;
  let nextId = 40_000;

  /** POSTs an action to a replica's console API as `person`. */
  const act = (url: string, person: 'bob' | 'ada' | 'maria', commit: string, action: string, body: Json) =>
    fetch(`${url}/api/v1/repos/acme/shop/releases/${commit}/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.tokens[person]}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Json }));

  beforeAll(async () => {
    tg = await postgresTarget();
    h = await startConsoleHarness({ seed: false, databaseUrl: tg.url });
    b = await h.startReplica('replica-b');
    for (const commit of RELEASES) {
      const d: DeploymentSpec = {
        id: nextId++,
        sha: commit,
        ref: 'v4.0.0',
        environment: 'development',
        creator: 'deployer',
        createdAt: h.clock.now().toISOString(),
      };
      expect(await h.askGate({ ...d, runId: nextId++ })).toBe(200);
      expect(
        await h.deliver(
          deploymentStatusCreated(h.ctx, d, { id: nextId++, state: 'success', at: h.clock.now().toISOString() }),
        ),
      ).toBe(200);
    }
  });

  afterAll(async () => {
    await b?.close();
    await h?.close();
    await tg?.cleanup();
  });

  it('creates one deployment when a release is promoted on both replicas at once', async () => {
    for (const commit of RELEASES) {
      const answers = await Promise.all([
        act(h.url, 'bob', commit, 'promote', { stage: 'PRE_PROD' }),
        act(b.app.url, 'ada', commit, 'promote', { stage: 'PRE_PROD' }),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(answers.map((a) => a.body.outcome).sort()).toEqual(['done', 'unchanged']);
      expect(h.repo.deployments.filter((d) => d.sha === commit && d.environment === 'staging')).toHaveLength(1);
      expect(
        (await h.store.listPromotions({ repo: 'acme/shop', sha: commit })).map((p) => [p.status, p.environment]),
      ).toEqual([['answered', 'staging']]);
    }
    expect(h.github.violations).toEqual([]);
  });

  it('keeps one override when the same one is granted on both replicas at once', async () => {
    for (const commit of RELEASES) {
      const body = { stage: 'PROD', reason: 'hotfix', risk: 'low', rules: ['APPROVAL_REQUIRED'] };
      const answers = await Promise.all([
        act(h.url, 'maria', commit, 'override', body),
        act(b.app.url, 'maria', commit, 'override', body),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(answers.map((a) => a.body.outcome).sort()).toEqual(['done', 'unchanged']);
      expect(await h.store.listOverrides({ repo: 'acme/shop', sha: commit })).toHaveLength(1);
    }
  });
});
