/**
 * Verification after a deploy, decided in the core: a stage's `verify` as a plan, one
 * reading of a data source judged as a measurement, and the rounds of measurements judged as
 * a verification (running, verified, failed or inconclusive). Pure: the readings come from
 * `src/verify` (Prometheus, HTTP probes), the instant from the caller.
 */
import { parseDuration } from './time-values.js';

/** What an empty, NaN or unreachable measurement means. */
export type NoDataMeaning = 'inconclusive' | 'fail' | 'pass';

/** One check of a stage's `verify`, as the policy writes it. */
export interface VerifyCheckSpec {
  name: string;
  source: string;
  query?: string;
  max?: number;
  min?: number;
  path?: string;
  expectStatus?: number;
  jsonPath?: string;
  equals?: string | number | boolean;
}

/** A stage's `verify`, as the policy writes it. */
export interface VerifySpec {
  duration: string;
  interval: string;
  failureLimit?: number;
  noData?: NoDataMeaning;
  checks: VerifyCheckSpec[];
}

/** The policy's `notify`: the operator's variable names of each channel. */
export interface NotifyPolicy {
  slack?: string;
  webhook?: string;
}

export type RollbackMode = 'auto' | 'propose' | 'off';

/** Where a verification stands. */
export type VerificationState = 'running' | 'verified' | 'failed' | 'inconclusive';

/** A deployment's verification as the record keeps it. */
export interface VerificationFact {
  state: VerificationState;
  /** ISO-8601 instant it reached this state. */
  at: string;
  /** `reported`: the Action or the CLI, which keep no record, take a success as verified and say so. */
  via?: 'recorded' | 'reported';
}

declare module './types.js' {
  interface EnvironmentPolicy {
    /** Watch live signals after a deployment of this stage succeeds (null: no verification). */
    verify?: VerifySpec | null;
    /** What a failed verification does. */
    rollback?: RollbackMode;
    /** A rollback is let through during this stage's freeze windows. */
    rollbackDuringFreeze?: boolean;
  }
  interface Policy {
    notify?: NotifyPolicy;
  }
  interface DeploymentFact {
    /** Its verification, for a stage with `verify`; null or absent when none ran. */
    verification?: VerificationFact | null;
  }
}

/** A stage's `verify` with its durations in milliseconds and its defaults filled in. */
export interface VerifyPlan {
  durationMs: number;
  intervalMs: number;
  failureLimit: number;
  noData: NoDataMeaning;
  checks: VerifyCheckSpec[];
}

/** The plan of a validated `verify` (durations were checked when the policy was loaded). */
export function verifyPlan(spec: VerifySpec): VerifyPlan {
  const duration = parseDuration(spec.duration);
  const interval = parseDuration(spec.interval);
  if (!duration.ok || !interval.ok) throw new Error(`unchecked verify durations ${spec.duration} / ${spec.interval}`);
  return {
    durationMs: duration.ms,
    intervalMs: interval.ms,
    failureLimit: spec.failureLimit ?? 0,
    noData: spec.noData ?? 'inconclusive',
    checks: spec.checks,
  };
}

/** How many rounds a plan measures: one at the start, then one each interval to the end of the window. */
export function plannedRounds(plan: Pick<VerifyPlan, 'durationMs' | 'intervalMs'>): number {
  return Math.floor(plan.durationMs / plan.intervalMs) + 1;
}

/** The instant round `index` (0-based) is due, from the verification's start: a fixed schedule, never drifting. */
export function roundDueAt(plan: Pick<VerifyPlan, 'intervalMs'>, startedAt: Date, index: number): Date {
  return new Date(startedAt.getTime() + index * plan.intervalMs);
}

/** What a data source answered for one check. */
export type Reading =
  /** A number (Prometheus: a scalar, or the vector's one sample; NaN is no data). */
  | { kind: 'value'; value: number; note?: string }
  /** An HTTP probe's answer: its status and, when it was JSON, the value at the check's jsonPath. */
  | { kind: 'http'; status: number; value?: unknown; found?: boolean }
  /** Nothing to judge: an empty result, NaN, a source that cannot be reached or times out, a refused query. */
  | { kind: 'no-data'; note: string };

/** One check's measurement in a round. */
export interface Measurement {
  check: string;
  /** The number measured, the HTTP status, or null. */
  value: number | string | boolean | null;
  outcome: 'pass' | 'fail' | 'no-data';
  /** What was compared, or why there is no data. */
  note: string;
}

export interface Round {
  /** ISO-8601 instant it was measured. */
  at: string;
  measurements: Measurement[];
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

function bounds(check: VerifyCheckSpec, value: number): string | null {
  if (check.max !== undefined && value > check.max) return `${formatNumber(value)} is above max ${check.max}`;
  if (check.min !== undefined && value < check.min) return `${formatNumber(value)} is below min ${check.min}`;
  return null;
}

function within(check: VerifyCheckSpec): string {
  const parts = [
    ...(check.min !== undefined ? [`min ${check.min}`] : []),
    ...(check.max !== undefined ? [`max ${check.max}`] : []),
  ];
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** A reading judged against its check: within max/min, the expected status, the expected JSON value. */
export function judgeReading(check: VerifyCheckSpec, reading: Reading): Measurement {
  const base = { check: check.name };
  if (reading.kind === 'no-data') return { ...base, value: null, outcome: 'no-data', note: reading.note };
  if (reading.kind === 'value') {
    if (Number.isNaN(reading.value))
      return { ...base, value: null, outcome: 'no-data', note: reading.note ?? 'the query answered NaN' };
    const out = bounds(check, reading.value);
    const value = Number.isFinite(reading.value) ? reading.value : formatNumber(reading.value);
    return out === null
      ? { ...base, value, outcome: 'pass', note: `${formatNumber(reading.value)}${within(check)}` }
      : { ...base, value, outcome: 'fail', note: out };
  }
  if (check.expectStatus !== undefined && reading.status !== check.expectStatus)
    return {
      ...base,
      value: reading.status,
      outcome: 'fail',
      note: `HTTP ${reading.status}, expected ${check.expectStatus}`,
    };
  if (check.jsonPath === undefined)
    return { ...base, value: reading.status, outcome: 'pass', note: `HTTP ${reading.status}` };
  if (reading.found !== true)
    return { ...base, value: null, outcome: 'no-data', note: `HTTP ${reading.status}: nothing at ${check.jsonPath}` };
  const v = reading.value;
  if (check.equals !== undefined) {
    const shown = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
    return v === check.equals
      ? { ...base, value: shown, outcome: 'pass', note: `${check.jsonPath} is ${JSON.stringify(v)}` }
      : {
          ...base,
          value: shown,
          outcome: 'fail',
          note: `${check.jsonPath} is ${JSON.stringify(v)}, expected ${JSON.stringify(check.equals)}`,
        };
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (Number.isNaN(n))
    return {
      ...base,
      value: null,
      outcome: 'no-data',
      note: `${check.jsonPath} is ${JSON.stringify(v)}, not a number to compare`,
    };
  return judgeReading(check, { kind: 'value', value: n });
}

/** A verification judged from its rounds. */
export interface VerificationJudgement {
  state: VerificationState;
  /** One sentence: why it concluded (or how it stands). */
  reason: string;
  failedRounds: number;
  noDataRounds: number;
  /** The failed measurements of the last failed round (for the incident and the event). */
  failures: Measurement[];
}

function roundFails(round: Round, noData: NoDataMeaning): boolean {
  return round.measurements.some((m) => m.outcome === 'fail' || (m.outcome === 'no-data' && noData === 'fail'));
}

/**
 * Where a verification stands after its rounds: failed as soon as more rounds failed than
 * `failureLimit`; once every planned round is measured, inconclusive when a check never had
 * data (never a silent pass) or, with `noData: inconclusive`, when more rounds lacked data
 * than `failureLimit`; verified otherwise.
 */
export function judgeVerification(plan: VerifyPlan, rounds: readonly Round[]): VerificationJudgement {
  const failed = rounds.filter((r) => roundFails(r, plan.noData));
  const noDataRounds = rounds.filter(
    (r) => !roundFails(r, plan.noData) && r.measurements.some((m) => m.outcome === 'no-data'),
  ).length;
  const last = failed.at(-1);
  const failures = last
    ? last.measurements.filter((m) => m.outcome === 'fail' || (m.outcome === 'no-data' && plan.noData === 'fail'))
    : [];
  const counts = { failedRounds: failed.length, noDataRounds, failures };
  if (failed.length > plan.failureLimit) {
    const what = failures.map((m) => `${m.check}: ${m.note}`).join('; ');
    return {
      state: 'failed',
      reason: `${failed.length} of ${rounds.length} measurement round(s) failed, more than failureLimit ${plan.failureLimit} allows (${what})`,
      ...counts,
    };
  }
  const planned = plannedRounds(plan);
  if (rounds.length < planned)
    return {
      state: 'running',
      reason: `${rounds.length} of ${planned} measurement rounds taken, ${failed.length} failed`,
      ...counts,
    };
  const never = plan.checks.filter(
    (c) => !rounds.some((r) => r.measurements.some((m) => m.check === c.name && m.outcome !== 'no-data')),
  );
  if (never.length > 0)
    return {
      state: 'inconclusive',
      reason: `no data for ${never.map((c) => c.name).join(', ')} in any of the ${rounds.length} rounds: a check never measured is not a pass`,
      ...counts,
    };
  if (plan.noData === 'inconclusive' && noDataRounds > plan.failureLimit)
    return {
      state: 'inconclusive',
      reason: `${noDataRounds} of ${rounds.length} rounds had no data for some check, more than failureLimit ${plan.failureLimit} allows (noData: inconclusive)`,
      ...counts,
    };
  return {
    state: 'verified',
    reason: `${rounds.length} measurement rounds over ${plan.durationMs / 1000}s, ${failed.length} failed (failureLimit ${plan.failureLimit})`,
    ...counts,
  };
}

/** The data sources a stage's `verify` names. */
export function verifySourcesOf(stage: { verify?: VerifySpec | null }): string[] {
  return [...new Set((stage.verify?.checks ?? []).map((c) => c.source))];
}
