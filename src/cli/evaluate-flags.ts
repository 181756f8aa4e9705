import type { FactKind } from '../core/fact-kinds.js';
import type {
  ApprovalFact,
  CheckFact,
  Decision,
  DeploymentFact,
  EvidenceFacts,
  PullRequestFact,
  ReleaseFacts,
} from '../core/types.js';
import { GITHUB_ACTIONS_APP } from '../core/types.js';
import type { EvidenceInputs } from '../evidence/index.js';
import { UsageError, parseInstant, parseWhole, type CliIo } from './io.js';

interface FactFlag {
  /** The fact the flag gives (`release`: which release it is). */
  fact: FactKind | 'release';
  multiple?: true;
  /** The help line's left side; a flag described on another flag's line has none. */
  usage?: string;
  help?: string;
}

/**
 * The command line's way to give each fact a rule reads, in the order of `evaluate --help`:
 * the options of `evaluate` and their help lines come from here.
 */
export const FACT_FLAGS = {
  sha: {
    fact: 'release',
    usage: '--sha SHA',
    help: "the release's commit (default: 'local'); --tree TREE its git tree",
  },
  tree: { fact: 'release' },
  ref: { fact: 'ref', usage: '--ref REF', help: 'the ref deployed, e.g. refs/tags/v1.2.0 or v1.2.0' },
  approvals: {
    fact: 'reviews',
    usage: '--approvals N',
    help: 'number of approvals (anonymous, beyond the named --approver ones)',
  },
  approver: { fact: 'reviews', multiple: true, usage: '--approver LOGIN', help: 'an approval by LOGIN (repeatable)' },
  author: {
    fact: 'contributors',
    usage: '--author LOGIN',
    help: "the change's author; --deployer LOGIN who asks for the deployment",
  },
  deployer: { fact: 'contributors' },
  team: {
    fact: 'teams',
    multiple: true,
    usage: '--team TEAM=LOGIN,...',
    help: 'members of a team the policy names (repeatable)',
  },
  score: {
    fact: 'evidence',
    usage: '--score N',
    help: 'the evidence score, 0-100 (instead of scoring evidence files)',
  },
  deployed: {
    fact: 'deployments',
    multiple: true,
    usage: '--deployed ENV@ISO',
    help: 'the gate let the same release into ENV and it succeeded then (repeatable)',
  },
  check: {
    fact: 'checks',
    multiple: true,
    usage: '--check NAME[=STATE]',
    help: 'a check run of the commit: success (default), failure, pending...; add " from app:SLUG", " from workflow:PATH" or " from status:LOGIN" for its source (repeatable)',
  },
  'changed-file': {
    fact: 'changedFiles',
    multiple: true,
    usage: '--changed-file PATH',
    help: 'a file changed since the last PROD deployment (repeatable)',
  },
  pull: {
    fact: 'pulls',
    multiple: true,
    usage: '--pull N[:TEXT]',
    help: 'a pull request the release came from, with its title and body (repeatable)',
  },
} as const satisfies Record<string, FactFlag>;

type FactOptions = {
  [K in keyof typeof FACT_FLAGS]: (typeof FACT_FLAGS)[K] extends { multiple: true }
    ? { type: 'string'; multiple: true }
    : { type: 'string' };
};

/** The help lines of the fact flags, as `evaluate --help` prints them. */
export function factFlagsHelp(): string {
  return Object.values(FACT_FLAGS as Record<string, FactFlag>)
    .filter((f) => f.usage !== undefined)
    .map((f) => `  ${f.usage!.padEnd(23)}  ${f.help}`)
    .join('\n');
}

/** The facts of a release, as `evaluate` takes them from the command line. */
export const EVALUATE_FLAGS = {
  env: { type: 'string' },
  policy: { type: 'string' },
  at: { type: 'string' },
  ...(Object.fromEntries(
    Object.entries(FACT_FLAGS).map(([name, f]) => [
      name,
      'multiple' in f ? { type: 'string', multiple: true } : { type: 'string' },
    ]),
  ) as FactOptions),
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
  const count =
    values.approvals === undefined ? named.length : parseWhole('--approvals', str(values.approvals)!, 0, 1000);
  const approvals: ApprovalFact[] = named.map((login) => ({
    login,
    source: 'deployment-review',
    state: 'APPROVED',
    submittedAt: at,
  }));
  for (let i = named.length; i < count; i += 1) {
    approvals.push({ login: `approver-${i + 1}`, source: 'deployment-review', state: 'APPROVED', submittedAt: at });
  }
  const deployments: DeploymentFact[] = list(values.deployed).map((d) => {
    const m = /^([^@]+)@(.+)$/.exec(d);
    if (!m)
      throw new UsageError(`--deployed "${d}" must be ENV@ISO-8601, e.g. --deployed PRE_PROD@2026-01-31T20:05:00Z.`);
    const when = parseInstant('--deployed', m[2]!);
    // The operator vouches for it: the gate let it through there and it succeeded then.
    const instant = when.toISOString();
    return {
      environment: m[1]!,
      sha,
      tree,
      state: 'success',
      at: instant,
      approval: { via: 'reported', at: instant },
      provenAt: instant,
      verification: { state: 'verified', at: instant, via: 'reported' },
    };
  });
  const checks: CheckFact[] = list(values.check).map(checkFromFlag);
  const teams: Record<string, string[]> = {};
  for (const t of list(values.team)) {
    const m = /^([^=]+)=(.*)$/.exec(t);
    if (!m) throw new UsageError(`--team "${t}" must be TEAM=LOGIN,LOGIN, e.g. --team release-owners=alice,bob.`);
    teams[m[1]!] = [
      ...(teams[m[1]!] ?? []),
      ...m[2]!
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ];
  }
  const changed = list(values['changed-file']);
  const pulls: PullRequestFact[] = list(values.pull).map((p) => {
    const m = /^#?(\d+)(?::([\s\S]*))?$/.exec(p);
    if (!m)
      throw new UsageError(
        `--pull "${p}" must be NUMBER or NUMBER:TEXT (its title and body), e.g. --pull "42:Fix the login (#17)".`,
      );
    return { number: Number(m[1]), title: m[2] ?? '', body: '' };
  });
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
    ...(pulls.length > 0 ? { pulls } : {}),
    teams,
    overrides: [],
  };
}

/**
 * A check of the commit from `--check NAME[=STATE][ from SOURCE]`: a check run of an App not
 * named, or with its source: `app:SLUG` (a check run of that App), `workflow:PATH` (a job of
 * that GitHub Actions workflow), `status:LOGIN` (a commit status LOGIN posted).
 */
function checkFromFlag(text: string): CheckFact {
  const m = /^([^=]+?)(?:=([a-z_]+))?(?:\s+from\s+(app|workflow|status):(\S+))?$/.exec(text.trim());
  if (!m)
    throw new UsageError(
      `--check "${text}" must be NAME[=STATE][ from app:SLUG|workflow:PATH|status:LOGIN], e.g. --check build=success or --check "build=success from workflow:.github/workflows/ci.yml".`,
    );
  const [, name, state = 'success', source, value] = m;
  const pending = ['pending', 'queued', 'in_progress', 'waiting', 'requested'];
  const outcome: Pick<CheckFact, 'status' | 'conclusion'> = pending.includes(state)
    ? { status: state === 'pending' ? 'pending' : (state as CheckFact['status']) }
    : { status: 'completed', conclusion: state };
  if (source === 'status') return { name: name!, ...outcome, kind: 'status', creator: value! };
  if (source === 'workflow')
    return { name: name!, ...outcome, kind: 'check_run', app: GITHUB_ACTIONS_APP, workflow: value! };
  return { name: name!, ...outcome, kind: 'check_run', app: source === 'app' ? value! : null };
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
