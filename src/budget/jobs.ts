/**
 * The work the evaluation pool runs off the event loop: pure calls of the core, with inputs
 * and results that survive a structured clone (plain data and dates).
 */
import { performance } from 'node:perf_hooks';
import { evaluate } from '../core/evaluate.js';
import { freezeIntervals } from '../core/freeze-windows.js';
import type { FreezeInterval } from '../core/freeze-windows.js';
import { readPolicyDocument } from '../core/policy-load.js';
import type { PolicyProblem } from '../core/policy-load.js';
import { loadPolicyFiles } from '../core/policy-source.js';
import type { PolicyText } from '../core/policy-source.js';
import type { StoredEvaluation } from '../core/replay.js';
import { Simulator } from '../core/simulate.js';
import type { SimulatedPolicy, SimulationReport } from '../core/simulate.js';
import type { Decision, FreezeWindow, Policy, ReleaseFacts } from '../core/types.js';

/** One gate decision: `evaluate(policy, facts, at)`. */
export interface EvaluateJob {
  kind: 'evaluate';
  policy: Policy;
  facts: ReleaseFacts;
  at: Date;
}

/**
 * A policy change simulated over recorded decisions (the texts they were decided under, by
 * sha256). Past `stopAfterMs` the decisions not reached yet are reported as not simulated.
 */
export interface SimulateJob {
  kind: 'simulate';
  next: SimulatedPolicy;
  records: StoredEvaluation[];
  texts: Array<[string, string]>;
  stopAfterMs?: number;
}

/** The merged freezes of some windows over `[from, to)` (the console's calendar). */
export interface FreezeIntervalsJob {
  kind: 'freeze-intervals';
  windows: FreezeWindow[];
  from: Date;
  to: Date;
}

/**
 * A policy read and validated as the App would load it: a repository file (with the org
 * default it extends, when given) or an org default alone. When the file extends the org
 * default and none is given, it answers `extendsOrg` without validating, so that the caller
 * can fetch the org default and ask again, or give `orgUnreadable`, the problem to report at
 * the file's `extends` key.
 */
export interface CheckPolicyJob {
  kind: 'check-policy';
  repository: PolicyText | null;
  org: PolicyText | null;
  orgUnreadable?: string;
}

export interface PolicyCheck {
  extendsOrg: boolean;
  problems: PolicyProblem[];
}

export type EvaluationJob = EvaluateJob | SimulateJob | FreezeIntervalsJob | CheckPolicyJob;

/** What each kind of job answers. */
export type JobResult<J extends EvaluationJob> = J extends EvaluateJob
  ? Decision
  : J extends SimulateJob
    ? SimulationReport
    : J extends CheckPolicyJob
      ? PolicyCheck
      : FreezeInterval[];

/** Runs one job (in a worker thread; the same code in any process). */
export function runJob<J extends EvaluationJob>(job: J): JobResult<J>;
export function runJob(job: EvaluationJob): Decision | SimulationReport | FreezeInterval[] | PolicyCheck {
  switch (job.kind) {
    case 'evaluate':
      return evaluate(job.policy, job.facts, job.at);
    case 'simulate': {
      const texts = new Map(job.texts);
      const simulator = new Simulator(job.next, (sha256) => texts.get(sha256));
      const started = performance.now();
      for (const record of job.records) {
        if (job.stopAfterMs !== undefined && performance.now() - started > job.stopAfterMs)
          simulator.skip(record, `the simulation stopped at its ${job.stopAfterMs} ms budget before reaching it`);
        else simulator.add(record);
      }
      return simulator.report();
    }
    case 'freeze-intervals':
      return freezeIntervals(job.windows, job.from, job.to);
    case 'check-policy':
      return checkPolicy(job);
  }
}

function checkPolicy(job: CheckPolicyJob): PolicyCheck {
  let extendsOrg = false;
  if (job.repository !== null) {
    const read = readPolicyDocument(job.repository.text, job.repository.source);
    extendsOrg = read.ok && read.document.extendsOrg;
    if (read.ok && extendsOrg && job.org === null) {
      if (job.orgUnreadable === undefined) return { extendsOrg, problems: [] };
      return { extendsOrg, problems: [read.document.problemAt(['extends'], job.orgUnreadable, 'key')] };
    }
  }
  const loaded = loadPolicyFiles(job.repository, job.org);
  return { extendsOrg, problems: loaded.ok ? [] : loaded.errors };
}
