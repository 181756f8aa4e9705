import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { predictSeed, SEED_LIMITS, seedEvaluation, seedParams, seedPolicy } from '../support/record-seed.js';
import type { SeedLimits } from '../support/record-seed.js';
import { cli } from './helpers.js';

const COUNT = 420;
const NOW = '2026-11-10T00:00:00Z';
const STRICTER: SeedLimits = { preProdApprovals: 1, prodApprovals: 2, prodScore: 80 };
const LOOSER: SeedLimits = { preProdApprovals: 0, prodApprovals: 1, prodScore: 60 };

interface Change {
  id: number;
  repo: string;
  stage: string;
  from: string;
  to: string;
  appeared: string[];
  disappeared: string[];
}

/** The changes a policy with `limits` makes to the seeded record, predicted from the seed's values. */
function predicted(ids: number[], limits: SeedLimits, repo?: string): Change[] {
  const out: Change[] = [];
  ids.forEach((id, i) => {
    const p = seedParams(i);
    if (repo && p.repo !== repo) return;
    const before = predictSeed(i, SEED_LIMITS);
    const after = predictSeed(i, limits);
    const appeared = after.holding.filter((c) => !before.holding.includes(c));
    const disappeared = before.holding.filter((c) => !after.holding.includes(c));
    if (before.decision === after.decision && appeared.length === 0 && disappeared.length === 0) return;
    out.push({ id, repo: p.repo, stage: p.stage, from: before.decision, to: after.decision, appeared, disappeared });
  });
  return out;
}

const brief = (changes: Change[]) =>
  changes
    .map(({ id, repo, stage, from, to, appeared, disappeared }) => ({
      id,
      repo,
      stage,
      from,
      to,
      appeared,
      disappeared,
    }))
    .sort((a, b) => a.id - b.id);

describe('release-gate simulate on a record of several hundred decisions', () => {
  let dir: string;
  let url: string;
  const ids: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rg-simulate-'));
    url = `file:${join(dir, 'gate.db')}`;
    const store = await openStore({ databaseUrl: url });
    for (let i = 0; i < COUNT; i++) {
      const { decided, ...input } = seedEvaluation(i);
      // The record is the engine's: the prediction used by these tests agrees with it.
      expect({ decision: decided.decision, holding: decided.rules.filter((r) => !r.ok).map((r) => r.code) }).toEqual(
        predictSeed(i, SEED_LIMITS),
      );
      ids.push((await store.recordEvaluation(input)).id);
    }
    await store.close();
    await writeFile(join(dir, 'stricter.yml'), seedPolicy(STRICTER));
    await writeFile(join(dir, 'looser.yml'), seedPolicy(LOOSER));
    await writeFile(join(dir, 'broken.yml'), 'version: 1\nenvironments:\n  - name: PROD\n    minAprovals: 2\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists exactly the decisions a stricter policy would have held, with the codes that appear', async () => {
    const run = await cli(['simulate', '--policy', join(dir, 'stricter.yml'), '--database', url, '--format', 'json'], {
      now: NOW,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = run.json();
    const expected = predicted(ids, STRICTER);
    expect(expected.length).toBe(56);
    expect(report.considered).toBe(COUNT);
    expect(report.simulated).toBe(COUNT);
    expect(report.skipped).toEqual([]);
    expect(brief(report.changed)).toEqual(brief(expected));
    // Only PROD is stricter: nothing is loosened, nothing elsewhere changes.
    expect(new Set(expected.map((c) => c.stage))).toEqual(new Set(['PROD']));
    expect(report.byStage).toEqual([
      { stage: 'DEV', decisions: COUNT / 3, changed: 0, transitions: {} },
      { stage: 'PRE_PROD', decisions: COUNT / 3, changed: 0, transitions: {} },
      {
        stage: 'PROD',
        decisions: COUNT / 3,
        changed: expected.length,
        transitions: Object.fromEntries(
          ['allow -> block', 'allow -> wait', 'wait -> block', 'block -> block', 'wait -> wait']
            .map((k) => [k, expected.filter((c) => `${c.from} -> ${c.to}` === k).length])
            .filter(([, n]) => n !== 0),
        ),
      },
    ]);
    const count = (code: string, side: 'appeared' | 'disappeared') =>
      expected.filter((c) => c[side].includes(code)).length;
    expect(report.byRule).toEqual(
      expect.arrayContaining([
        { code: 'SCORE_TOO_LOW', appeared: count('SCORE_TOO_LOW', 'appeared'), disappeared: 0 },
        { code: 'APPROVAL_REQUIRED', appeared: count('APPROVAL_REQUIRED', 'appeared'), disappeared: 0 },
      ]),
    );
    expect(report.byRule).toHaveLength(2);
    // Most important first: releases that went through and would have been blocked.
    expect(report.changed[0]).toMatchObject({ from: 'allow', to: 'block' });
  });

  it('lists exactly the decisions a looser policy would have let through, for one repository', async () => {
    const run = await cli(
      [
        'simulate',
        '--policy',
        join(dir, 'looser.yml'),
        '--repo',
        'acme/api',
        '--since',
        '30d',
        '--database',
        url,
        '--format',
        'json',
      ],
      { now: NOW },
    );
    const report = run.json();
    const expected = predicted(ids, LOOSER, 'acme/api');
    expect(expected.length).toBe(13);
    expect(report.considered).toBe(COUNT / 5);
    expect(brief(report.changed)).toEqual(brief(expected));
    expect(report.changed.every((c: Change) => c.appeared.length === 0)).toBe(true);
  });

  it('keeps to --since', async () => {
    // The seed spans 210 hours from 2026-11-01; a day before NOW is the last 24 hours of it
    // (from 2026-11-09T00:00Z, index 384 on).
    const run = await cli(
      ['simulate', '--policy', join(dir, 'stricter.yml'), '--since', '1d', '--database', url, '--format', 'json'],
      { now: NOW },
    );
    const report = run.json();
    expect(report.considered).toBe(COUNT - 384);
    expect(brief(report.changed)).toEqual(brief(predicted(ids, STRICTER).filter((c) => c.id >= ids[384]!)));
  });

  it('prints the summary tables and the changes in Markdown', async () => {
    const run = await cli(['simulate', '--policy', join(dir, 'stricter.yml'), '--database', url], { now: NOW });
    const expected = predicted(ids, STRICTER);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`**${expected.length} of ${COUNT} recorded decision(s) would change.**`);
    expect(run.stdout).toContain('| Stage | Decisions | Would change | How |');
    expect(run.stdout).toContain(`| DEV | ${COUNT / 3} | 0 |  |`);
    expect(run.stdout).toContain('### By rule');
    const first = expected.find((c) => c.from === 'allow' && c.to === 'block')!;
    expect(lines.filter((l) => /^\| \d+ \| acme\//.test(l))).toHaveLength(expected.length);
    expect(run.stdout).toContain(`| ${first.id} | ${first.repo} |`);
  });

  it('refuses an invalid policy with every problem at its line, before reading the record', async () => {
    const run = await cli(['simulate', '--policy', join(dir, 'broken.yml'), '--database', url], { now: NOW });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(
        `^${join(dir, 'broken.yml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:5: .*minAprovals.*; did you mean "minApprovals"\\?\\n`,
      ),
    );
    expect(run.stderr).toContain('the policy is invalid and the gate would not approve anything with it.');
  });
});
