/**
 * The demo's start: how long after `npm run demo` its board is served (`/`, the visitor
 * signed in on the way), in a fresh clone (this working tree's files, installed as
 * `npm install` does: `prepare` generates the Prisma clients and builds), each run on a new
 * throw-away record. Baseline, measured in the same run: `npm start` in the same clone
 * without an App, until its registration page answers (the same npm, Node and App start
 * without the demo's record, simulated GitHub and console). Target: the board within 10 s,
 * every run. Also printed: when the generated history was fully played through the App.
 */
import { rmSync } from 'node:fs';
import { freshClone, startNpmScript, waitForBoard, waitForHistory } from '../test/support/demo-process.js';
import { freePort, waitForStatus } from '../test/support/processes.js';

export interface DemoBenchOptions {
  log: (line: string) => void;
  quick?: boolean;
}

const TARGET_MS = 10_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Runs the section; true when the target was met. */
export async function runDemoBench(options: DemoBenchOptions): Promise<boolean> {
  const { log } = options;
  const runs = options.quick ? 1 : 3;
  log('Demo: `npm run demo` to its board, fresh clone');
  const prepared = Date.now();
  const dir = freshClone();
  log(`  fresh clone installed (prepare: generate + build) in ${s(Date.now() - prepared)}`);
  try {
    const baseline: number[] = [];
    const board: number[] = [];
    const history: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      const port = await freePort();
      const since = Date.now();
      const start = startNpmScript(dir, 'start', { PORT: String(port), HOST: '127.0.0.1' });
      const page = await waitForStatus(`http://127.0.0.1:${port}/`, 200, start, 60_000);
      if (!page) throw new Error(`npm start served no registration page:\n${start.output()}`);
      baseline.push(Date.now() - since);
      await page.arrayBuffer();
      await start.stop();

      const demoPort = await freePort();
      const began = Date.now();
      const demo = startNpmScript(dir, 'demo', { PORT: String(demoPort) });
      try {
        const served = await waitForBoard(`http://localhost:${demoPort}`, demo, began, 60_000);
        if (!served) throw new Error(`npm run demo served no board within 60 s:\n${demo.output()}`);
        board.push(served.ms);
        if (!(await waitForHistory(demo))) throw new Error(`the demo's history was not played:\n${demo.output()}`);
        history.push(Date.now() - began);
      } finally {
        await demo.stop();
      }
    }
    const worst = Math.max(...board);
    const met = worst < TARGET_MS;
    log(
      `  baseline: npm start to its registration page   median ${s(median(baseline))}  (${baseline.map(s).join(', ')})`,
    );
    log(
      `  npm run demo to its board (signed in)          median ${s(median(board))}  (${board.map(s).join(', ')}; ${(median(board) / median(baseline)).toFixed(1)}x the baseline)`,
    );
    log(`  npm run demo to its history fully played       median ${s(median(history))}`);
    log(`  target: the board within ${s(TARGET_MS)}, every run: ${met ? 'met' : 'NOT met'} (worst ${s(worst)})`);
    return met;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
