/** The typed policy of validated data: every key left out takes its default from {@link POLICY_DEFAULTS}. */
import { POLICY_DEFAULTS } from '../policy-schema.js';
import { parseDuration } from '../time-values.js';
import { EVIDENCE_KINDS, GITHUB_ACTIONS_APP, WEEKDAYS } from '../types.js';
import type { NotifyPolicy } from '../verification.js';
import type {
  EnvironmentPolicy,
  EvidenceKind,
  EvidencePolicy,
  FreezeWindow,
  OverridePolicy,
  Policy,
  RequiredCheck,
  ScoringPolicy,
  Weekday,
} from '../types.js';

const HOUR_MS = 3_600_000;
type Data = Readonly<Record<string, unknown>>;

/** The evidence weights a policy gets when its `scoring` weighs no kind. */
export const DEFAULT_WEIGHTS: Partial<Record<EvidenceKind, number>> = POLICY_DEFAULTS.scoring.weights;

/** Stage keys the builder turns into fields of other names or shapes; every other stage key is taken over as it is. */
const CONVERTED_STAGE_KEYS = new Set([
  'name',
  'github',
  'approvals',
  'requiredReviewers',
  'soak',
  'freezeWindows',
  'deployDuration',
]);

/**
 * The typed policy of a v1 file's data (or of a merged policy's), already validated:
 * defaults filled in, durations in milliseconds.
 */
export function buildPolicy(data: Data): Policy {
  const environments = (data.environments as Array<Record<string, unknown>>).map(buildEnvironment);
  return {
    version: 1,
    format: 'v1',
    environments,
    scoring: buildScoring((data.scoring ?? {}) as Data),
    overrides: buildOverrides((data.overrides ?? {}) as Data),
    evidence: buildEvidence((data.evidence ?? {}) as Data),
    strict: (data.strict as boolean | undefined) ?? POLICY_DEFAULTS.strict,
    // Off unless the policy opts in.
    ...(data.sync === 'environments' ? { sync: 'environments' as const } : {}),
    ...(data.notify !== undefined ? { notify: structuredClone(data.notify) as NotifyPolicy } : {}),
  };
}

/** A stage of the policy: each key as written, or its default. */
export function buildEnvironment(env: Data): EnvironmentPolicy {
  const d = POLICY_DEFAULTS.stage;
  const name = env.name as string;
  const approvals = (env.approvals ?? {}) as { excludeAuthor?: boolean; fromTeams?: string[] };
  const github = env.github as string | string[] | undefined;
  const given = <T>(key: keyof typeof d): T => structuredClone((env[key] ?? d[key]) as T);
  const stage: EnvironmentPolicy = {
    name,
    github: github === undefined ? [name] : typeof github === 'string' ? [github] : [...github],
    refs: given('refs'),
    minApprovals: given('minApprovals'),
    approvals: {
      excludeAuthor: approvals.excludeAuthor ?? d.approvals.excludeAuthor,
      fromTeams: approvals.fromTeams ?? [...d.approvals.fromTeams],
    },
    requiredReviewers: (
      (env.requiredReviewers ?? d.requiredReviewers) as Array<{ paths: string[]; teams: string[] }>
    ).map((r) => ({
      paths: r.paths,
      teams: r.teams,
    })),
    minScore: given('minScore'),
    requiredChecks: requiredChecks(env.requiredChecks ?? d.requiredChecks),
    requiredEvidence: given('requiredEvidence'),
    soakMinutes: ((env.soak ?? d.soak) as { minutes: number }).minutes,
    freezeWindows: ((env.freezeWindows ?? d.freezeWindows) as Array<Record<string, unknown>>).map(buildWindow),
    deployDurationMs: durationMs(env.deployDuration ?? d.deployDuration),
    onBlocked: given('onBlocked'),
    autoPromote: given('autoPromote'),
  };
  // Keys of rules that read them as written (a new rule's key needs nothing here).
  const fields = stage as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(d)) {
    if (!CONVERTED_STAGE_KEYS.has(key) && !(key in fields)) fields[key] = structuredClone(env[key] ?? value);
  }
  return stage;
}

/** The required checks as entries: a plain name is `{ name }`; a workflow implies GitHub Actions. */
function requiredChecks(list: unknown): RequiredCheck[] {
  return (list as Array<string | RequiredCheck>).map((c) => {
    if (typeof c === 'string') return { name: c };
    const entry: RequiredCheck = { name: c.name };
    if (c.status === true)
      return { ...entry, status: true, ...(c.creator !== undefined ? { creator: c.creator } : {}) };
    if (c.workflow !== undefined) return { ...entry, app: c.app ?? GITHUB_ACTIONS_APP, workflow: c.workflow };
    return c.app !== undefined ? { ...entry, app: c.app } : entry;
  });
}

function buildEvidence(e: Data): EvidencePolicy {
  return { workflows: [...((e.workflows as string[] | undefined) ?? POLICY_DEFAULTS.evidence.workflows)] };
}

function durationMs(value: unknown): number {
  const parsed = parseDuration(value);
  if (!parsed.ok) throw new Error(`unchecked duration ${String(value)}`);
  return parsed.ms;
}

/** A freeze window of validated data, named after its times when the policy gives it no name. */
export function buildWindow(w: Data): FreezeWindow {
  const timezone = w.timezone as string;
  const given = w.name as string | undefined;
  if (typeof w.rrule === 'string') {
    return {
      kind: 'rrule',
      name: given ?? `${w.rrule} for ${w.duration as string} ${timezone}`,
      rrule: w.rrule,
      durationMs: durationMs(w.duration),
      timezone,
    };
  }
  if (typeof w.from === 'string') {
    const to = w.to as string;
    return { kind: 'range', name: given ?? `${w.from} to ${to} ${timezone}`, from: w.from, to, timezone };
  }
  const start = w.start as string;
  const end = w.end as string;
  const days = w.days as Weekday[] | undefined;
  const prefix = days === undefined ? '' : `${days.join(',')} `;
  return {
    kind: 'daily',
    name: given ?? `${prefix}${start}-${end} ${timezone}`,
    days: days ?? [...WEEKDAYS],
    start,
    end,
    timezone,
  };
}

/** The scoring a policy gets when it says nothing about scoring. */
export function defaultScoring(): ScoringPolicy {
  return buildScoring({});
}

export function buildScoring(s: Data): ScoringPolicy {
  const d = POLICY_DEFAULTS.scoring;
  const weights: Partial<Record<EvidenceKind, number>> = {};
  for (const kind of EVIDENCE_KINDS) if (typeof s[kind] === 'number') weights[kind] = s[kind];
  return {
    weights: Object.keys(weights).length > 0 ? weights : { ...d.weights },
    warnScore: (s.warnScore as number | undefined) ?? d.warnScore,
    coverageTarget: (s.coverageTarget as number | undefined) ?? d.coverageTarget,
    allowedSarifLevels: (s.allowedSarifLevels as ScoringPolicy['allowedSarifLevels'] | undefined) ?? [
      ...d.allowedSarifLevels,
    ],
    backupMaxAgeHours: durationMs(s.backupMaxAge ?? d.backupMaxAge) / HOUR_MS,
  };
}

export function buildOverrides(o: Data): OverridePolicy {
  const d = POLICY_DEFAULTS.overrides;
  return {
    teams: (o.teams as string[] | undefined) ?? [...d.teams],
    secondApprover: (o.secondApprover as boolean | undefined) ?? d.secondApprover,
    expiresMs: durationMs(o.expires ?? d.expires),
  };
}

export { buildEvidence };
