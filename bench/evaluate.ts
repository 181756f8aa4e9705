/**
 * Evaluations per second of a realistic PROD policy (the README's example: refs, two approvals
 * from a team, path-triggered reviewers, score, evidence, soak, required checks, three freeze
 * windows of three kinds, deploy duration), against a baseline measured in the same run: a
 * stage with no rules, which costs only the decision's scaffolding.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { evaluate } from '../src/core/evaluate.js';
import { loadPolicy } from '../src/core/policy-load.js';
import type { ReleaseFacts } from '../src/core/types.js';
import { figure } from './figures.js';

const POLICY = fileURLToPath(new URL('../test/fixtures/policies/spec-v1.yml', import.meta.url));

export function facts(environment: string): ReleaseFacts {
  const sha = 'f'.repeat(40);
  return {
    environment,
    sha,
    tree: 't'.repeat(40),
    ref: 'refs/tags/v2.3.0',
    author: 'dev1',
    deployer: 'dev1',
    approvals: Array.from({ length: 6 }, (_, i) => ({
      login: `reviewer${i}`,
      source: 'pr-review' as const,
      state: i === 5 ? ('CHANGES_REQUESTED' as const) : ('APPROVED' as const),
      submittedAt: `2026-03-1${i % 9}T10:00:00Z`,
      commitId: sha,
    })),
    deployments: [
      { environment: 'development', sha, state: 'success', at: '2026-03-09T08:00:00Z' },
      { environment: 'staging', sha, state: 'success', at: '2026-03-09T09:00:00Z' },
    ],
    evidence: {
      score: 84,
      breakdown: {},
      present: ['tests', 'coverage', 'security', 'checklist', 'rollbackPlan', 'backup'],
    },
    checks: [
      { name: 'build', status: 'completed', conclusion: 'success' },
      { name: 'security-audit', status: 'completed', conclusion: 'success' },
    ],
    changedFiles: Array.from({ length: 40 }, (_, i) =>
      i === 7 ? 'src/billing/invoice.ts' : `src/feature/file${i}.ts`,
    ),
    teams: {
      'release-owners': ['reviewer0', 'reviewer1', 'reviewer2'],
      'tech-reviewers': ['reviewer3'],
      'release-managers': ['boss'],
    },
    overrides: [],
  };
}

function rate(fn: (i: number) => void, ms: number): number {
  for (let i = 0; i < 200; i += 1) fn(i); // warm up
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 100; i += 1) fn(n + i);
    n += 100;
    elapsed = performance.now() - start;
  }
  return (n / elapsed) * 1000;
}

export async function runEvaluateBench({
  log,
  ms = 2000,
}: {
  log: (line: string) => void;
  ms?: number;
}): Promise<void> {
  const loaded = loadPolicy(readFileSync(POLICY, 'utf8'), 'spec-v1.yml');
  if (!loaded.ok) throw new Error('the benchmark policy does not load');
  const policy = loaded.policy;
  const prod = facts('production');
  const dev = facts('development');
  // Spread the request times over a year so freeze windows are computed at many instants.
  const base = Date.parse('2026-01-01T00:00:00Z');
  const at = (i: number) => new Date(base + ((i * 7_919_993) % (365 * 86_400_000)));
  let sink = 0;
  const baseline = rate((i) => (sink += evaluate(policy, dev, at(i)).rules.length), ms);
  const prodRate = rate((i) => (sink += evaluate(policy, prod, at(i)).rules.length), ms);
  const text = readFileSync(POLICY, 'utf8');
  const loadRate = rate((i) => (sink += loadPolicy(`${text}\n# ${i}`, 'spec-v1.yml').ok ? 1 : 0), ms);
  log('Gate evaluation (src/core/evaluate.ts), one core, Node ' + process.version);
  log(`  baseline: first stage, no rules          ${fmt(baseline)} evaluations/s`);
  log(
    `  realistic PROD policy (README example)   ${fmt(prodRate)} evaluations/s   (${(baseline / prodRate).toFixed(1)}x the baseline's cost, ${(1e6 / prodRate).toFixed(1)} µs each)`,
  );
  log(
    `  policy load + validation, uncached       ${fmt(loadRate)} loads/s         (${(prodRate / loadRate).toFixed(1)}x the cost of an evaluation)`,
  );
  const section = 'evaluate';
  figure({
    section,
    measure: 'baseline: first stage, no rules',
    value: baseline,
    unit: 'evaluations/s',
    better: 'higher',
  });
  figure({ section, measure: 'realistic PROD policy', value: prodRate, unit: 'evaluations/s', better: 'higher' });
  figure({
    section,
    measure: 'policy load + validation, uncached',
    value: loadRate,
    unit: 'loads/s',
    better: 'higher',
  });
  if (sink === -1) log('');
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(10);
}
