/** `npx tsx bench/junit-main.ts [--sizes 20MB,100MB,1GB]`: the JUnit parser benchmark alone. */
import { cpus, totalmem } from 'node:os';
import { runJunitBench } from './junit.js';

const i = process.argv.indexOf('--sizes');
const sizes = i !== -1 && process.argv[i + 1] ? process.argv[i + 1]!.split(',') : ['20MB', '100MB', '1GB'];
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
log(
  `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
log('');
await runJunitBench({ sizes, log });
