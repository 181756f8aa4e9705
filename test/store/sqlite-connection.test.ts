import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter, parseDatabaseUrl } from '../../src/store/database-url.js';
import { PrismaClient } from '../../src/store/generated/sqlite/client.js';
import { openStore } from '../../src/store/open-store.js';
import { Database, existingFileUri } from '../../src/store/sqlite-adapter.js';
import type { Store } from '../../src/store/types.js';
import { sqliteTarget, type Target } from './targets.js';

const AT = new Date('2026-11-01T10:00:00Z');

describe('the SQLite record shares its file with other processes', () => {
  let tg: Target;
  let store: Store;

  beforeAll(async () => {
    tg = await sqliteTarget();
    store = await openStore({ databaseUrl: tg.url });
  });

  afterAll(async () => {
    await store?.close();
    await tg?.cleanup();
  });

  const enqueue = (id: string) =>
    store.enqueueDelivery({
      deliveryId: id,
      event: 'deployment_protection_rule',
      action: 'requested',
      repo: 'acme/web',
      orderKey: `gate:${id}`,
      priority: 0,
      payload: `{"id":"${id}"}`,
      now: AT,
    });

  it('waits for another writer instead of failing, in a transaction and after one', async () => {
    // A transaction first (the delivery and its record are one write), then one while another
    // process holds the file's write lock, and a single statement after it.
    expect(await enqueue('before')).toBe('queued');
    // Another process (a CLI command, a backup) takes the write lock and holds it a moment.
    const other = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createClient } from '@libsql/client';
        const db = createClient({ url: ${JSON.stringify(tg.url)} });
        const tx = await db.transaction('write');
        await tx.execute({ sql: 'UPDATE "Delivery" SET "outcome" = ? WHERE "id" = ?', args: ['held', 'before'] });
        process.stdout.write('locked\\n');
        setTimeout(async () => { await tx.commit(); db.close(); }, 300);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await once(other.stdout, 'data');
    expect(await enqueue('while-held')).toBe('queued');
    await store.finishDelivery('while-held', 'approved', AT);
    await once(other, 'exit');
    expect(await store.getDelivery('while-held')).toMatchObject({ outcome: 'approved' });
    expect(await store.getDelivery('before')).toMatchObject({ outcome: 'held' });
  });

  it('commits to the write-ahead log without waiting for the disk, on the connection transactions use too', async () => {
    const { factory, dispose } = createAdapter(parseDatabaseUrl(tg.url, process.cwd()));
    const db = new PrismaClient({ adapter: factory });
    try {
      const setting = async () =>
        Number(
          (await db.$queryRawUnsafe<Array<{ synchronous: number | bigint }>>('PRAGMA synchronous'))[0]?.synchronous,
        );
      const journal = await db.$queryRawUnsafe<Array<{ journal_mode: string }>>('PRAGMA journal_mode');
      expect(journal[0]?.journal_mode).toBe('wal');
      // 1: NORMAL (2 would be FULL, a flush of the log at every commit).
      expect(await setting()).toBe(1);
      await db.$transaction(async (tx) => {
        expect(
          Number(
            (await tx.$queryRawUnsafe<Array<{ synchronous: number | bigint }>>('PRAGMA synchronous'))[0]?.synchronous,
          ),
        ).toBe(1);
      });
      expect(await setting()).toBe(1);
    } finally {
      await db.$disconnect();
      await dispose();
    }
  });

  it('copies the write-ahead log into the database file while the App runs, long before the log is large', async () => {
    const file = tg.url.slice('file:'.length);
    const before = statSync(file).size;
    // About 3 MiB of record: fewer pages than SQLite's own checkpoint waits for (and than the
    // connection's, 40 MiB), so only the checkpointer's thread copies them into the file.
    for (let i = 0; i < 30; i++)
      await store.enqueueDelivery({
        deliveryId: `big-${i}`,
        event: 'status',
        action: null,
        repo: 'acme/web',
        orderKey: `status:${i}`,
        priority: 2,
        payload: JSON.stringify({ filler: 'x'.repeat(100_000), i }),
        now: AT,
      });
    const until = Date.now() + 10_000;
    while (statSync(file).size < before + 2_000_000 && Date.now() < until)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(statSync(file).size).toBeGreaterThan(before + 2_000_000);
    expect((await store.getInboxDelivery('big-29'))?.payload).toContain('"i":29');
  });
  it("opens the checkpointer's file only if it is there: never an empty file at a deleted file's path", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'release-gate-uri-'));
    try {
      // Gone: the open fails and creates nothing.
      const gone = join(dir, 'gone.db');
      expect(() => new Database(existingFileUri(gone), { timeout: 0 }).prepare('SELECT 1').all([])).toThrow();
      expect(existsSync(gone)).toBe(false);
      // There, under a name a URI must encode: that very file is opened.
      const odd = join(dir, 'a b?c#d%e.db');
      const writer = new Database(odd, { timeout: 0 });
      writer.exec("CREATE TABLE t (a TEXT); INSERT INTO t VALUES ('here')");
      writer.close();
      const reader = new Database(existingFileUri(odd), { timeout: 0 });
      expect(reader.prepare('SELECT a FROM t').all([])).toEqual([{ a: 'here' }]);
      reader.close();
      expect(readdirSync(dir).filter((f) => f.endsWith('.db'))).toEqual(['a b?c#d%e.db']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
