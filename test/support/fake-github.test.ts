import { afterEach, describe, expect, it } from 'vitest';
import { FakeGitHub, startGitHubServer } from './fake-github.js';
import type { GitHubServer } from './fake-github.js';

/** The fake GitHub every test uses: its own routes, its repository model, and the checks against GitHub's REST description. */

describe('the fake GitHub with the routes of a test', () => {
  let gh: GitHubServer;
  afterEach(() => gh.close());

  it('answers a route with its path parameters and query, and keeps the request', async () => {
    gh = await startGitHubServer();
    gh.on('GET /repos/{owner}/{repo}/deployments', (req) => [{ id: 1, owner: req.params.owner, sha: req.query.sha }]);
    const res = await fetch(`${gh.url}/repos/acme/shop/deployments?sha=abc`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ id: 1, owner: 'acme', sha: 'abc' }]);
    expect(gh.calls('GET /repos/{owner}/{repo}/deployments')).toEqual([
      {
        method: 'GET',
        path: '/repos/acme/shop/deployments',
        query: { sha: 'abc' },
        body: undefined,
        params: { owner: 'acme', repo: 'shop' },
      },
    ]);
    expect(gh.violations).toEqual([]);
  });

  it('refuses what GitHub would refuse (422) and a request no route answers (404), both as violations', async () => {
    gh = await startGitHubServer();
    gh.on('POST /repos/{owner}/{repo}/check-runs', () => ({ status: 201, body: { id: 7 } }));
    const wrong = await fetch(`${gh.url}/repos/acme/shop/check-runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(wrong.status).toBe(422);
    const unanswered = await fetch(`${gh.url}/repos/acme/shop/deployments`);
    expect(unanswered.status).toBe(404);
    expect(gh.violations).toEqual([
      expect.stringMatching(/^POST \/repos\/\{owner\}\/\{repo\}\/check-runs: the body does not match GitHub's schema/),
      'no route answers GET /repos/acme/shop/deployments',
    ]);
    expect(gh.requests.map((r) => r.path)).toEqual(['/repos/acme/shop/check-runs', '/repos/acme/shop/deployments']);
  });
});

describe('the fake GitHub of a repository', () => {
  const github = new FakeGitHub();
  afterEach(() => github.close());

  it('serves a file on the default branch and at another ref, and answers a conditional GET with 304', async () => {
    const api = await github.start();
    github.serveFile('acme/shop', 'a.txt', 'main text');
    github.serveFileAt('acme/shop', 'f'.repeat(40), 'a.txt', 'head text');
    const read = async (ref?: string, etag?: string) =>
      fetch(`${api}/repos/acme/shop/contents/a.txt${ref ? `?ref=${ref}` : ''}`, {
        headers: etag ? { 'if-none-match': etag } : {},
      });
    const text = async (res: Response) =>
      Buffer.from(((await res.json()) as { content: string }).content, 'base64').toString('utf8');
    const main = await read();
    expect(await text(main)).toBe('main text');
    expect(await text(await read('f'.repeat(40)))).toBe('head text');
    expect((await read('e'.repeat(40))).status).toBe(404);
    expect((await read(undefined, main.headers.get('etag')!)).status).toBe(304);
    expect(github.requests.map((r) => r.status)).toEqual([200, 200, 404, 304]);
    expect(github.violations).toEqual([]);
  });
});
