// Bundle the Action (action/src/main.ts) into one ES module, action/dist/index.js, which
// action.yml runs on node24. The output is deterministic: the same sources and lockfile
// give the same bytes, so `npm run check:dist` can compare a fresh build with the
// committed one (as actions/checkout's check-dist workflow does).
//
//   node scripts/build-action.mjs            write action/dist
//   node scripts/build-action.mjs --check    build to a temporary directory and fail when
//                                            action/dist differs from it
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import console from 'node:console';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = resolve(root, 'action/dist');

async function bundle(outdir) {
  await build({
    absWorkingDir: root,
    entryPoints: ['action/src/main.ts'],
    outfile: join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // Some dependencies (ajv, fast-glob...) are CommonJS and call require().
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
    legalComments: 'eof',
    charset: 'utf8',
    sourcemap: false,
    metafile: false,
    // Build the same bytes from a checkout whose node_modules is a symbolic link.
    preserveSymlinks: true,
    logLevel: 'warning',
  });
}

async function listFiles(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

if (process.argv.includes('--check')) {
  const tmp = await mkdtemp(join(tmpdir(), 'release-gate-dist-'));
  try {
    await bundle(tmp);
    const [fresh, committed] = await Promise.all([listFiles(tmp), listFiles(dist)]);
    let stale = fresh.join('\n') !== committed.join('\n');
    for (const file of stale ? [] : fresh) {
      const [a, b] = await Promise.all([readFile(join(tmp, file)), readFile(join(dist, file))]);
      if (!a.equals(b)) {
        stale = true;
        break;
      }
    }
    if (stale) {
      console.error('action/dist is stale: run npm run build:action and commit it');
      process.exitCode = 1;
    } else {
      console.log('action/dist is current.');
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
} else {
  await rm(dist, { recursive: true, force: true });
  await bundle(dist);
  console.log('Wrote action/dist/index.js');
}
