/** Writes `policy.schema.json` at the repository root from `src/core/policy-schema.ts`. */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPolicySchema } from '../src/core/policy-schema.js';

const target = fileURLToPath(new URL('../policy.schema.json', import.meta.url));
writeFileSync(target, renderPolicySchema());
console.log(`wrote ${target}`);
