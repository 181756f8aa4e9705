import type { Context } from 'probot';
import { describe, expect, it } from 'vitest';
import { deployerOf } from '../../src/app/deployer.js';
import { toGateRequest as checkRunRequest } from '../../src/app/events/checks.js';
import { toGateRequest as deploymentRequest } from '../../src/app/events/deployments.js';
import { toGateRequest as protectionRuleRequest } from '../../src/app/events/protection-rule.js';
import { repoKey, repoRefOf } from '../../src/github/types.js';
import { storedRuleResults } from '../../src/store/stored-evaluations.js';
import { checkRunEvent, deploymentCreated, protectionRuleRequested } from '../support/webhooks.js';
import type { RepoContext } from '../support/webhooks.js';

const REPO: RepoContext = {
  owner: 'acme',
  name: 'shop',
  id: 7,
  installationId: 42,
  defaultBranch: 'main',
  apiBase: 'https://api.github.com',
};
const SHA = 'a'.repeat(40);
const DEPLOYMENT = {
  id: 9,
  sha: SHA,
  ref: 'v1.2.0',
  environment: 'production',
  creator: 'dana',
  createdAt: '2026-03-10T12:00:00Z',
};

/** A delivery's payload as the handler receives it from Probot. */
function payloadOf<T>(delivery: { payload: unknown }): T {
  return delivery.payload as T;
}

describe('the gate request of each event', () => {
  it('a protection rule request carries its callback, run and deployment', () => {
    const p = payloadOf<Context<'deployment_protection_rule.requested'>['payload']>(
      protectionRuleRequested(REPO, { ...DEPLOYMENT, runId: 77 }),
    );
    expect(protectionRuleRequest(p, 'd-1')).toEqual({
      owner: 'acme',
      repo: 'shop',
      installationId: 42,
      sha: SHA,
      ref: 'v1.2.0',
      environment: 'production',
      deployer: 'dana',
      defaultBranch: 'main',
      deliveryId: 'd-1',
      trigger: 'deployment_protection_rule',
      actor: 'dana',
      protection: {
        runId: 77,
        callbackUrl: 'https://api.github.com/repos/acme/shop/actions/runs/77/deployment_protection_rule',
        deploymentId: 9,
      },
    });
  });

  it('a protection rule request without what its answer needs asks for no gate', () => {
    const full = payloadOf<Context<'deployment_protection_rule.requested'>['payload']>(
      protectionRuleRequested(REPO, { ...DEPLOYMENT, runId: 77 }),
    );
    expect(
      protectionRuleRequest({ ...full, deployment_callback_url: 'https://api.github.com/elsewhere' }, 'd'),
    ).toBeNull();
    expect(protectionRuleRequest({ ...full, installation: undefined }, 'd')).toBeNull();
    expect(protectionRuleRequest({ ...full, deployment: undefined }, 'd')).toBeNull();
  });

  it('a deployment created outside a protection rule is gated under its own id, and not without an installation', () => {
    const p = payloadOf<Context<'deployment.created'>['payload']>(deploymentCreated(REPO, DEPLOYMENT));
    expect(deploymentRequest(p, 'd-2')).toMatchObject({
      owner: 'acme',
      repo: 'shop',
      installationId: 42,
      sha: SHA,
      environment: 'production',
      deploymentId: 9,
      trigger: 'deployment',
      actor: 'dana',
      deliveryId: 'd-2',
    });
    expect(deploymentRequest({ ...p, installation: undefined }, 'd-2')).toBeNull();
  });

  it('a gate check run asked again evaluates its stage; any other run asks for no gate', () => {
    const again = payloadOf<Context<'check_run.rerequested'>['payload']>(
      checkRunEvent(REPO, {
        action: 'rerequested',
        name: 'Release gate / PROD',
        headSha: SHA,
        appSlug: 'release-gate',
        id: 3,
        sender: 'sam',
      }),
    );
    expect(checkRunRequest(again, 'd-3')).toEqual({
      owner: 'acme',
      repo: 'shop',
      installationId: 42,
      sha: SHA,
      environment: 'PROD',
      trigger: 'check_run.rerequested',
      actor: 'sam',
      deliveryId: 'd-3',
      defaultBranch: 'main',
    });
    const other = payloadOf<Context<'check_run.rerequested'>['payload']>(
      checkRunEvent(REPO, {
        action: 'rerequested',
        name: 'build',
        headSha: SHA,
        appSlug: 'github-actions',
        id: 4,
        sender: 'sam',
      }),
    );
    expect(checkRunRequest(other, 'd-4')).toBeNull();
    const completed = payloadOf<Context<'check_run.completed'>['payload']>(
      checkRunEvent(REPO, {
        action: 'completed',
        name: 'Release gate / PROD',
        headSha: SHA,
        appSlug: 'release-gate',
        id: 5,
        sender: 'sam',
      }),
    );
    expect(checkRunRequest(completed, 'd-5')).toBeNull();
  });

  it("a protection rule request for a deployment this App created names the person who asked as the deployer, and a payload key on anyone else's names no one", () => {
    const asked = { releaseGate: { stage: 'PROD', sha: SHA, deployer: 'pat', promotedBy: 'pat', promotion: 3 } };
    const own = payloadOf<Context<'deployment_protection_rule.requested'>['payload']>(
      protectionRuleRequested(REPO, {
        ...DEPLOYMENT,
        creator: 'release-gate[bot]',
        appId: 4242,
        payload: asked,
        runId: 78,
      }),
    );
    expect(protectionRuleRequest(own, 'd-6', 4242)).toMatchObject({ deployer: 'pat', actor: 'release-gate[bot]' });
    // Without the App's id, or for a deployment another App or a person created, the payload says nothing.
    expect(protectionRuleRequest(own, 'd-6')).toMatchObject({ deployer: 'release-gate[bot]' });
    const forged = payloadOf<Context<'deployment_protection_rule.requested'>['payload']>(
      protectionRuleRequested(REPO, { ...DEPLOYMENT, creator: 'mallory', appId: 15368, payload: asked, runId: 79 }),
    );
    expect(protectionRuleRequest(forged, 'd-7', 4242)).toMatchObject({ deployer: 'mallory' });
  });
});

describe('who deploys', () => {
  it('is the deployer this App recorded on its own deployment (or the person who asked, on older ones), else the creator', () => {
    const payload = { releaseGate: { stage: 'PROD', sha: SHA, deployer: 'pat' } };
    expect(deployerOf({ creator: 'release-gate[bot]', byApp: true, payload })).toBe('pat');
    expect(
      deployerOf({
        creator: 'release-gate[bot]',
        byApp: true,
        payload: { releaseGate: { stage: 'PROD', sha: SHA, promotedBy: 'kim' } },
      }),
    ).toBe('kim');
    expect(deployerOf({ creator: 'release-gate[bot]', byApp: true, payload: {} })).toBe('release-gate[bot]');
    expect(deployerOf({ creator: 'mallory', byApp: false, payload })).toBe('mallory');
    expect(deployerOf({ creator: null, byApp: false, payload: null })).toBeNull();
  });
});

describe('the record key of a repository', () => {
  it('is owner/repo, and reads back to the same owner and repository', () => {
    expect(repoKey({ owner: 'acme', repo: 'shop' })).toBe('acme/shop');
    expect(repoRefOf('acme/shop')).toEqual({ owner: 'acme', repo: 'shop' });
    expect(repoRefOf(repoKey({ owner: 'a-b', repo: 'c.d_e' }))).toEqual({ owner: 'a-b', repo: 'c.d_e' });
  });
});

describe('stored rule results', () => {
  it('read back as the results the gate stored, and as none when the record holds something else', () => {
    const rule = {
      code: 'SOAK_PENDING',
      rule: 'soak',
      ok: false,
      outcome: 'wait',
      message: 'soaking',
      values: {},
      clearsAt: '2026-03-10T13:00:00Z',
    };
    expect(
      storedRuleResults([
        rule,
        { code: 'OK_SCORE', rule: 'score', ok: true, outcome: 'pass', message: '', values: {} },
      ]),
    ).toHaveLength(2);
    expect(storedRuleResults([rule, null, 'text', { ok: false }])).toEqual([rule]);
    expect(storedRuleResults({ problems: [] })).toEqual([]);
    expect(storedRuleResults(null)).toEqual([]);
  });
});
