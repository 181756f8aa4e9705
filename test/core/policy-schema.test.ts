import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import _Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { policySchema, renderPolicySchema } from '../../src/core/policy-schema.js';

const Ajv2020 = _Ajv2020 as unknown as typeof _Ajv2020.default;
const fixture = (name: string): unknown =>
  parse(readFileSync(new URL(`../fixtures/policies/${name}`, import.meta.url), 'utf8'));

describe('policy.schema.json', () => {
  it('is the committed copy of src/core/policy-schema.ts (run `npm run schema` when this fails)', () => {
    const committed = readFileSync(new URL('../../policy.schema.json', import.meta.url), 'utf8');
    expect(committed, 'policy.schema.json is stale: run `npm run schema` and commit it').toBe(renderPolicySchema());
  });

  it('is valid draft 2020-12 that ajv compiles in strict mode', () => {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true });
    expect(ajv.validateSchema(policySchema)).toBe(true);
    expect(() => ajv.compile(policySchema)).not.toThrow();
  });

  it('accepts the example policies and rejects the broken one, as an editor would', () => {
    const validate = new Ajv2020({
      allErrors: true,
      strictRequired: false,
      strictTypes: false,
      allowUnionTypes: true,
    }).compile(policySchema);
    for (const name of ['spec-v1.yml', 'aurora-seed.yml', 'with-schema-comment.yml']) {
      expect(validate(fixture(name)), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(validate(fixture('broken-many.yml'))).toBe(false);
    expect(validate.errors?.map((e) => `${e.instancePath} ${e.keyword}`)).toEqual(
      expect.arrayContaining(['/environments/2 additionalProperties', '/environments/2/freezeWindows/0/start pattern']),
    );
  });
});
