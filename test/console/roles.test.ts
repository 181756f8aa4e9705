import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleOf } from '../../src/core/rules/roles.js';
import { startConsoleHarness, WAITING } from './harness.js';
import type { ConsoleHarness } from './harness.js';

/** The release page says, per role, who counted and who is still needed, read from the stored results. */
describe('roles on the release page', () => {
  let h: ConsoleHarness;
  let cookie: string;
  beforeAll(async () => {
    h = await startConsoleHarness();
    cookie = await h.signIn('vic');
  });
  afterAll(async () => h?.close());

  it('lists the release approval still needed and whose approval cannot count', async () => {
    const page = await (await h.call(`/repos/acme/shop/releases/${WAITING}`, { cookie })).text();
    expect(page).toContain(
      '<h4>Roles</h4><ul><li>⏳ <strong>Release approval</strong> by any approver: needs 1 of any approver. Cannot count: carol, deployer (the author, contributors and deployer).</li></ul>',
    );
    // The API gives the same role as typed values in the rule's results, for a client to read as it is.
    const api = (await (await h.call(`/api/v1/repos/acme/shop/releases/${WAITING}`, { cookie })).json()) as {
      decisions: Array<{ stage: string; rules: Array<{ values: Record<string, unknown> }> }>;
    };
    const prod = api.decisions.find((d) => d.stage === 'PROD')!;
    expect(prod.rules.map((r) => roleOf(r)).filter((r) => r !== null)).toEqual([
      {
        kind: 'release',
        teams: [],
        paths: [],
        needed: true,
        touched: null,
        touchedCount: 0,
        required: 1,
        counted: [],
        missing: 1,
        excluded: ['carol', 'deployer'],
        unreadable: [],
      },
    ]);
    expect(h.github.violations).toEqual([]);
  });
});
