/**
 * A worker thread of the evaluation pool (`pool.ts`): runs the jobs it is sent, one at a
 * time, and answers each with its result or the error it threw. The pool stops it when a
 * job runs past its time budget; V8 stops it when its heap outgrows its limit.
 */
import { parentPort } from 'node:worker_threads';
import { runJob } from './jobs.js';
import type { EvaluationJob } from './jobs.js';

export interface JobMessage {
  id: number;
  job: EvaluationJob;
}

export type ReplyMessage = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

if (parentPort === null) throw new Error('src/budget/worker.ts runs as a worker thread of the evaluation pool.');
const port = parentPort;
port.on('message', ({ id, job }: JobMessage) => {
  let reply: ReplyMessage;
  try {
    reply = { id, ok: true, value: runJob(job) };
  } catch (error) {
    reply = { id, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
