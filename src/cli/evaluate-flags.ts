import type { ApprovalFact, CheckFact, Decision, DeploymentFact, EvidenceFacts, ReleaseFacts } from '../core/types.js';
import type { EvidenceInputs } from '../evidence/index.js';
import { UsageError, parseInstant, parseWhole, type CliIo } from './io.js';

/** The facts of a release, as `evaluate` takes them from the command line. */
export const EVALUATE_FLAGS = {
  env: { type: 'string' },
  policy: { type: 'string' },
  at: { type: 'string' },
  sha: { type: 'string' },
  tree: { type: 'string' },
  ref: { type: 'string' },
  approvals: { type: 'string' },
  approver: { type: 'string', multiple: true },
  author: { type: 'string' },
  deployer: { type: 'string' },
  team: { type: 'string', multiple: true },
  score: { type: 'string' },
  deployed: { type: 'string', multiple: true },
  check: { type: 'string', multiple: true },
  'changed-file': { type: 'string', multiple: true },
} as const;

/** Evidence inputs, shared by `score` and `evaluate`. */
export const EVIDENCE_FLAGS = {
  junit: { type: 'string', multiple: true },
  coverage: { type: 'string', multiple: true },
  sarif: { type: 'string', multiple: true },
  checklist: { type: 'string' },
  'evidence-url': { type: 'string' },
  'rollback-plan': { type: 'string' },
  backup: { type: 'string' },
  migrations: { type: 'string' },
} as const;

type Values = Partial<Record<string, string | string[] | boolean | undefined>>;

const str = (v: Values[string]): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: Values[string]): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

/** Evidence inputs for `collectEvidence` from the evidence flags. */
export function evidenceInputsFromFlags(values: Values, io: CliIo): EvidenceInputs {
  const backup = str(values.backup);
  let backupRecord: { takenAt: string; location: string | null } | null = null;
  if (backup !== undefined) {
    const at = backup.indexOf('@');
    const takenAt = at < 0 ? backup : backup.slice(0, at);
    parseInstant('--backup', takenAt);
    backupRecord = { takenAt, location: at < 0 ? null : backup.slice(at + 1) };
  }
  const declared =
    values['rollback-plan'] !== undefined || backupRecord || values.migrations !== undefined
      ? {
          rollbackPlan: str(values['rollback-plan']) ?? null,
          backup: backupRecord,
          migrations: str(values.migrations) ?? null,
        }
      : undefined;
  return {
    junit: list(values.junit),
    coverage: list(values.coverage),
    sarif: list(values.sarif),
    checklist: str(values.checklist),
    evidenceUrl: str(values['evidence-url']),
    declared,
    cwd: io.cwd,
    stdin: io.stdin,
  };
}

/** Turn `evaluate`'s flags into the facts the core decides on. */
export function factsFromFlags(values: Values, evidence: EvidenceFacts): ReleaseFacts {
  const sha = str(values.sha) ?? 'local';
  const tree = str(values.tree);
  const at = str(values.at) ?? '1970-01-01T00:00:00Z';
  const named = list(values.approver);
  const count = values.approvals === undefined ? named.length : parseWhole('--approvals', str(values.approvals)!, 0, 1000);
  const approvals: ApprovalFact[] = named.map((login) => ({ login, source: 'deployment-review', state: 'APPROVED', submittedAt: at }));
  for (let i = named.length; i < count; i += 1) {
    approvals.push({ login: `approver-${i + 1}`, source: 'deployment-review', state: 'APPROVED', submittedAt: at });
  }
  const deployments: DeploymentFact[] = list(values.deployed).map((d) => {
    const m = /^([^@]+)@(.+)$/.exec(d);
    if (!m) throw new UsageError(`--deployed "${d}" must be ENV@ISO-8601, e.g. --deployed PRE_PROD@2026-01-31T20:05:00Z.`);
    const when = parseInstant('--deployed', m[2]!);
    return { environment: m[1]!, sha, tree, state: 'success', at: when.toISOString() };
  });
  const checks: CheckFact[] = list(values.check).map((c) => {
    const [name, state = 'success'] = c.split('=');
    if (!name) throw new UsageError(`--check "${c}" must be NAME or NAME=STATE, e.g. --check build=success.`);
    const pending = ['pending', 'queued', 'in_progress', 'waiting', 'requested'];
    return pending.includes(state)
      ? { name, status: state === 'pending' ? 'pending' : (state as CheckFact['status']) }
      : { name, status: 'completed', conclusion: state };
  });
  const teams: Record<string, string[]> = {};
  for (const t of list(values.team)) {
    const m = /^([^=]+)=(.*)$/.exec(t);
    if (!m) throw new UsageError(`--team "${t}" must be TEAM=LOGIN,LOGIN, e.g. --team release-owners=alice,bob.`);
    teams[m[1]!] = [...(teams[m[1]!] ?? []), ...m[2]!.split(',').map((s) => s.trim()).filter(Boolean)];
  }
  const changed = list(values['changed-file']);
  return {
    environment: str(values.env)!,
    sha,
    tree,
    ref: str(values.ref),
    author: str(values.author),
    deployer: str(values.deployer),
    approvals,
    deployments,
    evidence,
    checks,
    changedFiles: changed.length > 0 ? changed : undefined,
    teams,
    overrides: [],
  };
}

/** The JSON form of a decision printed by `evaluate --json` (a stable contract). */
export function decisionJson(d: Decision) {
  return {
    decision: d.decision,
    environment: d.environment,
    ungated: d.ungated,
    rules: d.rules.map((r) => ({
      code: r.code,
      ok: r.ok,
      outcome: r.outcome,
      rule: r.rule,
      message: r.message,
      values: r.values,
      clearsAt: r.clearsAt ?? null,
      ...(r.overriddenBy ? { overriddenBy: r.overriddenBy } : {}),
    })),
    score: d.score,
    breakdown: d.breakdown,
    clearsAt: d.clearsAt,
    recheckAt: d.recheckAt,
  };
}
