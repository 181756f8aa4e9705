/**
 * `npx tsx bench/burst-main.ts [--webhooks 10000] [--senders 32]`: the burst on two replicas
 * and PostgreSQL alone (BENCH_DATABASE_URL or TEST_DATABASE_URL picks the server). The full
 * size takes about half an hour: GitHub's one write per second per installation sets the pace.
 */
import { runBurstBench } from './burst.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};
const webhooks = arg('--webhooks');
const senders = arg('--senders');
const met = await runBurstBench({
  log: (line) => process.stdout.write(`${line}\n`),
  ...(webhooks ? { webhooks } : {}),
  ...(senders ? { senders } : {}),
});
process.exitCode = met ? 0 : 1;
