import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGateCommand } from '../../src/core/commands-parse.js';
import { renderEvidenceBlock } from '../../src/core/evidence-block.js';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { checkRunEvent, checkSuiteRerequested, issueCommentCreated } from '../support/webhooks.js';
import { overrides, policy } from '../support/policies.js';

describe('parseGateCommand', () => {
  it('reads the three commands and says what is wrong with the rest', () => {
    expect(parseGateCommand('LGTM')).toBeNull();
    expect(parseGateCommand('/release-gate status')).toEqual({ ok: true, command: { kind: 'status' } });
    expect(parseGateCommand('thanks!\n/release-gate promote PROD')).toEqual({
      ok: true,
      command: { kind: 'promote', environment: 'PROD' },
    });
    expect(
      parseGateCommand('/release-gate override PROD reason="db fix" risk="low, rollback ready" rules="score_too_low"'),
    ).toEqual({
      ok: true,
      command: {
        kind: 'override',
        environment: 'PROD',
        reason: 'db fix',
        risk: 'low, rollback ready',
        rules: ['SCORE_TOO_LOW'],
      },
    });
    expect(parseGateCommand('/release-gate deploy PROD')).toEqual({ ok: false, error: 'Unknown command `deploy`.' });
    expect(parseGateCommand('/release-gate promote')).toEqual({
      ok: false,
      error: '`promote` needs exactly one environment: `/release-gate promote <env>`.',
    });
    expect(parseGateCommand('/release-gate override PROD reason="x"')).toEqual({
      ok: false,
      error: '`override` needs risk="...": say why the exception is justified and what risk is accepted.',
    });
    expect(parseGateCommand('/release-gate override PROD reason="x risk=y')).toEqual({
      ok: false,
      error: 'A quoted value is not closed: add the closing `"`.',
    });
  });
});

const POLICY = policy({ DEV: [], PROD: ['minScore: 70'] }, ...overrides({ secondApprover: true, expires: '24h' }));
const SHA = '1'.repeat(40);

describe('commands, evidence and re-runs through webhooks', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: POLICY });
    h.repo.pulls.push({ number: 3, user: 'alice', headSha: SHA, headRef: 'topic', commits: [SHA] });
    h.repo.permissions = { writer: 'write', reader: 'read', maria: 'write', mark: 'maintain' };
    h.github.teams.set('acme', { 'release-managers': ['maria', 'mark'] });
  });
  afterAll(() => closeChecked(h));
  const comment = async (author: string, body: string) => {
    expect(
      await h.deliver(
        issueCommentCreated(h.ctx, { issue: 3, author, body, commentId: Math.floor(Math.random() * 1e9) }),
      ),
    ).toBe(200);
    return h.repo.comments.at(-1)?.body;
  };

  it('replies to unknown and malformed commands with the usage', async () => {
    const reply = await comment('alice', '/release-gate deploy now');
    expect(reply).toMatch(/^@alice Unknown command `deploy`\.\n\nCommands:\n`\/release-gate status`/);
  });

  it('refuses a promotion by someone without write permission, and promotes for a writer when the gate allows', async () => {
    expect(await comment('reader', '/release-gate promote DEV')).toBe(
      '@reader Promoting needs write, maintain or admin permission on acme/shop; you have read.',
    );
    expect(await comment('writer', '/release-gate promote QA')).toBe(
      '@writer `QA` is not an environment of the policy (stages: DEV, PROD).',
    );
    const reply = await comment('writer', '/release-gate promote DEV');
    expect(reply).toMatch(/^@writer Promoted 1111111 to DEV: deployment \d+ created\.$/);
    expect(h.repo.deployments.at(-1)).toMatchObject({ sha: SHA, environment: 'development' });
  });

  it('reads evidence only from check runs created by GitHub Actions', async () => {
    // A look-alike evidence run from another app is ignored: no score, so minScore blocks.
    h.repo.checkRuns.push({
      id: 1,
      name: 'Release evidence',
      head_sha: SHA,
      status: 'completed',
      conclusion: 'success',
      app: { slug: 'someone-else' },
      output: { text: renderEvidenceBlock({ version: 1, score: 100, breakdown: {}, present: ['tests'], digests: {} }) },
    });
    await h.askGate({
      id: 77,
      runId: 40,
      sha: SHA,
      ref: 'v1',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    });
    const answer = h.repo.answers.find((a) => a.runId === 40)!;
    expect(answer.state).toBe('rejected');
    expect(answer.comment).toBe(
      'Release gate: rejected for PROD. PROMOTION_ORDER: PROD needs a successful deployment of this release (1111111) to DEV first: no stage may be skipped. EVIDENCE_MISSING: No evidence was given, so there is no score; PROD requires a score of at least 70.',
    );
    const summary = h.repo.checkRuns.filter((c) => c.name === 'Release gate / PROD').at(-1)!.output.summary!;
    expect(summary).toContain('> Ignored 1 "Release evidence" check run(s) not created by GitHub Actions.');
  });

  it('needs a second override team member to confirm when the policy says so', async () => {
    expect(await comment('maria', '/release-gate override PROD reason="hotfix" risk="low"')).toMatch(
      /A second member must confirm it with the same command\.$/,
    );
    h.repo.checkRuns.push({
      id: 2,
      name: 'Release evidence',
      head_sha: SHA,
      status: 'completed',
      conclusion: 'success',
      app: { slug: 'github-actions' },
      output: { text: renderEvidenceBlock({ version: 1, score: 20, breakdown: {}, present: ['tests'], digests: {} }) },
    });
    await h.askGate({
      id: 78,
      runId: 41,
      sha: SHA,
      ref: 'v1',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    });
    expect(h.repo.answers.filter((a) => a.runId === 41).map((a) => a.state)).toEqual(['rejected']);
    expect(await comment('mark', '/release-gate override PROD reason="hotfix" risk="low"')).toBe(
      '@mark Confirmed the override of maria for PROD.',
    );
    await h.askGate({
      id: 79,
      runId: 42,
      sha: SHA,
      ref: 'v1',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    });
    expect(h.repo.answers.filter((a) => a.runId === 42).map((a) => a.state)).toEqual(['approved']);
  });

  it('re-evaluates on check_run.rerequested of a gate run, updating it in place, and answers status', async () => {
    const runs = h.repo.checkRuns.length;
    const patches = h.github.find('PATCH', /\/check-runs\/\d+$/).length;
    await h.deliver(
      checkRunEvent(h.ctx, {
        action: 'rerequested',
        name: 'Release gate / DEV',
        headSha: SHA,
        appSlug: 'release-gate',
        id: 5,
        sender: 'alice',
      }),
    );
    expect(h.repo.checkRuns.length).toBe(runs);
    expect(h.github.find('PATCH', /\/check-runs\/\d+$/).length).toBe(patches + 1);
    expect(h.repo.checkRuns.filter((c) => c.name === 'Release gate / DEV').map((c) => c.conclusion)).toEqual([
      'success',
    ]);
    await h.deliver(checkSuiteRerequested(h.ctx, { headSha: SHA, sender: 'alice' }));
    const status = await comment('alice', '/release-gate status');
    expect(status).toContain('Release gate for 1111111:');
    expect(status).toMatch(/\| PROD \| allow \| - \|/);
  });
});
