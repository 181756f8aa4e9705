import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { teamJson, type GitHubServer } from '../support/fake-github.js';
import { readmeRolesPolicy, ROLE_TEAMS } from '../support/roles-policy.js';
import { webhookExample } from '../support/webhooks.js';
import { runAction, startCheckRunsServer, workspace } from './helpers.js';

/**
 * The README's roles through the Action and the CLI: the same policy and the same facts (the
 * run's deployment reviews, the staging deployment, the teams) give the same decision. The
 * Action asks GitHub about teams with its `token`; a workflow's GITHUB_TOKEN may not, and
 * GitHub answers it 404 for the team and for every membership, as for a team that does not
 * exist: the Action then says which token to give instead of counting nobody in silence.
 */

const SHA = 'a10867b14bb761a232cd80139fbd4c0d33264240';
const ORG = 'octo-org';

let gh: GitHubServer;
beforeEach(async () => void ({ gh } = await startCheckRunsServer(5000)));
afterEach(() => gh.close());

/** The run's environment reviews: each login approved the job's `production` environment. */
function reviewedBy(...logins: string[]): void {
  gh.on('GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals', () =>
    logins.map((login) => ({
      environments: [{ id: 1, name: 'production' }],
      state: 'approved',
      user: { login },
      comment: 'go',
    })),
  );
}

/** SHA succeeded in staging at `at`. */
function stagedAt(at: Date): void {
  gh.on('GET /repos/{owner}/{repo}/deployments', (req) =>
    req.query.environment === 'staging' && req.query.sha === SHA
      ? [
          {
            id: 71,
            sha: SHA,
            ref: 'main',
            environment: 'staging',
            creator: { login: 'ci' },
            created_at: new Date(at.getTime() - 60_000).toISOString(),
          },
        ]
      : [],
  );
  // Set by the deployment's creator: the only status the Action takes (SECURITY.md T3).
  gh.on('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', () => [
    { id: 9, state: 'success', created_at: at.toISOString(), creator: { login: 'ci' } },
  ]);
}

/** GitHub as it answers a token with the organization permission Members: read (a GitHub App's installation token). */
function teamsReadable(): void {
  const teams = ROLE_TEAMS as Record<string, string[]>;
  gh.on('GET /orgs/{org}/teams/{team_slug}', (req) =>
    teams[req.params.team_slug!]
      ? teamJson(req.params.org!, req.params.team_slug!, teams[req.params.team_slug!]!.length)
      : { status: 404, body: { message: 'Not Found' } },
  );
  gh.on('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', (req) =>
    teams[req.params.team_slug!]?.includes(req.params.username!)
      ? { url: '', role: 'member', state: 'active' }
      : { status: 404, body: { message: 'Not Found' } },
  );
}

/** GitHub as it answers a workflow's GITHUB_TOKEN: 404 for the team and for every membership. */
function teamsHiddenFromWorkflowToken(): void {
  gh.on('GET /orgs/{org}/teams/{team_slug}', () => ({
    status: 404,
    body: {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/teams/teams#get-a-team-by-name',
      status: '404',
    },
  }));
  gh.on('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', () => ({
    status: 404,
    body: {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/teams/members#get-team-membership-for-a-user',
      status: '404',
    },
  }));
}

const push = () => ({ name: 'push', payload: { ...webhookExample('push'), after: SHA } });

async function both(approvers: string[], stagedSince: Date) {
  const { cli } = await import('../cli/helpers.js');
  const dir = await workspace({ '.github/release-policy.yml': readmeRolesPolicy() });
  const action = await runAction({
    dir,
    apiUrl: gh.url,
    event: push(),
    inputs: { environment: 'PROD', mode: 'report' },
    env: { GITHUB_REPOSITORY: `${ORG}/octo-repo` },
  });
  const local = await cli(
    [
      'evaluate',
      '--env',
      'PROD',
      '--json',
      '--sha',
      SHA,
      '--author',
      'Codertocat',
      '--deployer',
      'octocat',
      ...approvers.flatMap((a) => ['--approver', a]),
      '--deployed',
      `PRE_PROD@${stagedSince.toISOString()}`,
      ...Object.entries(ROLE_TEAMS).flatMap(([team, members]) => ['--team', `${team}=${members.join(',')}`]),
    ],
    { cwd: join(dir, 'ws'), now: new Date().toISOString() },
  );
  const decision = local.json() as { decision: string; rules: Array<{ code: string; ok: boolean; message: string }> };
  return { action, decision, failing: decision.rules.filter((r) => !r.ok) };
}

/** GitHub as it answers an App installation token without the organization permission Members: read. */
function teamsForbidden(): void {
  const forbidden = () => ({
    status: 403,
    body: {
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest',
      status: '403',
    },
  });
  gh.on('GET /orgs/{org}/teams/{team_slug}', forbidden);
  gh.on('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', forbidden);
}

describe('the README roles through the Action and the CLI', () => {
  it('a release owner and a technical reviewer: both allow', async () => {
    stagedAt(new Date(Date.now() - 3_600_000));
    reviewedBy('olivia', 'tomas');
    teamsReadable();
    const { action, decision } = await both(['olivia', 'tomas'], new Date(Date.now() - 3_600_000));
    expect(decision.decision).toBe('allow');
    expect(action.outputs.decision).toBe('allow');
    expect(action.outputs['blocked-by']).toBe('');
    expect(action.summary).toContain(
      '- ✅ **Technical review** of `src/billing/**` by tech-reviewers: 1 of 1, counted tomas.',
    );
    expect(action.summary).toContain(
      '- Teams: release-owners, tech-reviewers read with the `token` input; release-owners: olivia; tech-reviewers: tomas.',
    );
    expect(gh.violations).toEqual([]);
  });

  it('a release owner alone: both hold for the technical review, with the same message', async () => {
    stagedAt(new Date(Date.now() - 3_600_000));
    reviewedBy('olivia');
    teamsReadable();
    const { action, decision, failing } = await both(['olivia'], new Date(Date.now() - 3_600_000));
    expect(decision.decision).toBe('wait');
    expect(action.outputs.decision).toBe('wait');
    expect(failing.map((r) => r.code)).toEqual(['REVIEW_REQUIRED']);
    expect(action.outputs['blocked-by']).toBe('REVIEW_REQUIRED');
    expect(failing[0]!.message).toBe(
      'Needs 1 of tech-reviewers: no earlier deployment to PROD is known, so the files changed since are unknown and every path rule applies (src/billing/**). An approval of the pull request or the deployment by a member of tech-reviewers clears it (not by Codertocat or octocat: the author, contributors and deployer do not count).',
    );
    expect(action.stdout).toContain(`REVIEW_REQUIRED: ${failing[0]!.message}`);
    expect(action.summary).toContain(
      '- Changed files: not read in CI, so every `requiredReviewers` path rule applies here, as for a first release; the App compares the release with its last deployment to the last stage.',
    );
    expect(gh.violations).toEqual([]);
  });

  it("with a workflow's GITHUB_TOKEN: blocks and names the token to give, even before anyone approved", async () => {
    stagedAt(new Date(Date.now() - 3_600_000));
    teamsHiddenFromWorkflowToken();
    for (const approvers of [['olivia', 'tomas'], []]) {
      reviewedBy(...approvers);
      const dir = await workspace({ '.github/release-policy.yml': readmeRolesPolicy() });
      const run = await runAction({
        dir,
        apiUrl: gh.url,
        event: push(),
        inputs: { environment: 'PROD' },
        env: { GITHUB_REPOSITORY: `${ORG}/octo-repo` },
      });
      expect(run.code, approvers.join()).toBe(1);
      expect(run.outputs.decision).toBe('block');
      expect(run.outputs['blocked-by']).toBe('TEAMS_UNREADABLE,TEAMS_UNREADABLE');
      const why = `GitHub answered 404 (Not Found) when asked about the team ${ORG}/release-owners: a workflow's GITHUB_TOKEN cannot read team membership (GitHub answers it 404, as for a team that does not exist). Give the Action's \`token\` input a GitHub App installation token with the organization permission Members: read (for example from actions/create-github-app-token), or run this stage's step with \`mode: report\` and let the App decide it.`;
      expect(run.stdout).toContain(
        `::error::Release gate blocks PROD: TEAMS_UNREADABLE: Cannot tell who is in release-owners, so no approval counts toward the 1 required for PROD: ${why}`,
      );
      expect(run.summary).toContain(
        `- Teams: could not read release-owners, tech-reviewers with the \`token\` input. ${why}`,
      );
      expect(run.summary).toContain(
        '- ❌ **Release approval** by release-owners: needs 1 of release-owners. Cannot count: Codertocat, octocat (the author, contributors and deployer). Cannot tell who is in release-owners: the team could not be read.',
      );
      expect(run.summary).toContain(
        "- `TEAMS_UNREADABLE`: Give the Action's `token` input a GitHub App installation token with the organization permission Members: read (a workflow's GITHUB_TOKEN cannot read teams), or run this stage's step with `mode: report` and let the App decide it.",
      );
    }
    // One look at each team settles it: nobody's membership is asked of a token that cannot see the team.
    expect(gh.calls('GET /orgs/{org}/teams/{team_slug}/memberships/{username}')).toEqual([]);
    expect(gh.calls('GET /orgs/{org}/teams/{team_slug}').map((r) => r.params.team_slug)).toEqual([
      'release-owners',
      'tech-reviewers',
      'release-owners',
      'tech-reviewers',
    ]);
    expect(gh.violations).toEqual([]);
  });

  it('with a token that may not read teams (403): blocks and names the permission', async () => {
    stagedAt(new Date(Date.now() - 3_600_000));
    reviewedBy('olivia', 'tomas');
    teamsForbidden();
    const dir = await workspace({ '.github/release-policy.yml': readmeRolesPolicy() });
    const run = await runAction({
      dir,
      apiUrl: gh.url,
      event: push(),
      inputs: { environment: 'PROD' },
      env: { GITHUB_REPOSITORY: `${ORG}/octo-repo` },
    });
    expect(run.code).toBe(1);
    expect(run.outputs['blocked-by']).toBe('TEAMS_UNREADABLE,TEAMS_UNREADABLE');
    expect(run.stdout).toContain(
      `TEAMS_UNREADABLE: Cannot tell who is in tech-reviewers, so no approval counts as its review of src/billing/**: GitHub answered 403 (Resource not accessible by integration) when asked about the team ${ORG}/tech-reviewers: the token may not read team membership. Give the Action's \`token\` input a GitHub App installation token with the organization permission Members: read`,
    );
    expect(gh.violations).toEqual([]);
  });
});
