import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { cli } from './helpers.js';

describe('release-gate audit', () => {
  it('exports the recorded timeline of a repository as JSON and CSV', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rg-audit-'));
    const store = await openStore({ databaseUrl: 'file:./data/release-gate.db', cwd: dir });
    const sha = 'a'.repeat(40);
    await store.recordEvent({
      repo: 'acme/web',
      sha,
      version: 'v1.0.2',
      environment: 'DEV',
      type: 'CREATE',
      status: 'COMPLETED',
      actor: 'user',
      at: new Date('2026-03-01T20:00:00Z'),
      notes: 'Release v1.0.2 created for DEV',
    });
    await store.recordEvent({
      repo: 'acme/web',
      sha,
      version: 'v1.0.2',
      environment: 'PRE_PROD',
      type: 'PROMOTE',
      status: 'COMPLETED',
      actor: 'user',
      at: new Date('2026-03-01T20:05:00Z'),
      notes: 'Promoted, "quoted", from DEV',
    });
    await store.recordEvent({
      repo: 'acme/api',
      sha,
      environment: 'DEV',
      type: 'CREATE',
      at: new Date('2026-03-01T20:06:00Z'),
    });
    await store.recordEvent({
      repo: 'acme/web',
      sha,
      environment: 'DEV',
      type: 'CREATE',
      at: new Date('2025-12-01T00:00:00Z'),
    });
    await store.close();

    const json = await cli(['audit', '--repo', 'acme/web', '--since', '30d'], {
      cwd: dir,
      now: '2026-03-10T00:00:00Z',
    });
    expect(json.code).toBe(0);
    const events = json.json();
    expect(events.map((e: { type: string; environment: string }) => `${e.type} ${e.environment}`)).toEqual([
      'CREATE DEV',
      'PROMOTE PRE_PROD',
    ]);

    const csv = await cli(['audit', '--repo', 'acme/web', '--format', 'csv'], {
      cwd: dir,
      now: '2026-03-10T00:00:00Z',
    });
    const lines = csv.stdout.trimEnd().split(/\r?\n/);
    expect(lines[0]).toBe('at,repo,sha,version,environment,type,status,actor,notes,deliveryId,id');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('"Promoted, ""quoted"", from DEV"');
  });

  it('never creates an empty record: a missing database is an error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rg-audit-'));
    const r = await cli(['audit', '--repo', 'acme/web'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `release-gate audit: no record at ${join(dir, 'data/release-gate.db')}. Run it where the App keeps ./data, or pass --database-url (or DATABASE_URL) of the App's database.\n`,
    );
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('rejects a bad repository, format or duration', async () => {
    expect((await cli(['audit'])).stderr).toContain('--repo OWNER/REPO is required');
    expect((await cli(['audit', '--repo', 'acme/web', '--format', 'xml'])).stderr).toContain(
      '--format "xml" is not supported; use json or csv.',
    );
    expect((await cli(['audit', '--repo', 'acme/web', '--since', '2w'])).stderr).toContain(
      '--since "2w" is not a duration',
    );
  });
});
