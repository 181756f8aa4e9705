import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProbotOctokit } from 'probot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/app/metrics.js';
import { countApiCalls, setApiCallObserver, withCallTally } from '../../src/github/api-calls.js';
import { describeGitHubError } from '../../src/github/request-errors.js';
import { cli } from '../cli/helpers.js';
import { FakeGitHub } from '../support/fake-github.js';

const Counted = ProbotOctokit.plugin(countApiCalls);

function client(baseUrl: string, token = 'ghp_test') {
  return new Counted({ auth: { token }, baseUrl, retry: { enabled: false }, throttle: { enabled: false } });
}

async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('GitHub errors, named for what happened and counted for what they cost', () => {
  let github: FakeGitHub;
  let api: string;
  const metrics = createMetrics();
  const dir = mkdtempSync(join(tmpdir(), 'rg-gh-errors-'));

  beforeAll(async () => {
    github = new FakeGitHub();
    api = await github.start();
    github.addRepo('acme', 'shop');
    setApiCallObserver(metrics.observer);
  });
  afterAll(async () => {
    setApiCallObserver(null);
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function kinds(): Promise<Record<string, number>> {
    const { values } = await metrics.apiRequests.get();
    return Object.fromEntries(values.map((v) => [String(v.labels.kind), v.value]));
  }

  it('a host that does not resolve is not "HTTP 500", and is not a billed request', async () => {
    const { result, tally } = await withCallTally(() =>
      failure(() =>
        client('http://github.invalid/api/v3').request('GET /repos/{owner}/{repo}', { owner: 'a', repo: 'b' }),
      ),
    );
    expect(describeGitHubError(result)).toMatch(
      /^cannot reach GitHub: the host name github\.invalid does not resolve \((ENOTFOUND|EAI_AGAIN)\); check the API URL \(GITHUB_API_URL, GHE_HOST\) and this machine's DNS$/,
    );
    expect([tally.count, tally.failed]).toEqual([0, 1]);
    expect(await kinds()).toMatchObject({ unanswered: 1 });
    expect((await kinds()).billed ?? 0).toBe(0);
  });

  it('a refused connection says nothing listens there', async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((done) => server.close(() => done()));
    const error = await failure(() =>
      client(`http://127.0.0.1:${port}`).request('GET /repos/{owner}/{repo}', { owner: 'a', repo: 'b' }),
    );
    expect(describeGitHubError(error)).toBe(
      `cannot reach GitHub: nothing accepts connections at 127.0.0.1:${port} (ECONNREFUSED); check the API URL and that the server runs`,
    );
  });

  it('a 401 is "bad credentials" with what to do, and is not billed; an answer is', async () => {
    github.on('GET /repos/{owner}/{repo}/environments', () => ({
      status: 401,
      body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' },
    }));
    const { result, tally } = await withCallTally(() =>
      failure(() => client(api).request('GET /repos/{owner}/{repo}/environments', { owner: 'acme', repo: 'shop' })),
    );
    expect(describeGitHubError(result, { credentials: 'check GITHUB_TOKEN' })).toBe(
      'bad credentials: GitHub refused them (401 Bad credentials); check GITHUB_TOKEN',
    );
    expect([tally.count, tally.failed]).toEqual([0, 1]);
    const answered = await withCallTally(() =>
      client(api).request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'shop' }),
    );
    expect(answered.tally.count).toBe(1);
    // The refused connection above was not answered either.
    expect(await kinds()).toMatchObject({ unanswered: 2, unauthenticated: 1, billed: 1 });
  });

  it('release-gate setup against a host that does not resolve says so', async () => {
    writeFileSync(join(dir, 'policy.yml'), 'version: 1\nenvironments:\n  - name: PROD\n');
    const out = await cli(
      [
        'setup',
        '--repo',
        'acme/shop',
        '--policy',
        'policy.yml',
        '--token',
        'ghp_x',
        '--api-url',
        'http://github.invalid/api/v3',
      ],
      { cwd: dir },
    );
    expect(out.code).toBe(2);
    expect(out.stdout.split('\n')[1]).toMatch(
      /^ {2}FAILED {2}- {2}cannot list the environments of acme\/shop: cannot reach GitHub: the host name github\.invalid does not resolve \((ENOTFOUND|EAI_AGAIN)\); check the API URL \(GITHUB_API_URL, GHE_HOST\) and this machine's DNS; nothing was changed$/,
    );
  });
});
