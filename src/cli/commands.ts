import { stat } from 'node:fs/promises';
import { evaluateWithinBudget } from '../budget/evaluate.js';
import { evidenceFacts, presentEvidenceKinds } from '../core/evidence-facts.js';
import type { EvidenceBundle } from '../core/evidence-types.js';
import { scoreEvidenceUrl } from '../core/evidence-url.js';
import { freezeStatus } from '../core/freeze-windows.js';
import { findStageIndex } from '../core/evaluate.js';
import { renderDecisionText, renderScoreText } from '../core/render-text.js';
import { decisionMarkdown } from './evaluate-markdown.js';
import { defaultScoring } from '../core/policy-load.js';
import { parseDuration } from '../core/time-values.js';
import type { Decision, EvidenceFacts, Policy } from '../core/types.js';
import { collectEvidence, evidenceJson } from '../evidence/index.js';
import {
  decisionJson,
  factFlagsHelp,
  factsFromFlags,
  EVALUATE_FLAGS,
  EVIDENCE_FLAGS,
  evidenceInputsFromFlags,
} from './evaluate-flags.js';
import { EXIT, UsageError, parseFlags, parseInstant, parseWhole, writeLine, type CliIo } from './io.js';
import { POLICY_PATH } from '../core/policy-source.js';
import { PolicyFileError, type PolicyFile } from '../local/policy-file.js';
import { EXTENDS_WITHOUT_ORG_POLICY, ORG_POLICY_HELP, readPolicy } from './read-policy.js';
import { checkVerifySources, knownSources, SOURCES_HELP } from './validate-sources.js';
import { DB_COMMAND } from './db.js';
import { SETUP_COMMAND } from './setup.js';
import { FORMAT_FLAGS, formatHelp, outputFormat } from './output-format.js';
import { resolveShortRef } from './resolve-ref.js';
import { REPLAY_COMMAND } from './replay.js';
import { SIMULATE_COMMAND } from './simulate.js';
import { EXPLAIN_COMMAND } from './explain.js';

export { EXTENDS_WITHOUT_ORG_POLICY };

export type Command =
  'validate' | 'evaluate' | 'score' | 'freeze' | 'audit' | 'replay' | 'simulate' | 'explain' | 'setup' | 'db';

interface CommandSpec {
  help: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

export const HELP = `release-gate: the release gate for GitHub Deployments, from the command line

Usage: release-gate <command> [options]

Commands:
  validate   check a policy file
  evaluate   decide whether a release may enter an environment (what the gate would say)
  score      score evidence (test reports, coverage, SARIF, checklist, evidence URL)
  freeze     is an environment frozen now or at a given time, and when is the next window
  audit      export the audit trail recorded by the App
  replay     decide recorded evaluations again from the record and compare
  simulate   show which recorded decisions another policy would have changed
  explain    print a recorded decision the way its check run shows it
  setup      make a repository's GitHub environments match the policy (dry run unless --apply)
  db         db copy: move the App's record from its SQLite file to PostgreSQL

Run "release-gate <command> --help" for a command's options and an example.`;

const now = (io: CliIo): Date => (io.now ? io.now() : new Date());

export const COMMANDS: Record<Command, CommandSpec> = {
  validate: {
    help: `Usage: release-gate validate [--policy FILE] [--org-policy FILE] [--sources NAMES] [--format text|json]

Checks a release policy and prints every problem with its file, line and column.
Exit 0 when it is valid, 1 when it is not. Warnings go to stderr.

Options:
  --policy FILE      the policy to check (default ${POLICY_PATH})
${ORG_POLICY_HELP}
${SOURCES_HELP}
${formatHelp(['text', 'json'], { json: '{ valid, path, orgPolicy, format, stages, warnings, problems }' })}

Example:
  release-gate validate --policy .github/release-policy.yml --org-policy ../.github/.github/release-policy.yml`,
    async run(argv, io) {
      const { values } = parseFlags('validate', argv, {
        policy: { type: 'string' },
        'org-policy': { type: 'string' },
        sources: { type: 'string' },
        'sources-file': { type: 'string' },
        ...FORMAT_FLAGS,
      });
      const format = outputFormat('validate', values, ['text', 'json']);
      const known = knownSources(values, io);
      let read: PolicyFile;
      let unchecked: string | null;
      try {
        read = await readPolicy(values, io);
        unchecked = checkVerifySources(read, known);
      } catch (error) {
        if (format !== 'json' || !(error instanceof PolicyFileError)) throw error;
        const problems = error.details.map((d) => ({
          file: d.source,
          line: d.line,
          column: d.column,
          path: d.path,
          message: d.message,
          ...(d.suggestion === undefined ? {} : { suggestion: d.suggestion }),
        }));
        writeLine(
          io.stdout,
          JSON.stringify(
            { valid: false, path: error.path, problems: problems.length > 0 ? problems : error.problems },
            null,
            2,
          ),
        );
        return EXIT.usage;
      }
      const { policy, path, orgPath } = read;
      const warnings = unchecked ? [...read.warnings, unchecked] : read.warnings;
      if (format === 'json') {
        const json = {
          valid: true,
          path,
          orgPolicy: orgPath,
          format: policy.format === 'aurora' ? 'aurora' : 'version 1',
          stages: policy.environments.map((e) => e.name),
          warnings,
          problems: [],
        };
        writeLine(io.stdout, JSON.stringify(json, null, 2));
        return EXIT.ok;
      }
      const stages = policy.environments.map((e) => e.name).join(' -> ');
      const kind = policy.format === 'aurora' ? 'Aurora format' : 'version 1';
      const origin =
        orgPath === null
          ? ''
          : orgPath === path
            ? `, the org default, used as ${POLICY_PATH} does not exist`
            : `, extending the org default ${orgPath}`;
      for (const w of warnings) writeLine(io.stderr, `warning: ${w}`);
      writeLine(io.stdout, `OK: ${path} is a valid release policy (${kind}${origin}; ${stages})`);
      return EXIT.ok;
    },
  },

  evaluate: {
    help: `Usage: release-gate evaluate --env NAME [options]

Decides whether a release may enter environment NAME under the policy, from the facts
given as options, without calling GitHub. Prints the decision and every rule's result.
Exit 0 for allow, 2 for wait, 3 for block, 1 for a usage or policy error.

Options:
  --env NAME               the environment asked for: a policy stage or a GitHub environment name
  --policy FILE            the policy (default ${POLICY_PATH})
  --org-policy FILE        the org default, merged when the policy says "extends: org"
  --at ISO-8601            the time of the request (default: now), e.g. 2026-01-31T22:30:00-03:00
${factFlagsHelp()}
  --junit GLOB  --coverage GLOB  --sarif GLOB  --checklist FILE  --evidence-url URL
  --rollback-plan FILE|URL  --backup ISO[@LOCATION]  --migrations FILE|URL
                           evidence to score, as for "release-gate score"
${formatHelp(['text', 'json', 'markdown'], { json: 'one object', markdown: 'the check run summary the App would write' })}

A short --ref (v1.2.0, main) is resolved in the git repository of the working directory,
as the App resolves it on GitHub: refs/tags/v1.2.0 when that tag exists (at --sha's commit,
when --sha is given) and no branch has the name, refs/heads/main when only a branch has it.
Otherwise it stays short, matches no refs/tags/* or refs/heads/* pattern, and a note says why.

Example:
  release-gate evaluate --env PROD --at 2026-01-31T21:00:00-03:00 --ref v1.2.0 \\
    --approver alice --score 80 --deployed PRE_PROD@2026-01-31T20:05:00Z`,
    async run(argv, io) {
      const { values } = parseFlags('evaluate', argv, {
        ...EVALUATE_FLAGS,
        ...EVIDENCE_FLAGS,
        'org-policy': { type: 'string' },
        ...FORMAT_FLAGS,
      });
      const format = outputFormat('evaluate', values, ['text', 'json', 'markdown']);
      if (!values.env)
        throw new UsageError(
          'release-gate evaluate: --env NAME is required (the environment asked for, e.g. --env PROD).',
        );
      const evidenceGiven = (Object.keys(EVIDENCE_FLAGS) as Array<keyof typeof EVIDENCE_FLAGS>).filter(
        (k) => values[k] !== undefined,
      );
      if (values.score !== undefined && evidenceGiven.length > 0) {
        throw new UsageError(
          `evaluate: --score cannot be combined with evidence to score (${evidenceGiven.map((k) => `--${k}`).join(', ')}): --score is the score itself. Drop --score to score the evidence, or drop the evidence to use the score given.`,
        );
      }
      const at = values.at ? parseInstant('--at', values.at) : now(io);
      const { policy, path: policyPath } = await readPolicy(values, io);
      const bundle = await collectEvidence(evidenceInputsFromFlags(values, io));
      const evidence = evidenceFor(bundle, policy, at, values.score);
      const notes: string[] = [];
      if (values.ref !== undefined) {
        const resolved = await resolveShortRef(values.ref, values.sha, io.cwd);
        if (resolved.note) notes.push(resolved.note);
        values.ref = resolved.ref;
      }
      for (const note of notes) writeLine(io.stderr, `release-gate evaluate: note: ${note}`);
      const facts = factsFromFlags(values, evidence);
      const decision = await evaluateWithinBudget(policyPath, policy, facts, at);
      if (format === 'json') writeLine(io.stdout, JSON.stringify(decisionJson(decision), null, 2));
      else if (format === 'markdown')
        writeLine(io.stdout, decisionMarkdown(decision, policy, policyPath, facts, at, notes));
      else writeLine(io.stdout, renderDecisionText(decision));
      return exitFor(decision);
    },
  },

  score: {
    help: `Usage: release-gate score [options]

Scores evidence with the policy's weights (or the default weights: tests 40, coverage 20,
security 20, checklist 20) and prints the score with the reason for every point.
With only --evidence-url, prints the URL heuristic's score and breakdown.

Options:
  --policy FILE        take the weights from this policy (default ${POLICY_PATH} when it exists)
  --org-policy FILE    the org default, merged when the policy says "extends: org"
  --junit GLOB         JUnit XML reports (repeatable; a file, a glob, a directory or - for stdin)
  --coverage GLOB      lcov, Cobertura XML or Istanbul coverage-summary.json (repeatable)
  --sarif GLOB         SARIF 2.1.0 files (repeatable)
  --checklist FILE     a Markdown task list (a PR or release body)
  --evidence-url URL   an evidence URL, scored by the URL heuristic
  --rollback-plan FILE|URL  --backup ISO[@LOCATION]  --migrations FILE|URL
  --at ISO-8601        the time to judge the backup's age at (default: now)
${formatHelp(['text', 'json'], { json: '{ score, breakdown, evidence }' })}

Example:
  release-gate score --junit 'reports/**/*.xml' --coverage coverage/lcov.info --json
  release-gate score --evidence-url https://ci.aurora.local/tests/v1.0.1-PASS-results.json`,
    async run(argv, io) {
      const { values } = parseFlags('score', argv, {
        ...EVIDENCE_FLAGS,
        policy: { type: 'string' },
        'org-policy': { type: 'string' },
        at: { type: 'string' },
        ...FORMAT_FLAGS,
      });
      const format = outputFormat('score', values, ['text', 'json']);
      const at = values.at ? parseInstant('--at', values.at) : now(io);
      const bundle = await collectEvidence(evidenceInputsFromFlags(values, io));
      const kinds = presentEvidenceKinds(bundle);
      if (kinds.length === 0) {
        throw new UsageError(
          'release-gate score: no evidence given. Pass --junit, --coverage, --sarif, --checklist or --evidence-url (see --help).',
        );
      }
      let score: number;
      let breakdown: Record<string, unknown>;
      if (kinds.length === 1 && kinds[0] === 'evidenceUrl' && values.policy === undefined) {
        const url = scoreEvidenceUrl(bundle.evidenceUrl!);
        score = url.score;
        breakdown = { ...url.breakdown };
      } else {
        const policy = await policyForScoring(values, io);
        const facts = evidenceFacts(bundle, policy?.scoring ?? defaultScoring(), at);
        score = facts.score ?? 0;
        breakdown = facts.breakdown;
      }
      if (format === 'json') {
        writeLine(io.stdout, JSON.stringify({ score, breakdown, evidence: evidenceJson(bundle) }, null, 2));
      } else {
        writeLine(io.stdout, renderScoreText(score, breakdown as Decision['breakdown']));
      }
      return EXIT.ok;
    },
  },

  freeze: {
    help: `Usage: release-gate freeze --env NAME [--policy FILE] [--org-policy FILE] [--at ISO-8601] [--format text|json]

Says whether environment NAME is frozen at the given time (default: now), by which
window and until when, and when the next window starts. Instants are printed in UTC.
Exit 0 when it is not frozen, 2 when it is frozen, 1 for a usage or policy error
(so a script can wait: until release-gate freeze --env PROD; do sleep 300; done).

Options:
  --env NAME         the environment: a policy stage or a GitHub environment name
  --policy FILE      the policy (default ${POLICY_PATH})
${ORG_POLICY_HELP}
  --at ISO-8601      the time to look at (default: now), e.g. 2026-01-31T22:30:00-03:00
${formatHelp(['text', 'json'], { json: '{ environment, frozen, window, until, next }' })}

Example:
  release-gate freeze --env PROD --at 2026-01-31T22:30:00-03:00 --json`,
    async run(argv, io) {
      const { values } = parseFlags('freeze', argv, {
        env: { type: 'string' },
        policy: { type: 'string' },
        'org-policy': { type: 'string' },
        at: { type: 'string' },
        ...FORMAT_FLAGS,
      });
      const format = outputFormat('freeze', values, ['text', 'json']);
      if (!values.env) throw new UsageError('release-gate freeze: --env NAME is required (e.g. --env PROD).');
      const at = values.at ? parseInstant('--at', values.at) : now(io);
      const { policy } = await readPolicy(values, io);
      const index = findStageIndex(policy, values.env);
      if (index < 0) {
        throw new UsageError(
          `release-gate freeze: environment "${values.env}" is not in the policy; its stages are ${policy.environments.map((e) => e.name).join(', ')}.`,
        );
      }
      const stage = policy.environments[index]!;
      const status = freezeStatus(stage.freezeWindows, at);
      const out = {
        environment: stage.name,
        frozen: status.frozen,
        window: status.window,
        until: status.until ? status.until.toISOString() : null,
        next: status.next
          ? { window: status.next.window, start: status.next.start.toISOString(), end: status.next.end.toISOString() }
          : null,
      };
      if (format === 'json') {
        writeLine(io.stdout, JSON.stringify(out, null, 2));
      } else {
        writeLine(
          io.stdout,
          out.frozen
            ? `${out.environment} is FROZEN at ${at.toISOString()} by "${out.window}" until ${out.until}.`
            : `${out.environment} is not frozen at ${at.toISOString()}.`,
        );
        if (stage.freezeWindows.length === 0) writeLine(io.stdout, `${out.environment} has no freeze windows.`);
        else if (out.next)
          writeLine(io.stdout, `Next window: "${out.next.window}" from ${out.next.start} to ${out.next.end}.`);
        else writeLine(io.stdout, 'No further window starts within the next 400 days.');
      }
      return out.frozen ? EXIT.wait : EXIT.ok;
    },
  },

  audit: {
    help: `Usage: release-gate audit --repo OWNER/REPO [--since DURATION] [--format json|csv] [--database-url URL]

Exports the audit trail the App recorded for a repository: every release event
(CREATE, PROMOTE, APPROVED, REJECTED, BLOCKED, OVERRIDE, ...) since a time.

Options:
  --repo OWNER/REPO    the repository
  --since DURATION     how far back, e.g. 30d, 12h (default 30d)
${formatHelp(['json', 'csv'])}
  --database-url URL   the App's database (default: DATABASE_URL, else file:./data/release-gate.db)

Example:
  release-gate audit --repo acme/web --since 30d --format csv > audit.csv`,
    async run(argv, io) {
      const { values } = parseFlags('audit', argv, {
        repo: { type: 'string' },
        since: { type: 'string', default: '30d' },
        ...FORMAT_FLAGS,
        'database-url': { type: 'string' },
      });
      const format = outputFormat('audit', values, ['json', 'csv']);
      if (!values.repo || !/^[\w.-]+\/[\w.-]+$/.test(values.repo)) {
        throw new UsageError('release-gate audit: --repo OWNER/REPO is required, e.g. --repo acme/web.');
      }
      const sinceMs = parseSince(values.since);
      const { openStore } = await import('../store/open-store.js');
      const { exportAudit } = await import('../store/audit-export.js');
      const { DEFAULT_DATABASE_URL, parseDatabaseUrl } = await import('../store/database-url.js');
      const { StoreError } = await import('../store/types.js');
      const databaseUrl = values['database-url'] ?? io.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
      let store: Awaited<ReturnType<typeof openStore>>;
      try {
        // An export reads the App's record; it never creates an empty one.
        const parsed = parseDatabaseUrl(databaseUrl, io.cwd);
        if (parsed.provider === 'sqlite' && !(await fileExists(parsed.file!))) {
          throw new UsageError(
            `release-gate audit: no record at ${parsed.file}. Run it where the App keeps ./data, or pass --database-url (or DATABASE_URL) of the App's database.`,
          );
        }
        store = await openStore({ databaseUrl, cwd: io.cwd });
      } catch (error) {
        if (error instanceof StoreError) throw new UsageError(`release-gate audit: ${error.message}`);
        throw error;
      }
      try {
        const out = await exportAudit(store, {
          repo: values.repo,
          since: new Date(now(io).getTime() - sinceMs),
          format,
        });
        io.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
      } finally {
        await store.close();
      }
      return EXIT.ok;
    },
  },

  replay: REPLAY_COMMAND,
  simulate: SIMULATE_COMMAND,
  explain: EXPLAIN_COMMAND,
  setup: SETUP_COMMAND,
  db: DB_COMMAND,
};

function parseSince(value: string): number {
  const parsed = parseDuration(value);
  if (!parsed.ok)
    throw new UsageError(`release-gate audit: --since "${value}" is not a duration; use e.g. 30d, 12h or 90m.`);
  return parsed.ms;
}

async function policyForScoring(
  values: { policy?: string | undefined; 'org-policy'?: string | undefined },
  io: CliIo,
): Promise<Policy | null> {
  if (values.policy !== undefined || values['org-policy'] !== undefined) return (await readPolicy(values, io)).policy;
  try {
    return (await readPolicy(values, io)).policy;
  } catch (error) {
    // No policy file at the default path: score with the default weights. A file that
    // exists but is invalid is an error, not a silent fallback.
    if (error instanceof Error && /no such file/.test(error.message)) return null;
    throw error;
  }
}

/** The evidence facts for a decision: `--score` wins over scoring the evidence given. */
function evidenceFor(bundle: EvidenceBundle, policy: Policy, at: Date, score: string | undefined): EvidenceFacts {
  const scored = evidenceFacts(bundle, policy.scoring, at);
  if (score === undefined) return scored;
  const given = parseWhole('--score', score, 0, 100);
  return { score: given, breakdown: { given }, present: scored.present };
}

function exitFor(decision: Decision): number {
  return decision.decision === 'allow' ? EXIT.ok : decision.decision === 'wait' ? EXIT.wait : EXIT.block;
}

async function fileExists(path: string): Promise<boolean> {
  return stat(path).then(
    (st) => st.isFile(),
    () => false,
  );
}
