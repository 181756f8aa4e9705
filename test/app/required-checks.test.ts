import { afterEach, describe, expect, it } from 'vitest';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { policy } from '../support/policies.js';

/**
 * SECURITY.md T14: a required check counts only from the source the policy names, driven
 * through signed webhooks (protection rule requests) against the fake GitHub.
 */

const SHA = '7'.repeat(40);
const CI = '.github/workflows/ci.yml';

describe('required checks from the sources the policy trusts', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  let next = 3000;
  const ask = async (sha = SHA) => {
    const runId = next++;
    expect(
      await h!.askGate({
        id: next++,
        runId,
        sha,
        ref: 'main',
        environment: 'production',
        creator: 'dev',
        createdAt: h!.clock.now().toISOString(),
      }),
    ).toBe(200);
    // A request that waits for what an earlier one of the commit waited for gets no second report.
    return h!.repo.answers.filter((a) => a.runId === runId).at(-1) ?? { state: undefined, comment: undefined };
  };
  const summary = () => h!.repo.checkRuns.filter((c) => c.name === 'Release gate / PROD').at(-1)!.output.summary!;
  /** A check run `build` on `sha`; a job of workflow run `run` when given (else one a step created). */
  const buildRun = (conclusion: string, run?: number, sha = SHA) => {
    const id = next++;
    h!.repo.checkRuns.push({
      id,
      name: 'build',
      head_sha: sha,
      status: 'completed',
      conclusion,
      app: { slug: 'github-actions' },
      output: {},
    });
    if (run !== undefined)
      h!.repo.workflowJobs[id] = { run_id: run, head_sha: sha, status: 'completed', conclusion: 'success' };
    return id;
  };

  it('does not take a commit status a writer posts for a check the policy names plainly', async () => {
    h = await startHarness({ policy: policy({ PROD: ['requiredChecks: [build]'] }) });
    h.repo.statuses.push({ context: 'build', state: 'success', sha: SHA, creator: 'mallory' });
    const answer = await ask();
    expect(answer.state).toBeUndefined();
    expect(answer.comment).toBe(
      'Release gate: waiting for PROD. CHECKS_PENDING: Waiting for required checks: build (not reported by it; a commit status by mallory does not count).',
    );
    buildRun('success');
    expect((await ask()).state).toBe('approved');
  });

  it('takes a commit status only from the creator the policy names', async () => {
    h = await startHarness({
      policy: policy({ PROD: ['requiredChecks:', '  - { name: ci/jenkins, status: true, creator: jenkins-bot }'] }),
    });
    h.repo.statuses.push({ context: 'ci/jenkins', state: 'failure', sha: SHA, creator: 'jenkins-bot' });
    h.repo.statuses.push({ context: 'ci/jenkins', state: 'success', sha: SHA, creator: 'mallory' });
    const answer = await ask();
    expect(answer.state).toBe('rejected');
    expect(answer.comment).toBe(
      'Release gate: rejected for PROD. CHECKS_FAILED: Required checks failed: ci/jenkins (status by jenkins-bot) (failure).',
    );
    h.repo.statuses.push({ context: 'ci/jenkins', state: 'success', sha: SHA, creator: 'jenkins-bot' });
    expect((await ask()).state).toBe('approved');
  });

  it('takes for a workflow-pinned check only a job of that workflow, run on the release here, with the default branch’s file', async () => {
    h = await startHarness({
      policy: policy({ PROD: ['requiredChecks:', `  - { name: build, workflow: ${CI} }`] }),
    });
    h.repo.files[CI] = 'on: push\njobs: { build: {} }\n';
    h.github.serveFileAt('acme/shop', SHA, CI, h.repo.files[CI]);
    // A step of another workflow creates `build` through the API: GitHub files it under ci.yml's suite, but it is no job.
    const forged = buildRun('success');
    h.repo.checkRuns.at(-1)!.check_suite = { id: 3000 };
    h.repo.workflowRuns[3000] = { id: 300, path: CI, head_sha: SHA };
    let answer = await ask();
    expect(answer.state).toBeUndefined();
    expect(summary()).toContain(
      `The check run "build" ${forged} is no job of a workflow (a step created it through the API), so it does not count for ${CI}.`,
    );
    // A job of another workflow; a job of ci.yml run on a fork's code; a job of ci.yml as the release changed it.
    h.repo.runs[301] = { path: '.github/workflows/other.yml', head_sha: SHA };
    h.repo.runs[302] = { path: CI, head_sha: SHA, headRepository: 'mallory/shop' };
    buildRun('success', 301);
    buildRun('success', 302);
    answer = await ask();
    expect(answer.state).toBeUndefined();
    expect(summary()).toContain('is of .github/workflows/other.yml, which the policy does not name');
    expect(summary()).toContain('ran the code of the fork mallory/shop');
    const changed = '8'.repeat(40);
    h.github.serveFileAt('acme/shop', changed, CI, 'on: push\njobs: { build: { steps: [{ run: "true" }] } }\n');
    h.repo.runs[303] = { path: CI, head_sha: changed };
    buildRun('success', 303, changed);
    expect((await ask(changed)).state).toBeUndefined();
    expect(summary()).toMatch(/\.github\/workflows\/ci\.yml at the release commit is not the default branch's/);
    // The job of ci.yml's own run: it counts.
    h.repo.runs[304] = { path: CI, head_sha: SHA };
    buildRun('success', 304);
    expect((await ask()).state).toBe('approved');
  });
});
