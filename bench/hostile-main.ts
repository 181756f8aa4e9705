/** `npx tsx bench/hostile-main.ts [--quick]`: the hostile-input benchmark alone. */
import { cpus, loadavg, totalmem } from 'node:os';
import { runHostileBench } from './hostile.js';

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
log(
  `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load ${loadavg()[0]!.toFixed(1)}`,
);
log('');
await runHostileBench({ log, quick: process.argv.includes('--quick') });
