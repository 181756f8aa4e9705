import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runJob } from '../../src/budget/jobs.js';
import { EvaluationPool } from '../../src/budget/pool.js';
import { evaluate } from '../../src/core/evaluate.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import type { Policy, RuleResult } from '../../src/core/types.js';
import { SEED_LIMITS, seedEvaluation, seedPolicy } from '../support/record-seed.js';
import { releaseFacts } from '../support/release-facts.js';

function policyOf(file: string): Policy {
  const loaded = loadPolicy(readFileSync(new URL(`../fixtures/policies/${file}`, import.meta.url), 'utf8'), file);
  if (!loaded.ok) throw new Error(`${file} should load`);
  return loaded.policy;
}

const AT = new Date('2026-03-10T12:00:00Z');
const spec = policyOf('spec-v1.yml');
const fork = policyOf('fork-hourly-freezes.yml');
const forkProd = fork.environments.find((e) => e.name === 'PROD')!;
const calendar = (days: number) => ({
  kind: 'freeze-intervals' as const,
  windows: forkProd.freezeWindows,
  from: AT,
  to: new Date(AT.getTime() + days * 86_400_000),
});

const forkDecision = (sha: string) => ({
  kind: 'evaluate' as const,
  policy: fork,
  facts: releaseFacts('production', sha.repeat(40)),
  at: AT,
});

describe('SECURITY.md T12 the evaluation pool runs the core in worker threads within a budget', () => {
  const pool = new EvaluationPool({ size: 2 });
  afterAll(() => pool.close());

  it('gives the decision evaluate() gives in the process, for the same inputs', async () => {
    const facts = releaseFacts('production', 'a'.repeat(40));
    const outcome = await pool.run({ kind: 'evaluate', policy: spec, facts, at: AT }, 30_000);
    expect(outcome).toMatchObject({ ok: true });
    expect(outcome.ok && outcome.value).toEqual(evaluate(spec, facts, AT));
  });

  it('stops a job past its time budget, naming the budget, while the event loop goes on', async () => {
    pool.warm();
    let ticks = 0;
    const ticking = setInterval(() => (ticks += 1), 5);
    // The fork's policy: its freeze rule looks at 250,000 occurrences before it gives up.
    const outcome = await pool.run(forkDecision('d'), 100);
    clearInterval(ticking);
    expect(outcome).toMatchObject({ ok: false, over: 'time' });
    expect(!outcome.ok && outcome.problem).toMatch(/^its evaluation took \d+ ms, over the 100 ms budget$/);
    expect(ticks).toBeGreaterThan(0);
    // The pool goes on with a fresh worker.
    const next = await pool.run(
      { kind: 'evaluate', policy: spec, facts: releaseFacts('development', 'b'.repeat(40)), at: AT },
      30_000,
    );
    expect(next.ok).toBe(true);
  });

  it('answers an error the core throws as the evaluation failing', async () => {
    const outcome = await pool.run(calendar(30), 30_000);
    expect(outcome).toMatchObject({ ok: false, over: null });
    expect(!outcome.ok && outcome.problem).toMatch(
      /^its evaluation failed: Freeze window "tick-\d\d \(a one-second freeze, every minute of every hour\)": the freeze windows give more than 250000 occurrences/,
    );
  });

  it('gives gate decisions a worker while slow background work holds the others', async () => {
    pool.warm();
    const done: string[] = [];
    const background = [1, 2].map((n) =>
      pool.run(forkDecision(String(n)), 30_000, 'background').then(() => done.push(`background ${n}`)),
    );
    const gate = pool
      .run({ kind: 'evaluate', policy: spec, facts: releaseFacts('production', 'c'.repeat(40)), at: AT }, 30_000)
      .then((outcome) => done.push(`gate ${outcome.ok}`));
    await Promise.all([...background, gate]);
    expect(done[0]).toBe('gate true');
  });
});

describe('a job past the heap budget', () => {
  const small = new EvaluationPool({ size: 1, heapBytes: 24 * 1024 * 1024 });
  afterAll(() => small.close());

  it('kills its worker, not the process, and is answered as over the memory budget', async () => {
    const outcome = await small.run(
      {
        kind: 'freeze-intervals',
        windows: forkProd.freezeWindows.slice(0, 60),
        from: AT,
        to: new Date(AT.getTime() + 3 * 86_400_000),
      },
      60_000,
    );
    expect(outcome).toMatchObject({ ok: false, over: 'memory' });
    expect(!outcome.ok && outcome.problem).toBe('its evaluation used more than the 24 MiB budget of heap');
  });
});

describe('a simulation within the budget', () => {
  it('reports the decisions it did not reach before its budget as not simulated', () => {
    const records = Array.from({ length: 20 }, (_, i) => {
      const { decided: _decided, ...input } = seedEvaluation(i);
      return {
        id: i + 1,
        repo: input.repo,
        sha: input.sha,
        environment: input.environment,
        stage: input.stage ?? null,
        decision: input.decision,
        rules: input.rules as RuleResult[],
        inputs: input.inputs,
        at: input.at,
        policyFiles: null,
        engineVersion: null,
        notReplayable: null,
      };
    });
    const next = { repository: { text: seedPolicy(SEED_LIMITS), source: '.github/release-policy.yml' }, org: null };
    const whole = runJob({ kind: 'simulate', next, records, texts: [] });
    expect(whole).toMatchObject({ considered: 20, simulated: 20, skipped: [] });
    const stopped = runJob({ kind: 'simulate', next, records, texts: [], stopAfterMs: 0 });
    expect(stopped.considered).toBe(20);
    expect(stopped.simulated + stopped.skipped.length).toBe(20);
    expect(stopped.skipped.length).toBeGreaterThanOrEqual(19);
    expect(new Set(stopped.skipped.map((s) => s.reason))).toEqual(
      new Set(['the simulation stopped at its 0 ms budget before reaching it']),
    );
  });
});

describe('a policy checked in the pool as the App would load it', () => {
  const repository = { text: 'version: 1\nextends: org\n', source: '.github/release-policy.yml' };

  it('says a file extends the org default before validating it, then reports the unreadable default at its extends key', () => {
    expect(runJob({ kind: 'check-policy', repository, org: null })).toEqual({ extendsOrg: true, problems: [] });
    const unreadable = runJob({
      kind: 'check-policy',
      repository,
      org: null,
      orgUnreadable: 'the org default is gone',
    });
    expect(unreadable.problems).toEqual([
      expect.objectContaining({ source: '.github/release-policy.yml', line: 2, message: 'the org default is gone' }),
    ]);
    const org = { text: seedPolicy(SEED_LIMITS), source: 'acme/.github:release-policy.yml' };
    expect(runJob({ kind: 'check-policy', repository, org })).toEqual({ extendsOrg: true, problems: [] });
    const invalid = runJob({ kind: 'check-policy', repository: { ...repository, text: 'version: 2\n' }, org: null });
    expect(invalid.extendsOrg).toBe(false);
    expect(invalid.problems.length).toBeGreaterThan(0);
  });
});
