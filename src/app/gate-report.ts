import type { Logger } from 'probot';
import { gateConclusion, gateTitle, renderGateSummary } from '../core/render-gate-summary.js';
import type { Decision, EnvironmentPolicy, OverrideFact } from '../core/types.js';
import { writeGateCheckRun } from '../github/check-runs.js';
import type { LoadedFacts } from '../github/facts.js';
import type { RepoPolicy } from '../github/policy-source.js';
import { describeError, repoKey } from '../github/types.js';
import type { GitHubClient } from '../github/types.js';
import type { GateDeps, GateRequest, ReportRecord } from './gate-deps.js';

/** What one decision's report is written from. */
export interface DecisionReport {
  req: GateRequest;
  decision: Decision;
  policy: RepoPolicy;
  /** The stage of the policy that judged (null when the policy is invalid or the environment ungated). */
  stage: EnvironmentPolicy | null;
  loaded: LoadedFacts | null;
  /** The evaluation recorded for the decision: the check run's id is written on it. */
  evaluationId: number;
  now: Date;
}

/**
 * The audit summary on the commit (`Release gate / <STAGE>` check run), written after the
 * answers of the installation. Settles with the check run's id, or null when it could not
 * be written (the answer is out already; a lost summary is logged, never a lost decision).
 */
export function scheduleGateReport(
  deps: Pick<GateDeps, 'audit'> & { store: ReportRecord },
  octokit: GitHubClient,
  report: DecisionReport,
  log: Logger,
): Promise<number | null> {
  const { store } = deps;
  const { req, decision, policy, stage, loaded, now } = report;
  const repo = repoKey(req);
  return new Promise<number | null>((resolve) => {
    const key = {
      repo,
      sha: req.sha,
      environment: decision.environment,
      runId: req.protection?.runId ?? null,
      deploymentId: req.protection ? null : (req.deploymentId ?? null),
    };
    deps.audit.schedule(req.installationId, JSON.stringify(key), async () => {
      try {
        // The request's own check run, else the one its deployment's evaluation wrote: one read.
        const deploymentId = req.protection?.deploymentId;
        const [own = null, ofDeployment = null] = await store.getCheckRunIds(
          deploymentId ? [key, { ...key, runId: null, deploymentId }] : [key],
        );
        const existing = own ?? ofDeployment;
        const timeline = await store.timeline({ repo, sha: req.sha });
        const overrides: OverrideFact[] = loaded?.facts.overrides ?? [];
        const summary = renderGateSummary({
          decision,
          sha: req.sha,
          ref: req.ref ?? null,
          githubEnvironment: req.environment,
          stage,
          policy: {
            path: policy.path,
            ref: policy.ref,
            blobSha: policy.blobSha,
            commitSha: policy.commitSha,
            valid: policy.ok,
            files: policy.files,
          },
          overrides,
          timeline: timeline.map((e) => ({
            at: e.at.toISOString(),
            type: e.type,
            environment: e.environment,
            status: e.status,
            actor: e.actor,
            notes: e.notes,
          })),
          evidence: loaded?.evidenceCheck
            ? { checkRunId: loaded.evidenceCheck.id, appSlug: loaded.evidenceCheck.appSlug }
            : null,
          notes: loaded?.notes ?? [],
          at: now.toISOString(),
          trigger: `${req.trigger}${req.actor ? ` by ${req.actor}` : ''}`,
        });
        const id = await writeGateCheckRun(
          octokit,
          {
            owner: req.owner,
            repo: req.repo,
            sha: req.sha,
            name: `Release gate / ${decision.environment}`,
            existingId: existing,
            externalId: `release-gate:${req.environment}:${req.protection?.runId ?? 'none'}`,
          },
          {
            status: 'completed',
            conclusion: gateConclusion(decision.decision),
            output: { title: gateTitle(decision), summary },
            at: now,
          },
        );
        // Two statements, not a transaction: for two writes a transaction costs more than it saves.
        if (id !== own) await store.setCheckRunId(key, id, now);
        await store.setEvaluationCheckRun(report.evaluationId, id);
        resolve(id);
      } catch (error) {
        // The answer is out already; a lost summary is logged, never a lost decision.
        log.warn({ err: describeError(error) }, 'Could not write the Release gate check run');
        resolve(null);
      }
    });
  });
}
