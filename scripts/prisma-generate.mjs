#!/usr/bin/env node
// Generates the Prisma clients for both schemas (SQLite and PostgreSQL) into
// src/store/generated/. `prisma generate` insists that a schema engine binary exists
// before it starts, and would download one; the engine is never run by `generate`, and
// migrations run in-process on the WebAssembly engine (src/store/migrate.ts), so any
// existing executable satisfies the check: we point it at this Node binary.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import process from 'node:process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve('prisma/package.json')), 'build', 'index.js');

for (const provider of ['sqlite', 'postgresql']) {
  const result = spawnSync(
    process.execPath,
    [cli, 'generate', '--schema', join(root, 'prisma', provider, 'schema.prisma')],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
      },
    },
  );
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(
      `prisma generate failed for prisma/${provider}/schema.prisma (exit ${result.status ?? result.signal})`,
    );
    process.exit(result.status ?? 1);
  }
}
