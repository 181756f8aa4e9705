/**
 * `npm run bench -- --compare <ref> [--only=<section>] [--rounds=N] [--quick]`: runs a section on
 * the commit `ref` and on the working tree in the same run, alternating, and prints each
 * figure's ratio. The commit is checked out in a temporary `git worktree` (bench/.tmp/compare/)
 * with the shared node_modules linked and its own Prisma client generated; the working tree's
 * bench/ is copied over its own, so both trees run the same measurement on their own src/.
 * The worktree is removed afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Figure } from './figures.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function git(args: string[], cwd = ROOT): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr.trim() || `exit ${result.status}`}`);
  return result.stdout.trim();
}

/** Checks `ref` out beside the repository, ready to run the working tree's benchmarks. */
function prepare(ref: string, log: (line: string) => void): { dir: string; sha: string } {
  const sha = git(['rev-parse', '--verify', `${ref}^{commit}`]);
  const dir = join(ROOT, 'bench', '.tmp', 'compare', `${sha.slice(0, 12)}-${process.pid}`);
  if (existsSync(dir)) {
    spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT });
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dirname(dir), { recursive: true });
  git(['worktree', 'add', '--detach', dir, sha]);
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'), 'dir');
  for (const entry of readdirSync(join(ROOT, 'bench'))) {
    if (entry.endsWith('.ts')) cpSync(join(ROOT, 'bench', entry), join(dir, 'bench', entry));
  }
  if (existsSync(join(dir, 'scripts', 'prisma-generate.mjs'))) {
    log(`Generating the Prisma client of ${sha.slice(0, 12)}...`);
    const generated = spawnSync(process.execPath, [join(dir, 'scripts', 'prisma-generate.mjs')], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (generated.status !== 0) throw new Error(`prisma generate at ${ref}: ${generated.stderr.slice(-2000)}`);
  }
  return { dir, sha };
}

/** Runs one section in `dir` and returns its figures (and its output when it failed). */
function runSection(dir: string, section: string, extra: string[]): Promise<{ figures: Figure[]; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join('bench', 'run.ts'), `--only=${section}`, '--figures', ...extra],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const figures = output
        .split('\n')
        .filter((line) => line.startsWith('FIGURE '))
        .map((line) => JSON.parse(line.slice(7)) as Figure);
      if (figures.length === 0) output += `\n(exit ${code})`;
      resolve({ figures, output });
    });
  });
}

/** Instructions one evaluation of the PROD policy costs in `dir` (callgrind; two counts, their difference). */
function instructionsPerEvaluation(dir: string): number {
  const count = (n: number): number => {
    const run = spawnSync(
      'valgrind',
      [
        '--tool=callgrind',
        '--callgrind-out-file=/dev/null',
        process.execPath,
        '--import',
        'tsx',
        join('bench', 'evaluate-count.ts'),
        String(n),
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    const m = /Collected : (\d+)/.exec(run.stderr);
    if (run.status !== 0 || !m)
      throw new Error(`callgrind in ${dir}: ${run.error?.message ?? run.stderr.slice(-1000)}`);
    return Number(m[1]);
  };
  return (count(12_000) - count(2_000)) / 10_000;
}

function best(values: number[], better: Figure['better']): number {
  return better === 'higher' ? Math.max(...values) : Math.min(...values);
}

function fmt(value: number, unit: string): string {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

/** The comparison: both trees, `rounds` times each, alternating; the best figure of each side. */
export async function runCompare(options: {
  ref: string;
  sections: string[];
  rounds: number;
  extra: string[];
  /** Also count the instructions of one evaluation in each tree (valgrind; minutes). */
  instructions?: boolean;
  log: (line: string) => void;
}): Promise<boolean> {
  const { log } = options;
  const { dir, sha } = prepare(options.ref, log);
  let ok = true;
  try {
    const head = git(['rev-parse', '--short=12', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '' ? ' with uncommitted changes' : '';
    for (const section of options.sections) {
      const seen: Record<'ref' | 'work', Map<string, { figure: Figure; values: number[] }>> = {
        ref: new Map(),
        work: new Map(),
      };
      const loads: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        for (const side of ['ref', 'work'] as const) {
          loads.push(loadavg()[0]!);
          const { figures, output } = await runSection(side === 'ref' ? dir : ROOT, section, options.extra);
          if (figures.length === 0) {
            ok = false;
            log(
              `${section} at ${side === 'ref' ? options.ref : 'the working tree'} gave no figures:\n${output.slice(-3000)}`,
            );
          }
          for (const f of figures) {
            const entry = seen[side].get(f.measure) ?? { figure: f, values: [] };
            entry.values.push(f.value);
            seen[side].set(f.measure, entry);
          }
        }
      }
      log(
        `## ${section}: ${options.ref} (${sha.slice(0, 12)}) against the working tree (${head}${dirty}), best of ${options.rounds} runs each, alternating; load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} on ${(await import('node:os')).cpus().length} cores`,
      );
      log('');
      log(`| measure | ${options.ref} | working tree | working tree / ${options.ref} |`);
      log('|---|---|---|---|');
      for (const [measure, work] of seen.work) {
        const ref = seen.ref.get(measure);
        const w = best(work.values, work.figure.better);
        if (!ref) {
          log(`| ${measure} | - | ${fmt(w, work.figure.unit)} | |`);
          continue;
        }
        const r = best(ref.values, ref.figure.better);
        const ratio = work.figure.better === 'higher' ? w / r : r / w;
        log(
          `| ${measure} | ${fmt(r, ref.figure.unit)} | ${fmt(w, work.figure.unit)} | ${ratio.toFixed(2)}x ${ratio >= 1 ? 'as fast' : 'SLOWER'} |`,
        );
      }
      log('');
    }
    if (options.instructions) {
      const ref = instructionsPerEvaluation(dir);
      const work = instructionsPerEvaluation(ROOT);
      log(
        `Instructions per evaluation of the realistic PROD policy (callgrind, 12,000 minus 2,000 evaluations): ${options.ref} ${Math.round(ref).toLocaleString('en-US')}, working tree ${Math.round(work).toLocaleString('en-US')} (${(ref / work).toFixed(2)}x ${ref >= work ? 'fewer' : 'MORE'} in the working tree)`,
      );
      log('');
    }
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT });
    rmSync(dir, { recursive: true, force: true });
  }
  return ok;
}
