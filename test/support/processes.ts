import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnSyncReturns } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TEST_PRIVATE_KEY } from './app-identity.js';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '../..');

/** PATH with this project's Node 24 (node_modules/.bin) first, as `npm run` sets it. */
export function projectPath(): string {
  return [join(ROOT, 'node_modules/.bin'), dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
}

/** Runs npm with this project's Node; throws with npm's output when it fails. */
export function npm(args: string[], cwd: string, timeout = 180_000): SpawnSyncReturns<string> {
  const result = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: {
      ...process.env,
      PATH: projectPath(),
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    },
  });
  if (result.status !== 0)
    throw new Error(
      `npm ${args.join(' ')} failed (${result.status ?? result.signal}) in ${cwd}:\n${result.stdout}\n${result.stderr}`,
    );
  return result;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** A started process and everything it wrote (stdout and stderr, in order). */
export interface Started {
  child: ChildProcess;
  output(): string;
  stdout(): string;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Started {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let all = '';
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    all += c.toString();
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => (all += c.toString()));
  return {
    child,
    output: () => all,
    stdout: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = exitOf(child);
        child.kill('SIGTERM');
        const done = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 5_000))]);
        if (done) return done;
        child.kill('SIGKILL');
      }
      return exitOf(child);
    },
  };
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
}

/** Polls `url` until it answers `status` (or the process exits, or the time is up). */
export async function waitForStatus(
  url: string,
  status: number,
  started: Started,
  ms = 40_000,
): Promise<Response | null> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && started.child.exitCode === null) {
    try {
      const res = await fetch(url);
      if (res.status === status) return res;
      await res.arrayBuffer();
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return null;
}

/**
 * Starts `npm start`'s entry on the TypeScript sources (what bin/release-gate-app.js does on
 * the built dist/), in `cwd`, with only `env` (plus PATH and HOME). `crashable`: the entry of
 * `app-process.ts`, which can kill itself after a chosen step (RELEASE_GATE_CRASH_AT).
 */
export function startAppProcess(
  cwd: string,
  env: Record<string, string>,
  entry: 'start' | 'crashable' = 'start',
): Started {
  const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const start = pathToFileURL(join(ROOT, 'src/release-gate-app.ts')).href;
  const script = `import(${JSON.stringify(start)}).then((m) => m.startReleaseGate().catch((e) => { m.reportStartFailure(e); process.exitCode = 1; }));`;
  const args = entry === 'start' ? ['--input-type=module', '-e', script] : [join(ROOT, 'test/support/app-process.ts')];
  return startProcess(process.execPath, ['--import', tsx, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
  });
}

/**
 * The settings of an App process that talks to the fake GitHub on `githubHost` over HTTP as
 * the test App (id 4242, the test key) and listens on 127.0.0.1, with `settings` added.
 */
export function appProcessEnv(
  githubHost: string,
  secret: string,
  settings: Record<string, string>,
): Record<string, string> {
  return {
    APP_ID: '4242',
    PRIVATE_KEY: Buffer.from(TEST_PRIVATE_KEY).toString('base64'),
    WEBHOOK_SECRET: secret,
    GHE_HOST: githubHost,
    GHE_PROTOCOL: 'http',
    HOST: '127.0.0.1',
    ...settings,
  };
}
