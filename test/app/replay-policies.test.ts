import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/helpers.js';
import { startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { DEV_PROD_APPROVALS } from '../support/policies.js';

const PATH = '.github/release-policy.yml';
/**
 * Decisions the App made under every kind of policy source, replayed from the record: a
 * repository file, a file merged onto the org default, the org default alone, an invalid
 * file, a file that extends an org default that cannot be read, and no policy at all.
 */
describe("replaying the App's decisions under every policy source", () => {
  let h: Harness;
  let run = 100;

  beforeAll(async () => {
    h = await startHarness({ now: '2026-11-10T10:00:00Z' });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function request(environment: string): Promise<void> {
    const runId = run++;
    expect(
      await h.askGate({
        id: 9000 + runId,
        runId,
        sha: 'a'.repeat(40),
        ref: 'v1.0.0',
        environment,
        creator: 'deployer',
        createdAt: h.clock.now().toISOString(),
      }),
    ).toBe(200);
    h.clock.advance(60_000);
  }

  it('records and replays each one identically', async () => {
    // No policy anywhere.
    await request('production');
    // The org default alone.
    h.github.serveFile('acme/.github', PATH, DEV_PROD_APPROVALS);
    await request('development');
    await request('production');
    // A repository file merged onto the org default.
    h.repo.files[PATH] = 'version: 1\nextends: org\nenvironments:\n  - name: PROD\n    minApprovals: 0\n';
    await request('production');
    // An invalid repository file.
    h.repo.files[PATH] = 'version: 1\nenvironments:\n  - name: PROD\n    minAprovals: 2\n';
    await request('production');
    // A file extending an org default the App may not read.
    h.repo.files[PATH] = 'version: 1\nextends: org\n';
    h.github.deniedRepos.add('acme/.github');
    await request('production');
    h.github.deniedRepos.delete('acme/.github');

    const rows = await h.store.listEvaluations({ repo: 'acme/shop' });
    expect(rows.map((r) => [r.decision, (r.policyFiles ?? []).map((f) => f.role)])).toEqual([
      ['block', []],
      ['allow', ['org default']],
      // PROD while DEV's deployment, let through by the gate, has reported nothing: it waits
      // on the order rule, and is short of approvals.
      ['wait', ['org default']],
      // The same, with no approvals asked for: it waits on the order rule alone.
      ['wait', ['repository', 'org default']],
      ['block', ['repository']],
      ['block', ['repository']],
    ]);
    // The same org default is stored once for the three decisions that used it.
    const hashes = new Set(rows.flatMap((r) => (r.policyFiles ?? []).map((f) => f.sha256)));
    expect(hashes.size).toBe(4);

    const replay = await cli(['replay', '--repo', 'acme/shop', '--database', h.databaseUrl, '--json']);
    expect(replay.json()).toEqual({ replayed: 6, identical: 6, different: [], notReplayable: [] });
    expect(replay.code).toBe(0);
  });

  it('simulates a new repository file on every recorded decision, merging the recorded org default when it extends it', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const file = join(h.dir, 'new-policy.yml');
    await writeFile(file, 'version: 1\nextends: org\nenvironments:\n  - name: PROD\n    minApprovals: 0\n');
    const sim = await cli(
      ['simulate', '--policy', file, '--repo', 'acme/shop', '--database', h.databaseUrl, '--format', 'json'],
      { now: '2026-11-10T12:00:00Z' },
    );
    const report = sim.json();
    expect(report.considered).toBe(6);
    // Decided with no policy, or with an invalid one: no facts were recorded to simulate.
    expect(report.skipped.map((s: { reason: string }) => s.reason)).toEqual([
      'the record keeps no facts for this decision (its policy could not be loaded then)',
      'the record keeps no facts for this decision (its policy could not be loaded then)',
      'the record keeps no facts for this decision (its policy could not be loaded then)',
    ]);
    expect(
      report.changed.map((c: { from: string; to: string; disappeared: string[] }) => [c.from, c.to, c.disappeared]),
    ).toEqual([['wait', 'wait', ['APPROVAL_REQUIRED']]]);
  });
});
