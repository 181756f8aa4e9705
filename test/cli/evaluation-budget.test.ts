import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateWithinBudget } from '../../src/budget/evaluate.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import { releaseFacts } from '../support/release-facts.js';
import { cli, POLICIES } from './helpers.js';

const FORK = `${POLICIES}fork-hourly-freezes.yml`;

describe('release-gate evaluate within the evaluation budget', () => {
  it('answers the policy of 100 one-second freezes every minute: blocked, naming the window, not a stack overflow', async () => {
    const r = await cli(['evaluate', '--policy', FORK, '--env', 'PROD', '--json']);
    expect(r.stderr).toBe('');
    const decision = r.json();
    expect(decision.decision).toBe('block');
    // The freeze rule gives up at its bound; on a machine too busy for that within the
    // budget, the evaluation is stopped at the budget instead. Either way: blocked, saying why.
    const reasons = decision.rules
      .filter((x: { ok: boolean }) => !x.ok)
      .map((x: { code: string; message: string }) => `${x.code}: ${x.message}`);
    expect(reasons).toContainEqual(
      expect.stringMatching(
        /^FREEZE_WINDOW_INVALID: Promotion blocked: Freeze window "tick-\d\d .*more than 250000 occurrences|^POLICY_INVALID: .*fork-hourly-freezes\.yml: its evaluation took \d+ ms, over the 2000 ms budget/,
      ),
    );
  });

  it('refuses, naming the policy file and the budget, a policy whose evaluation runs past it, as the App does', async () => {
    const loaded = loadPolicy(readFileSync(FORK, 'utf8'), 'fork-hourly-freezes.yml');
    if (!loaded.ok) throw new Error('the fixture should load');
    const decision = await evaluateWithinBudget(
      'fork-hourly-freezes.yml',
      loaded.policy,
      releaseFacts('production', 'a'.repeat(40)),
      new Date('2026-03-10T15:00:00Z'),
      { ms: 50, heapBytes: 512 * 1024 * 1024 },
    );
    expect(decision.decision).toBe('block');
    expect(decision.rules).toEqual([
      expect.objectContaining({
        code: 'POLICY_INVALID',
        ok: false,
        message: expect.stringMatching(
          /: fork-hourly-freezes\.yml: its evaluation took \d+ ms, over the 50 ms budget; it is refused until the policy changes$/,
        ),
      }),
    ]);
  });
});
