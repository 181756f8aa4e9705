/**
 * The decisions benchmark's "App alone" figure (an added figure; the others are unchanged): the
 * played GitHub and the webhook sender run in a child process (bench/decisions-github.ts), so the
 * App's main thread does only the App's work, as in production where GitHub is remote (the played
 * GitHub keeps its connections, as GitHub's API does). SQLite file (or `databaseUrl`), throttling
 * off. The main thread CPU per decision is then the App's (Probot included) alone.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startAppServer } from '../src/app/server.js';
import { etagCache } from '../src/github/conditional-requests.js';
import { openStore } from '../src/store/open-store.js';
import { NOW, SECRET, privateKey } from './app.js';
import type { DecisionRun } from './app.js';
import type { FromGitHub, ToGitHub } from './decisions-github.js';

/** A full garbage collection (the flag set at run time, as `node --expose-gc` would). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** `githubSizes`: releases and answers of GitHub's sizes (bench/decisions-github.ts). */
export async function throughputApart(
  n: number,
  concurrency: number,
  databaseUrl?: string,
  githubSizes = false,
): Promise<DecisionRun & { otherCpuMs: number; heapMb: number }> {
  etagCache.clear();
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'decisions-github.ts'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox: FromGitHub[] = [];
  let wake: (() => void) | null = null;
  child.on('message', (m: FromGitHub) => {
    inbox.push(m);
    wake?.();
  });
  let exited: Error | null = null;
  child.on('exit', (code) => {
    exited = new Error(`the played GitHub's process ended (${code})`);
    wake?.();
  });
  const receive = async <T extends FromGitHub['type']>(type: T): Promise<Extract<FromGitHub, { type: T }>> => {
    const until = Date.now() + 300_000;
    for (;;) {
      const m = inbox.shift();
      if (m) {
        if (m.type !== type) throw new Error(`expected ${type} from the played GitHub, got ${m.type}`);
        return m as Extract<FromGitHub, { type: T }>;
      }
      if (exited) throw exited;
      if (Date.now() > until) throw new Error(`no ${type} from the played GitHub`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1_000);
      });
    }
  };
  const tell = (m: ToGitHub) => child.send(m);
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-bench-'));
  try {
    tell({ type: 'start', n, concurrency, githubSizes });
    const { apiBase, appId } = await receive('github');
    const store = await openStore({ databaseUrl: databaseUrl ?? `file:${join(dir, 'bench.db')}` });
    const app = await startAppServer({
      appId,
      privateKey,
      secret: SECRET,
      baseUrl: apiBase,
      store,
      retries: false,
      schedulerIntervalMs: 0,
      logLevel: 'fatal',
      clock: () => new Date(NOW),
    });
    try {
      tell({ type: 'app', url: app.url });
      await receive('measuring');
      await app.app.idle();
      const cpu = process.threadCpuUsage();
      tell({ type: 'go' });
      const done = await receive('done');
      const used = process.threadCpuUsage(cpu);
      await app.app.idle();
      collectGarbage();
      const heapMb = process.memoryUsage().heapUsed / 1e6;
      const { type: _done, ...run } = done;
      return { ...run, cpuMs: (used.user + used.system) / 1000 / run.measured, heapMb };
    } finally {
      await app.close();
      await store.close();
    }
  } finally {
    if (!exited) tell({ type: 'close' });
    rmSync(dir, { recursive: true, force: true });
  }
}
