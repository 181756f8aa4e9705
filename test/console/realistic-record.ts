import { createHash } from 'node:crypto';
import type { RuleResult } from '../../src/core/types.js';
import type { Store } from '../../src/store/types.js';
import { policy, overrides } from '../support/policies.js';
import { deploymentStatusCreated, protectionRuleRequested } from '../support/webhooks.js';
import type { DeploymentSpec, RepoContext } from '../support/webhooks.js';
import { PEOPLE, startConsoleHarness } from './harness.js';
import type { ConsoleHarness } from './harness.js';

/**
 * A realistic record, as a release manager finds it on a Monday morning: four repositories,
 * 212 releases over the last 30 days (DEV, PRE_PROD, PROD), about 1,100 evaluations with
 * waits re-checked every 6 hours, failed checks, overrides (used and expired), and a few
 * live requests made through the App's real flow: one waiting 9 days for an approval, one
 * whose approvals must come from a team, one by the viewer's own pull request, one held by a
 * freeze in force now, one rejected for a failed check.
 */
export const MONDAY = '2026-12-07T09:00:00Z';
export const REPOS = ['acme/shop', 'acme/api', 'acme/web', 'acme/billing'] as const;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const RELEASES_PER_REPO = 53;
const AUTHORS = ['carol', 'dan', 'erin'];

/** The policy of each repository: checks before PRE_PROD, an approval for PROD (from api-owners in acme/api), a freeze in acme/billing. */
export function policyOf(repo: string): string {
  const prod = ['minApprovals: 1', 'approvals:', '  excludeAuthor: true'];
  if (repo === 'acme/api') prod.push('  fromTeams: [api-owners]');
  if (repo === 'acme/billing')
    prod.push(
      'freezeWindows:',
      '  - name: month-end close',
      '    from: "2026-12-07T08:00"',
      '    to: "2026-12-07T14:00"',
      '    timezone: Europe/Berlin',
    );
  return policy({ DEV: [], PRE_PROD: ['requiredChecks: [ci]'], PROD: prod }, ...overrides({ expires: '24h' }));
}

export const shaOf = (repo: string, label: string) => createHash('sha1').update(`${repo}#${label}`).digest('hex');

/** What the seed made, for the tests to predict the pages. */
export interface RealisticRecord {
  h: ConsoleHarness;
  releases: number;
  evaluations: number;
  /** The last proven PROD deployment of each repository and who approved it. */
  prodRunning: Record<string, { sha: string; approvedBy: string; at: Date }>;
  /** PROD deployments of the last 7 days, per repository. */
  prodLastWeek: Record<string, string[]>;
  live: {
    /** acme/shop, waits in PROD 9 days for an approval (bob's counts). */
    waitingLong: string;
    /** acme/api, PROD approvals only from api-owners (bob's does not count). */
    teamOnly: string;
    /** acme/web, bob's own pull request (his approval does not count). */
    ownPull: string;
    /** acme/billing, held by the freeze in force until 14:00 Europe/Berlin. */
    frozen: string;
    /** acme/web, rejected in PRE_PROD: its `ci` check failed. */
    rejected: string;
  };
}

function rule(
  rule: string,
  code: string,
  outcome: 'pass' | 'wait' | 'block',
  message: string,
  values = {},
): RuleResult {
  return { rule, code, ok: outcome === 'pass', outcome, message, values } as RuleResult;
}

function approvalRule(counted: string[], author: string, teams: string[]): RuleResult {
  const missing = Math.max(0, 1 - counted.length);
  const role = {
    kind: 'release',
    teams,
    paths: [],
    needed: true,
    touched: null,
    touchedCount: 0,
    required: 1,
    counted,
    missing,
    excluded: [author, 'deploy-bot'],
    unreadable: [],
  };
  return missing === 0
    ? rule('approvals', 'APPROVALS_OK', 'pass', `1 approval(s) for PROD: ${counted.join(', ')}.`, {
        role,
        approvers: counted,
        required: 1,
      })
    : rule('approvals', 'APPROVAL_REQUIRED', 'wait', 'Release requires 1 approval(s) for PROD. Current: 0.', {
        role,
        approvers: [],
        required: 1,
      });
}

let deploymentId = 50_000;
let statusId = 90_000;

/** The history of one repository over 30 days, written to the record as the App writes it. */
async function seedHistory(store: Store, repo: string, ri: number, now: number, out: RealisticRecord): Promise<void> {
  const start = now - 30 * DAY;
  const approver = repo === 'acme/api' ? 'ada' : ['maria', 'bob'][ri % 2]!;
  const teams = repo === 'acme/api' ? ['api-owners'] : [];
  for (let k = 0; k < RELEASES_PER_REPO; k++) {
    let at = start + Math.floor((k * 29 * DAY) / RELEASES_PER_REPO) + ri * 37 * 60_000;
    const sha = shaOf(repo, `history-${k}`);
    const version = `${ri + 1}.${k}.0`;
    const author = AUTHORS[k % 3]!;
    await store.upsertRelease({ repo, sha, ref: `v${version}`, version, tag: `v${version}`, at: new Date(at) });
    await store.linkReleasePulls([{ repo, sha, pullNumber: 100 + k, headSha: sha }], new Date(at));
    out.releases += 1;
    const decide = async (
      stage: string,
      environment: string,
      decision: string,
      rules: RuleResult[],
      actor = 'deploy-bot',
    ) => {
      await store.recordEvaluation({
        repo,
        sha,
        environment,
        stage,
        decision,
        rules,
        inputs: { facts: { pulls: [{ number: 100 + k, title: `Change ${k} of ${repo}`, body: '' }] } },
        score: 90,
        actor,
        checkRunId: 700_000 + ri * 1000 + k,
        at: new Date(at),
      });
      out.evaluations += 1;
      const type = decision === 'allow' ? 'APPROVED' : decision === 'wait' ? 'WAITING' : 'REJECTED';
      const failing = rules.filter((r) => !r.ok);
      await store.recordEvent({
        repo,
        sha,
        version,
        environment: stage,
        type,
        status: decision,
        actor,
        at: new Date(at),
        notes:
          `Release gate: ${decision === 'allow' ? 'allowed' : decision === 'wait' ? 'waiting' : 'rejected'} for ${stage}. ${failing.map((r) => `${r.code}: ${r.message}`).join(' ')}`.trim(),
      });
    };
    const deploy = async (stage: string, environment: string) => {
      const id = deploymentId++;
      await store.recordDeployment({
        id,
        repo,
        sha,
        ref: `v${version}`,
        environment,
        stage,
        creator: 'deploy-bot',
        createdAt: new Date(at),
      });
      await store.approveDeployment(id, {
        via: 'protection-rule',
        at: new Date(at),
        stage,
        environment,
        runId: 4_000_000 + id,
      });
      at += 10 * 60_000;
      await store.recordDeploymentStatus({
        id: statusId++,
        deploymentId: id,
        state: 'success',
        at: new Date(at),
        creator: 'deploy-bot',
      });
      await store.proveDeployment(id, new Date(at));
      await store.recordEvent({
        repo,
        sha,
        version,
        environment,
        type: 'DEPLOYED',
        status: 'success',
        actor: 'deploy-bot',
        at: new Date(at),
      });
    };
    await decide('DEV', 'development', 'allow', [rule('order', 'FIRST_STAGE', 'pass', 'DEV is the first stage.')]);
    await deploy('DEV', 'development');
    at += HOUR;
    if (k % 9 === 4) {
      await decide('PRE_PROD', 'staging', 'block', [
        rule('checks', 'CHECKS_FAILED', 'block', 'Required check ci failed.'),
      ]);
      continue;
    }
    await decide('PRE_PROD', 'staging', 'allow', [rule('checks', 'CHECKS_OK', 'pass', 'Required check ci passed.')]);
    await deploy('PRE_PROD', 'staging');
    if (k % 4 === 0 || at + 3 * HOUR > now - 2 * DAY) continue;
    at += 2 * HOUR;
    // A wait for an approval, re-checked every 6 hours until someone approves.
    const rechecks = (k * 7) % 8;
    for (let n = 0; n <= rechecks; n++) {
      await decide('PROD', 'production', 'wait', [approvalRule([], author, teams)]);
      at += 6 * HOUR;
    }
    if (k % 13 === 5) {
      // Expired before anyone used it; the release went out with an approval later.
      await store.createOverride({
        repo,
        sha,
        environment: 'PROD',
        rules: ['APPROVAL_REQUIRED'],
        grantedBy: 'maria',
        reason: 'Hotfix for the checkout outage',
        risk: 'Reviewed by two engineers on the call',
        grantedAt: new Date(at - 30 * HOUR),
        expiresAt: new Date(at - 6 * HOUR),
      });
    }
    await store.recordEvent({
      repo,
      sha,
      version,
      environment: 'PROD',
      type: 'APPROVED',
      status: 'review',
      actor: approver,
      at: new Date(at),
    });
    await decide('PROD', 'production', 'allow', [approvalRule([approver], author, teams)], approver);
    await deploy('PROD', 'production');
    out.prodRunning[repo] = { sha, approvedBy: approver, at: new Date(at) };
    if (at >= now - 7 * DAY) (out.prodLastWeek[repo] ??= []).push(sha);
  }
}

/** Starts the console on a realistic record (see {@link RealisticRecord}). */
export async function startRealisticConsole(): Promise<RealisticRecord> {
  const h = await startConsoleHarness({ now: MONDAY, seed: false, policy: policyOf('acme/shop') });
  const now = Date.parse(MONDAY);
  const contexts: Record<string, RepoContext> = { 'acme/shop': h.ctx };
  h.github.teams.set('acme', { 'release-managers': ['maria'], 'api-owners': ['ada'] });
  for (const full of REPOS) {
    const [owner, name] = full.split('/') as [string, string];
    const repo = full === 'acme/shop' ? h.repo : h.github.addRepo(owner, name);
    if (full !== 'acme/shop')
      h.github.serveFile(full, '.github/release-policy.yml', policyOf(full), 'c0ffee'.padEnd(40, '1'));
    for (const [login, permission] of Object.entries(PEOPLE)) repo.permissions[login] = permission;
    contexts[full] = { ...h.ctx, owner, name, id: repo.id };
  }
  const out: RealisticRecord = {
    h,
    releases: 0,
    evaluations: 0,
    prodRunning: {},
    prodLastWeek: {},
    live: {
      waitingLong: shaOf('acme/shop', 'live-waiting'),
      teamOnly: shaOf('acme/api', 'live-team'),
      ownPull: shaOf('acme/web', 'live-own'),
      frozen: shaOf('acme/billing', 'live-frozen'),
      rejected: shaOf('acme/web', 'live-rejected'),
    },
  };
  for (const [ri, repo] of REPOS.entries()) await seedHistory(h.store, repo, ri, now, out);

  // The live requests, through GitHub's webhooks and the App's gate.
  let nextId = 60_000;
  const live = async (
    repo: string,
    sha: string,
    version: string,
    pull: number,
    author: string,
    prod: boolean,
    startAt: number,
  ) => {
    const fake = h.github.repo(repo);
    fake.pulls.push({
      number: pull,
      user: author,
      headSha: sha,
      headRef: `feature/${version}`,
      commits: [sha],
      body: `Release ${version}`,
    });
    fake.checkRuns.push({
      id: nextId++,
      name: 'ci',
      head_sha: sha,
      status: 'completed',
      conclusion: sha === out.live.rejected ? 'failure' : 'success',
      app: { slug: 'github-actions' },
      output: {},
    });
    h.clock.set(new Date(startAt).toISOString());
    const ask = async (environment: string, runId: number) => {
      const d: DeploymentSpec = {
        id: nextId++,
        sha,
        ref: `v${version}`,
        environment,
        creator: 'deploy-bot',
        createdAt: h.clock.now().toISOString(),
      };
      fake.pendingRules.add(`${runId}/${environment}`);
      const status = await h.deliver(protectionRuleRequested(contexts[repo]!, { ...d, runId }));
      if (status !== 200) throw new Error(`protection rule delivery answered ${status}`);
      return d;
    };
    const succeeded = async (d: DeploymentSpec) => {
      const status = await h.deliver(
        deploymentStatusCreated(contexts[repo]!, d, {
          id: nextId++,
          state: 'success',
          at: h.clock.now().toISOString(),
        }),
      );
      if (status !== 200) throw new Error(`deployment status delivery answered ${status}`);
    };
    await succeeded(await ask('development', nextId++));
    h.clock.advance(20 * 60_000);
    const staging = await ask('staging', nextId++);
    if (sha === out.live.rejected) return;
    await succeeded(staging);
    h.clock.advance(40 * 60_000);
    if (prod) await ask('production', 8_000_000 + nextId++);
  };
  await live('acme/shop', out.live.waitingLong, '1.60.0', 901, 'carol', true, now - 9 * DAY);
  // The 6-hourly re-checks of the long wait, as the scheduler records them.
  const [first] = await h.store.listEvaluations({
    repo: 'acme/shop',
    sha: out.live.waitingLong,
    environment: 'production',
  });
  const notes = (await h.store.timeline({ repo: 'acme/shop', sha: out.live.waitingLong })).findLast(
    (e) => e.type === 'WAITING',
  )!.notes;
  for (let t = first!.at.getTime() + 6 * HOUR; t < now; t += 6 * HOUR) {
    const { repo, sha, environment, stage, decision, rules, score, policyPath, policySha, actor } = first!;
    await h.store.recordEvaluation({
      ...{ repo, sha, environment, stage, decision, rules, score, policyPath, policySha, actor },
      inputs: {},
      at: new Date(t),
    });
    await h.store.recordEvent({
      repo: 'acme/shop',
      sha: out.live.waitingLong,
      version: '1.60.0',
      environment: 'PROD',
      type: 'WAITING',
      status: 'wait',
      actor: 'deploy-bot',
      at: new Date(t),
      notes,
    });
    out.evaluations += 1;
  }
  await live('acme/api', out.live.teamOnly, '2.60.0', 902, 'dan', true, now - 2 * DAY);
  await live('acme/web', out.live.ownPull, '3.60.0', 903, 'bob', true, now - 1 * DAY);
  await live('acme/billing', out.live.frozen, '4.60.0', 904, 'erin', true, now - 3 * HOUR);
  await live('acme/web', out.live.rejected, '3.61.0', 905, 'carol', false, now - 2 * HOUR);
  h.clock.set(MONDAY);
  out.releases += 5;
  return out;
}
