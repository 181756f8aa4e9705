import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_INBOX_SETTINGS } from '../../src/app/inbox.js';
import { LEASE_MS } from '../../src/app/lease.js';
import { STOP_DEADLINE_MS } from '../../src/app/start.js';
import { readConsoleConfig } from '../../src/console/config.js';
import { etagCache } from '../../src/github/conditional-requests.js';
import { GITHUB_REQUEST_TIMEOUT_MS } from '../../src/github/write-budget.js';
import { openStore } from '../../src/store/open-store.js';
import { cli } from '../cli/helpers.js';
import { ROOT } from '../support/processes.js';
import { postgresTarget, sqliteTarget } from '../store/targets.js';
import type { Target } from '../store/targets.js';

/** The README's figures of the App's behaviour, compared with the constants the code uses. */
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe("the README's numbers come from the code", () => {
  it('the inbox: workers, backoff, tries, and the grace at a stop', () => {
    const s = DEFAULT_INBOX_SETTINGS;
    expect(README).toContain(`Workers (${s.concurrency} per replica)`);
    expect(README).toContain(
      `backoff (${s.retryBaseMs / 1000} s doubling to ${s.maxRetryMs / 60_000} min, ${s.maxAttempts} tries`,
    );
    expect(README).toContain(`gives those it is handling ${s.stopGraceMs / 1000} s to finish`);
    expect(README).toContain(`The process exits within\n  ${STOP_DEADLINE_MS / 1000} s`);
    expect(README).toContain(`stops on SIGTERM within ${STOP_DEADLINE_MS / 1000} s`);
  });

  it('leases, time limits and caches', () => {
    expect(LEASE_MS).toBe(60_000);
    expect(README).toContain(`works on every ${LEASE_MS / 3 / 1000} s while it works`);
    expect(README).toContain('taken over within a minute (the\n  lease)');
    expect(README).toContain(`time limit** (${GITHUB_REQUEST_TIMEOUT_MS / 1000} s,`);
    expect(README).toContain(
      `at most ${etagCache.maxEntries.toLocaleString('en-US')} entries and ${etagCache.maxBytes / 1024 / 1024} MiB of answers`,
    );
  });

  it("the console's defaults", () => {
    const config = readConsoleConfig({ WEBHOOK_SECRET: 'x'.repeat(40) }, 'https://api.github.com');
    const hours = config.sessionTtlMs / 3_600_000;
    expect(README).toContain(`\`SESSION_TTL_HOURS\` (${hours})`);
    expect(README).toContain(`| \`SESSION_TTL_HOURS\` | App | \`${hours}\` |`);
    expect(config.rateLimit.windowMs).toBe(60_000);
    expect(README).toContain(`| \`API_RATE_LIMIT\` | App | \`${config.rateLimit.limit}\` |`);
    expect(README).toContain(`per minute per user, ${config.rateLimit.limit} by default`);
  });
});

describe("the README's `db copy` example lists the tables the command copies", () => {
  let source: Target;
  let target: Target;
  beforeAll(async () => {
    source = await sqliteTarget();
    target = await postgresTarget();
    await (await openStore({ databaseUrl: source.url })).close();
  });
  afterAll(async () => {
    await source?.cleanup();
    await target?.cleanup();
  });

  it('the same tables in the same order, the count of tables, and rows that add up', async () => {
    const run = await cli(['db', 'copy', '--from', source.url, '--to', target.url]);
    expect(run.stderr).toBe('');
    const copied = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('  '))
      .map((l) => l.trim().split(/\s+/)[0]!);
    const start = README.indexOf('$ release-gate db copy --from file:./data/release-gate.db');
    const block = README.slice(start, README.indexOf('```', start)).split('\n');
    const rows = block.filter((l) => /^ {2}\w+ +\d+$/.test(l)).map((l) => l.trim().split(/\s+/));
    expect(rows.map((r) => r[0])).toEqual(copied);
    const total = rows.reduce((n, r) => n + Number(r[1]), 0);
    expect(block).toContain(
      `Copied ${total} rows in ${copied.length} tables; every table's row count matches. Point DATABASE_URL at the new database and start the App.`,
    );
  });
});
