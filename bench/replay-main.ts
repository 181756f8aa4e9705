/** `npx tsx bench/replay-main.ts [--n 100000] [--quick]`: the replay and simulate benchmark alone. */
import { runReplayBench } from './replay.js';

const i = process.argv.indexOf('--n');
const count = i >= 0 ? Number(process.argv[i + 1]) : undefined;
await runReplayBench({
  log: (line) => process.stdout.write(`${line}\n`),
  quick: process.argv.includes('--quick'),
  ...(count ? { count } : {}),
});
