import type { Octokit } from '@octokit/rest';
import { fromSource } from '../core/rules/checks.js';
import type { CheckFact, RequiredCheck } from '../core/types.js';
import type { RepoRef } from './types.js';
import { jobRunOf, traceWorkflowRun } from './workflow-trace.js';
import type { TraceRelease } from './workflow-trace.js';

/** The part of an Octokit client these reads need (satisfied by Probot's and the Action's). */
export type ChecksClient = Pick<Octokit, 'paginate' | 'request'>;

/** A check run the App learned from a webhook. */
export interface KnownCheckRun {
  kind: 'check_run' | 'status';
  name: string;
  status: string;
  conclusion: string | null;
  appSlug: string | null;
}

/** At most this many check runs of one name are traced to their workflow. */
const TRACED_PER_NAME = 5;

/**
 * The reports of the commit's required checks, each with its source: check runs with their
 * GitHub App (and, for an entry that pins a workflow, the workflow file each run of GitHub
 * Actions is traced to), commit statuses with their creator. Oldest first, so the last of a
 * check is its current state. What webhooks told the App (`known`) answers check runs that
 * pin no workflow without asking GitHub; statuses and workflows are always read from it.
 * The App, the Action and the CLI's facts carry the same sources, for the same decision.
 */
export async function loadRequiredChecks(
  octokit: ChecksClient,
  where: RepoRef,
  release: TraceRelease,
  required: readonly RequiredCheck[],
  known: readonly KnownCheckRun[],
  notes: string[],
): Promise<CheckFact[]> {
  const names = new Set(required.map((c) => c.name));
  const runsWanted = required.filter((c) => !c.status);
  const fromWebhooks: CheckFact[] = known
    .filter((c) => c.kind === 'check_run' && names.has(c.name))
    .map((c) => ({
      name: c.name,
      status: c.status as CheckFact['status'],
      conclusion: c.conclusion,
      kind: 'check_run',
      app: c.appSlug,
    }));
  const settled = runsWanted.every(
    (c) => c.workflow === undefined && fromWebhooks.some((f) => fromSource(c, f) && f.status === 'completed'),
  );
  const facts: CheckFact[] = [];
  if (runsWanted.length > 0 && settled) facts.push(...fromWebhooks);
  else if (runsWanted.length > 0) {
    const runs = await octokit.paginate('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
      ...where,
      ref: release.sha,
      per_page: 100,
    });
    // GitHub lists the newest first.
    const ours = [...runs].reverse().filter((r) => names.has(r.name) && r.head_sha === release.sha);
    const workflows = new Map<string, string[]>();
    for (const c of runsWanted)
      if (c.workflow !== undefined) workflows.set(c.name, [...(workflows.get(c.name) ?? []), c.workflow]);
    for (const r of ours) {
      const fact: CheckFact = {
        name: r.name,
        status: r.status as CheckFact['status'],
        conclusion: r.conclusion,
        kind: 'check_run',
        app: r.app?.slug ?? null,
      };
      facts.push(fact);
    }
    for (const [name, allowed] of workflows) {
      const candidates = facts.filter((f) => f.name === name && f.app === 'github-actions');
      const runIds = ours.filter((r) => r.name === name && r.app?.slug === 'github-actions').map((r) => Number(r.id));
      for (const [i, fact] of candidates.entries()) {
        if (i < candidates.length - TRACED_PER_NAME) {
          fact.workflow = null;
          continue;
        }
        fact.workflow = await traceJob(octokit, where, runIds[i]!, release, allowed, name, notes);
      }
    }
  }
  // Statuses are read for the entries that name one, and to explain a check run that is
  // missing (a status of its name does not count for it, and the summary says so).
  const unanswered = runsWanted.some((c) => !facts.some((f) => fromSource(c, f)));
  if (required.some((c) => c.status) || unanswered) {
    const statuses = await octokit.paginate('GET /repos/{owner}/{repo}/commits/{ref}/statuses', {
      ...where,
      ref: release.sha,
      per_page: 100,
    });
    for (const s of [...statuses].reverse()) {
      if (!names.has(s.context)) continue;
      facts.push({
        name: s.context,
        ...(s.state === 'pending' ? { status: 'pending' } : { status: 'completed', conclusion: s.state }),
        kind: 'status',
        creator: s.creator?.login ?? null,
      });
    }
  }
  return facts;
}

/** The workflow file a check run of GitHub Actions is a job of, when it may count; null (and a note) when not. */
async function traceJob(
  octokit: ChecksClient,
  where: RepoRef,
  checkRunId: number,
  release: TraceRelease,
  allowed: string[],
  name: string,
  notes: string[],
): Promise<string | null> {
  const run = await jobRunOf(octokit, where, checkRunId);
  if (run === null) {
    notes.push(
      `The check run "${name}" ${checkRunId} is no job of a workflow (a step created it through the API), so it does not count for ${allowed.join(', ')}.`,
    );
    return null;
  }
  const trace = await traceWorkflowRun(octokit, where, run, release, allowed);
  if (trace.ok) return trace.path;
  notes.push(`The check run "${name}" ${checkRunId} does not count: ${trace.reason}`);
  return null;
}
