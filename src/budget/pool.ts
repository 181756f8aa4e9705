/**
 * The evaluation budget: every evaluation of a policy (a gate decision, a pull request's
 * policy simulation, the console's freeze calendar, the CLI's `evaluate`) runs in a worker
 * thread, off the event loop, with a time budget (past it the worker is terminated) and a
 * heap budget (V8's `resourceLimits`: past it the worker dies, not the process). Health
 * checks, webhooks and other decisions go on meanwhile.
 *
 * The pool has one worker per core of the machines the App runs on (2). Gate decisions go
 * first; other work (simulations, calendars) takes at most all workers but one, so a slow
 * pull request's simulation never holds up a deployment waiting on its gate.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SimulationReport } from '../core/simulate.js';
import type { EvaluationJob, JobResult, SimulateJob } from './jobs.js';
import type { JobMessage, ReplyMessage } from './worker.js';

/** How long one job may run before its worker is stopped and the policy refused. */
export const EVALUATION_BUDGET_MS = 2_000;
/** How large a worker's heap may grow while evaluating before it dies and the policy is refused. */
export const EVALUATION_HEAP_BUDGET_BYTES = 512 * 1024 * 1024;
/**
 * Reading and validating a policy is bounded by the loader (1 MB, 10,000 lines: under 2 s on
 * a loaded machine, `bench/hostile.ts`), whatever the evaluation budget; its worker is still
 * stopped past this.
 */
export const POLICY_CHECK_BUDGET_MS = 5_000;
/** Workers in a pool: the machines the App runs on have 2 cores. */
export const EVALUATION_POOL_SIZE = 2;

export interface EvaluationBudget {
  ms: number;
  heapBytes: number;
}

export const DEFAULT_EVALUATION_BUDGET: EvaluationBudget = {
  ms: EVALUATION_BUDGET_MS,
  heapBytes: EVALUATION_HEAP_BUDGET_BYTES,
};

/** Gate decisions first; `background` work (simulations, calendars) never takes every worker. */
export type Lane = 'gate' | 'background';

/**
 * How a job ended: its result, or a problem phrased to follow a policy's name ("its
 * evaluation took 2004 ms, over the 2000 ms budget"), with `over` saying which budget it
 * ran past (null when the job failed for another reason).
 */
export type BudgetOutcome<T> =
  { ok: true; value: T; ms: number } | { ok: false; over: 'time' | 'memory' | null; problem: string; ms: number };

interface Task {
  job: EvaluationJob;
  ms: number;
  lane: Lane;
  resolve: (outcome: BudgetOutcome<unknown>) => void;
}

interface Slot {
  worker: Worker | null;
  /** The worker has loaded the core and listens. */
  ready: boolean;
  task: Task | null;
  /** The message id of the job the worker runs, and when it started. */
  id: number;
  started: number;
  timer: NodeJS.Timeout | null;
}

/**
 * The worker's file: its TypeScript source when this runs from source (tests, benchmarks),
 * loaded through tsx found from here (the process may run in any directory), else the build.
 */
function workerFile(): { url: URL; execArgv: string[] } {
  if (!import.meta.url.endsWith('.ts')) return { url: new URL('./worker.js', import.meta.url), execArgv: [] };
  const tsx = createRequire(import.meta.url).resolve('tsx/package.json');
  return {
    url: new URL('./worker.ts', import.meta.url),
    execArgv: ['--import', pathToFileURL(join(dirname(tsx), 'dist', 'loader.mjs')).href],
  };
}

const MIB = 1024 * 1024;

/** Worker threads that run evaluation jobs within a budget; see the module comment. */
export class EvaluationPool {
  private readonly slots: Slot[];
  private readonly queues: Record<Lane, Task[]> = { gate: [], background: [] };
  private readonly backgroundLimit: number;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: { size?: number; heapBytes?: number } = {}) {
    const size = Math.max(1, options.size ?? EVALUATION_POOL_SIZE);
    this.slots = Array.from({ length: size }, () => ({
      worker: null,
      ready: false,
      task: null,
      id: 0,
      started: 0,
      timer: null,
    }));
    this.backgroundLimit = Math.max(1, size - 1);
  }

  /** Runs `job` within `ms` milliseconds of a worker's time (waiting for a free worker is not counted). */
  run<J extends EvaluationJob>(job: J, ms: number, lane: Lane = 'gate'): Promise<BudgetOutcome<JobResult<J>>> {
    if (this.closed) return Promise.resolve({ ok: false, over: null, problem: 'the evaluation pool is closed', ms: 0 });
    return new Promise((resolve) => {
      this.queues[lane].push({ job, ms, lane, resolve: resolve as Task['resolve'] });
      this.dispatch();
    });
  }

  /** Starts the workers, so that the first decision does not wait for one to load. */
  warm(): void {
    for (const slot of this.slots) if (slot.worker === null && !this.closed) this.spawn(slot);
  }

  /** Stops every worker; jobs still queued are answered with an error. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of [...this.queues.gate.splice(0), ...this.queues.background.splice(0)])
      task.resolve({ ok: false, over: null, problem: 'the evaluation pool was closed before it ran', ms: 0 });
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker;
        slot.worker = null;
        if (slot.task) this.finish(slot, { ok: false, over: null, problem: 'the evaluation pool was closed', ms: 0 });
        if (worker) await worker.terminate();
      }),
    );
  }

  private runningBackground(): number {
    return this.slots.filter((slot) => slot.task?.lane === 'background').length;
  }

  private dispatch(): void {
    if (this.closed || this.queues.gate.length + this.queues.background.length === 0) return;
    // Every worker is started with the first job (and again when one is stopped); a job waits
    // for a worker that has loaded, whichever is first: one freed, or one that finished loading.
    this.warm();
    // Workers still loading keep the process alive while jobs wait for them (a CLI has nothing else).
    for (const slot of this.slots) if (!slot.ready) slot.worker?.ref();
    for (const slot of this.slots) {
      if (slot.task !== null || !slot.ready || slot.worker === null) continue;
      const task =
        this.queues.gate.shift() ??
        (this.runningBackground() < this.backgroundLimit ? this.queues.background.shift() : undefined);
      if (task === undefined) return;
      slot.task = task;
      slot.worker.ref();
      this.post(slot, slot.worker);
    }
  }

  /** A worker died before it loaded: the jobs waiting are answered, not left waiting on a worker that cannot start. */
  private failQueued(problem: string): void {
    for (const task of [...this.queues.gate.splice(0), ...this.queues.background.splice(0)])
      task.resolve({ ok: false, over: null, problem, ms: 0 });
  }

  private post(slot: Slot, worker: Worker): void {
    const task = slot.task!;
    slot.id = this.nextId++;
    slot.started = performance.now();
    slot.timer = setTimeout(() => this.overTime(slot), task.ms);
    const message: JobMessage = { id: slot.id, job: task.job };
    worker.postMessage(message);
  }

  private spawn(slot: Slot): Worker {
    const { url, execArgv } = workerFile();
    const heapBytes = this.options.heapBytes ?? EVALUATION_HEAP_BUDGET_BYTES;
    const worker = new Worker(url, {
      execArgv,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(16, Math.round(heapBytes / MIB)), stackSizeMb: 4 },
    });
    slot.worker = worker;
    slot.ready = false;
    worker.on('message', (message: ReplyMessage | { ready: true }) => {
      if (slot.worker !== worker) return;
      if ('ready' in message) {
        slot.ready = true;
        worker.unref();
        this.dispatch();
        return;
      }
      if (slot.task === null || message.id !== slot.id) return;
      const ms = performance.now() - slot.started;
      if (ms > slot.task.ms) return this.overTime(slot);
      this.finish(
        slot,
        message.ok
          ? { ok: true, value: message.value, ms }
          : { ok: false, over: null, problem: `its evaluation failed: ${message.error}`, ms },
      );
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (slot.worker !== worker) return;
      slot.worker = null;
      const ms = slot.task ? performance.now() - slot.started : 0;
      const heap = Math.round(heapBytes / MIB);
      if (slot.task)
        this.finish(
          slot,
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? { ok: false, over: 'memory', problem: `its evaluation used more than the ${heap} MiB budget of heap`, ms }
            : { ok: false, over: null, problem: `its evaluation stopped its worker: ${error.message}`, ms },
        );
      else if (!slot.ready) this.failQueued(`no evaluation worker could start: ${error.message}`);
    });
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      slot.worker = null;
      if (slot.task)
        this.finish(slot, {
          ok: false,
          over: null,
          problem: `its evaluation stopped its worker (exit code ${code})`,
          ms: performance.now() - slot.started,
        });
      else if (!slot.ready) this.failQueued(`no evaluation worker could start (exit code ${code})`);
    });
    worker.unref();
    return worker;
  }

  private overTime(slot: Slot): void {
    const task = slot.task;
    if (task === null) return;
    const worker = slot.worker;
    slot.worker = null;
    const ms = performance.now() - slot.started;
    this.finish(slot, {
      ok: false,
      over: 'time',
      problem: `its evaluation took ${Math.round(ms)} ms, over the ${task.ms} ms budget`,
      ms,
    });
    // The job may be in a loop that never yields: only terminating the thread stops it.
    if (worker) void worker.terminate();
  }

  private finish(slot: Slot, outcome: BudgetOutcome<unknown>): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const task = slot.task;
    slot.task = null;
    slot.worker?.unref();
    task?.resolve(outcome);
    // A worker stopped past its budget is replaced at once, not when the next job comes.
    if (!this.closed) this.warm();
    this.dispatch();
  }
}

/**
 * Simulates a policy change over recorded decisions within `budget`: the simulation stops
 * taking new decisions once it has run `budget.ms` (those left are reported as not
 * simulated), and its worker is stopped when one decision's evaluation runs past the
 * budget, which is then the policy's problem.
 */
export async function simulateWithinBudget(
  job: Omit<SimulateJob, 'kind' | 'stopAfterMs'>,
  budget: EvaluationBudget = DEFAULT_EVALUATION_BUDGET,
): Promise<BudgetOutcome<SimulationReport>> {
  const outcome = await runWithinBudget(
    { kind: 'simulate', ...job, stopAfterMs: budget.ms },
    // Stopped only when the decision in progress at the budget goes on as long again.
    { ...budget, ms: 2 * budget.ms },
    'background',
  );
  if (outcome.ok || outcome.over !== 'time') return outcome;
  return { ...outcome, problem: `its evaluation of one recorded decision ran past the ${budget.ms} ms budget` };
}

const pools = new Map<number, EvaluationPool>();

/** The process's pool for a heap budget (one per heap size; workers sleep unreferenced while idle). */
export function evaluationPool(heapBytes: number = EVALUATION_HEAP_BUDGET_BYTES): EvaluationPool {
  let pool = pools.get(heapBytes);
  if (pool === undefined) {
    pool = new EvaluationPool({ heapBytes });
    pools.set(heapBytes, pool);
  }
  return pool;
}

/** Runs `job` in the process's pool within `budget`. */
export function runWithinBudget<J extends EvaluationJob>(
  job: J,
  budget: EvaluationBudget = DEFAULT_EVALUATION_BUDGET,
  lane: Lane = 'gate',
): Promise<BudgetOutcome<JobResult<J>>> {
  return evaluationPool(budget.heapBytes).run(job, budget.ms, lane);
}
