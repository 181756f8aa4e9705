import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/core/evaluate.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import { openStore } from '../../src/store/open-store.js';
import { releaseFacts } from '../support/release-facts.js';
import { ROOT } from '../support/processes.js';

const POLICY = 'version: 1\nenvironments:\n  - name: DEV\n  - name: PROD\n    minApprovals: 1\n';
/** Enough decisions that `replay` writes far more than a pipe holds (64 KiB) after `head` has gone. */
const DECISIONS = 1200;

/** `release-gate ARGS` as the bin runs it, on the TypeScript sources. */
function command(args: string[]): string[] {
  const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const run = pathToFileURL(join(ROOT, 'src/cli/run.ts')).href;
  const script = `const m = await import(${JSON.stringify(run)}); process.exitCode = await m.runCli(process.argv.slice(1));`;
  return [process.execPath, '--import', tsx, '--input-type=module', '-e', script, ...args];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('release-gate writing into a pipe its reader closed', () => {
  let dir: string;
  let url: string;
  let first: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rg-pipes-'));
    url = `file:${join(dir, 'gate.db')}`;
    const store = await openStore({ databaseUrl: url });
    const policy = loadPolicy(POLICY, '.github/release-policy.yml');
    if (!policy.ok) throw new Error('invalid test policy');
    const policyFiles = [
      {
        role: 'repository' as const,
        source: '.github/release-policy.yml',
        repository: 'acme/web',
        path: '.github/release-policy.yml',
        ref: 'main',
        blobSha: null,
        text: POLICY,
      },
    ];
    for (let i = 0; i < DECISIONS; i++) {
      const facts = releaseFacts('PROD', i.toString(16).padStart(40, '0'));
      const at = new Date(Date.parse('2026-11-01T09:00:00Z') + i * 60_000);
      const decided = evaluate(policy.policy, facts, at);
      const { id } = await store.recordEvaluation({
        repo: 'acme/web',
        sha: facts.sha,
        environment: 'PROD',
        stage: 'PROD',
        decision: decided.decision,
        rules: decided.rules,
        inputs: { facts },
        at,
        policyFiles,
      });
      if (i === 0) first = id;
    }
    await store.close();
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('`replay | head -1` prints one line, no EPIPE, and replay still exits with its own code', () => {
    const replay = command(['replay', '--repo', 'acme/web', '--database', url]).map(quote).join(' ');
    const run = spawnSync('bash', ['-c', `set -o pipefail; ${replay} | head -1; echo "exit \${PIPESTATUS[0]}" >&2`], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stdout).toBe(
      `#${first} acme/web 0000000 PROD at 2026-11-01T09:00:00.000Z: stored wait, replayed wait: identical\n`,
    );
    expect(run.stderr).toBe('exit 0\n');
  });

  it('`explain` into a pipe already closed writes nothing to stderr and exits 0', async () => {
    const [node, ...args] = command(['explain', '--id', String(first), '--database', url]);
    const child = spawn(node!, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader is gone before the command writes its first line.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
