import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exitOf, npm, projectPath, ROOT } from './processes.js';
import type { Started } from './processes.js';

/**
 * `npm run demo` as a newcomer runs it: in a fresh clone (the repository's files as they are
 * in this working tree, what `git ls-files` lists, in a new directory) after `npm install`
 * (the dependencies are this tree's, linked; its `prepare` generates the Prisma clients and
 * builds `dist/`), then the real `npm run demo` process.
 */

/** A fresh clone of this repository, installed: returns its directory. */
export function freshClone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'release-gate-clone-'));
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  // What `npm install` runs after installing: the `prepare` script.
  npm(['run', 'prepare'], dir, 300_000);
  return dir;
}

/** `npm run demo` in `dir` on `port`; see {@link startNpmScript}. */
export function startDemoProcess(
  dir: string,
  port: number,
  env: Record<string, string> = {},
): Started & { interrupt(): void } {
  return startNpmScript(dir, 'demo', { PORT: String(port), ...env });
}

/**
 * `npm run <script>` in `dir`, with only `env` besides PATH and HOME, in a process group of
 * its own: `interrupt()` is Ctrl+C in a terminal (SIGINT to the group), and `stop()` ends the
 * group, so no process it started outlives the caller.
 */
export function startNpmScript(
  dir: string,
  script: string,
  env: Record<string, string> = {},
): Started & { interrupt(): void } {
  const child = spawn('npm', ['run', script], {
    cwd: dir,
    env: { PATH: projectPath(), HOME: dir, npm_config_update_notifier: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let all = '';
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    all += c.toString();
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => (all += c.toString()));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // The group has ended.
    }
  };
  return {
    child,
    output: () => all,
    stdout: () => out,
    interrupt: () => signal('SIGINT'),
    stop: async () => {
      const exited = exitOf(child);
      signal('SIGTERM');
      const done = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      signal('SIGKILL');
      return done ?? exited;
    },
  };
}

/** A browser's visit: the page a URL ends on after its redirects, with the cookies it was given. */
export interface Visit {
  status: number;
  url: string;
  html: string;
  cookies: Map<string, string>;
}

/** GETs `url` and follows its redirects (across hosts, as a browser does), keeping cookies per host. */
export async function visit(url: string, jar = new Map<string, Map<string, string>>()): Promise<Visit> {
  let at = url;
  for (let hop = 0; hop < 10; hop += 1) {
    const host = new URL(at).host;
    const cookies = jar.get(host) ?? new Map<string, string>();
    jar.set(host, cookies);
    const res = await fetch(at, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      at = new URL(location, at).toString();
      continue;
    }
    return { status: res.status, url: at, html: await res.text(), cookies };
  }
  throw new Error(`${url}: more than 10 redirects`);
}

/**
 * Polls the demo's board (`/`, signing in on the way) until it is served, the process exits or
 * `timeoutMs` passes: the visit that served it and how long after `since` it was, or null.
 */
export async function waitForBoard(
  url: string,
  demo: Started,
  since: number,
  timeoutMs = 60_000,
): Promise<{ ms: number; visit: Visit } | null> {
  const deadline = since + timeoutMs;
  while (Date.now() < deadline && demo.child.exitCode === null) {
    try {
      const v = await visit(`${url}/`);
      if (v.status === 200 && v.html.includes('<h1>Board</h1>')) return { ms: Date.now() - since, visit: v };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

/** Waits until the demo says its history was played (or the process exits, or the time is up). */
export async function waitForHistory(demo: Started, timeoutMs = 120_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && demo.child.exitCode === null) {
    if (demo.stdout().includes('history ready')) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return demo.stdout().includes('history ready');
}
