import { POLICY_PATH } from '../core/policy-source.js';
import type { SimulatedGitHub } from './github/simulated-github.js';
import type { FakeRepo } from './github/types.js';
import {
  commentCreated,
  deliver,
  deploymentStatusCreated,
  protectionRuleRequested,
  reviewSubmitted,
} from './webhooks.js';
import type { DemoDeployment, DemoRepoContext, Delivery } from './webhooks.js';

/**
 * The demo's history: three repositories of the organisation `acme`, each with its policy on
 * its default branch, and their releases driven through the real App by signed deliveries,
 * as GitHub would send them: releases promoted through DEV, PRE_PROD and PROD, a PROD
 * release held by a freeze, one waiting for approvals, one blocked for skipping a stage, one
 * refused for too few approvals, and a hotfix let through the freeze by an override.
 */

/** The person the demo signs in as: an admin of every demo repository and a release manager. */
export const DEMO_USER = 'demo-user';
export const DEMO_ORG = 'acme';

/** What the history needs of the running App. */
export interface DemoTarget {
  github: SimulatedGitHub;
  appUrl: string;
  secret: string;
  /** Resolves when the App handled the delivery (to the end, or gave up on it). */
  handled(deliveryId: string): Promise<void>;
  now(): Date;
}

const sha = (seed: string): string => seed.repeat(40).slice(0, 40);

/** The text of a policy of DEV, PRE_PROD and PROD (on development, staging and production) with PROD's keys. */
function policyText(prod: string[], rest: string[] = []): string {
  return [
    'version: 1',
    'environments:',
    '  - name: DEV',
    '    github: development',
    '  - name: PRE_PROD',
    '    github: staging',
    '  - name: PROD',
    '    github: production',
    ...prod.map((line) => `    ${line}`),
    ...rest,
    '',
  ].join('\n');
}

/** The policies of the demo's repositories; the storefront's freeze runs from an hour ago to three hours from `now`. */
export function demoPolicies(now: Date): Record<string, string> {
  const at = (hours: number) => new Date(now.getTime() + hours * 3_600_000).toISOString().slice(0, 16);
  return {
    storefront: policyText(
      [
        'minApprovals: 1',
        'freezeWindows:',
        '  - name: Holiday freeze',
        `    from: "${at(-1)}"`,
        `    to: "${at(3)}"`,
        '    timezone: UTC',
      ],
      ['overrides:', '  teams: [release-managers]', '  secondApprover: false', '  expires: 24h'],
    ),
    payments: policyText(['minApprovals: 2']),
    'search-api': policyText(['minApprovals: 1', 'onBlocked: reject']),
  };
}

/** One repository's story, told through the App. */
class RepoStory {
  private nextId: number;
  private runId: number;
  readonly ctx: DemoRepoContext;

  constructor(
    private readonly target: DemoTarget,
    readonly repo: FakeRepo,
    installationId: number,
  ) {
    this.ctx = {
      owner: repo.owner,
      name: repo.name,
      id: repo.id,
      installationId,
      apiBase: target.github.baseUrl,
    };
    this.nextId = repo.id * 1000;
    this.runId = repo.id * 100;
  }

  private async send(delivery: Delivery): Promise<void> {
    const status = await deliver(this.target.appUrl, this.target.secret, delivery);
    if (status !== 200) throw new Error(`the App answered ${status} to the demo's ${delivery.event} delivery`);
    await this.target.handled(delivery.id);
  }

  /** A merged pull request `number` by `author` whose commit is `commit`, approved by `reviewers` (as GitHub records them). */
  pull(number: number, commit: string, author: string, reviewers: string[]): void {
    this.repo.pulls.push({
      number,
      user: author,
      headSha: commit,
      headRef: `feature-${number}`,
      commits: [commit],
      state: 'closed',
      mergeCommitSha: commit,
      mergedAt: this.target.now().toISOString(),
    });
    this.repo.reviews[number] = reviewers.map((user) => ({
      id: this.nextId++,
      user,
      state: 'APPROVED' as const,
      commit_id: commit,
      submitted_at: this.target.now().toISOString(),
    }));
  }

  /** GitHub asks the gate about deploying `commit` (tagged `ref`) to `environment`. */
  async request(commit: string, ref: string, environment: string, creator = 'ci-deployer'): Promise<DemoDeployment> {
    const d: DemoDeployment = {
      id: this.nextId++,
      sha: commit,
      ref,
      environment,
      creator,
      createdAt: this.target.now().toISOString(),
    };
    const runId = this.runId++;
    this.repo.pendingRules.add(`${runId}/${environment}`);
    await this.send(protectionRuleRequested(this.ctx, { ...d, runId }));
    return d;
  }

  /** The deployment ran and succeeded. */
  async succeeded(d: DemoDeployment): Promise<void> {
    const at = this.target.now().toISOString();
    await this.send(deploymentStatusCreated(this.ctx, d, { id: this.nextId++, state: 'success', at }));
  }

  /** Through DEV and PRE_PROD, each deployed. */
  async throughPreProd(commit: string, ref: string): Promise<void> {
    await this.succeeded(await this.request(commit, ref, 'development'));
    await this.succeeded(await this.request(commit, ref, 'staging'));
  }

  /** Through DEV, PRE_PROD and PROD, each deployed. */
  async promoted(commit: string, ref: string): Promise<void> {
    await this.throughPreProd(commit, ref);
    await this.succeeded(await this.request(commit, ref, 'production'));
  }

  async review(pull: number, commit: string, author: string, reviewer: string): Promise<void> {
    const reviewId = this.nextId++;
    const at = this.target.now().toISOString();
    (this.repo.reviews[pull] ??= []).push({
      id: reviewId,
      user: reviewer,
      state: 'APPROVED',
      commit_id: commit,
      submitted_at: at,
    });
    await this.send(reviewSubmitted(this.ctx, { pull, headSha: commit, author, reviewer, at, reviewId }));
  }

  async comment(issue: number, author: string, body: string): Promise<void> {
    await this.send(commentCreated(this.ctx, { issue, author, body, commentId: this.nextId++ }));
  }
}

/** Sets up the demo's organisation and repositories in the simulated GitHub: who may do what, the policies. */
export function seedDemoGitHub(github: SimulatedGitHub, now: Date): FakeRepo[] {
  github.teams.set(DEMO_ORG, { 'release-managers': [DEMO_USER, 'maria'] });
  const policies = demoPolicies(now);
  return Object.entries(policies).map(([name, text], i) => {
    const repo = github.addRepo(DEMO_ORG, name);
    repo.permissions = { [DEMO_USER]: 'admin', maria: 'write', alice: 'write', bob: 'write', carol: 'write' };
    github.serveFile(`${DEMO_ORG}/${name}`, POLICY_PATH, text, sha(String(i + 1)));
    github.installations.set(101 + i, [`${DEMO_ORG}/${name}`]);
    return repo;
  });
}

/**
 * Tells the history of every repository through the App (the repositories side by side,
 * each one's deliveries in order, each handled before the next is sent).
 */
export async function playDemoHistory(target: DemoTarget, repos: FakeRepo[]): Promise<void> {
  const story = (name: string) => {
    const i = repos.findIndex((r) => r.name === name);
    return new RepoStory(target, repos[i]!, 101 + i);
  };
  await Promise.all([storefront(story('storefront')), payments(story('payments')), searchApi(story('search-api'))]);
}

async function storefront(s: RepoStory): Promise<void> {
  // v2.3.0 reached PRE_PROD; PROD waits for the freeze to end.
  const held = sha('b2');
  s.pull(42, held, 'alice', ['bob']);
  await s.throughPreProd(held, 'v2.3.0');
  await s.request(held, 'v2.3.0', 'production');
  // A hotfix: a release manager lets it through the freeze with an override.
  const hotfix = sha('c3');
  s.pull(43, hotfix, 'carol', ['alice']);
  await s.throughPreProd(hotfix, 'v2.2.1');
  await s.comment(
    43,
    'maria',
    '/release-gate override PROD reason="checkout outage fix" risk="one-line change, tested in staging"',
  );
  await s.succeeded(await s.request(hotfix, 'v2.2.1', 'production'));
}

async function payments(s: RepoStory): Promise<void> {
  // v1.8.0: two approvals, promoted to PROD.
  const released = sha('d4');
  s.pull(17, released, 'carol', ['alice', 'bob']);
  await s.promoted(released, 'v1.8.0');
  // v1.9.0 asked for PRE_PROD before DEV: refused, no stage may be skipped.
  const skipped = sha('e5');
  s.pull(18, skipped, 'bob', ['alice']);
  await s.request(skipped, 'v1.9.0', 'staging');
  // v1.9.1: in PRE_PROD; PROD waits for a second approval.
  const waiting = sha('f6');
  s.pull(19, waiting, 'alice', []);
  await s.throughPreProd(waiting, 'v1.9.1');
  await s.review(19, waiting, 'alice', 'carol');
  await s.request(waiting, 'v1.9.1', 'production');
}

async function searchApi(s: RepoStory): Promise<void> {
  // v3.4.0: approved and promoted.
  const released = sha('a7');
  s.pull(7, released, 'bob', ['maria']);
  await s.promoted(released, 'v3.4.0');
  // v3.5.0: nobody approved it, and this repository rejects what is blocked.
  const refused = sha('b8');
  s.pull(8, refused, 'bob', []);
  await s.throughPreProd(refused, 'v3.5.0');
  await s.request(refused, 'v3.5.0', 'production');
}
