import type { ViewerActions } from '../app/actions/index.js';
import type { InstalledRepo } from './github-directory.js';
import type { ConsoleReader } from './console-reader.js';
import type { QueueItem, QueueView, Viewer } from './views.js';

/**
 * What waits on the viewer, across every repository they can act on: the gates waiting for
 * an action they can take and that would count there (their approval counted, their
 * override in force), as the App's actions judge it (`actionsOpenTo`: team requirements,
 * `excludeAuthor`, the deployer), oldest first with their age.
 */
export async function queueOf(svc: ConsoleReader, viewer: Viewer): Promise<QueueView> {
  const now = svc.now();
  // Every gate decision, approval, rejection and override records an event: while no new
  // event is recorded (and for at most QUEUE_TTL_MS), the queue is what it was.
  const repos = [...(await svc.github.repositories()).values()];
  const [newest] = (await svc.deps.store.pageEvents({ repos: repos.map((r) => r.fullName), limit: 1 })).rows;
  const version = `${newest?.id ?? 0}`;
  const key = viewer.login.toLowerCase();
  let cache = caches.get(svc);
  if (!cache) caches.set(svc, (cache = new Map()));
  const hit = cache.get(key);
  if (hit && hit.version === version && now.getTime() - hit.at < QUEUE_TTL_MS && now.getTime() >= hit.at)
    return { ...hit.view, now: now.toISOString(), items: hit.view.items.map((i) => aged(i, now)) };
  const view = await computeQueue(svc, viewer, now, repos);
  if (cache.size > 10_000) cache.clear();
  cache.set(key, { version, at: now.getTime(), view });
  return view;
}

/** How long a viewer's queue is kept while nothing is recorded (team membership and permissions change unannounced). */
const QUEUE_TTL_MS = 30_000;
const caches = new WeakMap<ConsoleReader, Map<string, { version: string; at: number; view: QueueView }>>();

function aged(item: QueueItem, now: Date): QueueItem {
  return { ...item, ageMinutes: Math.max(0, Math.floor((now.getTime() - Date.parse(item.since)) / 60_000)) };
}

async function computeQueue(svc: ConsoleReader, viewer: Viewer, now: Date, repos: InstalledRepo[]): Promise<QueueView> {
  const items: QueueItem[] = [];
  for (const repo of repos) {
    const role = await svc.github.roleOf(viewer.login, repo);
    // Viewers cannot act anywhere; a repository with nothing waiting costs one count.
    if (role !== 'admin' && role !== 'approver') continue;
    const counts = await svc.deps.store.countWaitingGates(repo.fullName);
    if (Object.values(counts).every((n) => n === 0)) continue;
    const p = await svc.policy(repo);
    if (!p.ok) continue;
    const waiting = await svc.waitingGates(repo, p.policy, viewer);
    if (waiting.length === 0) continue;
    const { scope } = await svc.scope(viewer.login, repo.fullName);
    const asked = new Map<string, Promise<ViewerActions>>();
    const releases = new Map<string, Promise<{ version: string | null; ref: string | null } | null>>();
    for (const w of waiting) {
      const stage = w.stage ?? w.environment;
      const key = `${w.sha}|${stage}`;
      if (!asked.has(key)) asked.set(key, svc.deps.actions.actionsOpenTo(scope, { sha: w.sha, stage }));
      if (!releases.has(w.sha)) releases.set(w.sha, svc.deps.store.getRelease(repo.fullName, w.sha));
      const a = await asked.get(key)!;
      const actions: QueueItem['actions'] = [];
      if (a.approve.counts && a.approve.environments.includes(w.environment)) actions.push('approve');
      if (a.override.allowed && a.override.counts) actions.push('override');
      if (actions.length === 0) continue;
      if (a.reject.allowed) actions.push('reject');
      const release = await releases.get(w.sha)!;
      items.push({
        repo: repo.fullName,
        sha: w.sha,
        version: release?.version ?? null,
        ref: release?.ref ?? null,
        stage,
        environment: w.environment,
        gateId: w.gateId,
        since: w.since,
        ageMinutes: Math.max(0, Math.floor((now.getTime() - Date.parse(w.since)) / 60_000)),
        waitsFor: w.waitsFor,
        actions,
        reason: actions.includes('approve') ? a.approve.reason : a.override.reason,
        runUrl: w.runUrl,
      });
    }
  }
  items.sort((a, b) => a.since.localeCompare(b.since) || a.gateId - b.gateId);
  return { user: { login: viewer.login }, now: now.toISOString(), items };
}
