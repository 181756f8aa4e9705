import { Writable } from 'node:stream';
import pino from 'pino';
import { ProbotOctokit } from 'probot';
import { describe, expect, it } from 'vitest';
import { GateOctokit } from '../../src/github/gate-octokit.js';

/**
 * The App's Octokit is Probot's but for its request logging (src/github/gate-octokit.ts): the
 * same plugins and defaults, the same debug line, and no second parse of every request when
 * debug is off.
 */

type Any = InstanceType<typeof ProbotOctokit> & { log: pino.Logger };

interface Sent {
  url: string;
  headers: Record<string, string>;
}

/** A pino logger at `level` whose lines land in `lines`, parsed. */
function logInto(lines: Array<Record<string, unknown>>, level: string): pino.Logger {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level }, stream);
}

/** An Octokit of `Class` whose requests are answered here, logging to `lines` at `level`. */
function client(Class: typeof ProbotOctokit, level: string, lines: Array<Record<string, unknown>>, sent: Sent[]): Any {
  const fetch = (url: string, init: { method: string; headers: Record<string, string> }) => {
    sent.push({ url, headers: init.headers });
    const status = url.endsWith('/missing') ? 404 : init.method === 'POST' ? 201 : 200;
    return Promise.resolve(
      new Response(JSON.stringify(status === 404 ? { message: 'Not Found' } : { id: 1 }), {
        status,
        headers: { 'content-type': 'application/json' },
      }),
    );
  };
  return new Class({
    log: logInto(lines, level),
    request: { fetch },
    retry: { enabled: false },
    throttle: { enabled: false },
  }) as Any;
}

/** Counts `endpoint.parse` calls (the request's own parse, and any the plugins add). */
function countParses(octokit: Any): { count: number } {
  const counter = { count: 0 };
  const endpoint = octokit.request.endpoint;
  const parse = endpoint.parse.bind(endpoint);
  endpoint.parse = ((options: never) => {
    counter.count++;
    return parse(options);
  }) as unknown as typeof endpoint.parse;
  return counter;
}

describe("The App's Octokit", () => {
  it("has Probot's plugins and sends Probot's user agent", async () => {
    const ours: Sent[] = [];
    const probots: Sent[] = [];
    const a = client(GateOctokit, 'info', [], ours);
    const b = client(ProbotOctokit, 'info', [], probots);
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(Object.keys(a.rest).sort()).toEqual(Object.keys(b.rest).sort());
    expect(typeof a.paginate).toBe('function');
    expect(typeof a.config.get).toBe('function');
    await a.rest.repos.get({ owner: 'acme', repo: 'shop' });
    await b.rest.repos.get({ owner: 'acme', repo: 'shop' });
    expect(ours[0]!.url).toBe(probots[0]!.url);
    expect(ours[0]!.headers['user-agent']).toBe(probots[0]!.headers['user-agent']);
    expect(ours[0]!.headers['user-agent']).toMatch(/^probot\/\d+\.\d+\.\d+ octokit-core/);
  });

  it("logs Probot's debug line for each answer and each failure when debug is on", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const octokit = client(GateOctokit, 'debug', lines, []);
    await octokit.request('POST /repos/{owner}/{repo}/check-runs', {
      owner: 'acme',
      repo: 'shop',
      name: 'gate',
      head_sha: 'a'.repeat(40),
    });
    await expect(
      octokit.request('GET /repos/{owner}/{repo}/missing', { owner: 'acme', repo: 'shop' }),
    ).rejects.toMatchObject({ status: 404 });
    const messages = lines.map((l) => l.msg);
    expect(messages).toEqual([
      'GitHub request: POST https://api.github.com/repos/acme/shop/check-runs - 201',
      'GitHub request: GET https://api.github.com/repos/acme/shop/missing - 404',
    ]);
    // The body's fields, as Probot logs them.
    expect(lines[0]).toMatchObject({ name: 'gate', level: 20 });
  });

  it('parses a request once when debug is off (Probot parses it again to log a line nobody sees)', async () => {
    for (const [Class, level, parses] of [
      [GateOctokit, 'info', 1],
      [GateOctokit, 'debug', 2],
      [ProbotOctokit, 'info', 2],
    ] as const) {
      const lines: Array<Record<string, unknown>> = [];
      const octokit = client(Class, level, lines, []);
      const counter = countParses(octokit);
      await octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'shop' });
      expect({ Class: Class.name, level, parses: counter.count }).toEqual({ Class: Class.name, level, parses });
      expect(lines).toHaveLength(level === 'debug' ? 1 : 0);
    }
  });
  it("warns and tries again on a secondary rate limit, as Probot's class does", async () => {
    const warned: string[] = [];
    for (const Class of [GateOctokit, ProbotOctokit]) {
      const lines: Array<Record<string, unknown>> = [];
      let calls = 0;
      const fetch = () => {
        calls++;
        return Promise.resolve(
          calls === 1
            ? new Response(JSON.stringify({ message: 'You have exceeded a secondary rate limit.' }), {
                status: 403,
                headers: { 'content-type': 'application/json', 'retry-after': '1' },
              })
            : new Response(JSON.stringify({ id: 1 }), { status: 200, headers: { 'content-type': 'application/json' } }),
        );
      };
      const octokit = new Class({
        log: logInto(lines, 'info'),
        request: { fetch },
        retry: { enabled: false },
      });
      const answer = await octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'shop' });
      expect(answer.status).toBe(200);
      expect(calls).toBe(2);
      warned.push(lines.map((l) => String(l.msg)).join('\n'));
    }
    expect(warned[0]).toBe('Secondary Rate limit hit with "GET /repos/{owner}/{repo}", retrying in 1 seconds.');
    expect(warned[0]).toBe(warned[1]);
  });
});
