/**
 * Every benchmark, one command: `npm run bench` (add `-- --quick` for small sizes;
 * `-- --only=burst --webhooks=2000` for a smaller burst).
 * Each section prints its figures with ratios against a baseline measured in the same run.
 * `-- --compare <ref> [--only=<section>]` runs a section on the commit `ref` and on the working
 * tree, back to back, and prints the ratio of each figure (bench/compare.ts).
 */
import { cpus, totalmem } from 'node:os';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const log = (line: string) => process.stdout.write(`${line}\n`);
const compareAt = process.argv.indexOf('--compare');
const compareRef =
  process.argv.find((a) => a.startsWith('--compare='))?.slice(10) ??
  (compareAt >= 0 ? process.argv[compareAt + 1] : undefined);

log(
  `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString()}`,
);
log('');

const sections: Array<[string, () => Promise<void>]> = [
  ['evaluate', async () => (await import('./evaluate.js')).runEvaluateBench({ log, ms: quick ? 500 : 2000 })],
  [
    'junit',
    async () => (await import('./junit.js')).runJunitBench({ sizes: quick ? ['20MB'] : ['20MB', '100MB', '1GB'], log }),
  ],
  ['app', async () => (await import('./app.js')).runAppBench({ log, quick })],
  [
    'json',
    async () => {
      if (!(await (await import('./json.js')).runJsonBench({ log, quick })))
        log('json: the target was NOT met (see above)');
    },
  ],
  [
    'decisions',
    async () => {
      if (!(await (await import('./decisions.js')).runDecisionsBench({ log, quick })))
        log('decisions: some targets were NOT met (see above)');
    },
  ],
  ['hostile', async () => (await import('./hostile.js')).runHostileBench({ log, quick })],
  ['budget', async () => (await import('./budget.js')).runBudgetBench({ log, quick })],
  ['replay', async () => (await import('./replay.js')).runReplayBench({ log, quick })],
  ['console', async () => void (await import('./console.js')).runConsoleBench({ log, quick })],
  [
    'delivery',
    async () => {
      if (!(await (await import('./delivery.js')).runDeliveryBench({ log, quick })))
        log('delivery: the target was NOT met (see above)');
    },
  ],
  [
    'burst',
    async () => {
      const webhooks = Number(
        process.argv.find((a) => a.startsWith('--webhooks='))?.slice(11) ?? (quick ? 500 : 10_000),
      );
      if (!(await (await import('./burst.js')).runBurstBench({ log, webhooks })))
        log('burst: some targets were NOT met (see above)');
    },
  ],
  [
    'demo',
    async () => {
      if (!(await (await import('./demo.js')).runDemoBench({ log, quick })))
        log('demo: the target was NOT met (see above)');
    },
  ],
  [
    'priority',
    async () => {
      const statuses = Number(
        process.argv.find((a) => a.startsWith('--statuses='))?.slice(11) ?? (quick ? 300 : 1_500),
      );
      if (!(await (await import('./priority.js')).runPriorityBench({ log, statuses })))
        log('priority: some targets were NOT met (see above)');
    },
  ],
  [
    'verify',
    async () => {
      if (!(await (await import('./verify.js')).runVerifyBench({ log, quick })))
        log('verify: some targets were NOT met (see above)');
    },
  ],
];

if (compareRef !== undefined) {
  const { runCompare } = await import('./compare.js');
  const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 2);
  const ok = await runCompare({
    ref: compareRef,
    sections: only ? [only] : ['evaluate'],
    rounds,
    instructions: process.argv.includes('--instructions'),
    extra: process.argv.filter((a) => a === '--quick' || a.startsWith('--webhooks=')),
    log,
  });
  process.exit(ok ? 0 : 1);
}

let failed = false;
for (const [name, run] of sections) {
  if (only && only !== name) continue;
  try {
    await run();
  } catch (error) {
    failed = true;
    log(`${name}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  }
  log('');
}
process.exitCode = failed ? 1 : 0;
