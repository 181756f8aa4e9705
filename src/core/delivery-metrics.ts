/**
 * Delivery metrics (DORA's four keys) from the gate's own record: pure, the caller gives the
 * window and the proven production deployments in it. Definitions (README, "Delivery metrics"):
 *
 * - deployment frequency: deployments to the last stage (PROD) proven in the window, per day;
 * - lead time for changes: from the first commit of the release's pull requests to its first
 *   proven PROD success (once per release);
 * - change failure rate: proven PROD deployments later marked `failure`/`error`, or rolled back
 *   (a deployment the App created names it in its payload's `releaseGate.rollbackOf`), over
 *   all proven PROD deployments;
 * - time to restore: from such a failure (the failure status, or the rollback's creation,
 *   whichever came first) to the next proven PROD success.
 */

export interface DeliveryDeployment {
  id: number;
  repo: string;
  sha: string;
  createdAt: Date;
  provenAt: Date;
  latestState: string | null;
  latestStateAt: Date | null;
  /** The earliest first commit of the release's pull requests, when the record has it. */
  firstCommitAt: Date | null;
}

/** A rollback the App created: a deployment of `repo` whose payload says it rolls back deployment `of`. */
export interface DeliveryRollback {
  repo: string;
  of: number;
  createdAt: Date;
}

export interface Distribution {
  /** How many values. */
  count: number;
  /** Median and 90th percentile, in seconds (null when there are none). */
  p50: number | null;
  p90: number | null;
}

export interface DeliveryFigures {
  since: string;
  until: string;
  days: number;
  deployments: number;
  /** Proven PROD deployments per day over the window. */
  deploymentsPerDay: number;
  leadTime: Distribution;
  /** Releases deployed without a recorded first commit (no linked pull request): not in `leadTime`. */
  leadTimeUnknown: number;
  failures: number;
  /** failures / deployments, or null when nothing was deployed. */
  changeFailureRate: number | null;
  timeToRestore: Distribution;
  /** Failures with no proven PROD success after them yet. */
  unrestored: number;
  /** Per UTC day: deployments and failures (the charts). */
  daily: Array<{ day: string; deployments: number; failures: number }>;
}

const DAY_MS = 86_400_000;
const FAILED_STATES = new Set(['failure', 'error']);

/** The q-quantile (nearest rank) of sorted values. */
function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) };
}

/** When a proven deployment failed (its failure status, or its rollback's creation, the earlier), or null. */
function failedAt(d: DeliveryDeployment, rollbacks: ReadonlyMap<string, Date>): Date | null {
  const times: number[] = [];
  if (d.latestState !== null && FAILED_STATES.has(d.latestState) && d.latestStateAt)
    times.push(d.latestStateAt.getTime());
  const rolledBack = rollbacks.get(`${d.repo}#${d.id}`);
  if (rolledBack) times.push(rolledBack.getTime());
  return times.length === 0 ? null : new Date(Math.min(...times));
}

/**
 * The four keys over [since, until) for the proven PROD deployments given (any order; those
 * outside the window are ignored). Several repositories may be given: each failure is
 * restored by its own repository's next success.
 */
export function computeDeliveryFigures(
  deployments: readonly DeliveryDeployment[],
  window: { since: Date; until: Date },
  rollbackList: readonly DeliveryRollback[] = [],
): DeliveryFigures {
  const since = window.since.getTime();
  const until = window.until.getTime();
  const inWindow = deployments
    .filter((d) => d.provenAt.getTime() >= since && d.provenAt.getTime() < until)
    .sort((a, b) => a.provenAt.getTime() - b.provenAt.getTime() || a.id - b.id);
  const days = Math.max(1, Math.round((until - since) / DAY_MS));

  const rollbacks = new Map<string, Date>();
  for (const r of rollbackList) {
    const key = `${r.repo}#${r.of}`;
    const known = rollbacks.get(key);
    if (!known || r.createdAt < known) rollbacks.set(key, r.createdAt);
  }

  const leadTimes: number[] = [];
  let leadTimeUnknown = 0;
  const seenReleases = new Set<string>();
  for (const d of inWindow) {
    const release = `${d.repo}@${d.sha}`;
    if (seenReleases.has(release)) continue;
    seenReleases.add(release);
    if (d.firstCommitAt === null) leadTimeUnknown++;
    else leadTimes.push(Math.max(0, (d.provenAt.getTime() - d.firstCommitAt.getTime()) / 1000));
  }

  // Each repository's deployments in order, with whether each failed: a failure is restored by the next that did not.
  const byRepo = new Map<string, Array<{ d: DeliveryDeployment; failed: Date | null }>>();
  for (const d of inWindow) {
    const list = byRepo.get(d.repo) ?? [];
    list.push({ d, failed: failedAt(d, rollbacks) });
    byRepo.set(d.repo, list);
  }
  const nextSuccess = (repo: string, after: number): DeliveryDeployment | null => {
    const list = byRepo.get(repo)!;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.d.provenAt.getTime() <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length; i++) if (list[i]!.failed === null) return list[i]!.d;
    return null;
  };

  const restoreTimes: number[] = [];
  let failures = 0;
  let unrestored = 0;
  const daily = new Map<string, { deployments: number; failures: number }>();
  for (let t = since; t < until; t += DAY_MS)
    daily.set(new Date(t).toISOString().slice(0, 10), { deployments: 0, failures: 0 });
  for (const d of inWindow) {
    const day = daily.get(d.provenAt.toISOString().slice(0, 10));
    if (day) day.deployments++;
    const failed = failedAt(d, rollbacks);
    if (!failed) continue;
    failures++;
    if (day) day.failures++;
    const restored = nextSuccess(d.repo, failed.getTime());
    if (restored) restoreTimes.push((restored.provenAt.getTime() - failed.getTime()) / 1000);
    else unrestored++;
  }

  return {
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    days,
    deployments: inWindow.length,
    deploymentsPerDay: inWindow.length / days,
    leadTime: distribution(leadTimes),
    leadTimeUnknown,
    failures,
    changeFailureRate: inWindow.length === 0 ? null : failures / inWindow.length,
    timeToRestore: distribution(restoreTimes),
    unrestored,
    daily: [...daily].map(([day, v]) => ({ day, ...v })),
  };
}
