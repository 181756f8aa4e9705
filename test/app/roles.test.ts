import { afterEach, describe, expect, it } from 'vitest';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import type { FakeReview } from '../support/fake-github.js';
import { readmeRolesPolicy, ROLE_TEAMS } from '../support/roles-policy.js';
import { deploymentStatusCreated, pullRequestReviewSubmitted } from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';

/**
 * The README's roles through the App: releases are merge commits of pull requests on main,
 * reviewed before the merge; team membership is GitHub's answer to the membership API. A
 * release owner (olivia) gives the go/no-go, a technical reviewer (tomas, not a release
 * owner) reviews billing changes, bea is both; dev writes the changes, ci deploys.
 */

const sha = (c: string) => c.repeat(40);

describe('release owners and technical reviewers through the App', () => {
  let h: Harness | undefined;
  afterEach(() => closeChecked(h).finally(() => (h = undefined)));

  let ids = 100;
  async function start(): Promise<Harness> {
    h = await startHarness({ policy: readmeRolesPolicy() });
    h.github.teams.set('acme', ROLE_TEAMS);
    return h;
  }

  /** Pull request `number` (head `head`) merged into `merge` on main, with these approvals given on its head before the merge. */
  function mergedPull(number: number, head: string, merge: string, approvers: string[]): void {
    h!.repo.pulls.push({
      number,
      user: 'dev',
      headSha: head,
      headRef: `feature-${number}`,
      commits: [head],
      state: 'closed',
      mergeCommitSha: merge,
      mergedAt: '2026-03-10T11:00:00Z',
    });
    h!.repo.trees[head] = `tree-${number}`;
    h!.repo.trees[merge] = `tree-${number}-merged`;
    h!.repo.reviews[number] = approvers.map((user) => review(user, head, '2026-03-10T10:00:00Z'));
  }

  const review = (user: string, commit: string, at: string, state: FakeReview['state'] = 'APPROVED'): FakeReview => ({
    id: ids++,
    user,
    state,
    commit_id: commit,
    submitted_at: at,
  });

  /** The deployment of `commit` to `environment` by ci, asked of the gate: its answers (`report` for a status report). */
  async function ask(
    commit: string,
    environment: string,
    ref: string,
  ): Promise<{ d: DeploymentSpec; answers: () => string[] }> {
    const runId = ids++;
    const d: DeploymentSpec = {
      id: ids++,
      sha: commit,
      ref,
      environment,
      creator: 'ci',
      createdAt: h!.clock.now().toISOString(),
    };
    expect(await h!.askGate({ ...d, runId })).toBe(200);
    return { d, answers: () => h!.repo.answers.filter((a) => a.runId === runId).map((a) => a.state ?? 'report') };
  }

  const comments = (d: DeploymentSpec) =>
    h!.repo.answers.filter((a) => a.environment === d.environment && a.comment).map((a) => a.comment!);

  async function succeeded(d: DeploymentSpec): Promise<void> {
    const status = { id: ids++, state: 'success', at: h!.clock.now().toISOString() };
    expect(await h!.deliver(deploymentStatusCreated(h!.ctx, d, status))).toBe(200);
  }

  /** Staging first (the order rule), then PROD: the PROD request. */
  async function release(commit: string, tag: string) {
    const staging = await ask(commit, 'staging', `refs/tags/${tag}`);
    expect(staging.answers()).toEqual(['approved']);
    await succeeded(staging.d);
    h!.clock.advance(60_000);
    return ask(commit, 'production', `refs/tags/${tag}`);
  }

  const summary = (commit: string) =>
    h!.repo.checkRuns.filter((c) => c.name === 'Release gate / PROD' && c.head_sha === commit).at(-1)!.output.summary!;

  it('approves a billing change reviewed by a release owner and a technical reviewer, holds one a release owner alone approved, and needs no technical review of a change outside billing', async () => {
    await start();
    const [H1, M1, H2, M2, H3, M3] = ['1', '2', '3', '4', '5', '6'].map(sha) as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];

    // v1.0.0: the first release to PROD, approved by olivia and tomas before the merge.
    mergedPull(21, H1, M1, ['olivia', 'tomas']);
    const first = await release(M1, 'v1.0.0');
    expect(first.answers()).toEqual(['approved']);
    expect(summary(M1)).toContain(
      '| ✅ | `REVIEW_OK` | Reviewed by tomas (tech-reviewers): no earlier deployment to PROD is known, so every path rule applies. |',
    );
    await succeeded(first.d);

    // v1.1.0 changes billing: olivia alone is not enough; tomas's review lets it through.
    h!.repo.compare[`${M1}...${M2}`] = ['src/billing/invoice.ts', 'docs/billing.md'];
    mergedPull(22, H2, M2, ['olivia']);
    const second = await release(M2, 'v1.1.0');
    expect(second.answers()).toEqual(['report']);
    expect(comments(second.d).at(-1)).toBe(
      'Release gate: waiting for PROD. REVIEW_REQUIRED: Needs 1 of tech-reviewers: src/billing/invoice.ts changed.',
    );
    expect(summary(M2)).toContain(
      '- ⏳ **Technical review** of `src/billing/**` by tech-reviewers: needs 1 of tech-reviewers: src/billing/invoice.ts changed. Cannot count: ci, dev (the author, contributors and deployer).',
    );
    expect(summary(M2)).toContain('- ✅ **Release approval** by release-owners: 1 of 1, counted olivia.');

    h!.repo.reviews[22]!.push(review('tomas', H2, '2026-03-10T15:05:00Z'));
    const submitted = pullRequestReviewSubmitted(h!.ctx, {
      pull: 22,
      headSha: H2,
      author: 'dev',
      reviewer: 'tomas',
      state: 'approved',
      at: '2026-03-10T15:05:00Z',
      reviewId: ids++,
      mergeCommitSha: M2,
    });
    expect(await h!.deliver(submitted)).toBe(200);
    expect(second.answers()).toEqual(['report', 'approved']);
    expect(summary(M2)).toContain(
      '- ✅ **Technical review** of `src/billing/**` by tech-reviewers: 1 of 1, counted tomas.',
    );
    await succeeded(second.d);

    // v1.2.0 changes the shop only: the release owner's approval is enough.
    h!.repo.compare[`${M2}...${M3}`] = ['src/shop/cart.ts'];
    mergedPull(23, H3, M3, ['olivia']);
    const third = await release(M3, 'v1.2.0');
    expect(third.answers()).toEqual(['approved']);
    expect(summary(M3)).toContain(
      '- ➖ **Technical review** of `src/billing/**` by tech-reviewers: not needed, no changed file matches.',
    );
    expect(h!.github.find('GET', new RegExp(`/compare/${M2}\\.\\.\\.${M3}$`))).toHaveLength(1);
  });

  it('holds the first release to PROD approved by a release owner alone, saying why every path rule applies and who can clear it', async () => {
    await start();
    mergedPull(31, sha('7'), sha('8'), ['olivia']);
    const first = await release(sha('8'), 'v1.0.0');
    expect(first.answers()).toEqual(['report']);
    expect(comments(first.d).at(-1)).toBe(
      'Release gate: waiting for PROD. REVIEW_REQUIRED: Needs 1 of tech-reviewers: no earlier deployment to PROD is known, so the files changed since are unknown and every path rule applies (src/billing/**). An approval of the pull request or the deployment by a member of tech-reviewers clears it (not by ci or dev: the author, contributors and deployer do not count).',
    );
  });

  it('a technical reviewer alone does not give the go/no-go: the release owner is still needed', async () => {
    await start();
    mergedPull(41, sha('9'), sha('a'), ['tomas']);
    const first = await release(sha('a'), 'v1.0.0');
    expect(first.answers()).toEqual(['report']);
    expect(comments(first.d).at(-1)).toBe(
      'Release gate: waiting for PROD. APPROVAL_REQUIRED: Release requires 1 approval(s) from release-owners for PROD. Current: 0.',
    );
    expect(summary(sha('a'))).toContain(
      '- ⏳ **Release approval** by release-owners: needs 1 of release-owners. Cannot count: ci, dev (the author, contributors and deployer).',
    );
    expect(summary(sha('a'))).toContain(
      '- ✅ **Technical review** of `src/billing/**` by tech-reviewers: 1 of 1, counted tomas.',
    );
  });

  it('a member of both teams fills both roles with one approval', async () => {
    await start();
    mergedPull(51, sha('b'), sha('c'), ['bea']);
    const first = await release(sha('c'), 'v1.0.0');
    expect(first.answers()).toEqual(['approved']);
    expect(summary(sha('c'))).toContain('- ✅ **Release approval** by release-owners: 1 of 1, counted bea.');
    expect(summary(sha('c'))).toContain(
      '- ✅ **Technical review** of `src/billing/**` by tech-reviewers: 1 of 1, counted bea.',
    );
  });

  it('reads every page of a pull request with hundreds of reviews and asks GitHub about the approvers only', async () => {
    await start();
    const [head, merge] = [sha('d'), sha('e')];
    mergedPull(61, head, merge, []);
    const reviews: FakeReview[] = [];
    for (let i = 0; i < 300; i++)
      reviews.push(
        review(
          ['dev', 'linter-bot', 'mallory'][i % 3]!,
          head,
          `2026-03-09T${String(10 + (i % 10)).padStart(2, '0')}:00:00Z`,
          'COMMENTED',
        ),
      );
    reviews.splice(5, 0, review('olivia', head, '2026-03-10T09:00:00Z'));
    reviews.splice(250, 0, review('tomas', head, '2026-03-10T09:30:00Z'));
    h!.repo.reviews[61] = reviews;

    const first = await release(merge, 'v1.0.0');
    expect(first.answers()).toEqual(['approved']);
    const pages = h!.github.find('GET', /\/pulls\/61\/reviews$/).map((r) => r.query.get('page') ?? '1');
    expect(pages).toEqual(['1', '2', '3', '4']);
    const asked = h!.github
      .find('GET', /^\/orgs\/acme\/teams\/[^/]+\/memberships\/[^/]+$/)
      .map((r) => r.path.replace('/orgs/acme/teams/', ''))
      .sort();
    expect(asked).toEqual([
      'release-owners/memberships/olivia',
      'release-owners/memberships/tomas',
      'tech-reviewers/memberships/olivia',
      'tech-reviewers/memberships/tomas',
    ]);
  });

  it('rejects, naming the team, when the policy names a team GitHub does not show', async () => {
    await start();
    h!.github.teams.set('acme', { 'release-owners': ['olivia'] }); // no tech-reviewers in the organization
    mergedPull(72, sha('1'), sha('2'), ['olivia', 'tomas']);
    const first = await release(sha('2'), 'v1.0.0');
    expect(first.answers()).toEqual(['rejected']);
    expect(comments(first.d).at(-1)).toBe(
      'Release gate: rejected for PROD. TEAMS_UNREADABLE: Cannot tell who is in tech-reviewers, so no approval counts as its review of src/billing/**: GitHub answered 404 (Not Found) when asked about the team acme/tech-reviewers: check that the policy names an existing team of the organization (its slug), and that the App has the organization permission Members: read, accepted on the installation.',
    );
  });

  it('rejects, naming the permission, when the installation may not read team membership', async () => {
    await start();
    h!.github.interceptor = (req) =>
      req.path.startsWith('/orgs/acme/teams/')
        ? {
            status: 403,
            body: {
              message: 'Resource not accessible by integration',
              documentation_url: 'https://docs.github.com/rest/teams/members#get-team-membership-for-a-user',
              status: '403',
            },
          }
        : undefined;
    mergedPull(71, sha('f'), sha('0'), ['olivia', 'tomas']);
    const first = await release(sha('0'), 'v1.0.0');
    expect(first.answers()).toEqual(['rejected']);
    expect(comments(first.d).at(-1)).toContain(
      'TEAMS_UNREADABLE: Cannot tell who is in release-owners, so no approval counts toward the 1 required for PROD: GitHub answered 403 (Resource not accessible by integration) when asked about the team acme/release-owners: give the App the organization permission Members: read and accept it on the installation.',
    );
  });
});
