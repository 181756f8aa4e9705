/**
 * The other side of the decisions benchmark's "App alone" figure (bench/decisions-apart.ts), in a
 * process of its own: the played GitHub and the webhook sender, so that the App's process does
 * only the App's work, as in production where GitHub is remote. Driven over IPC by the parent:
 * it starts the played GitHub, seeds the releases, sends the webhooks at the given concurrency and
 * reports the rate and the latencies (a decision is done when its callback reaches GitHub).
 *
 * With `githubSizes`, each release's pull request has `GITHUB_SIZED_RELEASE`'s reviews and
 * commits, and the answers the App reads for a decision carry every field GitHub's own do: each
 * object of the commit's pull requests, the reviews, the pull request's commits and the check
 * runs is GitHub's example of it from its REST description (`@octokit/openapi`) with the played
 * GitHub's values over it (so the decision is the same; every one must still approve).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { FakeGitHub } from '../test/support/fake-github.js';
import { sendWebhook } from '../test/support/webhooks.js';
import type { Delivery } from '../test/support/webhooks.js';
import {
  CallbackLog,
  GITHUB_SIZED_RELEASE,
  KEEP_ALIVE_MS,
  POLICY,
  SECRET,
  SMALL_RELEASE,
  WARM_UP,
  percentile,
  release,
  request,
  watchCallbacks,
} from './app.js';
import type { DecisionRun, Rig } from './app.js';
import { githubExamples } from './github-examples.js';

export type ToGitHub =
  | { type: 'start'; n: number; concurrency: number; githubSizes?: boolean }
  | { type: 'app'; url: string }
  | { type: 'go' }
  | { type: 'close' };
export type FromGitHub =
  | { type: 'github'; apiBase: string; appId: number }
  | { type: 'measuring' }
  | ({ type: 'done' } & Omit<DecisionRun, 'cpuMs' | 'otherCpuMs' | 'heapMb'> & { otherCpuMs: number });

const send = (m: FromGitHub) => process.send!(m);
let next: ((m: ToGitHub) => void) | null = null;
const receive = () => new Promise<ToGitHub>((resolve) => (next = resolve));
process.on('message', (m: ToGitHub) => next?.(m));
process.on('disconnect', () => process.exit(0));

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `example` with `ours` over it, object by object: what `ours` has wins, the rest is the example's. */
function over(example: unknown, ours: unknown): unknown {
  if (!isObject(example) || !isObject(ours)) return ours === undefined ? example : ours;
  const out: Json = { ...example };
  for (const key of Object.keys(ours)) out[key] = over(example[key], ours[key]);
  return out;
}

/** How to make each answer a decision reads GitHub-sized, by the path of the answer. */
function githubSized(): Array<[RegExp, (body: unknown) => unknown]> {
  const example = githubExamples();
  const first = (name: string) => (example(name) as unknown[])[0];
  const items = (of: unknown) => (body: unknown) => (body as unknown[]).map((item) => over(of, item));
  const checkRun = (example('check-run-paginated') as { check_runs: unknown[] }).check_runs[0];
  return [
    [/\/commits\/[^/]+\/pulls$/, items(first('pull-request-simple-items'))],
    [/\/pulls\/\d+\/reviews$/, items(first('pull-request-review-items'))],
    [/\/pulls\/\d+\/commits$/, items(first('commit-items'))],
    [
      /\/commits\/[^/]+\/check-runs$/,
      (body) => ({ ...(body as Json), check_runs: items(checkRun)((body as Json).check_runs) }),
    ],
  ];
}

/** Makes the played GitHub's answers to the paths of `examples` GitHub-sized (its ETags are unchanged). */
function answerGitHubSized(server: Server, examples: Array<[RegExp, (body: unknown) => unknown]>): void {
  const [handler] = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const grow = req.method === 'GET' ? examples.find(([route]) => route.test(path))?.[1] : undefined;
    if (grow) {
      const end = res.end.bind(res) as (body?: string) => ServerResponse;
      res.end = ((body?: string) =>
        end(
          typeof body === 'string' && res.statusCode === 200 ? JSON.stringify(grow(JSON.parse(body))) : body,
        )) as never;
    }
    handler!(req, res);
  });
}

const { n, concurrency, githubSizes } = (await receive()) as Extract<ToGitHub, { type: 'start' }>;
const github = new FakeGitHub();
github.checkRequests = false;
const apiBase = await github.start();
const server = (github as unknown as { server: Server }).server;
server.keepAliveTimeout = KEEP_ALIVE_MS;
if (githubSizes) answerGitHubSized(server, githubSized());
const repo = github.addRepo('acme', 'shop');
repo.files['.github/release-policy.yml'] = POLICY;
repo.fileCommits['.github/release-policy.yml'] = 'c'.repeat(40);
const callbackAt = new CallbackLog();
github.interceptor = watchCallbacks(callbackAt);
send({ type: 'github', apiBase, appId: github.appId });
const { url } = (await receive()) as Extract<ToGitHub, { type: 'app' }>;
const r = {
  repo,
  ctx: { owner: 'acme', name: 'shop', id: repo.id, installationId: 1, defaultBranch: 'main', apiBase },
} as unknown as Rig;
const deliveries: Array<{ runId: number; delivery: Delivery }> = [];
for (let i = 1; i <= n; i++)
  deliveries.push({
    runId: i,
    delivery: request(r, i, release(r, i, githubSizes ? GITHUB_SIZED_RELEASE : SMALL_RELEASE), 'production').delivery,
  });
const answered = (runId: number) => callbackAt.answered(runId);
const warm = deliveries.slice(0, Math.min(WARM_UP, n));
for (const { runId, delivery } of warm) {
  await sendWebhook(url, SECRET, delivery);
  await answered(runId);
}
send({ type: 'measuring' });
await receive();
const measured = deliveries.slice(warm.length);
const sentAt = new Map<number, number>();
let index = 0;
const cpu = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: Math.min(concurrency, measured.length) }, async () => {
    while (index < measured.length) {
      const { runId, delivery } = measured[index++]!;
      sentAt.set(runId, performance.now());
      const status = await sendWebhook(url, SECRET, delivery);
      if (status !== 200) throw new Error(`webhook answered ${status}`);
      await answered(runId);
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
const used = process.cpuUsage(cpu);
const latencies = measured
  .map(({ runId }) => (callbackAt.get(runId) ?? NaN) - sentAt.get(runId)!)
  .filter(Number.isFinite)
  .sort((a, b) => a - b);
send({
  type: 'done',
  rate: measured.length / seconds,
  p50: percentile(latencies, 50),
  p99: percentile(latencies, 99),
  answered: latencies.length,
  approved: callbackAt.approved(measured.map(({ runId }) => runId)),
  measured: measured.length,
  otherCpuMs: (used.user + used.system) / 1000 / measured.length,
});
await receive();
await github.close();
process.exit(0);
