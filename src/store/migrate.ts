import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';
import type {
  MigrationDirectory,
  MigrationList,
  SchemaEngine,
  SchemaFilter,
} from '@prisma/schema-engine-wasm/schema_engine_bg';
import { StoreError, type DatabaseProvider } from './types.js';

/** `prisma/` at the package root: two levels up from both src/store and dist/store. */
export const PRISMA_DIR = fileURLToPath(new URL('../../prisma/', import.meta.url));

const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: Record<string, object>): Promise<{ exports: Record<string, unknown> }>;
}

let engineReady: Promise<void> | undefined;

/**
 * Loads Prisma's WebAssembly schema engine once per process. The package's own entry
 * imports the .wasm file as an ES module, which Node does not do, so the module is
 * compiled here and handed to its generated bindings.
 */
function loadSchemaEngineWasm(): Promise<void> {
  engineReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmPath = join(
      dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')),
      'schema_engine_bg.wasm',
    );
    // tsconfig's lib has no WebAssembly declarations (no DOM); Node 24 provides it.
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = await wasm.compile(await readFile(wasmPath));
    // The engine arms timers (e.g. the 10 s PostgreSQL advisory-lock timeout) and never
    // clears them; unref them so a finished migration does not hold the process open.
    const imports: Record<string, unknown> = { ...bg };
    for (const [name, fn] of Object.entries(bg)) {
      if (name.startsWith('__wbg_setTimeout_') && typeof fn === 'function') {
        imports[name] = (...args: unknown[]) => {
          const timer = (fn as (...a: unknown[]) => unknown)(...args);
          (timer as { unref?: () => void } | null)?.unref?.();
          return timer;
        };
      }
    }
    const instance = await wasm.instantiate(module, { './schema_engine_bg.js': imports });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return engineReady;
}

/** The schema file and migrations folder of one provider. */
export interface MigrationSet {
  provider: DatabaseProvider;
  schemaPath: string;
  schema: string;
  migrationList: MigrationList;
  names: string[];
}

/** Reads `prisma/<provider>/schema.prisma` and its `migrations/` folder. */
export async function loadMigrationSet(
  provider: DatabaseProvider,
  prismaDir: string = PRISMA_DIR,
): Promise<MigrationSet> {
  const dir = join(prismaDir, provider);
  const schemaPath = join(dir, 'schema.prisma');
  const baseDir = join(dir, 'migrations');
  const schema = await readFile(schemaPath, 'utf8');
  let entries: string[] = [];
  try {
    entries = (await readdir(baseDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const migrationDirectories: MigrationDirectory[] = [];
  for (const name of entries) {
    const sql = await readFile(join(baseDir, name, 'migration.sql'), 'utf8');
    migrationDirectories.push({
      path: name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: sql } },
    });
  }
  let lockContent: string | null = null;
  try {
    lockContent = await readFile(join(baseDir, 'migration_lock.toml'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return {
    provider,
    schemaPath,
    schema,
    names: entries,
    migrationList: {
      baseDir,
      lockfile: { path: 'migration_lock.toml', content: lockContent },
      shadowDbInitScript: '',
      migrationDirectories,
    },
  };
}

/** Starts a schema engine over a driver adapter; the caller frees it. */
export async function openSchemaEngine(
  factory: SqlMigrationAwareDriverAdapterFactory,
  set: MigrationSet,
): Promise<SchemaEngine> {
  await loadSchemaEngineWasm();
  return bg.SchemaEngine.new(
    { datamodels: [[set.schemaPath, set.schema]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(factory),
  );
}

/**
 * Applies the migrations of `set` that the database lacks, in-process, recording them in
 * `_prisma_migrations` as `prisma migrate deploy` would. Running it again is a no-op.
 * Returns the names applied by this call.
 */
export async function migrate(factory: SqlMigrationAwareDriverAdapterFactory, set: MigrationSet): Promise<string[]> {
  const engine = await openSchemaEngine(factory, set);
  try {
    const out = await engine.applyMigrations({ migrationsList: set.migrationList, filters: NO_FILTERS });
    return out.appliedMigrationNames;
  } catch (error) {
    throw new StoreError(
      `Migrating the ${set.provider} database failed: ${describeEngineError(error)}`,
      'MIGRATION_FAILED',
    );
  } finally {
    engine.free();
  }
}

/**
 * The SQL that takes a database built from the schema `fromSchema` (null: an empty
 * database) to the schema file of `set`; empty when they agree. Both sides are schema
 * texts, so no shadow database is needed (describing a live PostgreSQL database through
 * the adapter fails on its `"char"` catalog columns, and an in-memory SQLite shadow
 * loses its tables when the client reconnects).
 */
export async function diffSchemaToSchema(
  factory: SqlMigrationAwareDriverAdapterFactory,
  set: MigrationSet,
  fromSchema: string | null,
): Promise<string> {
  const engine = await openSchemaEngine(factory, set);
  try {
    const result = await engine.diff({
      from:
        fromSchema === null
          ? { tag: 'empty' }
          : { tag: 'schemaDatamodel', files: [{ path: 'previous.prisma', content: fromSchema }] },
      to: { tag: 'schemaDatamodel', files: [{ path: set.schemaPath, content: set.schema }] },
      script: true,
      exitCode: null,
      filters: NO_FILTERS,
    });
    return result.stdout ?? '';
  } finally {
    engine.free();
  }
}

/** Schema engine errors arrive as objects with a message, or as strings. */
export function describeEngineError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error)
    return String((error as { message: unknown }).message);
  return String(error);
}
