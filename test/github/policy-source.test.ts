import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import nock from 'nock';
import { FakeGitHub, gitBlobSha } from '../support/fake-github.js';
import { appOctokit } from '../../src/app/server.js';
import { withCallTally } from '../../src/github/api-calls.js';
import { loadRepoPolicy } from '../../src/github/policy-source.js';
import type { RepoPolicy } from '../../src/github/policy-source.js';
import type { GitHubClient } from '../../src/github/types.js';
import { startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { protectionRuleRequested } from '../support/webhooks.js';

const PATH = '.github/release-policy.yml';

const ORG = `version: 1
environments:
  - name: PRE_PROD
    github: staging
  - name: PROD
    github: production
    minApprovals: 2
    minScore: 70
scoring:
  tests: 50
  coverage: 50
`;

const EXTENDS = `version: 1
extends: org
environments:
  - name: PROD
    minApprovals: 3
`;

const STANDALONE = `version: 1
environments:
  - name: PROD
    github: production
    minApprovals: 1
`;

describe('loadRepoPolicy with an org default', () => {
  const github = new FakeGitHub();
  let octokit: GitHubClient;
  let n = 0;
  // Each test its own owner: the blob cache is per repository and blob, and lives as long as the process.
  let owner = '';

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    const baseUrl = await github.start();
    const Octokit = appOctokit(false);
    octokit = new Octokit({ auth: { token: 'ghs_test' }, baseUrl }) as GitHubClient;
  });
  afterAll(async () => {
    await github.close();
    nock.enableNetConnect();
  });
  beforeEach(() => {
    owner = `org${++n}`;
    github.requests.length = 0;
  });
  afterEach(() => {
    expect(github.violations).toEqual([]);
  });

  const load = async (repo = 'shop'): Promise<{ policy: RepoPolicy; calls: string[] }> => {
    github.requests.length = 0;
    const { result, tally } = await withCallTally(() =>
      loadRepoPolicy(octokit, { owner, repo, defaultBranch: 'main' }),
    );
    const calls = github.requests.map(
      (r) => `${r.method} ${r.path}${r.query.size > 0 ? `?${r.query.toString()}` : ''} ${r.status}`,
    );
    // GitHub bills every request but a 304 (a conditional GET whose answer did not change).
    expect(tally.count).toBe(calls.filter((c) => !c.endsWith(' 304')).length);
    return { policy: result, calls };
  };
  const repo = (files: Record<string, string> = {}) => {
    const r = github.addRepo(owner, 'shop');
    for (const [path, text] of Object.entries(files)) {
      r.files[path] = text;
      r.fileCommits[path] = 'a'.repeat(40);
    }
    return r;
  };
  const orgDefault = (text: string) => github.serveFile(`${owner}/.github`, PATH, text, 'b'.repeat(40));

  // SECURITY.md T1: the policy is read at the default branch (ref=main), never at the branch under review.
  it('a repository file without extends is read alone: the org default is not fetched', async () => {
    repo({ [PATH]: STANDALONE });
    orgDefault(ORG);
    const { policy, calls } = await load();
    expect(policy.ok && policy.policy.environments.map((e) => [e.name, e.minApprovals])).toEqual([['PROD', 1]]);
    expect(policy.files).toEqual([
      {
        repository: `${owner}/shop`,
        path: PATH,
        ref: 'main',
        blobSha: gitBlobSha(STANDALONE),
        commitSha: 'a'.repeat(40),
        role: 'repository',
        text: STANDALONE,
        source: PATH,
      },
    ]);
    expect(calls).toEqual([
      `GET /repos/${owner}/shop/contents/${PATH}?ref=main 200`,
      `GET /repos/${owner}/shop/commits?path=.github%2Frelease-policy.yml&sha=main&per_page=1 200`,
    ]);
  });

  it('extends: org merges the org default read from <owner>/.github, one GET per file and one commit lookup per change', async () => {
    repo({ [PATH]: EXTENDS });
    orgDefault(ORG);
    const first = await load();
    if (!first.policy.ok) throw new Error(first.policy.problems.join('\n'));
    expect(first.policy.policy.environments.map((e) => [e.name, e.github, e.minApprovals, e.minScore])).toEqual([
      ['PRE_PROD', ['staging'], 0, null],
      ['PROD', ['production'], 3, 70],
    ]);
    expect(first.policy.policy.scoring.weights).toEqual({ tests: 50, coverage: 50 });
    expect(first.policy.files).toEqual([
      {
        repository: `${owner}/shop`,
        path: PATH,
        ref: 'main',
        blobSha: gitBlobSha(EXTENDS),
        commitSha: 'a'.repeat(40),
        role: 'repository',
        text: EXTENDS,
        source: PATH,
      },
      {
        repository: `${owner}/.github`,
        path: PATH,
        ref: '',
        blobSha: gitBlobSha(ORG),
        commitSha: 'b'.repeat(40),
        role: 'org default',
        text: ORG,
        source: `${owner}/.github/${PATH}`,
      },
    ]);
    expect(first.calls).toEqual([
      `GET /repos/${owner}/shop/contents/${PATH}?ref=main 200`,
      `GET /repos/${owner}/shop/commits?path=.github%2Frelease-policy.yml&sha=main&per_page=1 200`,
      `GET /repos/${owner}/.github/contents/${PATH} 200`,
      `GET /repos/${owner}/.github/commits?path=.github%2Frelease-policy.yml&per_page=1 200`,
    ]);
    // The same files again: one conditional GET each, answered 304 (free); nothing parsed or looked up again.
    expect((await load()).calls).toEqual([
      `GET /repos/${owner}/shop/contents/${PATH}?ref=main 304`,
      `GET /repos/${owner}/.github/contents/${PATH} 304`,
    ]);
    // The org default changes: its commit is looked up once more, the repository's is not.
    const changed = ORG.replace('minScore: 70', 'minScore: 80');
    orgDefault(changed);
    const third = await load();
    expect(third.policy.ok && third.policy.policy.environments[1]!.minScore).toBe(80);
    expect(third.calls).toEqual([
      `GET /repos/${owner}/shop/contents/${PATH}?ref=main 304`,
      `GET /repos/${owner}/.github/contents/${PATH} 200`,
      // The fake's last commit of the file did not change, so GitHub answers 304.
      `GET /repos/${owner}/.github/commits?path=.github%2Frelease-policy.yml&per_page=1 304`,
    ]);
  });

  it('extends: org without an org default fails closed and says what to create', async () => {
    repo({ [PATH]: EXTENDS });
    const { policy } = await load();
    expect(policy.ok).toBe(false);
    expect(!policy.ok && policy.problems).toEqual([
      `.github/release-policy.yml says "extends: org", but ${owner}/.github/.github/release-policy.yml was not found. Create .github/release-policy.yml on the default branch of the ${owner}/.github repository, or, if it is there, give the App's installation access to ${owner}/.github (Repository access; Contents: read). Until then the gate does not approve anything.`,
    ]);
  });

  it('extends: org when the App may not read <owner>/.github (403) fails closed and names the access it needs', async () => {
    repo({ [PATH]: EXTENDS });
    orgDefault(ORG);
    github.deniedRepos.add(`${owner}/.github`);
    const { policy, calls } = await load();
    expect(!policy.ok && policy.problems).toEqual([
      `.github/release-policy.yml says "extends: org", but ${owner}/.github/.github/release-policy.yml could not be read (403). The App may not read ${owner}/.github: give its installation access to the ${owner}/.github repository (Repository access) with the Contents: read permission. Until then the gate does not approve anything.`,
    ]);
    expect(calls.at(-1)).toBe(`GET /repos/${owner}/.github/contents/${PATH} 403`);
  });

  it('an invalid org default fails closed with its own file, line and column', async () => {
    repo({ [PATH]: EXTENDS });
    orgDefault(ORG.replace('minApprovals: 2', 'minAprovals: 2'));
    const { policy } = await load();
    expect(!policy.ok && policy.problems).toEqual([
      `${owner}/.github/.github/release-policy.yml:7:5: unknown key "minAprovals" in environments[1] (PROD); did you mean "minApprovals"?`,
    ]);
    expect(policy.files.map((f) => f.role)).toEqual(['repository', 'org default']);
  });

  it('a merged policy whose weights no longer sum to 100 fails closed naming both files', async () => {
    repo({ [PATH]: `${EXTENDS}scoring:\n  tests: 60\n` });
    orgDefault(ORG);
    const { policy } = await load();
    expect(!policy.ok && policy.problems).toEqual([
      `.github/release-policy.yml:6:1: scoring weights sum to 110 once merged with the org default ${owner}/.github/.github/release-policy.yml: tests 60 (.github/release-policy.yml:7:10), coverage 50 (${owner}/.github/.github/release-policy.yml:11:13); they must sum to 100 (a weight of 0 drops a kind)`,
    ]);
  });

  it('a repository without a file of its own uses the org default', async () => {
    repo();
    orgDefault(ORG);
    const { policy, calls } = await load();
    expect(policy.ok && policy.policy.environments.map((e) => e.name)).toEqual(['PRE_PROD', 'PROD']);
    expect(policy.path).toBe(`${owner}/.github/.github/release-policy.yml`);
    expect(policy.files).toEqual([
      {
        repository: `${owner}/.github`,
        path: PATH,
        ref: '',
        blobSha: gitBlobSha(ORG),
        commitSha: 'b'.repeat(40),
        role: 'org default',
        text: ORG,
        source: `${owner}/.github/${PATH}`,
      },
    ]);
    expect(calls).toEqual([
      `GET /repos/${owner}/shop/contents/${PATH}?ref=main 404`,
      `GET /repos/${owner}/.github/contents/${PATH} 200`,
      `GET /repos/${owner}/.github/commits?path=.github%2Frelease-policy.yml&per_page=1 200`,
    ]);
  });

  it('no file and no org default: POLICY_INVALID as before, naming the org default it looked for', async () => {
    repo();
    const { policy } = await load();
    expect(!policy.ok && policy.problems).toEqual([
      `.github/release-policy.yml was not found on the default branch (main). Add the release policy there; until then the gate does not approve anything. Nor is there an org default (${owner}/.github/.github/release-policy.yml).`,
    ]);
    github.addRepo(owner, '.github');
    github.deniedRepos.add(`${owner}/.github`);
    const denied = await load();
    expect(!denied.policy.ok && denied.policy.problems).toEqual([
      `.github/release-policy.yml was not found on the default branch (main). Add the release policy there; until then the gate does not approve anything. The org default ${owner}/.github/.github/release-policy.yml could not be read (403). The App may not read ${owner}/.github: give its installation access to the ${owner}/.github repository (Repository access) with the Contents: read permission.`,
    ]);
  });

  it('an org default that itself extends is refused', async () => {
    repo();
    orgDefault('version: 1\nextends: org\n');
    const { policy } = await load();
    expect(!policy.ok && policy.problems).toEqual([
      `${owner}/.github/.github/release-policy.yml:2:1: the org default cannot extend anything: remove "extends" from it`,
    ]);
  });
});

describe('the App with an org default', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    if (h) expect(h.github.violations).toEqual([]);
    await h?.close();
    h = undefined;
  });
  const ask = (runId: number, commit: string) => {
    h!.repo.pendingRules.add(`${runId}/production`);
    return h!.deliver(
      protectionRuleRequested(h!.ctx, {
        id: 7000 + runId,
        runId,
        sha: commit,
        ref: 'v1.0.0',
        environment: 'production',
        creator: 'dev',
        createdAt: h!.clock.now().toISOString(),
      }),
    );
  };
  const summaryOf = (commit: string, name = 'Release gate / PROD') =>
    h!.repo.checkRuns.filter((c) => c.name === name && c.head_sha === commit).at(-1)!.output.summary!;

  it('decides with the merged policy and shows both files on the check run', async () => {
    h = await startHarness({
      policy: 'version: 1\nextends: org\nenvironments:\n  - name: PROD\n    minApprovals: 0\n',
    });
    h.github.serveFile(
      'acme/.github',
      PATH,
      'version: 1\nenvironments:\n  - name: PROD\n    github: production\n    minApprovals: 2\n    requiredChecks: [build]\n',
      'd'.repeat(40),
    );
    const A = '1'.repeat(40);
    h.repo.checkRuns.push({
      id: 1,
      name: 'build',
      head_sha: A,
      status: 'completed',
      conclusion: 'success',
      app: { slug: 'github-actions' },
      output: {},
    });
    expect(await ask(71, A)).toBe(200);
    // The org's required check applies; its minApprovals: 2 is the repository's 0.
    expect(h.repo.answers.map((a) => [a.state, a.comment])).toEqual([['approved', 'Release gate: allowed for PROD.']]);
    const summary = summaryOf(A);
    expect(summary).toContain(
      [
        '### Policy',
        '',
        "The repository's file extends the org default (`extends: org`):",
        '',
        `- \`.github/release-policy.yml\` in \`acme/shop\` on \`main\`, blob \`${gitBlobSha(h.repo.files[PATH]!).slice(0, 12)}\`, commit \`c0ffee000000\` (this repository)`,
        `- \`.github/release-policy.yml\` in \`acme/.github\` on its default branch, blob \`${gitBlobSha(h.github.repo('acme/.github').files[PATH]!).slice(0, 12)}\`, commit \`dddddddddddd\` (org default)`,
      ].join('\n'),
    );
    expect(h.github.find('GET', /^\/repos\/acme\/\.github\/contents\//)).toHaveLength(1);
  });

  it('fails closed with POLICY_INVALID when the repository extends a missing org default', async () => {
    h = await startHarness({ policy: 'version: 1\nextends: org\n' });
    const B = '2'.repeat(40);
    expect(await ask(72, B)).toBe(200);
    const [answer] = h.repo.answers;
    expect(answer?.state).toBe('rejected');
    expect(answer?.comment).toContain('POLICY_INVALID');
    expect(answer?.comment).toContain(
      'acme/.github/.github/release-policy.yml was not found. Create .github/release-policy.yml on the default branch of the acme/.github repository',
    );
    // Without a policy there are no stages: the check run is named after the GitHub environment.
    expect(summaryOf(B, 'Release gate / production')).toContain(
      `### Policy\n\n\`.github/release-policy.yml\` on \`main\`, blob \`${gitBlobSha(h.repo.files[PATH]!).slice(0, 12)}\`, commit \`c0ffee000000\` — **invalid: the gate fails closed**.`,
    );
  });

  it('says on the check run when the org default applies because the repository has no file', async () => {
    h = await startHarness();
    h.github.serveFile('acme/.github', PATH, 'version: 1\nenvironments:\n  - name: PROD\n    github: production\n');
    const C = '3'.repeat(40);
    expect(await ask(73, C)).toBe(200);
    expect(h.repo.answers.map((a) => a.state)).toEqual(['approved']);
    expect(summaryOf(C)).toContain(
      `### Policy\n\nThe repository has no policy file of its own: the org default applies.\n\n- \`.github/release-policy.yml\` in \`acme/.github\` on its default branch, blob \`${gitBlobSha(h.github.repo('acme/.github').files[PATH]!).slice(0, 12)}\` (org default)`,
    );
  });
});
