import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGitHubServer, type GitHubServer } from '../support/fake-github.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = join(ROOT, 'action/dist/index.js');
export const EXTERNAL = join(ROOT, 'test/fixtures/external');

/** A workspace directory with the given files (path -> content). */
export async function workspace(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'release-gate-action-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, 'ws', path)), { recursive: true });
    await writeFile(join(dir, 'ws', path), content);
  }
  await mkdir(join(dir, 'ws'), { recursive: true });
  return dir;
}

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Read a `GITHUB_OUTPUT` file (`name<<DELIMITER ... DELIMITER` blocks and `name=value` lines). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value: string[] = [];
      for (i += 1; i < lines.length && lines[i] !== heredoc[2]; i += 1) value.push(lines[i]!);
      out[heredoc[1]!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

/**
 * Run the bundled Action as the runner does: `node action/dist/index.js` with `INPUT_*`
 * variables (upper-cased names, dashes kept), `GITHUB_*` variables, an event payload file,
 * and output and summary files.
 */
export async function runAction(opts: {
  dir: string;
  inputs: Record<string, string>;
  event: { name: string; payload: unknown };
  apiUrl: string;
  env?: Record<string, string>;
}): Promise<ActionRun> {
  const eventPath = join(opts.dir, 'event.json');
  const outputPath = join(opts.dir, 'output.txt');
  const summaryPath = join(opts.dir, 'summary.md');
  await writeFile(eventPath, JSON.stringify(opts.event.payload));
  await writeFile(outputPath, '');
  await writeFile(summaryPath, '');
  const inputs = {
    token: 'ghs_test-token',
    'check-name': 'Release evidence',
    mode: 'enforce',
    policy: '.github/release-policy.yml',
    ...opts.inputs,
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_EVENT_NAME: opts.event.name,
    GITHUB_API_URL: opts.apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_SHA: 'a10867b14bb761a232cd80139fbd4c0d33264240',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_WORKSPACE: join(opts.dir, 'ws'),
    GITHUB_RUN_ID: '1658821493',
    GITHUB_RUN_ATTEMPT: '2',
    GITHUB_ACTOR: 'octocat',
    RUNNER_TEMP: opts.dir,
    ...opts.env,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [DIST],
      { env, cwd: join(opts.dir, 'ws'), maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputFile(await readFile(outputPath, 'utf8')),
    summary: await readFile(summaryPath, 'utf8'),
  };
}

/** A JUnit report with `n` failing cases, each naming a file and line. */
export function failingJunit(n: number, opts: { passing?: number; messageChars?: number } = {}): string {
  const long = 'x'.repeat(opts.messageChars ?? 40);
  const cases: string[] = [];
  for (let i = 0; i < (opts.passing ?? 1); i += 1)
    cases.push(`<testcase classname="ok" name="passes ${i}" time="0.01"/>`);
  for (let i = 0; i < n; i += 1) {
    cases.push(
      `<testcase classname="cart" name="adds item ${i}" file="src/cart/item-${i % 7}.test.ts" line="${i + 3}" time="0.02"><failure message="expected ${i} to equal ${i + 1} ${long}">AssertionError: expected ${i} to equal ${i + 1}\n    at src/cart/item-${i % 7}.test.ts:${i + 3}:5</failure></testcase>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="cart" tests="${cases.length}" failures="${n}">\n${cases.join('\n')}\n</testsuite></testsuites>\n`;
}

/** A GitHub server that accepts the evidence check run and its updates, keeping what was sent. */
export async function startCheckRunsServer(
  firstId: number,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ gh: GitHubServer; checkRuns: Array<{ id: number; body: any }> }> {
  const gh = await startGitHubServer();
  const checkRuns: Array<{ id: number; body: any }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  gh.on('POST /repos/{owner}/{repo}/check-runs', (req) => {
    const id = firstId + checkRuns.length;
    checkRuns.push({ id, body: req.body });
    return {
      status: 201,
      body: { id, html_url: `https://github.com/${req.params.owner}/${req.params.repo}/runs/${id}` },
    };
  });
  gh.on('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', (req) => ({ id: Number(req.params.check_run_id) }));
  return { gh, checkRuns };
}
