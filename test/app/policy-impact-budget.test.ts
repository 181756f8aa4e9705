import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitBlobSha } from '../support/fake-github.js';
import { startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { SEED_LIMITS, seedEvaluation, seedPolicy } from '../support/record-seed.js';
import { pullRequestEvent } from '../support/webhooks.js';

const PATH = '.github/release-policy.yml';
const NAME = 'Release gate / policy impact';
const FORK_POLICY = readFileSync(new URL('../fixtures/policies/fork-hourly-freezes.yml', import.meta.url), 'utf8');
const sha = (n: number) => n.toString(16).padStart(40, 'f');
const BUDGET_MS = 50;

describe('a pull request from a fork whose policy runs past the evaluation budget', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      policy: seedPolicy(SEED_LIMITS),
      now: '2026-11-10T00:00:00Z',
      // Each evaluation of the fork's policy looks at 250,000 freeze occurrences: far past this.
      server: { evaluationBudget: { ms: BUDGET_MS, heapBytes: 512 * 1024 * 1024 } },
    });
    // Decisions for PROD, whose freeze rule the fork's policy makes slow.
    for (let i = 2; i < 30; i += 3) {
      const { decided: _decided, ...input } = seedEvaluation(i);
      await h.store.recordEvaluation({ ...input, repo: 'acme/shop' });
    }
    h.github.addRepo('mallory', 'shop');
  });
  afterAll(async () => {
    await h?.close();
  });

  const open = async (number: number, head: string, action: 'opened' | 'synchronize') => {
    h.github.setPullFiles('acme/shop', number, [{ filename: PATH, status: 'modified' }]);
    h.github.serveFileAt('mallory/shop', head, PATH, FORK_POLICY);
    expect(
      await h.deliver(
        pullRequestEvent(h.ctx, { action, number, headSha: head, headRepo: 'mallory/shop', author: 'mallory' }),
      ),
    ).toBe(200);
    const runs = h.repo.checkRuns.filter((c) => c.name === NAME && c.head_sha === head);
    expect(runs).toHaveLength(1);
    return runs[0]!;
  };

  it('is answered with an error that names the policy and the budget, and the next push of the same policy is refused without evaluating it again', async () => {
    const blob = gitBlobSha(FORK_POLICY);
    const first = await open(51, sha(1), 'opened');
    expect(first.conclusion).toBe('failure');
    expect(first.output.title).toBe('The new release policy runs past the evaluation budget');
    const reason = `its evaluation of one recorded decision ran past the ${BUDGET_MS} ms budget`;
    expect(first.output.summary!.split('\n\n').at(-1)).toBe(
      `The new \`${PATH}\` (blob \`${blob.slice(0, 12)}\`) was not simulated: ${reason}. The gate refuses a policy whose evaluation runs past the budget (POLICY_INVALID) until it changes.`,
    );
    expect(await h.store.getPoisonedPolicy(blob)).toMatchObject({ repo: 'acme/shop', reason });

    const second = await open(51, sha(2), 'synchronize');
    expect(second.conclusion).toBe('failure');
    expect(second.output.summary).toContain(`was not simulated: ${reason}.`);
    // Nothing was approved or rejected: the check run is the only answer.
    expect(h.repo.answers).toEqual([]);
  });
});
