import type { ViewerActions } from '../app/actions/index.js';
import type { ConsoleService } from './service.js';
import type { QueueItem, QueueView, Viewer } from './views.js';

/**
 * What waits on the viewer, across every repository they can act on: the gates waiting for
 * an action they can take and that would count there (their approval counted, their
 * override in force), as the App's actions judge it (`actionsOpenTo`: team requirements,
 * `excludeAuthor`, the deployer), oldest first with their age.
 */
export async function queueOf(svc: ConsoleService, viewer: Viewer): Promise<QueueView> {
  const now = svc.now();
  const items: QueueItem[] = [];
  const repos = [...(await svc.github.repositories()).values()];
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
