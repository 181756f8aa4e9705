/**
 * The other side of the decisions benchmark's "App alone" figure (bench/decisions-apart.ts), in a
 * process of its own: the played GitHub and the webhook sender, so that the App's process does
 * only the App's work, as in production where GitHub is remote. Driven over IPC by the parent:
 * it starts the played GitHub, seeds the releases, sends the webhooks at the given concurrency and
 * reports the rate and the latencies (a decision is done when its callback reaches GitHub).
 */
import type { Server } from 'node:http';
import { FakeGitHub } from '../test/support/fake-github.js';
import { sendWebhook } from '../test/support/webhooks.js';
import type { Delivery } from '../test/support/webhooks.js';
import {
  CallbackLog,
  KEEP_ALIVE_MS,
  POLICY,
  SECRET,
  WARM_UP,
  percentile,
  release,
  request,
  watchCallbacks,
} from './app.js';
import type { DecisionRun, Rig } from './app.js';

export type ToGitHub =
  { type: 'start'; n: number; concurrency: number } | { type: 'app'; url: string } | { type: 'go' } | { type: 'close' };
export type FromGitHub =
  | { type: 'github'; apiBase: string; appId: number }
  | { type: 'measuring' }
  | ({ type: 'done' } & Omit<DecisionRun, 'cpuMs' | 'otherCpuMs'> & { otherCpuMs: number });

const send = (m: FromGitHub) => process.send!(m);
let next: ((m: ToGitHub) => void) | null = null;
const receive = () => new Promise<ToGitHub>((resolve) => (next = resolve));
process.on('message', (m: ToGitHub) => next?.(m));
process.on('disconnect', () => process.exit(0));

const { n, concurrency } = (await receive()) as Extract<ToGitHub, { type: 'start' }>;
const github = new FakeGitHub();
github.checkRequests = false;
const apiBase = await github.start();
(github as unknown as { server: Server }).server.keepAliveTimeout = KEEP_ALIVE_MS;
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
  deliveries.push({ runId: i, delivery: request(r, i, release(r, i), 'production').delivery });
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
