import { afterEach, describe, expect, it } from 'vitest';
import { evidenceCounts, renderEvidenceBlock } from '../../src/core/evidence-block.js';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { evidenceScoring } from '../support/evidence.js';
import { deploymentCreated, deploymentStatusCreated, protectionRuleRequested } from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';
import { PIPELINE } from '../support/policies.js';

/**
 * The gate tried as someone with write access would: each attack is reproduced through
 * Probot with signed webhooks and the fake GitHub, and each test names the paragraph of the
 * trust model (SECURITY.md) it holds.
 */

const sha = (c: string) => c.repeat(40);
const SHA = sha('5');

describe('a gate nobody can walk around', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  let next = 9000;
  const spec = (
    environment: string,
    creator = 'ci',
    ref = 'main',
    extra: Partial<DeploymentSpec> = {},
  ): DeploymentSpec => ({
    id: next++,
    sha: SHA,
    ref,
    environment,
    creator,
    createdAt: h!.clock.now().toISOString(),
    ...extra,
  });
  const ask = async (d: DeploymentSpec, runId = next++) => {
    expect(await h!.askGate({ ...d, runId })).toBe(200);
    return h!.repo.answers.filter((a) => a.runId === runId);
  };
  const status = (d: DeploymentSpec, state: string, creator?: string) =>
    h!.deliver(
      deploymentStatusCreated(h!.ctx, d, {
        id: next++,
        state,
        at: h!.clock.now().toISOString(),
        ...(creator ? { creator } : {}),
      }),
    );

  // SECURITY.md T7: single-use overrides are spent atomically.
  it('lets a single-use override through once when five requests for the commit arrive together', async () => {
    h = await startHarness({
      policy: `version: 1\nenvironments:\n  - name: PROD\n    github: production\n    minApprovals: 1\noverrides:\n  teams: [release-managers]\n  secondApprover: false\n`,
    });
    h.github.teams.set('acme', { 'release-managers': ['maria'] });
    await h.store.createOverride({
      repo: 'acme/shop',
      sha: SHA,
      environment: 'PROD',
      rules: [],
      grantedBy: 'maria',
      reason: 'hotfix',
      risk: 'low',
      grantedAt: h.clock.now(),
    });
    const runs = [1, 2, 3, 4, 5];
    for (const r of runs) h.repo.pendingRules.add(`${r}/production`);
    const statuses = await Promise.all(
      runs.map((r) => h!.deliver(protectionRuleRequested(h!.ctx, { ...spec('production'), runId: r }))),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const approved = h.repo.answers.filter((a) => a.state === 'approved');
    expect(approved).toHaveLength(1);
    // The others wait for what the override would have lifted.
    expect(h.repo.answers.filter((a) => a.state === 'rejected')).toHaveLength(0);
    expect(await h.store.listPendingGates({ repo: 'acme/shop', status: 'pending' })).toHaveLength(4);
    const [override] = await h.store.listOverrides({ repo: 'acme/shop', sha: SHA });
    expect(override!.usedAt).not.toBeNull();
  });

  // SECURITY.md T2: the App's own deployments are recognised by their creator.
  // SECURITY.md T13: a payload key anyone can write is never trusted.
  it('does not take a deployment for one of its own because of a payload key, and a success after its failure proves nothing', async () => {
    h = await startHarness({ policy: PIPELINE });
    const forged = spec('staging', 'mallory', 'main', { payload: { releaseGate: {} } });
    expect(await h.deliver(deploymentCreated(h.ctx, forged))).toBe(200);
    expect(h.repo.deploymentStatuses.filter((s) => s.deploymentId === forged.id).map((s) => s.state)).toEqual([
      'failure',
    ]);
    // The one who created it posts success afterwards: it becomes GitHub's latest state, not the gate's fact.
    expect(await status(forged, 'success')).toBe(200);
    const prod = await ask(spec('production'));
    expect(prod.map((a) => a.state)).toEqual(['rejected']);
    expect(prod[0]!.comment).toMatch(
      /PROMOTION_ORDER: PROD needs a successful deployment of this release \(5555555\) to PRE_PROD first/,
    );
  });

  // SECURITY.md T3: a deployment's state comes from statuses set by those allowed to set them.
  it("ignores a success status set by someone other than the deployment's creator, and starts the soak at the trusted success", async () => {
    h = await startHarness({
      policy: PIPELINE.replace('    github: staging\n', '    github: staging\n    soak:\n      minutes: 60\n'),
      now: '2026-03-10T10:00:00Z',
    });
    const dev = spec('development', 'ci');
    const devAnswer = await ask(dev);
    expect(devAnswer.map((a) => a.state)).toEqual(['approved']);
    expect(await status(dev, 'success', 'mallory')).toBe(200); // 10:00, not the deployer
    expect((await ask(spec('staging'))).map((a) => a.state)).toEqual(['rejected']);
    h.clock.set('2026-03-10T14:30:00Z');
    expect(await status(dev, 'success')).toBe(200); // 14:30, by ci who deployed it
    h.clock.set('2026-03-10T15:00:00Z');
    const staging = await ask(spec('staging'));
    expect(staging.map((a) => a.state)).toEqual([undefined]);
    expect(staging[0]!.comment).toContain(
      'SOAK_INCOMPLETE: The release must run in DEV for 60 minute(s); 30 minute(s) left, until 2026-03-10T15:30:00.000Z.',
    );
  });

  // SECURITY.md T4: short refs are resolved on GitHub before matching tag patterns.
  it('takes a short ref for a tag only when GitHub has that tag on the release commit and no branch of the name', async () => {
    h = await startHarness({
      policy: `version: 1\nenvironments:\n  - name: PROD\n    github: production\n    refs: ["refs/tags/v*"]\n`,
    });
    h.repo.refs['heads/v9.9.9-evil'] = SHA;
    h.repo.refs['tags/v1.0.0'] = SHA;
    h.repo.refs['tags/v2.0.0'] = sha('6');
    h.repo.refs['tags/v3.0.0'] = SHA;
    h.repo.refs['heads/v3.0.0'] = SHA;
    const verdict = async (ref: string) => (await ask(spec('production', 'ci', ref)))[0]!;
    expect((await verdict('v9.9.9-evil')).comment).toMatch(
      /^Release gate: rejected for PROD\. REF_NOT_ALLOWED: Ref refs\/heads\/v9\.9\.9-evil may not be deployed/,
    );
    expect((await verdict('v1.0.0')).state).toBe('approved');
    expect((await verdict('refs/tags/v1.0.0')).state).toBe('approved');
    expect((await verdict('v2.0.0')).state).toBe('rejected'); // a tag of another commit
    expect((await verdict('refs/tags/v2.0.0')).state).toBe('rejected');
    expect((await verdict('v3.0.0')).state).toBe('rejected'); // a branch and a tag: ambiguous
    const summary = h.repo.checkRuns.filter((c) => c.name === 'Release gate / PROD').at(-1)!.output.summary!;
    expect(summary).toContain('Ref v3.0.0 names both a branch and a tag: it is ambiguous and is not taken for either.');
  });

  // SECURITY.md T5: evidence is recomputed by the App, from allowed workflows.
  it("scores the evidence itself under the default branch's policy: the Action's own score is shown, never used", async () => {
    h = await startHarness({
      policy: `version: 1\nenvironments:\n  - name: PROD\n    github: production\n    minScore: 70\nscoring:\n  tests: 40\n  coverage: 20\n  security: 20\n  checklist: 20\n`,
    });
    // The reports score 40 under these weights; a PR's copy of the policy made the Action say 100.
    const counts = evidenceCounts(evidenceScoring(40));
    h.repo.checkRuns.push({
      id: 1,
      name: 'Release evidence',
      head_sha: SHA,
      status: 'completed',
      conclusion: 'success',
      app: { slug: 'github-actions' },
      output: {
        text: renderEvidenceBlock({ version: 1, score: 100, breakdown: {}, present: ['tests'], digests: {}, counts }),
      },
    });
    const answer = (await ask(spec('production')))[0]!;
    expect(answer.state).toBe('rejected');
    expect(answer.comment).toContain('SCORE_TOO_LOW: Score 40 < minScore 70 required for PROD.');
    const summary = h.repo.checkRuns.filter((c) => c.name === 'Release gate / PROD').at(-1)!.output.summary!;
    expect(summary).toContain(
      "The Action reported a score of 100; under the default branch's policy the evidence scores 40, which is what counts.",
    );

    // A block with a score and no counts: nothing the App can score, so no evidence.
    const other = sha('7');
    h.repo.checkRuns.push({
      id: 2,
      name: 'Release evidence',
      head_sha: other,
      status: 'completed',
      conclusion: 'success',
      app: { slug: 'github-actions' },
      output: { text: renderEvidenceBlock({ version: 1, score: 100, breakdown: {}, present: ['tests'], digests: {} }) },
    });
    const second = (await ask({ ...spec('production'), sha: other }))[0]!;
    expect(second.comment).toContain('EVIDENCE_MISSING');
  });

  // SECURITY.md T5: evidence is recomputed by the App, from allowed workflows.
  it("takes evidence only from a workflow run the policy names, of the release here, whose file is the default branch's", async () => {
    h = await startHarness({
      policy: `version: 1\nenvironments:\n  - name: PROD\n    github: production\n    minScore: 70\nscoring:\n  tests: 40\n  coverage: 20\n  security: 20\n  checklist: 20\nevidence:\n  workflows: [.github/workflows/ci.yml]\n`,
    });
    const ci = '.github/workflows/ci.yml';
    h.repo.files[ci] = 'on: push\njobs: {}\n';
    h.github.serveFileAt('acme/shop', SHA, ci, h.repo.files[ci]);
    let nextRun = 1;
    /** A `Release evidence` check run whose block names workflow run `run`, filed by GitHub under `suite`. */
    const evidenceRun = (run: number | null, sha = SHA, suite = 500) => {
      const text = renderEvidenceBlock({
        version: 1,
        score: 90,
        breakdown: {},
        present: ['tests'],
        digests: {},
        counts: evidenceCounts(evidenceScoring(90)),
        ...(run === null ? {} : { run: { id: run } }),
      });
      const id = nextRun++;
      h!.repo.checkRuns.push({
        id,
        name: 'Release evidence',
        head_sha: sha,
        status: 'completed',
        conclusion: 'success',
        app: { slug: 'github-actions' },
        output: { text },
        check_suite: { id: suite },
      });
      return id;
    };
    const summaryOf = (sha = SHA) =>
      h!.repo.checkRuns.filter((c) => c.name === 'Release gate / PROD' && c.head_sha === sha).at(-1)!.output.summary!;
    // GitHub files a check run made with GITHUB_TOKEN under the commit's first workflow run:
    // here ci.yml's, whichever workflow made it. The suite says nothing of its origin.
    h.repo.workflowRuns[500] = { id: 300, path: ci, head_sha: SHA };
    h.repo.runs[300] = { path: ci, head_sha: SHA };
    h.repo.runs[301] = { path: '.github/workflows/other.yml', head_sha: SHA };
    const other = evidenceRun(301);
    expect((await ask(spec('production')))[0]!.comment).toContain('EVIDENCE_MISSING');
    expect(summaryOf()).toContain(
      `Ignored the "Release evidence" check run ${other}: workflow run 301 is of .github/workflows/other.yml, which the policy does not name (.github/workflows/ci.yml).`,
    );
    // Evidence without a run id (an older Action) cannot be traced.
    const old = evidenceRun(null);
    expect((await ask(spec('production')))[0]!.comment).toContain('EVIDENCE_MISSING');
    expect(summaryOf()).toContain(
      `Ignored the "Release evidence" check run ${old}: its evidence names no workflow run`,
    );

    // ci.yml as the release changed it; ci.yml run on a fork's code.
    const changed = sha('8');
    h.github.serveFileAt('acme/shop', changed, ci, 'on: push\njobs: { fake: {} }\n');
    h.repo.runs[302] = { path: ci, head_sha: changed };
    evidenceRun(302, changed);
    expect((await ask({ ...spec('production'), sha: changed }))[0]!.comment).toContain('EVIDENCE_MISSING');
    expect(summaryOf(changed)).toMatch(
      /\.github\/workflows\/ci\.yml at the release commit is not the default branch's/,
    );
    const forked = sha('9');
    h.github.serveFileAt('acme/shop', forked, ci, h.repo.files[ci]);
    h.repo.runs[303] = { path: ci, head_sha: forked, headRepository: 'mallory/shop' };
    evidenceRun(303, forked);
    expect((await ask({ ...spec('production'), sha: forked }))[0]!.comment).toContain('EVIDENCE_MISSING');
    expect(summaryOf(forked)).toContain('workflow run 303 ran the code of the fork mallory/shop');

    // ci.yml's own run, its evidence filed under other.yml's suite: accepted, scored by the App.
    h.repo.workflowRuns[501] = { id: 301, path: '.github/workflows/other.yml', head_sha: SHA };
    evidenceRun(300, SHA, 501);
    expect((await ask(spec('production')))[0]!.state).toBe('approved');
    // Another workflow then writes ci.yml's run id into evidence of its own: two claims of one run, neither counts.
    const forged = evidenceRun(300);
    expect((await ask(spec('production')))[0]!.comment).toContain('EVIDENCE_MISSING');
    expect(summaryOf()).toContain(
      `Ignored the "Release evidence" check run ${forged}: more than one evidence check run claims workflow run 300`,
    );
  });

  // SECURITY.md T9: contributors cannot approve their own release.
  it("does not count the approval of someone who authored commits in the release's pull request", async () => {
    h = await startHarness({
      policy: `version: 1\nenvironments:\n  - name: PROD\n    github: production\n    minApprovals: 1\n`,
    });
    h.repo.pulls.push({
      number: 7,
      user: 'author',
      headSha: SHA,
      headRef: 'feature',
      commits: [sha('4'), SHA],
      commitAuthors: { [sha('4')]: 'bob' },
    });
    h.repo.reviews[7] = [
      { id: 1, user: 'bob', state: 'APPROVED', commit_id: SHA, submitted_at: '2026-03-10T10:00:00Z' },
    ];
    const first = await ask(spec('production'));
    expect(first.map((a) => a.state)).toEqual([undefined]);
    const summary = h.repo.checkRuns.filter((c) => c.name === 'Release gate / PROD').at(-1)!.output.summary!;
    expect(summary).toContain('contributor to the release (authored a pull request or commits in it)');
    h.repo.reviews[7].push({
      id: 2,
      user: 'carol',
      state: 'APPROVED',
      commit_id: SHA,
      submitted_at: '2026-03-10T11:00:00Z',
    });
    expect((await ask(spec('production'))).map((a) => a.state)).toEqual(['approved']);
  });
});
