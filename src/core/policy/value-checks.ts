/** What the schema cannot say: durations, time zones, wall clocks, freeze windows, workflow paths, cross-field rules. */
import { checkFreezeWindow } from '../freeze-windows.js';
import {
  checkTimeZone,
  parseDuration,
  validateLocalDateTime,
  validateRRule,
  validateWallClock,
} from '../time-values.js';
import { EVIDENCE_KINDS, GITHUB_ACTIONS_APP } from '../types.js';
import type { Policy } from '../types.js';
import { isRecord, pathString, show } from './problems.js';
import type { Problem, Segment } from './problems.js';
import { SchemaMessages } from './schema-messages.js';
import { checkNotify, checkVerifyStage } from './verify-schema.js';

const DAY_MS = 86_400_000;
/**
 * The longest each duration of a policy may be. Longer values are refused when the policy
 * is loaded, so that no evaluation follows a span of years (a deploy of 2,500,000,000 hours).
 */
export const DURATION_LIMITS = {
  deployDuration: { ms: 7 * DAY_MS, text: '7d' },
  duration: { ms: 366 * DAY_MS, text: '366d' },
  expires: { ms: 30 * DAY_MS, text: '30d' },
  backupMaxAge: { ms: 366 * DAY_MS, text: '366d' },
} as const;

/** Checks a policy's values beyond its schema, after the schema passed. */
export class ValueChecks extends SchemaMessages {
  // ---- what the schema cannot say ------------------------------------------------------

  protected error(segs: Segment[], message: string, extra: Partial<Problem> = {}, at: 'key' | 'value' = 'value'): void {
    const offset = at === 'key' ? this.keyOffset(segs) : this.valueOffset(segs);
    this.add(this.problems, { offset, path: pathString(segs), message, ...extra });
  }

  protected checkDuration(
    segs: Segment[],
    value: unknown,
    positive: boolean,
    limit: { ms: number; text: string },
  ): void {
    if (typeof value !== 'string') return;
    const parsed = parseDuration(value);
    const label = this.label(segs);
    if (!parsed.ok) this.error(segs, `${label} ${parsed.error}`);
    else if (positive && parsed.ms === 0) this.error(segs, `${label} must be longer than 0s, got ${show(value)}`);
    else if (parsed.ms > limit.ms) {
      this.error(
        segs,
        `${label} is ${show(value)}, longer than the maximum of ${limit.text}; write ${limit.text} or less`,
        { expected: `at most ${limit.text}` },
      );
    }
  }

  protected checkString(segs: Segment[], value: unknown, validator: (v: unknown) => string | null): void {
    if (typeof value !== 'string') return;
    const problem = validator(value);
    if (problem !== null) this.error(segs, `${this.label(segs)} ${problem}`);
  }

  protected checkTimeZoneAt(segs: Segment[], value: unknown): void {
    if (typeof value !== 'string' || value === '') return;
    const problem = checkTimeZone(value);
    if (problem === null) return;
    this.error(
      segs,
      `${this.label(segs)} ${problem.message}`,
      problem.suggestion === undefined ? {} : { suggestion: problem.suggestion },
    );
  }

  protected checkWindow(segs: Segment[], w: unknown): void {
    if (!isRecord(w)) return;
    this.checkTimeZoneAt([...segs, 'timezone'], w.timezone);
    if ('rrule' in w) {
      this.checkString([...segs, 'rrule'], w.rrule, validateRRule);
      this.checkDuration([...segs, 'duration'], w.duration, true, DURATION_LIMITS.duration);
      if (typeof w.rrule === 'string' && validateRRule(w.rrule) === null) {
        // Rules the syntax allows but the freeze engine cannot follow (COUNT without
        // DTSTART, times an INTERVAL never reaches, 30 February...) are errors now, not
        // at the first evaluation.
        const zone = typeof w.timezone === 'string' && checkTimeZone(w.timezone) === null ? w.timezone : 'UTC';
        const problem = checkFreezeWindow({
          kind: 'rrule',
          name: 'rrule',
          rrule: w.rrule,
          durationMs: 3_600_000,
          timezone: zone,
        });
        if (problem !== null)
          this.error([...segs, 'rrule'], `${this.label([...segs, 'rrule'])} ${problem.replace(/^rrule "[^"]*" /, '')}`);
      }
    } else if ('from' in w || 'to' in w) {
      this.checkString([...segs, 'from'], w.from, validateLocalDateTime);
      this.checkString([...segs, 'to'], w.to, validateLocalDateTime);
      if (
        typeof w.from === 'string' &&
        typeof w.to === 'string' &&
        validateLocalDateTime(w.from) === null &&
        validateLocalDateTime(w.to) === null &&
        seconds(w.to) <= seconds(w.from)
      ) {
        this.error([...segs, 'to'], `to ${show(w.to)} must be after from ${show(w.from)}`);
      }
    } else {
      this.checkString([...segs, 'start'], w.start, validateWallClock);
      this.checkString([...segs, 'end'], w.end, validateWallClock);
      if (
        typeof w.start === 'string' &&
        typeof w.end === 'string' &&
        validateWallClock(w.start) === null &&
        validateWallClock(w.end) === null &&
        seconds(w.start) === seconds(w.end)
      ) {
        this.error(
          [...segs, 'end'],
          `end ${show(w.end)} equals start; a window needs a length (an end before the start crosses midnight)`,
        );
      }
    }
  }

  /** A pinned required check names one source, completely: a check run's App or workflow, or a status's creator. */
  protected checkRequiredCheck(segs: Segment[], c: unknown): void {
    if (!isRecord(c) || typeof c.name !== 'string') return;
    const label = `requiredChecks entry ${show(c.name)}`;
    if (c.status === true) {
      if (typeof c.creator !== 'string')
        this.error(
          segs,
          `${label} is a commit status without a creator: anyone with write access can post a status, so name who posts it (creator: jenkins-bot)`,
          { expected: 'creator' },
          'key',
        );
      for (const key of ['app', 'workflow'] as const)
        if (key in c)
          this.error(
            [...segs, key],
            `${label} is a commit status (status: true), which has no ${key}: ${key} pins a check run; leave one of them out`,
            {},
            'key',
          );
      return;
    }
    if ('creator' in c)
      this.error(
        [...segs, 'creator'],
        `${label} names a creator, which only a commit status has: add status: true, or pin a check run with app or workflow`,
        {},
        'key',
      );
    if (typeof c.workflow === 'string') {
      const problem = checkWorkflowPath(c.workflow);
      if (problem !== null) this.error([...segs, 'workflow'], `${label}: workflow ${problem}`);
      if (typeof c.app === 'string' && c.app !== GITHUB_ACTIONS_APP)
        this.error(
          [...segs, 'app'],
          `${label} names workflow ${show(c.workflow)} and app ${show(c.app)}: a workflow's jobs are check runs of ${GITHUB_ACTIONS_APP}; leave app out or write ${GITHUB_ACTIONS_APP}`,
        );
    }
  }

  protected checkValues(): void {
    const data = this.data;
    if (!isRecord(data)) return;
    if ('policy' in data) {
      const policy = data.policy;
      if (isRecord(policy) && Array.isArray(policy.freezeWindows)) {
        policy.freezeWindows.forEach((w, i) => this.checkWindow(['policy', 'freezeWindows', i], w));
      }
      return;
    }
    const stageNames = new Map<string, number>();
    const githubNames = new Map<string, { stage: string; offset: number }>();
    const environments = Array.isArray(data.environments) ? data.environments : [];
    environments.forEach((env, i) => {
      if (!isRecord(env)) return;
      const segs: Segment[] = ['environments', i];
      const name = typeof env.name === 'string' ? env.name : undefined;
      if (name !== undefined) {
        const first = stageNames.get(name);
        if (first !== undefined) {
          this.error([...segs, 'name'], `stage name "${name}" is used twice; first at ${this.lineColText(first)}`);
        } else {
          stageNames.set(name, this.valueOffset([...segs, 'name']));
        }
      }
      const github: Array<[unknown, Segment[]]> =
        typeof env.github === 'string'
          ? [[env.github, [...segs, 'github']]]
          : Array.isArray(env.github)
            ? env.github.map((g, j) => [g, [...segs, 'github', j]])
            : env.github === undefined && name !== undefined
              ? [[name, [...segs, 'name']]]
              : [];
      for (const [g, at] of github) {
        if (typeof g !== 'string' || g === '') continue;
        const first = githubNames.get(g.toLowerCase());
        if (first === undefined) {
          githubNames.set(g.toLowerCase(), { stage: name ?? pathString(segs), offset: this.valueOffset(at) });
        } else if (first.stage !== (name ?? pathString(segs))) {
          this.error(
            at,
            `GitHub environment "${g}" is already covered by stage ${first.stage} (${this.lineColText(first.offset)}); each GitHub environment belongs to one stage (names ignore case)`,
          );
        }
      }
      if (Array.isArray(env.freezeWindows)) {
        env.freezeWindows.forEach((w, j) => this.checkWindow([...segs, 'freezeWindows', j], w));
      }
      this.checkDuration([...segs, 'deployDuration'], env.deployDuration, false, DURATION_LIMITS.deployDuration);
      if (Array.isArray(env.requiredChecks))
        env.requiredChecks.forEach((c, j) => this.checkRequiredCheck([...segs, 'requiredChecks', j], c));
      checkVerifyStage([...segs, 'verify'], env.verify, { error: (at, message) => this.error(at, message) });
    });

    const scoring = data.scoring;
    if (isRecord(scoring)) {
      const given = EVIDENCE_KINDS.filter((k) => k in scoring);
      const weights = given.map((k) => scoring[k]);
      // The weights of a file that extends the org default are summed once merged.
      if (
        data.extends !== 'org' &&
        given.length > 0 &&
        weights.every((w) => typeof w === 'number' && Number.isInteger(w))
      ) {
        const sum = (weights as number[]).reduce((a, b) => a + b, 0);
        if (sum !== 100) {
          this.error(
            ['scoring'],
            `scoring weights sum to ${sum}; they must sum to 100`,
            { expected: 'weights summing to 100' },
            'key',
          );
        }
      }
      this.checkDuration(['scoring', 'backupMaxAge'], scoring.backupMaxAge, true, DURATION_LIMITS.backupMaxAge);
    }
    checkNotify(data.notify, { error: (at, message) => this.error(at, message) });
    const overrides = data.overrides;
    if (isRecord(overrides))
      this.checkDuration(['overrides', 'expires'], overrides.expires, true, DURATION_LIMITS.expires);
    const evidence = data.evidence;
    if (isRecord(evidence) && Array.isArray(evidence.workflows)) {
      evidence.workflows.forEach((w, i) => {
        if (typeof w !== 'string' || w === '') return;
        const problem = checkWorkflowPath(w);
        if (problem !== null) this.error(['evidence', 'workflows', i], `evidence.workflows[${i}] ${problem}`);
      });
    }
  }

  protected checkWarnings(policy: Policy): void {
    const segs: Segment[] = ['scoring', 'warnScore'];
    for (const w of warnScoreWarnings(policy)) {
      this.add(this.warnings, {
        offset: w.at === 'key' ? this.keyOffset(segs) : this.valueOffset(segs),
        path: pathString(segs),
        message: w.message,
      });
    }
  }
}

/**
 * Why a path cannot name a workflow file, or null when it can: GitHub runs workflows from
 * `.github/workflows/*.yml` or `.yaml` (the path as the workflow run reports it).
 */
export function checkWorkflowPath(path: string): string | null {
  if (!path.startsWith('.github/workflows/'))
    return `${show(path)} is not a workflow file: write the path from the repository root, starting with .github/workflows/ (e.g. .github/workflows/ci.yml)`;
  if (!/\.ya?ml$/.test(path)) return `${show(path)} is not a workflow file: workflow files end in .yml or .yaml`;
  if (path.slice('.github/workflows/'.length).includes('/') || path.includes('..')) {
    return `${show(path)} is not a workflow file: GitHub reads workflows only directly in .github/workflows/`;
  }
  return null;
}

/**
 * What is doubtful, not wrong, about a policy's `warnScore`: the words, and whether they
 * point at the key or at its value.
 */
export function warnScoreWarnings(policy: Policy): Array<{ message: string; at: 'key' | 'value' }> {
  const warnScore = policy.scoring.warnScore;
  if (warnScore === null) return [];
  const out: Array<{ message: string; at: 'key' | 'value' }> = [];
  const scored = policy.environments.filter((e) => e.minScore !== null);
  if (scored.length === 0) out.push({ message: 'warnScore has no effect: no stage sets minScore', at: 'key' });
  for (const env of scored) {
    if (warnScore > env.minScore!) {
      out.push({
        message: `warnScore ${warnScore} is above the minScore ${env.minScore} of ${env.name}, so ${env.name} has no warning band: scores below ${env.minScore} block there`,
        at: 'value',
      });
    }
  }
  return out;
}

function seconds(text: string): number {
  // Wall clocks (HH:MM[:SS]) and local date-times (YYYY-MM-DDTHH:MM[:SS]) compare as seconds.
  const m = /^(?:(\d{4})-(\d{2})-(\d{2})T)?(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return NaN;
  const days = m[1] === undefined ? 0 : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000;
  return ((days * 24 + Number(m[4])) * 60 + Number(m[5])) * 60 + (m[6] === undefined ? 0 : Number(m[6]));
}
