/**
 * A fixed number of evaluations of the realistic PROD policy (the workload of
 * `bench/evaluate.ts`), for counting instructions: `npm run bench -- --compare <ref>
 * --instructions` runs it under `valgrind --tool=callgrind` with two counts and divides the
 * difference, which leaves out start-up and is not moved by other work on the machine.
 * Alone: `node --import tsx bench/evaluate-count.ts 2000`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { evaluate } from '../src/core/evaluate.js';
import { loadPolicy } from '../src/core/policy-load.js';
import { facts } from './evaluate.js';

const POLICY = fileURLToPath(new URL('../test/fixtures/policies/spec-v1.yml', import.meta.url));
const loaded = loadPolicy(readFileSync(POLICY, 'utf8'), 'spec-v1.yml');
if (!loaded.ok) throw new Error('the benchmark policy does not load');
const prod = facts('production');
const base = Date.parse('2026-01-01T00:00:00Z');
const n = Number(process.argv[2] ?? 2000);
let sink = 0;
for (let i = 0; i < n; i++)
  sink += evaluate(loaded.policy, prod, new Date(base + ((i * 7_919_993) % (365 * 86_400_000)))).rules.length;
process.stdout.write(`${n} evaluations (${sink} rules)\n`);
