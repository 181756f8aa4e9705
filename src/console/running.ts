import { approvalsRule, isResultOf } from '../core/rules/index.js';
import { roleOf } from '../core/rules/roles.js';
import type { EnvironmentPolicy } from '../core/types.js';
import type { DeploymentRow } from '../store/types.js';
import type { InstalledRepo } from './github-directory.js';
import type { ConsoleReader } from './console-reader.js';
import type { RunningView } from './views.js';

/**
 * What runs in a stage: the last deployment whose success the gate proved (not the request
 * that waits), who approved it (the approvals its allowing decision counted, and approvals
 * given in the console or by command), when, and by which workflow run.
 */
export async function runningIn(
  svc: ConsoleReader,
  repo: InstalledRepo,
  stage: EnvironmentPolicy,
): Promise<RunningView | null> {
  const store = svc.deps.store;
  const envs = [...new Set([...stage.github, stage.name])];
  const [d] = await store.recentProvenDeployments({ repo: repo.fullName, environments: envs, limit: 1 });
  if (!d) return null;
  // Who approved a deployment does not change once it is proven: worked out once per deployment.
  let known = seen.get(svc);
  if (!known) seen.set(svc, (known = new Map()));
  const hit = known.get(`${repo.fullName}|${d.id}`);
  if (hit) return hit;
  const view = await approvalsOf(svc, repo, envs, d);
  if (known.size > 10_000) known.clear();
  known.set(`${repo.fullName}|${d.id}`, view);
  return view;
}

const seen = new WeakMap<ConsoleReader, Map<string, RunningView>>();

async function approvalsOf(
  svc: ConsoleReader,
  repo: InstalledRepo,
  envs: string[],
  d: DeploymentRow,
): Promise<RunningView> {
  const store = svc.deps.store;
  const approvedAt = d.approvedAt ?? d.provenAt ?? d.createdAt;
  const [evaluations, events] = await Promise.all([
    store.listEvaluations({
      repo: repo.fullName,
      sha: d.sha,
      environment: d.approvedEnvironment ?? d.environment,
      last: 50,
    }),
    store.timeline({ repo: repo.fullName, sha: d.sha }),
  ]);
  const allows = evaluations.filter((e) => e.decision === 'allow');
  const allow = allows.filter((e) => e.at.getTime() <= approvedAt.getTime()).at(-1) ?? allows.at(-1);
  const counted = (allow?.rules ?? []).flatMap((r) => {
    const role = roleOf(r);
    if (role) return role.counted;
    // A record from before roles were kept: the release approval's approvers.
    return isResultOf(approvalsRule, r) ? r.values.approvers.filter((a) => typeof a === 'string') : [];
  });
  const given = events
    .filter(
      (e) =>
        e.type === 'APPROVED' &&
        e.status === 'review' &&
        e.actor &&
        (e.environment === null || envs.includes(e.environment)) &&
        e.at.getTime() <= approvedAt.getTime(),
    )
    .map((e) => e.actor!);
  return {
    sha: d.sha,
    ref: d.ref,
    environment: d.environment,
    deploymentId: d.id,
    at: (d.provenAt ?? d.latestStateAt ?? d.createdAt).toISOString(),
    approvedBy: [...new Set([...counted, ...given])].sort(),
    approvedAt: d.approvedAt?.toISOString() ?? null,
    deployer: d.creator,
    runUrl: d.approvedRunId ? `${svc.webBaseUrl}/${repo.fullName}/actions/runs/${d.approvedRunId}` : null,
  };
}
