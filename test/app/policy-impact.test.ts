import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { predictSeed, SEED_LIMITS, seedEvaluation, seedParams, seedPolicy } from '../support/record-seed.js';
import type { SeedLimits } from '../support/record-seed.js';
import { checkRunEvent, pullRequestEvent } from '../support/webhooks.js';

const PATH = '.github/release-policy.yml';
const NAME = 'Release gate / policy impact';
const COUNT = 300;
const STRICTER: SeedLimits = { preProdApprovals: 1, prodApprovals: 2, prodScore: 80 };
const LOOSER: SeedLimits = { preProdApprovals: 0, prodApprovals: 1, prodScore: 60 };
const INVALID = `version: 1
environments:
  - name: DEV
  - name: PROD
    minAprovals: 2
    minScore: 170
`;
const sha = (n: number) => n.toString(16).padStart(40, 'c');
/** Stopping a release that went through matters most; then by time, newest first. */
const RANK: Record<string, number> = {
  'allow -> block': 0,
  'allow -> wait': 1,
  'wait -> block': 2,
  'block -> allow': 3,
  'wait -> allow': 4,
  'block -> wait': 5,
};

describe('the policy impact check run', () => {
  let h: Harness;
  /** Evaluation id of seed decision i, for the decisions of acme/shop. */
  const shopIds = new Map<number, number>();

  beforeAll(async () => {
    h = await startHarness({ policy: seedPolicy(SEED_LIMITS), now: '2026-11-10T00:00:00Z' });
    for (let i = 0; i < COUNT; i++) {
      const { decided: _decided, ...input } = seedEvaluation(i);
      // Every fifth decision is of another repository: not this pull request's business.
      const repo = seedParams(i).repo === 'acme/api' ? 'acme/api' : 'acme/shop';
      const row = await h.store.recordEvaluation({ ...input, repo });
      if (repo === 'acme/shop') shopIds.set(i, row.id);
    }
    // Older than 30 days: not simulated.
    for (let i = 0; i < 3; i++) {
      const { decided: _decided, ...input } = seedEvaluation(i * 3 + 2);
      await h.store.recordEvaluation({ ...input, repo: 'acme/shop', at: new Date('2026-09-01T00:00:00Z') });
    }
    h.github.addRepo('mallory', 'shop');
  });
  afterAll(async () => {
    await h?.close();
  });

  function predicted(limits: SeedLimits) {
    const out: Array<{ id: number; transition: string; at: number }> = [];
    for (const [i, id] of shopIds) {
      const before = predictSeed(i, SEED_LIMITS);
      const after = predictSeed(i, limits);
      if (before.decision === after.decision && before.holding.join() === after.holding.join()) continue;
      out.push({ id, transition: `${before.decision} -> ${after.decision}`, at: seedParams(i).at.getTime() });
    }
    return out.sort((a, b) => (RANK[a.transition] ?? 6) - (RANK[b.transition] ?? 6) || b.at - a.at || b.id - a.id);
  }

  function runsOn(head: string) {
    return h.repo.checkRuns.filter((c) => c.name === NAME && c.head_sha === head);
  }

  function listedIds(summary: string): number[] {
    return summary
      .split('\n')
      .filter((l) => /^\| \d+ \| acme\/shop \|/.test(l))
      .map((l) => Number(/^\| (\d+) /.exec(l)![1]));
  }

  it('simulates the last 30 days of the repository under a stricter policy from the pull request head, and blocks nothing', async () => {
    h.github.setPullFiles('acme/shop', 41, [
      { filename: 'src/app.ts', status: 'modified' },
      { filename: PATH, status: 'modified' },
    ]);
    h.github.serveFileAt('acme/shop', sha(1), PATH, seedPolicy(STRICTER));
    const writesBefore = h.github.requests.filter(
      (r) => r.method !== 'GET' && !r.path.endsWith('/access_tokens'),
    ).length;
    expect(
      await h.deliver(pullRequestEvent(h.ctx, { action: 'opened', number: 41, headSha: sha(1), author: 'alice' })),
    ).toBe(200);

    const runs = runsOn(sha(1));
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    const expected = predicted(STRICTER);
    expect(expected).toHaveLength(32);
    expect(run.conclusion).toBe('neutral');
    expect(run.output.title).toBe(`${expected.length} of ${shopIds.size} recorded decision(s) would change.`);
    const summary = run.output.summary!;
    expect(summary.split('\n\n').slice(0, 2)).toEqual([
      'This pull request changes `.github/release-policy.yml`. The new policy was read from `acme/shop` at `cccccccccccc`.',
      '_Simulation only: the gate keeps judging deployments by the policy on the default branch (`main`) until this is merged. This check run approves and blocks nothing._',
    ]);
    expect(summary).toContain(`| PROD | ${shopIds.size / 3} | ${expected.length} |`);
    expect(summary).toContain('| `SCORE_TOO_LOW` |');
    // The 20 most important changes, in order.
    expect(listedIds(summary)).toEqual(expected.slice(0, 20).map((c) => c.id));
    expect(summary).toContain(`_${expected.length - 20} more change(s) not listed._`);
    // The only write is the check run: nothing approved, rejected or deployed.
    const writes = h.github.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/access_tokens'));
    expect(writes.slice(writesBefore).map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/shop/check-runs',
    ]);
    expect(h.repo.answers).toEqual([]);
  });

  it('writes a new check run on each push, and updates the one of the same commit', async () => {
    h.github.serveFileAt('acme/shop', sha(2), PATH, seedPolicy(LOOSER));
    expect(
      await h.deliver(pullRequestEvent(h.ctx, { action: 'synchronize', number: 41, headSha: sha(2), author: 'alice' })),
    ).toBe(200);
    const expected = predicted(LOOSER);
    const run = runsOn(sha(2))[0]!;
    expect(run.output.title).toBe(`${expected.length} of ${shopIds.size} recorded decision(s) would change.`);
    expect(listedIds(run.output.summary!)).toEqual(expected.slice(0, 20).map((c) => c.id));
    expect(run.output.summary).toContain('block → allow');

    // Reopened on the same commit: the same check run is updated, not a second one made.
    expect(
      await h.deliver(pullRequestEvent(h.ctx, { action: 'reopened', number: 41, headSha: sha(2), author: 'alice' })),
    ).toBe(200);
    expect(runsOn(sha(2))).toHaveLength(1);
    expect(h.github.find('PATCH', /^\/repos\/acme\/shop\/check-runs\/\d+$/).at(-1)?.path).toBe(
      `/repos/acme/shop/check-runs/${run.id}`,
    );
    // The gate itself still reads the default branch's policy.
    expect(h.repo.files[PATH]).toBe(seedPolicy(SEED_LIMITS));
  });

  it('fails on an invalid policy with every problem annotated at its line', async () => {
    h.github.setPullFiles('acme/shop', 42, [{ filename: PATH, status: 'modified' }]);
    h.github.serveFileAt('acme/shop', sha(3), PATH, INVALID);
    expect(
      await h.deliver(pullRequestEvent(h.ctx, { action: 'opened', number: 42, headSha: sha(3), author: 'alice' })),
    ).toBe(200);
    const run = runsOn(sha(3))[0]!;
    expect(run.conclusion).toBe('failure');
    expect(run.output.title).toBe('The new release policy is invalid: 2 problems');
    const annotations = (run.output as { annotations?: Array<Record<string, unknown>> }).annotations!;
    expect(annotations.map((a) => [a.path, a.start_line, a.end_line, a.annotation_level])).toEqual([
      [PATH, 5, 5, 'failure'],
      [PATH, 6, 6, 'failure'],
    ]);
    expect(annotations[0]!.message).toMatch(/minAprovals.*; did you mean "minApprovals"\?$/);
    expect(annotations[1]!.message).toMatch(/170/);
    expect(run.output.summary).toContain('**Once merged, the gate would approve nothing** until these are fixed:');
    expect(run.output.summary).toContain(`- ${PATH}:5:5: `);
  });

  it('reads the policy of a pull request from a fork from the fork, and says so', async () => {
    h.github.setPullFiles('acme/shop', 43, [{ filename: PATH, status: 'modified' }]);
    h.github.serveFileAt('mallory/shop', sha(4), PATH, seedPolicy(STRICTER));
    expect(
      await h.deliver(
        pullRequestEvent(h.ctx, {
          action: 'opened',
          number: 43,
          headSha: sha(4),
          headRepo: 'mallory/shop',
          author: 'mallory',
        }),
      ),
    ).toBe(200);
    expect(
      h.github
        .find('GET', /^\/repos\/mallory\/shop\/contents\/\.github\/release-policy\.yml$/)
        .map((r) => r.query.get('ref')),
    ).toEqual([sha(4)]);
    const run = runsOn(sha(4))[0]!;
    expect(run.conclusion).toBe('neutral');
    expect(run.output.title).toBe(
      `${predicted(STRICTER).length} of ${shopIds.size} recorded decision(s) would change.`,
    );
    expect(run.output.summary!.split('\n\n')[0]).toBe(
      'This pull request changes `.github/release-policy.yml`. The new policy was read from the fork `mallory/shop` at `cccccccccccc` (the pull request comes from a fork).',
    );
  });

  it('leaves a pull request that does not change the policy alone', async () => {
    h.github.setPullFiles('acme/shop', 44, [{ filename: 'README.md', status: 'modified' }]);
    const delivery = pullRequestEvent(h.ctx, { action: 'opened', number: 44, headSha: sha(5), author: 'alice' });
    expect(await h.deliver(delivery)).toBe(200);
    expect(runsOn(sha(5))).toEqual([]);
    expect((await h.store.getDelivery(delivery.id))?.outcome).toBe(
      'ignored: the pull request does not change the release policy',
    );
  });

  it('simulates a change of the org default on the decisions made under it, in every repository of the owner', async () => {
    const repoText = 'version: 1\nextends: org\n';
    const orgIds = new Map<number, number>();
    for (const i of [2, 5, 8, 11, 14, 17]) {
      const { decided: _decided, policyFiles: _files, ...input } = seedEvaluation(i);
      const row = await h.store.recordEvaluation({
        ...input,
        repo: 'acme/billing',
        policyFiles: [
          {
            role: 'repository',
            source: PATH,
            repository: 'acme/billing',
            path: PATH,
            ref: 'main',
            blobSha: null,
            text: repoText,
          },
          {
            role: 'org default',
            source: 'acme/.github/.github/release-policy.yml',
            repository: 'acme/.github',
            path: PATH,
            ref: '',
            blobSha: null,
            text: seedPolicy(SEED_LIMITS),
          },
        ],
      });
      orgIds.set(i, row.id);
    }
    const org = h.github.serveFile('acme/.github', PATH, seedPolicy(SEED_LIMITS));
    h.github.setPullFiles('acme/.github', 7, [{ filename: PATH, status: 'modified' }]);
    h.github.serveFileAt('acme/.github', sha(6), PATH, seedPolicy(STRICTER));
    expect(
      await h.deliver(
        pullRequestEvent(
          { ...h.ctx, name: '.github', id: org.id },
          { action: 'opened', number: 7, headSha: sha(6), author: 'alice' },
        ),
      ),
    ).toBe(200);
    const run = org.checkRuns.find((c) => c.name === NAME && c.head_sha === sha(6))!;
    const changed = [...orgIds].filter(
      ([i]) =>
        predictSeed(i, SEED_LIMITS).decision !== predictSeed(i, STRICTER).decision ||
        predictSeed(i, SEED_LIMITS).holding.join() !== predictSeed(i, STRICTER).holding.join(),
    );
    expect(changed.length).toBeGreaterThan(0);
    expect(run.conclusion).toBe('neutral');
    expect(run.output.title).toBe(`${changed.length} of ${orgIds.size} recorded decision(s) would change.`);
    const summary = run.output.summary!;
    expect(summary.split('\n\n')[0]).toBe(
      'This pull request changes the org default `acme/.github/.github/release-policy.yml`. The new policy was read from `acme/.github` at `cccccccccccc`.',
    );
    // SECURITY.md T13: the org's .github repository is public (as it usually is): anyone reads this check run,
    // so other repositories' decisions are counted, never named.
    expect(summary).toContain(`| PROD | `);
    expect(summary).toContain(
      `_${changed.length} change(s) counted above are not listed: they are decisions of other repositories, and acme/.github is public (\`release-gate simulate\` lists them where the record is kept)._`,
    );
    expect(summary).not.toContain('acme/billing');
    for (const i of orgIds.keys()) expect(summary).not.toContain(seedParams(i).sha.slice(0, 7));
    expect(summary).not.toContain('### Changes');

    // The same change proposed in a private .github repository lists them: its readers are the org's.
    h.github.setPullFiles('acme/.github', 8, [{ filename: PATH, status: 'modified' }]);
    h.github.serveFileAt('acme/.github', sha(7), PATH, seedPolicy(STRICTER));
    expect(
      await h.deliver(
        pullRequestEvent(
          { ...h.ctx, name: '.github', id: org.id, private: true },
          { action: 'opened', number: 8, headSha: sha(7), author: 'alice' },
        ),
      ),
    ).toBe(200);
    const listed = org.checkRuns.find((c) => c.name === NAME && c.head_sha === sha(7))!.output.summary!;
    expect(
      listed
        .split('\n')
        .filter((l) => /^\| \d+ \| acme\/billing \|/.test(l))
        .map((l) => Number(/^\| (\d+) /.exec(l)![1]))
        .sort((a, b) => a - b),
    ).toEqual(changed.map(([, id]) => id).sort((a, b) => a - b));
  });

  it("does not quote the org default's problems on a public repository whose new policy extends it", async () => {
    h.github.serveFile('acme/.github', PATH, INVALID);
    const text = 'version: 1\nextends: org\n';
    const problems = async (ctx: typeof h.ctx, number: number, head: string) => {
      h.github.setPullFiles('acme/shop', number, [{ filename: PATH, status: 'modified' }]);
      h.github.serveFileAt('acme/shop', head, PATH, text);
      expect(await h.deliver(pullRequestEvent(ctx, { action: 'opened', number, headSha: head, author: 'alice' }))).toBe(
        200,
      );
      const run = runsOn(head)[0]!;
      expect(run.conclusion).toBe('failure');
      return run.output.summary!;
    };
    const open = await problems(h.ctx, 45, sha(8));
    expect(open).toContain(
      '- 2 problem(s) in the org default `acme/.github/.github/release-policy.yml`, not shown on this public repository: see that file.',
    );
    expect(open).not.toContain('minAprovals');
    const closed = await problems({ ...h.ctx, private: true }, 46, sha(9));
    expect(closed).toContain('minAprovals');
    expect(closed).not.toContain('not shown on this public repository');
    h.github.serveFile('acme/.github', PATH, seedPolicy(SEED_LIMITS));
  });

  it('does not run a gate when the policy impact check run is re-run', async () => {
    const before = {
      runs: h.repo.checkRuns.length,
      evaluations: (await h.store.listEvaluations({ repo: 'acme/shop' })).length,
    };
    expect(
      await h.deliver(
        checkRunEvent(h.ctx, {
          action: 'rerequested',
          name: NAME,
          headSha: sha(1),
          appSlug: 'release-gate',
          id: runsOn(sha(1))[0]!.id,
          sender: 'alice',
        }),
      ),
    ).toBe(200);
    expect(h.repo.checkRuns.length).toBe(before.runs);
    expect((await h.store.listEvaluations({ repo: 'acme/shop' })).length).toBe(before.evaluations);
  });

  it('sent GitHub only requests its REST description allows', () => {
    expect(h.github.violations).toEqual([]);
  });
});
