import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleOf } from '../../src/core/rules/roles.js';
import { startConsoleHarness, WAITING } from './harness.js';
import type { ConsoleHarness } from './harness.js';

/** Every schema the document gives for `values.role` (`properties.values.properties.role`). */
function findRoleSchemas(node: unknown): object[] {
  if (typeof node !== 'object' || node === null) return [];
  const role = (node as { properties?: { values?: { properties?: { role?: object } } } }).properties?.values?.properties
    ?.role;
  return [...(role ? [role] : []), ...Object.values(node).flatMap(findRoleSchemas)];
}

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
    // ... and as the API document describes it (the schema of a rule's `values.role`, wherever the document gives it).
    const doc = (await (await h.call('/api/v1/openapi.json')).json()) as unknown;
    const schemas = findRoleSchemas(doc);
    expect(schemas.length).toBeGreaterThan(0);
    const validate = new Ajv2020.default({ strict: false }).compile(schemas[0]!);
    for (const r of prod.rules)
      if (r.values.role) expect(validate(r.values.role), JSON.stringify(validate.errors)).toBe(true);
    const role = prod.rules.find((r) => r.values.role)!.values.role as object;
    expect(validate(role)).toBe(true);
    expect(validate({ ...role, missing: 'one' })).toBe(false);
    expect(h.github.violations).toEqual([]);
  });
});
