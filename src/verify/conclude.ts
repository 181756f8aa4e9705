/**
 * A concluded verification written out, each step once (a crash half-way is finished by the
 * next replica that takes the lease): the check run completed with its table, the events,
 * then for a failure the deployment marked `failure`, the rollback (auto: a deployment of the
 * last release verified there; propose: the command to run) and the incident issue; for a
 * success, the incidents of that environment closed and what waited on it woken.
 */
import { describeFailures, renderVerification, verifyCheckName } from '../core/verification-report.js';
import { judgeVerification } from '../core/verification.js';
import type { Round } from '../core/verification.js';
import { discardEvents } from '../core/release-events.js';
import { writeGateCheckRun } from '../github/check-runs.js';
import { setDeploymentStatus } from '../github/deployment-api.js';
import { describeError, repoRefOf } from '../github/types.js';
import type { GitHubClient } from '../github/types.js';
import type { VerificationRow } from '../store/verifications.js';
import { closeIncidents, openIncident } from './incidents.js';
import { rollBack, rollbackCommand } from './rollback.js';
import { planOf, type VerifierDeps } from './types.js';

/** Writes out a concluded (`decided`) verification and finishes it. */
export async function concludeVerification(
  deps: VerifierDeps,
  octokit: GitHubClient,
  row: VerificationRow,
): Promise<void> {
  const { store } = deps;
  const events = deps.events ?? discardEvents;
  const where = repoRefOf(row.repo);
  const { stored, plan } = planOf(row);
  const rounds = row.rounds as Round[];
  const judgement = judgeVerification(plan, rounds);
  const now = deps.clock();
  const outcome = row.outcome ?? judgement.state;
  const failures = judgement.failures;
  const repository = { ...where, installationId: row.installationId };
  const base = {
    repository,
    sha: row.sha,
    stage: row.stage,
    environment: row.environment,
    deploymentId: row.deploymentId,
  };
  const extra: string[] = [];

  if (outcome === 'failed') {
    const reason = `Verification failed in ${row.stage}: ${describeFailures(failures)}`;
    // Marked failed once: the next stage's gate reads it, and GitHub shows it on the deployment.
    if (row.rollbackNote === null)
      await setDeploymentStatus(octokit, {
        ...where,
        deploymentId: row.deploymentId,
        state: 'failure',
        description: reason,
      });
    let note = row.rollbackNote;
    let rollbackId = row.rollbackDeploymentId;
    if (note === null) {
      const result = await rollBack(deps, octokit, row, stored.rollback, reason);
      note = result.note;
      rollbackId = result.deploymentId;
      await store.verifications.setRollback(row.id, rollbackId, note);
      if (rollbackId !== null) {
        await store.recordEvent({
          repo: row.repo,
          sha: result.sha ?? row.sha,
          environment: row.environment,
          type: 'ROLLBACK',
          status: 'created',
          actor: null,
          at: now,
          notes: note,
        });
        events.publish({
          ...base,
          kind: 'rolled_back',
          id: `rolled_back:${row.deploymentId}`,
          at: now,
          sha: result.sha ?? row.sha,
          deploymentId: rollbackId,
          rollbackOf: row.deploymentId,
          summary: note,
        });
      }
    }
    extra.push(`**Rollback:** ${note}`);
    if (stored.rollback === 'propose' && rollbackId === null) extra.push(`Run ${rollbackCommand(row)} to roll back.`);
    if (row.incidentIssue === null) {
      const issue = await openIncident(octokit, row, {
        failures,
        reason: judgement.reason,
        rollback: note,
        proposed: stored.rollback === 'propose',
      });
      await store.verifications.setIncident(row.id, issue);
      extra.push(`**Incident:** #${issue}`);
    } else extra.push(`**Incident:** #${row.incidentIssue}`);
  }

  const output = renderVerification(
    row.stage,
    plan,
    rounds,
    { ...judgement, state: outcome, reason: row.reason ?? judgement.reason },
    extra,
  );
  await writeGateCheckRun(
    octokit,
    {
      ...where,
      sha: row.sha,
      name: verifyCheckName(row.stage),
      existingId: row.checkRunId,
      externalId: `verify:${row.deploymentId}`,
    },
    {
      status: 'completed',
      conclusion: outcome === 'verified' ? 'success' : outcome === 'failed' ? 'failure' : 'neutral',
      output,
      at: now,
    },
  );

  const measurements = rounds.at(-1)?.measurements.map((m) => ({
    check: m.check,
    value: typeof m.value === 'number' ? m.value : null,
    ok: m.outcome === 'pass',
    note: m.note,
  }));
  if (outcome === 'verified') {
    events.publish({
      ...base,
      kind: 'verified',
      id: `verified:${row.deploymentId}`,
      at: now,
      summary: `${row.sha.slice(0, 7)} verified in ${row.stage}: ${row.reason ?? judgement.reason}.`,
      ...(measurements ? { measurements } : {}),
    });
    await closeIncidents(deps, octokit, row, now);
  } else if (outcome === 'failed') {
    events.publish({
      ...base,
      kind: 'verification_failed',
      id: `verification_failed:${row.deploymentId}`,
      at: now,
      summary: `${row.sha.slice(0, 7)} failed its verification in ${row.stage}: ${describeFailures(failures)}.`,
      ...(measurements ? { measurements } : {}),
    });
  }
  await store.recordEvent({
    repo: row.repo,
    sha: row.sha,
    environment: row.environment,
    type: outcome === 'verified' ? 'VERIFIED' : outcome === 'failed' ? 'VERIFICATION_FAILED' : 'NOTE',
    status: outcome,
    actor: null,
    at: now,
    notes: `Deployment ${row.deploymentId} in ${row.stage}: ${row.reason ?? judgement.reason}`,
  });
  if (outcome === 'verified' && deps.onVerified) {
    try {
      await deps.onVerified(row, octokit);
    } catch (error) {
      // The verification stands; what waits on it is looked at again by its own scheduler.
      deps.log.warn(
        { verificationId: row.id, err: describeError(error) },
        'Could not wake what waited on the verification',
      );
    }
  }
  await store.verifications.finish(row.id, now);
}
