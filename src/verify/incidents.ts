/**
 * Incident issues: one per failed verification (label `release-gate:incident`), naming the
 * release, the failed checks with their measured values, the check run and the rollback;
 * closed when a release is verified in that environment again.
 */
import { describeFailures } from '../core/verification-report.js';
import { escapeMarkdown } from '../core/markdown-escape.js';
import type { Measurement } from '../core/verification.js';
import { describeError, repoRefOf } from '../github/types.js';
import type { GitHubClient } from '../github/types.js';
import type { VerificationRow } from '../store/verifications.js';
import { rollbackCommand } from './rollback.js';
import type { VerifierDeps } from './types.js';

export const INCIDENT_LABEL = 'release-gate:incident';

/** Opens the incident issue of a failed verification; returns its number. */
export async function openIncident(
  octokit: GitHubClient,
  row: VerificationRow,
  what: { failures: Measurement[]; reason: string; rollback: string; proposed: boolean },
): Promise<number> {
  const where = repoRefOf(row.repo);
  const short = row.sha.slice(0, 7);
  const checkRun =
    row.checkRunId !== null
      ? `https://github.com/${row.repo}/runs/${row.checkRunId}`
      : `https://github.com/${row.repo}/commit/${row.sha}/checks`;
  const body = [
    `Release ${short} (${row.sha}${row.ref ? `, ${escapeMarkdown(row.ref)}` : ''}) failed its verification in **${escapeMarkdown(row.stage)}** (environment ${escapeMarkdown(row.environment)}, deployment ${row.deploymentId}).`,
    '',
    `**Why:** ${escapeMarkdown(what.reason)}.`,
    '',
    '**Failed checks (measured values):**',
    ...what.failures.map(
      (m) =>
        `- ${escapeMarkdown(m.check)}: ${escapeMarkdown(m.value === null ? 'no data' : String(m.value))} (${escapeMarkdown(m.note)})`,
    ),
    '',
    `**Check run:** ${checkRun}`,
    '',
    `**Rollback:** ${what.rollback}`,
    ...(what.proposed ? ['', `To roll back, comment ${rollbackCommand(row)} on this issue.`] : []),
    '',
    `This issue is closed when a release is verified in ${escapeMarkdown(row.environment)} again.`,
  ].join('\n');
  const { data } = await octokit.request('POST /repos/{owner}/{repo}/issues', {
    ...where,
    title: `Verification failed in ${row.stage}: ${short} (${describeFailures(what.failures).slice(0, 120)})`,
    body,
    labels: [INCIDENT_LABEL],
  });
  return data.number;
}

/** Closes the open incidents of the environment the verified release is in, saying which release restored it. */
export async function closeIncidents(
  deps: Pick<VerifierDeps, 'store' | 'log'>,
  octokit: GitHubClient,
  verified: VerificationRow,
  now: Date,
): Promise<number> {
  const where = repoRefOf(verified.repo);
  let closed = 0;
  for (const incident of await deps.store.verifications.openIncidents(verified.repo, [verified.environment])) {
    if (incident.id === verified.id || incident.incidentIssue === null) continue;
    try {
      await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...where,
        issue_number: incident.incidentIssue,
        body: `Release ${verified.sha.slice(0, 7)} was verified in ${escapeMarkdown(verified.environment)} at ${now.toISOString()} (deployment ${verified.deploymentId}): closing.`,
      });
      await octokit.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
        ...where,
        issue_number: incident.incidentIssue,
        state: 'closed',
        state_reason: 'completed',
      });
      await deps.store.verifications.closeIncident(incident.id, now);
      closed++;
    } catch (error) {
      deps.log.warn({ issue: incident.incidentIssue, err: describeError(error) }, 'Could not close the incident issue');
    }
  }
  return closed;
}
