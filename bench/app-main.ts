/** `npx tsx bench/app-main.ts [--n 300] [--concurrency 8] [--quick]`: the App benchmark alone. */
import { runAppBench } from './app.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};
const n = arg('--n');
const concurrency = arg('--concurrency');
await runAppBench({
  log: (line) => process.stdout.write(`${line}\n`),
  quick: process.argv.includes('--quick'),
  ...(n ? { n } : {}),
  ...(concurrency ? { concurrency } : {}),
});
