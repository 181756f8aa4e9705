import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleHarness } from './harness.js';
import type { ConsoleHarness } from './harness.js';

const FORK_POLICY = readFileSync(new URL('../fixtures/policies/fork-hourly-freezes.yml', import.meta.url), 'utf8');

describe("the console's freeze calendar of a policy that costs the freeze engine the most it allows", () => {
  let h: ConsoleHarness;
  let session: string;

  beforeAll(async () => {
    h = await startConsoleHarness({ seed: false });
    h.repo.files['.github/release-policy.yml'] = FORK_POLICY;
    session = await h.signIn('vic');
  });
  afterAll(async () => h?.close());

  it('shows the page with the calendar of that stage refused, saying why (the page was a stack overflow before)', async () => {
    const r = (await (await h.call('/api/v1/repos/acme/shop', { cookie: session })).json()) as {
      policy: { ok: boolean };
      freeze: { stages: Array<{ stage: string; intervals: unknown[]; error: string | null }> };
    };
    expect(r.policy.ok).toBe(true);
    const prod = r.freeze.stages.find((s) => s.stage === 'PROD')!;
    expect(prod.intervals).toEqual([]);
    // The freeze engine gives up at its bound; on a machine too busy for that within the
    // budget, the calendar is stopped at the budget instead. Either way the page says why.
    expect(prod.error).toMatch(
      /^Freeze window "tick-\d\d \(a one-second freeze, every minute of every hour\)": the freeze windows give more than 250000 occurrences to look at for one answer|^The calendar of these freeze windows was not computed: its evaluation took \d+ ms, over the 2000 ms budget\.$/,
    );
    expect(r.freeze.stages.find((s) => s.stage === 'DEV')).toMatchObject({ intervals: [], error: null });
  });
});
