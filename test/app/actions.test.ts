import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_APP_ID } from '../support/app-harness.js';
import { deploymentStatusCreated, issueCommentCreated, pullRequestReviewSubmitted } from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';
import { IN_DEV, PROD_RUN, sha, startConsoleHarness, WAITING } from '../console/harness.js';
import type { ConsoleHarness, Person } from '../console/harness.js';
import { overrides, policy } from '../support/policies.js';

/*
 * The actions people take (approve, reject, override and confirm, promote) are one module
 * used by the console and by the `/release-gate` comment commands: each behaviour is tried
 * through both, the console through its API, the commands through signed webhooks.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field and checked by the assertions
type Json = Record<string, any>;
const json = async (r: Response): Promise<Json> => (await r.json()) as Json;
const REPO = 'acme/shop';

/** Releases of these tests: each in PRE_PROD, with a pull request of its own. */
const PROMOTED = sha('c');
const APP_MADE = sha('d');
const LOWER = sha('e');
const REJECTED = sha('f');
const COMMANDED = sha('9');
const PULL: Record<string, number> = {
  [IN_DEV]: 2,
  [PROMOTED]: 3,
  [APP_MADE]: 4,
  [LOWER]: 5,
  [REJECTED]: 6,
  [COMMANDED]: 7,
};

describe('one action module: the console and the comment commands act alike', () => {
  let h: ConsoleHarness;
  let nextId = 20_000;

  /** A deployment of `commit` to `environment` asked for by `creator`, let through by the gate and succeeded. */
  async function deployed(commit: string, environment: string, creator = 'deployer'): Promise<void> {
    const d: DeploymentSpec = {
      id: nextId++,
      sha: commit,
      ref: 'v2.0.0',
      environment,
      creator,
      createdAt: h.clock.now().toISOString(),
    };
    expect(await h.askGate({ ...d, runId: nextId++ })).toBe(200);
    expect(
      await h.deliver(
        deploymentStatusCreated(h.ctx, d, { id: nextId++, state: 'success', at: h.clock.now().toISOString() }),
      ),
    ).toBe(200);
    h.clock.advance(60_000);
  }

  const act = (person: Person, commit: string, action: string, body: Json = {}) =>
    h.call(`/api/v1/repos/${REPO}/releases/${commit}/${action}`, { token: h.tokens[person], body });

  /** Comments on the release's pull request as `author`; returns the App's reply. */
  async function comment(author: string, commit: string, body: string): Promise<string> {
    const before = h.repo.comments.length;
    const d = issueCommentCreated(h.ctx, { issue: PULL[commit]!, author, body, commentId: nextId++ });
    expect(await h.deliver(d)).toBe(200);
    expect(h.repo.comments.length).toBe(before + 1);
    return h.repo.comments.at(-1)!.body;
  }

  beforeAll(async () => {
    h = await startConsoleHarness();
    for (const [commit, number] of Object.entries(PULL))
      h.repo.pulls.push({ number, user: 'erin', headSha: commit, headRef: `topic-${number}`, commits: [commit] });
    for (const commit of [PROMOTED, APP_MADE, LOWER, REJECTED, COMMANDED]) {
      await deployed(commit, 'development');
      await deployed(commit, 'staging');
    }
  });
  afterAll(async () => h?.close());

  // SECURITY.md T9: the person who asked is the deployer, and their approval does not count.
  it('a writer who promotes in the console is its deployer: the promotion is held, their own approval is refused, and another approval deploys it', async () => {
    const promote = await act('bob', PROMOTED, 'promote', { stage: 'PROD' });
    expect(promote.status).toBe(200);
    expect(await json(promote)).toMatchObject({
      outcome: 'done',
      message: expect.stringMatching(
        /^The promotion of ccccccc to PROD is held: the gate waits for APPROVAL_REQUIRED\./,
      ),
      stage: 'PROD',
      environment: 'production',
      gateDecision: 'wait',
      deploymentId: null,
      waitingFor: ['APPROVAL_REQUIRED'],
      by: 'bob',
    });
    // The App deploys only what its gate allows: nothing yet.
    expect(h.repo.deployments.filter((d) => d.sha === PROMOTED)).toEqual([]);

    const own = await act('bob', PROMOTED, 'approve');
    expect(own.status).toBe(422);
    expect((await json(own)).error).toEqual({
      code: 'deployer',
      message: 'Your approval would not count for PROD: deployer of the release (approvals.excludeAuthor).',
    });
    expect(await h.store.listApprovals({ repo: REPO, sha: PROMOTED })).toEqual([]);

    const ada = await act('ada', PROMOTED, 'approve');
    expect(ada.status).toBe(200);
    expect(await json(ada)).toMatchObject({ outcome: 'done', approved: ['production'], promotions: 1 });
    const created = h.repo.deployments.filter((d) => d.sha === PROMOTED);
    expect(created).toEqual([
      expect.objectContaining({
        environment: 'production',
        creator: 'release-gate[bot]',
        payload: { releaseGate: expect.objectContaining({ stage: 'PROD', promotedBy: 'bob', deployer: 'bob' }) },
      }),
    ]);
    const [d] = created;
    // GitHub asks the gate about the App's deployment: the request names bob, not the App, as its deployer.
    const spec = {
      id: d!.id,
      sha: PROMOTED,
      ref: PROMOTED,
      environment: 'production',
      creator: 'release-gate[bot]',
      createdAt: d!.created_at,
      appId: TEST_APP_ID,
      payload: d!.payload as Json,
    };
    expect(await h.askGate({ ...spec, runId: nextId++ })).toBe(200);
    expect(h.repo.answers.at(-1)).toMatchObject({ state: 'approved' });
    const last = (await h.store.listEvaluations({ repo: REPO, sha: PROMOTED, environment: 'production' })).at(-1)!;
    expect((last.inputs as Json).facts.deployer).toBe('bob');
    expect(last.actor).toBe('release-gate[bot]');
    const promote2 = (await h.store.timeline({ repo: REPO, sha: PROMOTED })).filter((e) => e.type === 'PROMOTE');
    expect(promote2.map((e) => [e.actor, e.status])).toEqual([['bob', 'console']]);
  });

  // SECURITY.md T9: the same with a comment.
  it('a writer who promotes with a comment is its deployer too: held, their approval refused, asked again unchanged', async () => {
    expect(await comment('bob', COMMANDED, '/release-gate promote PROD')).toMatch(
      /^@bob The promotion of 9999999 to PROD is held: the gate waits for APPROVAL_REQUIRED\. The deployment is created when it allows, by .* at the latest\.$/,
    );
    expect(await h.store.listPromotions({ repo: REPO, sha: COMMANDED })).toEqual([
      expect.objectContaining({
        status: 'pending',
        deployer: 'bob',
        requestedVia: 'command',
        environment: 'production',
      }),
    ]);
    expect(await comment('bob', COMMANDED, '/release-gate approve')).toBe(
      '@bob Your approval would not count for PROD: deployer of the release (approvals.excludeAuthor).',
    );
    expect(await comment('ada', COMMANDED, '/release-gate promote PROD')).toMatch(
      /^@ada bob asked for the promotion of 9999999 to PROD already \(.*\): it is held, waiting for APPROVAL_REQUIRED, and deploys when the gate allows it\.$/,
    );
    expect(h.repo.deployments.filter((d) => d.sha === COMMANDED)).toEqual([]);
    const maria = await act('maria', COMMANDED, 'approve');
    expect(await json(maria)).toMatchObject({ outcome: 'done', promotions: 1 });
    expect(h.repo.deployments.filter((d) => d.sha === COMMANDED)).toEqual([
      expect.objectContaining({
        environment: 'production',
        payload: { releaseGate: expect.objectContaining({ deployer: 'bob', promotedBy: 'bob' }) },
      }),
    ]);
    const promote = (await h.store.timeline({ repo: REPO, sha: COMMANDED })).filter((e) => e.type === 'PROMOTE');
    expect(promote.map((e) => [e.actor, e.status])).toEqual([['bob', 'command']]);
  });

  // SECURITY.md T9, T2: only the App's own deployments name a deployer in their payload.
  it('a deployment the App made for a person waits at the protection rule: their approval counts on no front end, nor their review of the pull request', async () => {
    // As an App of an earlier version made it: its payload names who asked (promotedBy).
    const spec = {
      id: nextId++,
      sha: APP_MADE,
      ref: APP_MADE,
      environment: 'production',
      creator: 'release-gate[bot]',
      createdAt: h.clock.now().toISOString(),
      appId: TEST_APP_ID,
      payload: { releaseGate: { promotedBy: 'bob', stage: 'PROD', sha: APP_MADE } },
    };
    const runId = nextId++;
    expect(await h.askGate({ ...spec, runId })).toBe(200);
    const refusal = 'Your approval would not count for PROD: deployer of the release (approvals.excludeAuthor).';
    const console_ = await act('bob', APP_MADE, 'approve', { environment: 'PROD' });
    expect(console_.status).toBe(422);
    expect((await json(console_)).error.message).toBe(refusal);
    expect(await comment('bob', APP_MADE, '/release-gate approve PROD')).toBe(`@bob ${refusal}`);
    // Approving the pull request on GitHub does not count either.
    (h.repo.reviews[PULL[APP_MADE]!] ??= []).push({
      id: 77,
      user: 'bob',
      state: 'APPROVED',
      commit_id: APP_MADE,
      submitted_at: h.clock.now().toISOString(),
    });
    await h.deliver(
      pullRequestReviewSubmitted(h.ctx, {
        pull: PULL[APP_MADE]!,
        headSha: APP_MADE,
        author: 'erin',
        reviewer: 'bob',
        state: 'approved',
        at: h.clock.now().toISOString(),
        reviewId: 77,
      }),
    );
    expect(h.repo.answers.filter((a) => a.runId === runId && a.state)).toEqual([]);
    const view = await json(await h.call(`/api/v1/repos/${REPO}/releases/${APP_MADE}`, { token: h.tokens.bob }));
    expect(view.decisions[0].approvals.notCounted).toEqual([
      { login: 'bob', source: 'pr-review', reason: 'deployer of the release' },
    ]);
    expect(view.actions.approve).toMatchObject({ allowed: false, counts: false, reason: refusal });
    // Someone else's approval, given with a comment, counts and lets it through.
    expect(await comment('ada', APP_MADE, '/release-gate approve')).toBe(
      '@ada Approved ddddddd for production (production: approved).',
    );
    expect(h.repo.answers.filter((a) => a.runId === runId && a.state).map((a) => a.state)).toEqual(['approved']);
  });

  it('refuses to skip a stage on both front ends, and says where the release may go next', async () => {
    const message = 'bbbbbbb can be promoted to PRE_PROD next, not PROD: stages are not skipped.';
    const r = await act('bob', IN_DEV, 'promote', { stage: 'PROD' });
    expect(r.status).toBe(409);
    expect((await json(r)).error).toEqual({ code: 'promotion_order', message });
    expect(await comment('bob', IN_DEV, '/release-gate promote PROD')).toBe(`@bob ${message}`);
    // Nothing was asked of the gate for PROD.
    expect(await h.store.listEvaluations({ repo: REPO, sha: IN_DEV, environment: 'production' })).toEqual([]);
  });

  it('promotes once however often it is asked: at once, again in a comment, and again only after its deployment failed', async () => {
    const [a, b] = await Promise.all([
      act('bob', IN_DEV, 'promote', { stage: 'PRE_PROD' }),
      act('ada', IN_DEV, 'promote', { stage: 'PRE_PROD' }),
    ]);
    const answers = [await json(a), await json(b)];
    expect(answers.map((x) => x.outcome).sort()).toEqual(['done', 'unchanged']);
    const first = h.repo.deployments.filter((d) => d.sha === IN_DEV && d.environment === 'staging');
    expect(first).toHaveLength(1);
    const done = answers.find((x) => x.outcome === 'done')!;
    expect(done).toMatchObject({ deploymentId: first[0]!.id, gateDecision: 'allow', stage: 'PRE_PROD' });
    expect(await comment('maria', IN_DEV, '/release-gate promote PRE_PROD')).toMatch(
      new RegExp(
        `^@maria (bob|ada) asked for the promotion of bbbbbbb to PRE_PROD already \\(.*\\): deployment ${first[0]!.id} was created\\.$`,
      ),
    );
    expect(h.repo.deployments.filter((d) => d.sha === IN_DEV && d.environment === 'staging')).toHaveLength(1);
    // Its deployment fails (the App's own status): asking again deploys again.
    const d = first[0]!;
    const spec = {
      id: d.id,
      sha: IN_DEV,
      ref: d.ref,
      environment: 'staging',
      creator: 'release-gate[bot]',
      createdAt: d.created_at,
      appId: TEST_APP_ID,
      payload: d.payload as Json,
    };
    expect(
      await h.deliver(
        deploymentStatusCreated(h.ctx, spec, { id: nextId++, state: 'failure', at: h.clock.now().toISOString() }),
      ),
    ).toBe(200);
    expect(await comment('maria', IN_DEV, '/release-gate promote PRE_PROD')).toMatch(
      /^@maria Promoted bbbbbbb to PRE_PROD: deployment \d+ created\.$/,
    );
    expect(h.repo.deployments.filter((x) => x.sha === IN_DEV && x.environment === 'staging')).toHaveLength(2);
  });

  it('grants an identical override once, on both front ends, and normalises the rule codes the console is given', async () => {
    const body = { stage: 'PROD', reason: 'hotfix', risk: 'low', rules: ['approval_required'] };
    const [a, b] = await Promise.all([act('maria', LOWER, 'override', body), act('maria', LOWER, 'override', body)]);
    expect([(await json(a)).outcome, (await json(b)).outcome].sort()).toEqual(['done', 'unchanged']);
    const overrides = await h.store.listOverrides({ repo: REPO, sha: LOWER });
    expect(overrides).toEqual([expect.objectContaining({ grantedBy: 'maria', rules: ['APPROVAL_REQUIRED'] })]);
    expect(
      await comment('maria', LOWER, '/release-gate override PROD reason="hotfix" risk="low" rules="APPROVAL_REQUIRED"'),
    ).toBe(
      `@maria An override of APPROVAL_REQUIRED for PROD on eeeeeee is in force already: granted by maria, until ${overrides[0]!.expiresAt!.toISOString()} (id ${overrides[0]!.id}).`,
    );
    expect(await h.store.listOverrides({ repo: REPO, sha: LOWER })).toHaveLength(1);
    // The override names the gate's code as the gate spells it, so it lets the request through.
    const runId = nextId++;
    await h.askGate({
      id: nextId++,
      runId,
      sha: LOWER,
      ref: 'v2.0.0',
      environment: 'production',
      creator: 'deployer',
      createdAt: h.clock.now().toISOString(),
    });
    expect(h.repo.answers.filter((x) => x.runId === runId && x.state).map((x) => x.state)).toEqual(['approved']);
  });

  it("needs write permission and an override team for an override on both front ends, and records a non-member's attempt", async () => {
    h.repo.permissions.rita = 'read';
    h.github.teams.set('acme', { 'release-managers': ['maria', 'rita'] });
    h.github.addUser('rita');
    expect(await comment('rita', REJECTED, '/release-gate override PROD reason="x" risk="y"')).toBe(
      '@rita Granting an override needs write, maintain or admin permission on acme/shop; you have read.',
    );
    const bob = await act('bob', REJECTED, 'override', { stage: 'PROD', reason: 'because', risk: 'none' });
    expect(bob.status).toBe(403);
    expect((await json(bob)).error.message).toBe('Only members of release-managers may grant an override.');
    const notes = (await h.store.timeline({ repo: REPO, sha: REJECTED })).filter(
      (e) => e.status === 'override refused',
    );
    expect(notes.map((e) => [e.actor, e.notes])).toEqual([['bob', 'Override by a non-member refused: because']]);
    expect(await h.store.listOverrides({ repo: REPO, sha: REJECTED })).toEqual([]);
  });

  it('rejects a waiting request with the name and reason of who rejected it, in the console and with a comment', async () => {
    const viewer = await act('vic', WAITING, 'reject', { reason: 'no' });
    expect(viewer.status).toBe(403);
    const r = await act('ada', WAITING, 'reject', { environment: 'PROD', reason: 'the migration is not reversible' });
    expect(r.status).toBe(200);
    expect(await json(r)).toMatchObject({
      outcome: 'done',
      rejected: [{ environment: 'production', answer: 'rejected' }],
      by: 'ada',
      reason: 'the migration is not reversible',
    });
    expect(h.repo.answers.filter((a) => a.runId === PROD_RUN && a.state)).toEqual([
      expect.objectContaining({
        state: 'rejected',
        comment: 'Release gate: rejected for PROD by ada: the migration is not reversible',
      }),
    ]);
    const events = (await h.store.timeline({ repo: REPO, sha: WAITING })).filter((e) => e.type === 'REJECTED');
    expect(events.map((e) => [e.environment, e.status, e.actor, e.notes])).toEqual([
      ['PROD', 'rejected', 'ada', 'Rejected in the release console by ada: the migration is not reversible'],
    ]);
    const again = await act('ada', WAITING, 'reject', { reason: 'still no' });
    expect(await json(again)).toMatchObject({ outcome: 'unchanged' });

    const runId = nextId++;
    const id = nextId++;
    await h.askGate({
      id,
      runId,
      sha: REJECTED,
      ref: 'v2.0.0',
      environment: 'production',
      creator: 'deployer',
      createdAt: h.clock.now().toISOString(),
    });
    expect(await comment('carol', REJECTED, '/release-gate reject PROD reason="smoke tests @acme/qa failed"')).toBe(
      '@carol Rejected fffffff for production: smoke tests @\u200dacme/qa failed.',
    );
    expect(h.repo.answers.filter((a) => a.runId === runId && a.state)).toEqual([
      expect.objectContaining({
        state: 'rejected',
        comment: 'Release gate: rejected for PROD by carol: smoke tests @acme/qa failed',
      }),
    ]);
    // A rejected deployment proves nothing, whatever status follows.
    expect(await h.store.getDeployment(id)).toMatchObject({ approvedVia: null, provenAt: null });
  });
});

/** DEV promotes itself to PRE_PROD, which needs a release owner's approval; overrides need a second member. */
const HELD_POLICY = policy(
  {
    DEV: ['autoPromote: true'],
    PRE_PROD: ['minApprovals: 1', 'approvals:', '  excludeAuthor: true', '  fromTeams: [release-owners]'],
    PROD: ['minScore: 50'],
  },
  ...overrides({ secondApprover: true, expires: '24h' }),
);

describe('held promotions, teams and a second approver, through both front ends', () => {
  let h: ConsoleHarness;
  let nextId = 30_000;
  const tokens: Record<string, string> = {};
  const R1 = sha('1');
  const R2 = sha('2');
  const R3 = sha('3');
  const PULLS: Record<string, number> = { [R1]: 11, [R2]: 12, [R3]: 13 };

  const act = (person: string, commit: string, action: string, body: Json = {}) =>
    h.call(`/api/v1/repos/${REPO}/releases/${commit}${action ? `/${action}` : ''}`, {
      token: tokens[person] ?? h.tokens[person as Person],
      ...(action ? { body } : {}),
    });

  async function comment(author: string, commit: string, body: string): Promise<string> {
    expect(
      await h.deliver(issueCommentCreated(h.ctx, { issue: PULLS[commit]!, author, body, commentId: nextId++ })),
    ).toBe(200);
    return h.repo.comments.at(-1)!.body;
  }

  /** `creator` deploys `commit` to DEV and it succeeds: the auto-promotion to PRE_PROD is held on an owner's approval. */
  async function inDev(commit: string, creator: string): Promise<void> {
    const d: DeploymentSpec = {
      id: nextId++,
      sha: commit,
      ref: 'v3.0.0',
      environment: 'development',
      creator,
      createdAt: h.clock.now().toISOString(),
    };
    expect(await h.askGate({ ...d, runId: nextId++ })).toBe(200);
    expect(
      await h.deliver(
        deploymentStatusCreated(h.ctx, d, { id: nextId++, state: 'success', at: h.clock.now().toISOString() }),
      ),
    ).toBe(200);
    h.clock.advance(60_000);
  }

  beforeAll(async () => {
    h = await startConsoleHarness({ seed: false, policy: HELD_POLICY });
    for (const login of ['tina', 'olga']) {
      h.repo.permissions[login] = 'write';
      tokens[login] = h.github.addUser(login).token;
    }
    h.github.teams.set('acme', { 'release-managers': ['maria', 'ada'], 'release-owners': ['tina', 'olga'] });
    for (const [commit, number] of Object.entries(PULLS))
      h.repo.pulls.push({ number, user: 'erin', headSha: commit, headRef: `topic-${number}`, commits: [commit] });
  });
  afterAll(async () => h?.close());

  it('an approval in the console lets a held auto-promotion go; whoever deployed the stage before deploys it, and only an owner counts', async () => {
    await inDev(R1, 'tina');
    expect(await h.store.listPromotions({ repo: REPO, sha: R1 })).toEqual([
      expect.objectContaining({ status: 'pending', environment: 'staging', deployer: 'tina', requestedVia: null }),
    ]);
    const bobView = await json(await act('bob', R1, ''));
    const notOwner =
      'Your approval would not count for PRE_PROD: not a member of release-owners, so not counted toward minApprovals (approvals.fromTeams).';
    expect(bobView.actions).toMatchObject({
      stage: 'PRE_PROD',
      approve: { allowed: false, counts: false, reason: notOwner },
      reject: { allowed: false, reason: 'Only members of release-owners, release-managers may reject in PRE_PROD.' },
    });
    const bob = await act('bob', R1, 'approve');
    expect(bob.status).toBe(422);
    expect((await json(bob)).error).toEqual({ code: 'not_in_team', message: notOwner });
    expect(await comment('tina', R1, '/release-gate approve PRE_PROD')).toBe(
      '@tina Your approval would not count for PRE_PROD: deployer of the release (approvals.excludeAuthor).',
    );
    const olgaView = await json(await act('olga', R1, ''));
    expect(olgaView.actions.approve).toMatchObject({ allowed: true, counts: true, environments: ['staging'] });
    const olga = await act('olga', R1, 'approve');
    expect(olga.status).toBe(200);
    expect(await json(olga)).toMatchObject({ outcome: 'done', approved: ['staging'], gates: [], promotions: 1 });
    expect(h.repo.deployments.filter((d) => d.sha === R1)).toEqual([
      expect.objectContaining({
        environment: 'staging',
        payload: {
          releaseGate: expect.objectContaining({ promotedFrom: 'DEV', stage: 'PRE_PROD', deployer: 'tina' }),
        },
      }),
    ]);
    expect(await h.store.listPromotions({ repo: REPO, sha: R1 })).toEqual([
      expect.objectContaining({ status: 'answered', deploymentId: h.repo.deployments.at(-1)!.id }),
    ]);
  });

  it('never lets a member confirm their own override, with a comment or in the console; another member confirms it', async () => {
    await inDev(R2, 'deployer');
    const grant = '/release-gate override PRE_PROD reason="owners away" risk="low"';
    expect(await comment('maria', R2, grant)).toMatch(
      /^@maria Override granted for PRE_PROD on 2222222 \(id o-[0-9a-f]+-0\), until .*; it lets one deployment through\. A second member must confirm it with the same command\.$/,
    );
    const own =
      'Your override for PRE_PROD waits for a second member of release-managers to confirm it; you cannot confirm your own.';
    expect(await comment('maria', R2, grant)).toBe(`@maria ${own}`);
    const console_ = await act('maria', R2, 'override', { stage: 'PRE_PROD', reason: 'again', risk: 'low' });
    expect(console_.status).toBe(409);
    expect((await json(console_)).error).toEqual({ code: 'awaiting_confirmation', message: own });
    const overrides_ = await h.store.listOverrides({ repo: REPO, sha: R2 });
    expect(overrides_).toEqual([expect.objectContaining({ grantedBy: 'maria', confirmedBy: null })]);
    const adaView = await json(await act('ada', R2, ''));
    expect(adaView.actions.override).toMatchObject({
      allowed: true,
      counts: true,
      pendingConfirmation: [{ id: overrides_[0]!.id, stage: 'PRE_PROD', grantedBy: 'maria' }],
    });
    const ada = await act('ada', R2, 'override', { stage: 'PRE_PROD', reason: 'agreed', risk: 'low' });
    expect(await json(ada)).toMatchObject({
      outcome: 'done',
      message: 'Confirmed the override of maria for PRE_PROD.',
      override: { status: 'confirmed', id: overrides_[0]!.id },
      promotions: 1,
    });
    // The confirmed override lets the held promotion through.
    expect(h.repo.deployments.filter((d) => d.sha === R2).map((d) => d.environment)).toEqual(['staging']);
  });

  it('an owner rejects a held promotion with a comment; someone outside the teams may not', async () => {
    await inDev(R3, 'deployer');
    const bob = await act('bob', R3, 'reject', { reason: 'no' });
    expect(bob.status).toBe(403);
    expect((await json(bob)).error.message).toBe(
      'Only members of release-owners, release-managers may reject in PRE_PROD.',
    );
    expect(await comment('olga', R3, '/release-gate reject reason="wrong build"')).toBe(
      '@olga Rejected 3333333 for staging: wrong build.',
    );
    expect(await h.store.listPromotions({ repo: REPO, sha: R3 })).toEqual([
      expect.objectContaining({ status: 'expired', note: 'rejected by olga: wrong build' }),
    ]);
    // Approving it afterwards finds nothing waiting, and deploys nothing.
    const late = await act('olga', R3, 'approve');
    expect(late.status).toBe(409);
    expect((await json(late)).error.code).toBe('nothing_waiting');
    expect(h.repo.deployments.filter((d) => d.sha === R3)).toEqual([]);
  });

  it('a promotion the gate blocks is refused with the rules that block it, on both front ends', async () => {
    // R1 reached PRE_PROD above. The App's own deployment proves nothing by its own statuses:
    // the deploy job's deployment to staging is let through by the gate and succeeds.
    const spec: DeploymentSpec = {
      id: nextId++,
      sha: R1,
      ref: 'v3.0.0',
      environment: 'staging',
      creator: 'deployer',
      createdAt: h.clock.now().toISOString(),
    };
    expect(await h.askGate({ ...spec, runId: nextId++ })).toBe(200);
    await h.deliver(
      deploymentStatusCreated(h.ctx, spec, { id: nextId++, state: 'success', at: h.clock.now().toISOString() }),
    );
    const r = await act('bob', R1, 'promote');
    expect(r.status).toBe(409);
    expect((await json(r)).error).toMatchObject({
      code: 'gate_blocked',
      message: 'Not promoted to PROD: the gate blocks it (EVIDENCE_MISSING).',
      details: { rules: [expect.objectContaining({ code: 'EVIDENCE_MISSING' })] },
    });
    expect(await comment('bob', R1, '/release-gate promote PROD')).toMatch(
      /^@bob Not promoted to PROD: the gate blocks it \(EVIDENCE_MISSING\)\.\n\n- `EVIDENCE_MISSING`: No evidence was given/,
    );
    expect(h.repo.deployments.filter((x) => x.sha === R1 && x.environment === 'production')).toEqual([]);
    // Blocked promotions stay closed: asking again asks the gate again.
    expect(await h.store.listPromotions({ repo: REPO, sha: R1 })).toEqual([
      expect.objectContaining({ environment: 'staging', status: 'answered' }),
      expect.objectContaining({ environment: 'production', status: 'expired', openKey: null }),
      expect.objectContaining({ environment: 'production', status: 'expired', openKey: null }),
    ]);
  });
});
