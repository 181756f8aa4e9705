/** `npx tsx bench/console-main.ts [--quick] [--large 100000]`: the console list-page benchmark alone. */
import { runConsoleBench } from './console.js';

const i = process.argv.indexOf('--large');
const met = await runConsoleBench({
  log: (line) => process.stdout.write(`${line}\n`),
  quick: process.argv.includes('--quick'),
  ...(i >= 0 ? { large: Number(process.argv[i + 1]) } : {}),
});
process.exitCode = met ? 0 : 1;
