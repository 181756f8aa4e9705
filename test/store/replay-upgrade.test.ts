import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, policyInvalidDecision } from '../../src/core/evaluate.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import { recordedInputs } from '../../src/core/replay.js';
import type { ReleaseFacts } from '../../src/core/types.js';
import { openStore } from '../../src/store/open-store.js';
import { cli } from '../cli/helpers.js';
import { olderDatabase, postgresTarget, sqliteTarget, type Target } from './targets.js';

const t = (iso: string) => new Date(iso);
const POLICY =
  'version: 1\nenvironments:\n  - name: DEV\n    github: development\n  - name: PROD\n    github: production\n    minApprovals: 1\n';
const facts = (environment: string): ReleaseFacts => ({
  environment,
  sha: 'f'.repeat(40),
  approvals: [],
  deployments: [{ environment: 'DEV', sha: 'f'.repeat(40), state: 'success', at: '2026-11-01T08:00:00Z' }],
  evidence: { score: null, breakdown: {}, present: [] },
  checks: [],
  teams: {},
  overrides: [],
});
const MISSING =
  '.github/release-policy.yml was not found on the default branch (main). Add the release policy there; until then the gate does not approve anything. Nor is there an org default (acme/.github/.github/release-policy.yml).';

describe.each([
  { provider: 'sqlite' as const, target: sqliteTarget },
  { provider: 'postgresql' as const, target: postgresTarget },
])('replaying a $provider record made before policy texts were kept', ({ provider, target }) => {
  let tg: Target;
  let prismaDir: string;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    tg = await target();
    // Evaluations as the App wrote them before 0006: one under a policy file (its blob SHA
    // only), one decided without any policy file (the problems are its input).
    const older = await olderDatabase(
      tg,
      provider,
      ['0001_init', '0002_promotions', '0003_check_run_deployment'],
      async (db) => {
        const policy = loadPolicy(POLICY, '.github/release-policy.yml');
        if (!policy.ok) throw new Error('test policy invalid');
        // What the engine of that time decided: it took the recorded success for proof (the
        // facts of that time carry no approvals, and replay reads them so).
        const decided = evaluate(
          policy.policy,
          recordedInputs({ facts: facts('production') }).facts!,
          t('2026-11-01T09:00:00Z'),
        );
        const common = {
          repo: 'acme/old',
          sha: 'f'.repeat(40),
          environment: 'production',
          at: t('2026-11-01T09:00:00Z'),
        };
        ids.withBlob = (
          await db.evaluation.create({
            data: {
              ...common,
              stage: 'PROD',
              decision: decided.decision,
              rules: JSON.stringify(decided.rules),
              inputs: JSON.stringify({ facts: facts('production'), pulls: [], notes: [] }),
              policyPath: '.github/release-policy.yml',
              policySha: 'b'.repeat(40),
            },
            select: { id: true },
          })
        ).id;
        const invalid = policyInvalidDecision('production', [MISSING]);
        ids.noPolicy = (
          await db.evaluation.create({
            data: {
              ...common,
              stage: 'production',
              decision: 'block',
              rules: JSON.stringify(invalid.rules),
              inputs: JSON.stringify({ problems: [MISSING] }),
              policyPath: '.github/release-policy.yml',
              policySha: null,
            },
            select: { id: true },
          })
        ).id;
      },
    );
    prismaDir = older.prismaDir;
    expect(older.applied).toEqual(['0001_init', '0002_promotions', '0003_check_run_deployment']);
    // The upgraded App records a new decision with its policy text.
    const store = await openStore({ databaseUrl: tg.url });
    try {
      const policy = loadPolicy(POLICY, '.github/release-policy.yml');
      if (!policy.ok) throw new Error('test policy invalid');
      const at = t('2026-11-02T09:00:00Z');
      const decided = evaluate(policy.policy, facts('development'), at);
      ids.fresh = (
        await store.recordEvaluation({
          repo: 'acme/old',
          sha: 'f'.repeat(40),
          environment: 'development',
          stage: 'DEV',
          decision: decided.decision,
          rules: decided.rules,
          inputs: { facts: facts('development'), pulls: [], notes: [] },
          at,
          policyFiles: [
            {
              role: 'repository',
              source: '.github/release-policy.yml',
              repository: 'acme/old',
              path: '.github/release-policy.yml',
              ref: 'main',
              blobSha: 'c'.repeat(40),
              text: POLICY,
            },
          ],
        })
      ).id;
    } finally {
      await store.close();
    }
  });

  afterAll(async () => {
    await tg?.cleanup();
    if (prismaDir) await rm(prismaDir, { recursive: true, force: true });
  });

  it('reports the older decision under a policy file as not replayable, with the reason, and replays the rest identically', async () => {
    const run = await cli(['replay', '--repo', 'acme/old', '--database', tg.url, '--json']);
    expect(run.stderr).toBe('');
    expect(run.json()).toEqual({
      replayed: 2,
      identical: 2,
      different: [],
      notReplayable: [
        {
          id: ids.withBlob,
          reason: `recorded before policy texts were kept: the record names the policy blob ${'b'.repeat(40)} of .github/release-policy.yml but not its text`,
        },
      ],
    });
    expect(run.code).toBe(0);
  });

  it('prints each decision in words', async () => {
    const run = await cli(['replay', '--repo', 'acme/old', '--database', tg.url]);
    expect(run.stdout.split('\n')).toEqual([
      `#${ids.withBlob} acme/old fffffff production at 2026-11-01T09:00:00.000Z: not replayable: recorded before policy texts were kept: the record names the policy blob ${'b'.repeat(40)} of .github/release-policy.yml but not its text`,
      `#${ids.noPolicy} acme/old fffffff production at 2026-11-01T09:00:00.000Z: stored block, replayed block: identical`,
      `#${ids.fresh} acme/old fffffff development at 2026-11-02T09:00:00.000Z: stored allow, replayed allow: identical`,
      'Replayed 2 of 3 evaluation(s): 2 identical, 0 different, 1 not replayable.',
      '',
    ]);
  });

  it('explains an older decision from its stored rules, saying why it is not replayed', async () => {
    const run = await cli(['explain', '--id', String(ids.withBlob), '--database', tg.url]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('# Waiting for PROD: APPROVAL_REQUIRED');
    expect(run.stdout).toContain('| ⏳ | `APPROVAL_REQUIRED` | Release requires 1 approval(s) for PROD. Current: 0. |');
    expect(lines.at(-1)).toBe(
      `Shown from the rules stored with it: it cannot be replayed (recorded before policy texts were kept: the record names the policy blob ${'b'.repeat(40)} of .github/release-policy.yml but not its text).`,
    );
  });
});
