import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { formatPolicyProblem, readPolicyDocument } from '../core/policy-load.js';
import { loadPolicyFiles } from '../core/policy-source.js';
import type { PolicyText } from '../core/policy-source.js';
import { renderSimulationMarkdown, Simulator } from '../core/simulate.js';
import type { SimulatedPolicy, SimulationReport } from '../core/simulate.js';
import { FORMAT_FLAGS, formatHelp, outputFormat } from './output-format.js';
import { EXIT, UsageError, parseFlags, writeLine } from './io.js';
import { PolicyFileError } from '../local/policy-file.js';
import { forEachStoredEvaluation, storedEvaluation } from '../store/stored-evaluations.js';
import type { RecordSelection, StoredEvaluationReader } from '../store/stored-evaluations.js';
import { DATABASE_HELP, openRecord, RECORD_FLAGS, selectionFromFlags } from './replay.js';
import type { RecordCommand } from './replay.js';

const POLICY_REQUIRED =
  'release-gate simulate: --policy FILE is required (the policy to try), e.g. --policy .github/release-policy.yml.';

async function readPolicyText(flag: string, path: string, cwd: string): Promise<PolicyText> {
  try {
    return { text: await readFile(isAbsolute(path) ? path : resolve(cwd, path), 'utf8'), source: path };
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : error instanceof Error
          ? error.message
          : String(error);
    throw new PolicyFileError(path, [`${path}: cannot read the policy given with ${flag}: ${why}`]);
  }
}

/**
 * Checks the policy to simulate before anything is read from the record: each file on its
 * own, and merged when both are given. Throws {@link PolicyFileError} with every problem.
 */
export function checkSimulatedPolicy(next: SimulatedPolicy): void {
  if (next.repository && next.org) {
    const merged = loadPolicyFiles(next.repository, next.org);
    if (!merged.ok)
      throw new PolicyFileError(next.repository.source, merged.errors.map(formatPolicyProblem), merged.errors);
    return;
  }
  const only = next.repository ?? next.org;
  if (!only) throw new UsageError(POLICY_REQUIRED);
  const read = readPolicyDocument(only.text, only.source);
  if (!read.ok) throw new PolicyFileError(only.source, read.errors.map(formatPolicyProblem), read.errors);
  if (next.org && read.document.extendsOrg) {
    throw new PolicyFileError(only.source, [
      formatPolicyProblem(
        read.document.problemAt(['extends'], 'the org default cannot extend anything: remove "extends" from it'),
      ),
    ]);
  }
}

/** Simulates the selected stored decisions under `next`. */
export async function simulateRecord(
  store: StoredEvaluationReader,
  selection: RecordSelection,
  next: SimulatedPolicy,
): Promise<SimulationReport> {
  let texts = new Map<string, string>();
  const simulator = new Simulator(next, (h) => texts.get(h));
  await forEachStoredEvaluation(store, selection, (rows, known) => {
    texts = known;
    for (const row of rows) simulator.add(storedEvaluation(row));
  });
  return simulator.report();
}

export const SIMULATE_COMMAND: RecordCommand = {
  help: `Usage: release-gate simulate --policy FILE [--org-policy FILE] [--repo OWNER/REPO] [--since DURATION] [--database URL] [--format markdown|json]

Evaluates the decisions the App recorded again, with their stored facts at their stored
instants, under another policy, and reports which would have gone differently: the
decision (allow -> block...), the rule codes that would hold the release and those that
would no longer, and a summary by stage and by rule. Nothing is written anywhere.

Options:
  --policy FILE        the repository policy to try; when it says "extends: org" it is merged
                       with --org-policy, else with the org default each decision was made under
  --org-policy FILE    an org default to try (alone: merged with each repository's recorded file)
  --repo OWNER/REPO    only this repository's decisions (default: every repository)
  --since DURATION     decisions of the last DURATION (default 30d)
${DATABASE_HELP}
${formatHelp(['markdown', 'json'], { json: '{ considered, simulated, changed, skipped, byStage, byRule }' })}

Example:
  release-gate simulate --policy .github/release-policy.yml --repo acme/web --since 30d`,
  async run(argv, io) {
    const { values } = parseFlags('simulate', argv, {
      ...RECORD_FLAGS,
      policy: { type: 'string' },
      'org-policy': { type: 'string' },
      repo: { type: 'string' },
      since: { type: 'string', default: '30d' },
      ...FORMAT_FLAGS,
    });
    const format = outputFormat('simulate', values, ['markdown', 'json']);
    if (values.policy === undefined && values['org-policy'] === undefined) {
      throw new UsageError(POLICY_REQUIRED);
    }
    const selection = selectionFromFlags('simulate', values, io.now ? io.now() : new Date());
    const next: SimulatedPolicy = {
      repository: values.policy === undefined ? null : await readPolicyText('--policy', values.policy, io.cwd),
      org:
        values['org-policy'] === undefined ? null : await readPolicyText('--org-policy', values['org-policy'], io.cwd),
    };
    checkSimulatedPolicy(next);
    const store = await openRecord('simulate', values, io);
    let report: SimulationReport;
    try {
      report = await simulateRecord(store, selection, next);
    } finally {
      await store.close();
    }
    if (format === 'json') writeLine(io.stdout, JSON.stringify(report, null, 2));
    else
      writeLine(
        io.stdout,
        renderSimulationMarkdown(report, { maxChanges: Number.POSITIVE_INFINITY, limit: Number.POSITIVE_INFINITY }),
      );
    return EXIT.ok;
  },
};
