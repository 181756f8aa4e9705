import { afterEach, describe, expect, it } from 'vitest';
import { gatherRecordedFacts, recordLearnedFacts } from '../../src/app/recorded-facts.js';
import type { LearnedFactsWriter, RecordedFactsReader } from '../../src/app/recorded-facts.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import { NO_RECORDED_FACTS, SAME_TREE_CANDIDATES } from '../../src/github/facts.js';
import { startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { checkRunEvent, protectionRuleRequested, pullRequestReviewSubmitted } from '../support/webhooks.js';

const CHECKS = `version: 1
environments:
  - name: PROD
    github: production
    requiredChecks:
      - build
      - { name: security-audit, status: true, creator: auditor }
`;

const REVIEWERS = `version: 1
environments:
  - name: PROD
    github: production
    requiredReviewers:
      - paths: ["prisma/**"]
        teams: [tech-reviewers]
`;

const ORDER = `version: 1
environments:
  - name: DEV
    github: development
  - name: PRE_PROD
    github: staging
`;

const sha = (c: string) => c.repeat(40);

describe('facts the gate reads from GitHub', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    if (h) expect(h.github.violations).toEqual([]);
    await h?.close();
    h = undefined;
  });

  const ask = (runId: number, commit: string, environment = 'production', ref = 'v1.2.0') => {
    h!.repo.pendingRules.add(`${runId}/${environment}`);
    return h!.deliver(
      protectionRuleRequested(h!.ctx, {
        id: 6000 + runId,
        runId,
        sha: commit,
        ref,
        environment,
        creator: 'dev',
        createdAt: h!.clock.now().toISOString(),
      }),
    );
  };
  const answers = (runId: number) => h!.repo.answers.filter((a) => a.runId === runId).map((a) => [a.state, a.comment]);

  it('waits while a required check runs, approves when its check_run.completed arrives, and rejects a failed one', async () => {
    h = await startHarness({ policy: CHECKS });
    const A = sha('1');
    const B = sha('2');
    const run = (name: string, head: string, status: string, conclusion: string | null) => ({
      id: h!.github.newId(),
      name,
      head_sha: head,
      status,
      conclusion,
      app: { slug: 'github-actions' },
      output: {},
    });
    h.repo.checkRuns.push(run('build', A, 'in_progress', null));
    h.repo.statuses.push({ context: 'security-audit', state: 'success', sha: A, creator: 'auditor' });
    expect(await ask(61, A)).toBe(200);
    expect(answers(61)).toEqual([
      [undefined, 'Release gate: waiting for PROD. CHECKS_PENDING: Waiting for required checks: build (in progress).'],
    ]);

    const build = h.repo.checkRuns.find((c) => c.name === 'build' && c.head_sha === A)!;
    build.status = 'completed';
    build.conclusion = 'success';
    expect(
      await h.deliver(
        checkRunEvent(h.ctx, {
          action: 'completed',
          name: 'build',
          headSha: A,
          appSlug: 'github-actions',
          id: build.id,
          sender: 'ci',
        }),
      ),
    ).toBe(200);
    expect(answers(61).at(-1)).toEqual(['approved', 'Release gate: allowed for PROD.']);
    const checkRunReads = h.github.find('GET', new RegExp(`/commits/${A}/check-runs$`));
    // The completed build came with the webhook: check runs are not read again.
    expect(checkRunReads.length).toBe(1);

    h.repo.checkRuns.push(run('build', B, 'completed', 'failure'));
    h.repo.statuses.push({ context: 'security-audit', state: 'success', sha: B, creator: 'auditor' });
    expect(await ask(62, B)).toBe(200);
    expect(answers(62)).toEqual([
      ['rejected', 'Release gate: rejected for PROD. CHECKS_FAILED: Required checks failed: build (failure).'],
    ]);
  });

  it('reads the files changed since the last PROD deployment and waits for a tech-reviewers member on a prisma/** change', async () => {
    h = await startHarness({ policy: REVIEWERS });
    const OLD = sha('3');
    const NEW = sha('4');
    const DOCS = sha('5');
    // The last PROD deployment, as the App recorded it.
    await h.store.recordDeployment({
      id: 640,
      repo: 'acme/shop',
      sha: OLD,
      ref: 'v1.1.0',
      environment: 'production',
      createdAt: new Date('2026-03-09T10:00:00Z'),
    });
    await h.store.approveDeployment(640, {
      via: 'protection-rule',
      at: new Date('2026-03-09T10:01:00Z'),
      stage: 'PROD',
      environment: 'production',
      runId: 639,
    });
    await h.store.recordDeploymentStatus({
      id: 641,
      deploymentId: 640,
      state: 'success',
      at: new Date('2026-03-09T10:05:00Z'),
    });
    await h.store.proveDeployment(640, new Date('2026-03-09T10:05:00Z'));
    h.repo.compare[`${OLD}...${NEW}`] = ['prisma/schema.prisma', 'src/shop.ts'];
    h.repo.compare[`${OLD}...${DOCS}`] = ['README.md'];
    h.repo.pulls.push({ number: 12, user: 'author', headSha: NEW, headRef: 'feature', commits: [NEW] });
    h.github.teams.set('acme', { 'tech-reviewers': ['tina'] });

    expect(await ask(63, NEW)).toBe(200);
    expect(h.github.find('GET', new RegExp(`/compare/${OLD}\\.\\.\\.${NEW}$`))).toHaveLength(1);
    expect(answers(63)).toEqual([
      [
        undefined,
        'Release gate: waiting for PROD. REVIEW_REQUIRED: Needs 1 of tech-reviewers: prisma/schema.prisma changed.',
      ],
    ]);

    // An approval from someone outside the team does not count; tina's does.
    h.repo.reviews[12] = [
      { id: 1, user: 'bob', state: 'APPROVED', commit_id: NEW, submitted_at: '2026-03-10T15:01:00Z' },
    ];
    await h.deliver(
      pullRequestReviewSubmitted(h.ctx, {
        pull: 12,
        headSha: NEW,
        author: 'author',
        reviewer: 'bob',
        state: 'approved',
        at: '2026-03-10T15:01:00Z',
        reviewId: 1,
      }),
    );
    expect(answers(63).filter(([state]) => state)).toEqual([]);
    h.repo.reviews[12].push({
      id: 2,
      user: 'tina',
      state: 'APPROVED',
      commit_id: NEW,
      submitted_at: '2026-03-10T15:02:00Z',
    });
    await h.deliver(
      pullRequestReviewSubmitted(h.ctx, {
        pull: 12,
        headSha: NEW,
        author: 'author',
        reviewer: 'tina',
        state: 'approved',
        at: '2026-03-10T15:02:00Z',
        reviewId: 2,
      }),
    );
    expect(answers(63).at(-1)).toEqual(['approved', 'Release gate: allowed for PROD.']);

    // A change outside prisma/** needs no technical review.
    expect(await ask(64, DOCS)).toBe(200);
    expect(answers(64)).toEqual([['approved', 'Release gate: allowed for PROD.']]);
  });

  // SECURITY.md I1: a stage is proven only by a deployment the gate let through.
  it('does not take a deployment GitHub has but the gate never judged (made before the App was installed) for proof, and says so', async () => {
    h = await startHarness({ policy: ORDER });
    const C = sha('6');
    // Deployed to DEV before the App was installed: GitHub knows, the store does not.
    h.repo.deployments.push({
      id: 650,
      sha: C,
      ref: 'main',
      environment: 'development',
      payload: {},
      creator: 'dev',
      created_at: '2026-03-09T09:00:00Z',
    });
    h.repo.deploymentStatuses.push({ id: 651, deploymentId: 650, state: 'success', creator: 'dev' });

    expect(await ask(65, C, 'staging', 'main')).toBe(200);
    expect(answers(65)).toEqual([
      [
        'rejected',
        'Release gate: rejected for PRE_PROD. PROMOTION_ORDER: PRE_PROD needs a successful deployment of this release (6666666) to DEV first: no stage may be skipped.',
      ],
    ]);
    expect(h.github.find('GET', /\/deployments$/).map((r) => r.query.get('sha'))).toEqual([C]);
    expect(h.github.find('GET', /\/deployments\/650\/statuses$/)).toHaveLength(0);
    const check = h.repo.checkRuns.find((c) => c.name === 'Release gate / PRE_PROD' && c.head_sha === C)!;
    expect(check.output.summary).toContain(
      'GitHub has 1 deployment(s) of this commit to DEV that the gate never judged (made before the App was installed, or while it missed their event): they prove nothing. Deploy the release to DEV again through the gate.',
    );
  });
});

describe('facts the App gathers from its record for the GitHub loader', () => {
  const policyOf = (text: string) => {
    const loaded = loadPolicy(text, 'release-policy.yml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
    return loaded.policy;
  };
  const at = new Date('2026-03-10T12:00:00Z');
  /** A recorded deployment to DEV the gate let through, proven when it succeeded. */
  const deployment = (commit: string, state: string | null) => ({
    id: 1,
    repo: 'acme/shop',
    sha: commit,
    ref: null,
    environment: 'development',
    stage: 'DEV',
    creator: 'dev',
    createdAt: at,
    payload: null,
    byApp: false,
    latestState: state,
    latestStateAt: at,
    approvedVia: 'protection-rule' as const,
    approvedAt: at,
    approvedStage: 'DEV',
    approvedEnvironment: 'development',
    approvedRunId: 9,
    provenAt: state === 'success' ? at : null,
    legacySuccessAt: null,
  });

  /** A record that answers with `rows` and notes which reads were made. */
  const record = (
    rows: { own?: ReturnType<typeof deployment>[]; candidates?: ReturnType<typeof deployment>[] } = {},
  ) => {
    const reads: string[] = [];
    const store: RecordedFactsReader = {
      listOverrides: async () => (reads.push('overrides'), []),
      listApprovals: async () => (reads.push('approvals'), []),
      listDeployments: async () => (reads.push('deployments'), rows.own ?? []),
      recentProvenDeployments: async (q) => (reads.push(`proofs:${q.limit}`), rows.candidates ?? []),
      releaseTrees: async (_repo, shas) => (reads.push(`trees:${shas.length}`), new Map()),
      listCommitChecks: async () => (reads.push('checks'), []),
    };
    return { store, reads };
  };
  const request = (environment: string) => ({ owner: 'acme', repo: 'shop', sha: sha('a'), environment });

  it('reads nothing for an environment the policy does not gate', async () => {
    const { store, reads } = record();
    expect(await gatherRecordedFacts(store, policyOf(ORDER), request('qa'))).toBe(NO_RECORDED_FACTS);
    expect(reads).toEqual([]);
  });

  it("reads same-tree candidates only when none of the commit's own deployments proves the stage before", async () => {
    const succeeded = record({ own: [deployment(sha('a'), 'success')] });
    const recorded = await gatherRecordedFacts(succeeded.store, policyOf(ORDER), request('staging'));
    expect(succeeded.reads).toEqual(['overrides', 'deployments']);
    expect(recorded.predecessorDeployments).toHaveLength(1);

    const failed = record({
      own: [deployment(sha('a'), 'failure')],
      candidates: [deployment(sha('b'), 'success'), deployment(sha('b'), 'success'), deployment(sha('c'), 'success')],
    });
    const other = await gatherRecordedFacts(failed.store, policyOf(ORDER), request('staging'));
    expect(failed.reads).toEqual(['overrides', 'deployments', `proofs:${SAME_TREE_CANDIDATES}`, 'trees:2']);
    expect(other.sameTreeCandidates).toHaveLength(3);
  });

  it("reads the recorded checks and the last stage's previous proof only for stages whose rules read them", async () => {
    const checks = record();
    await gatherRecordedFacts(checks.store, policyOf(CHECKS), request('production'));
    expect(checks.reads).toEqual(['overrides', 'checks']);
    const reviewers = record({ candidates: [deployment(sha('d'), 'success')] });
    const recorded = await gatherRecordedFacts(reviewers.store, policyOf(REVIEWERS), request('production'));
    expect(reviewers.reads).toEqual(['overrides', 'approvals', 'proofs:1']);
    expect(recorded.lastStageSha).toBe(sha('d'));
  });

  it('writes back the trees and the pull requests the loader learned from GitHub', async () => {
    const writes: unknown[] = [];
    const store: LearnedFactsWriter = {
      upsertRelease: async (input) => (
        writes.push(['release', input]),
        {
          id: 1,
          repo: input.repo,
          sha: input.sha,
          tree: input.tree ?? null,
          ref: null,
          version: null,
          tag: null,
          createdAt: at,
          updatedAt: at,
        }
      ),
      linkReleasePulls: async (list, when) => void writes.push(['pulls', list, when]),
    };
    const loaded = {
      facts: {
        environment: 'production',
        sha: sha('a'),
        approvals: [],
        deployments: [],
        evidence: { score: null, breakdown: {}, present: [] },
        checks: [],
        teams: {},
        overrides: [],
      },
      pulls: [
        {
          number: 7,
          author: 'dev',
          title: '',
          body: '',
          headSha: sha('e'),
          merged: true,
          becameRelease: true,
          firstCommitAt: '2026-03-01T10:00:00.000Z',
        },
      ],
      evidenceCheck: null,
      notes: [],
      needed: [],
      learnedTrees: [{ sha: sha('b'), tree: sha('f') }],
    };
    await recordLearnedFacts(store, request('production'), loaded, at);
    expect(writes).toEqual([
      ['release', { repo: 'acme/shop', sha: sha('b'), tree: sha('f'), at: new Date(0) }],
      [
        'pulls',
        [
          {
            repo: 'acme/shop',
            sha: sha('a'),
            pullNumber: 7,
            headSha: sha('e'),
            // Where lead time for changes starts (the earliest author date of the PR's commits).
            firstCommitAt: new Date('2026-03-01T10:00:00.000Z'),
          },
        ],
        at,
      ],
    ]);
    writes.length = 0;
    await recordLearnedFacts(store, request('production'), { ...loaded, pulls: [], learnedTrees: [] }, at);
    expect(writes).toEqual([]);
  });
});
