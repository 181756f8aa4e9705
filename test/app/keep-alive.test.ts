import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/app-harness.js';

/** One GET on `agent`, with whether it went over a connection used before. */
function get(url: string, agent: Agent): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe("the App's server behind a balancer that keeps its connections", () => {
  let h: Harness;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    agent.destroy();
    await h?.close();
  });

  it('keeps an idle connection open past a few seconds, so the next request reuses it instead of meeting a closed one', async () => {
    const url = `${h.app.url}/health/live`;
    expect(await get(url, agent)).toEqual({ status: 200, reused: false });
    // Longer than the 1 s the server kept idle connections before (and Node's default 5 s would not help a 60 s balancer).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await get(url, agent)).toEqual({ status: 200, reused: true });
  });
});
