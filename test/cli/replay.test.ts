import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/core/evaluate.js';
import { loadPolicy } from '../../src/core/policy-load.js';
import { releaseFacts } from '../support/release-facts.js';
import { openStore } from '../../src/store/open-store.js';
import { cli } from './helpers.js';

const POLICY = 'version: 1\nenvironments:\n  - name: DEV\n  - name: PROD\n    minApprovals: 1\n';
const facts = releaseFacts('PROD', 'e'.repeat(40));

describe('release-gate replay', () => {
  let dir: string;
  let url: string;
  let tampered: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rg-replay-cli-'));
    url = `file:${join(dir, 'gate.db')}`;
    const store = await openStore({ databaseUrl: url });
    const policy = loadPolicy(POLICY, '.github/release-policy.yml');
    if (!policy.ok) throw new Error('invalid test policy');
    const at = new Date('2026-11-01T09:00:00Z');
    const decided = evaluate(policy.policy, facts, at);
    expect(decided.decision).toBe('wait');
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
    // A record someone edited: it says the release was allowed with the approvals passing.
    const rules = decided.rules.map((r) =>
      r.code === 'APPROVAL_REQUIRED' ? { ...r, code: 'OK_APPROVALS', ok: true, outcome: 'pass' } : r,
    );
    tampered = (
      await store.recordEvaluation({
        repo: 'acme/web',
        sha: facts.sha,
        environment: 'PROD',
        stage: 'PROD',
        decision: 'allow',
        rules,
        inputs: { facts },
        at,
        policyFiles,
      })
    ).id;
    await store.close();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 1 and lists the rules that differ when a stored decision is not what the record gives', async () => {
    const run = await cli(['replay', '--id', String(tampered), '--database', url, '--json']);
    expect(run.json()).toEqual({
      replayed: 1,
      identical: 0,
      different: [
        {
          id: tampered,
          stored: 'allow',
          replayed: 'wait',
          rules: [
            { code: 'APPROVAL_REQUIRED', stored: null, replayed: 'wait' },
            { code: 'OK_APPROVALS', stored: 'pass', replayed: null },
          ],
        },
      ],
      notReplayable: [],
    });
    expect(run.code).toBe(1);
    const text = await cli(['replay', '--id', String(tampered), '--database', url]);
    expect(text.stdout.split('\n').slice(0, 3)).toEqual([
      `#${tampered} acme/web eeeeeee PROD at 2026-11-01T09:00:00.000Z: stored allow, replayed wait: DIFFERENT (decided by engine 0.1.0)`,
      '    APPROVAL_REQUIRED: stored absent, replayed wait',
      '    OK_APPROVALS: stored pass, replayed absent',
    ]);
    expect(text.code).toBe(1);
  });

  it('does not replay a decision whose stored policy text was altered', async () => {
    const { PrismaLibSql } = await import('@prisma/adapter-libsql');
    const { PrismaClient } = await import('../../src/store/generated/sqlite/client.js');
    const db = new PrismaClient({ adapter: new PrismaLibSql({ url }) });
    const store = await openStore({ databaseUrl: url });
    const policyFiles = [
      {
        role: 'repository' as const,
        source: '.github/release-policy.yml',
        repository: 'acme/altered',
        path: '.github/release-policy.yml',
        ref: 'main',
        blobSha: null,
        text: `${POLICY}# kept\n`,
      },
    ];
    const row = await store.recordEvaluation({
      repo: 'acme/altered',
      sha: facts.sha,
      environment: 'PROD',
      stage: 'PROD',
      decision: 'wait',
      rules: [],
      inputs: { facts },
      at: new Date('2026-11-01T09:00:00Z'),
      policyFiles,
    });
    await store.close();
    const hash = row.policyFiles![0]!.sha256;
    try {
      await db.policyBlob.update({
        where: { sha256: hash },
        data: { text: POLICY.replace('minApprovals: 1', 'minApprovals: 0') },
      });
    } finally {
      await db.$disconnect();
    }
    const run = await cli(['replay', '--repo', 'acme/altered', '--database', url, '--json']);
    expect(run.json()).toEqual({
      replayed: 0,
      identical: 0,
      different: [],
      notReplayable: [
        {
          id: row.id,
          reason: `the policy text of .github/release-policy.yml (sha256 ${hash}) is missing from the record or no longer matches its sha256`,
        },
      ],
    });
  });

  it('says which decisions to replay, and where the record is, when it cannot tell', async () => {
    expect(await cli(['replay', '--database', url])).toMatchObject({
      code: 1,
      stderr:
        'release-gate replay: say which decisions: --id N, or --repo OWNER/REPO and/or --since DURATION (e.g. --repo acme/web --since 7d).\n',
    });
    expect(await cli(['replay', '--id', '999', '--database', url])).toMatchObject({
      code: 1,
      stderr: 'release-gate replay: There is no evaluation 999 in the record.\n',
    });
    const missing = join(dir, 'none.db');
    expect(await cli(['replay', '--repo', 'acme/web', '--database', `file:${missing}`])).toMatchObject({
      code: 1,
      stderr: `release-gate replay: no record at ${missing}. Run it where the App keeps ./data, or pass --database (or DATABASE_URL) of the App's database.\n`,
    });
  });
});
