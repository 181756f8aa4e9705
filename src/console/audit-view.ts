import { findStageIndex } from '../core/evaluate.js';
import type { EventPageQuery, Page, PageCursor, ReleaseEventRow } from '../store/types.js';
import { Repeats } from './repeats.js';
import type { ConsoleReader } from './console-reader.js';
import { encodeCursor, toAuditRecord } from './view-helpers.js';
import type { AuditPage, AuditQuery } from './views.js';

/** The most raw events one collapsed page reads before it stops (and gives a cursor there). */
const SCAN_LIMIT = 5000;

/**
 * The audit the viewer may read. A stage filter takes the stage and its GitHub environments
 * in each repository's policy (gate events are recorded under the stage, deployments under
 * the environment); unless `collapse` is false, consecutive identical events of one release
 * (a wait re-checked every 6 hours without change) are one row with their count.
 */
export async function auditPage(svc: ConsoleReader, login: string, q: AuditQuery): Promise<AuditPage> {
  let repos: string[];
  if (q.repo) repos = [(await svc.access(login, q.repo)).repo.fullName];
  else {
    repos = [];
    for (const repo of (await svc.github.repositories()).values())
      if (await svc.github.roleOf(login, repo)) repos.push(repo.fullName);
  }
  if (repos.length === 0) return { items: [], nextCursor: null };
  const pairs = q.stage ? await stageScopes(svc, repos, q.stage) : null;
  const filters: Omit<EventPageQuery, 'repos' | 'limit'> = {
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.type ? { type: q.type } : {}),
    ...(q.decision ? { status: q.decision } : {}),
    ...(q.since ? { since: q.since } : {}),
    ...(q.until ? { until: q.until } : {}),
    ...(q.order ? { order: q.order } : {}),
  };
  const read = (after: PageCursor | null, limit: number) => readRaw(svc, repos, pairs, filters, after, limit);
  if (q.collapse === false) {
    const page = await read(q.cursor ?? null, q.limit);
    return {
      items: page.rows.map((e) => ({ ...toAuditRecord(e), repeats: 1, firstAt: e.at.toISOString() })),
      nextCursor: page.next ? encodeCursor(page.next) : null,
    };
  }
  // Read until the page holds `limit` rows and the next event would start another.
  const repeats = new Repeats(streamOf, keyOf);
  let after = q.cursor ?? null;
  let scanned = 0;
  let nextCursor: PageCursor | null = null;
  let last: ReleaseEventRow | null = null;
  scan: for (;;) {
    const page = await read(after, 200);
    for (const e of page.rows) {
      if (repeats.groups.length === q.limit && !repeats.joins(e)) {
        nextCursor = { at: last!.at, id: last!.id };
        break scan;
      }
      repeats.add(e);
      last = e;
      scanned += 1;
      if (scanned >= SCAN_LIMIT) {
        nextCursor = page.next || e !== page.rows.at(-1) ? { at: e.at, id: e.id } : null;
        break scan;
      }
    }
    if (!page.next) break;
    after = page.next;
  }
  return {
    items: repeats.groups.map(({ item, repeats: n, firstAt }) => ({
      ...toAuditRecord(item),
      repeats: n,
      firstAt: firstAt.toISOString(),
    })),
    nextCursor: nextCursor ? encodeCursor(nextCursor) : null,
  };
}

/** One release in one environment: its events are compared with each other only. */
function streamOf(e: ReleaseEventRow): string {
  return JSON.stringify([e.repo, e.sha, e.environment]);
}

/** Events are the same when nothing a reader tells apart changed: same kind, outcome, person and text. */
function keyOf(e: ReleaseEventRow): string {
  return JSON.stringify([e.type, e.status, e.actor, e.notes]);
}

/** (repository, environment) pairs a stage name stands for: the stage and its GitHub environments in each policy. */
async function stageScopes(svc: ConsoleReader, repos: string[], stage: string): Promise<Array<[string, string]>> {
  const installed = await svc.github.repositories();
  const out: Array<[string, string]> = [];
  for (const name of repos) {
    const repo = installed.get(name.toLowerCase());
    const p = repo ? await svc.policy(repo) : null;
    const i = p?.ok ? findStageIndex(p.policy, stage) : -1;
    const envs = i >= 0 && p?.ok ? [p.policy.environments[i]!.name, ...p.policy.environments[i]!.github] : [stage];
    for (const env of new Set(envs)) out.push([name, env]);
  }
  return out;
}

/** One page of raw events; with stage pairs, one indexed read per pair, merged in (time, id) order. */
async function readRaw(
  svc: ConsoleReader,
  repos: string[],
  pairs: Array<[string, string]> | null,
  filters: Omit<EventPageQuery, 'repos' | 'limit'>,
  after: PageCursor | null,
  limit: number,
): Promise<Page<ReleaseEventRow>> {
  const store = svc.deps.store;
  if (!pairs) return store.pageEvents({ repos, ...filters, after, limit });
  const pages = await Promise.all(
    pairs.map(([repo, environment]) => store.pageEvents({ repos: [repo], environment, ...filters, after, limit })),
  );
  const sign = filters.order === 'asc' ? 1 : -1;
  const merged = pages.flatMap((p) => p.rows).sort((a, b) => sign * (a.at.getTime() - b.at.getTime() || a.id - b.id));
  const rows = merged.slice(0, limit);
  const more = merged.length > limit || pages.some((p) => p.next !== null);
  const last = rows.at(-1);
  return { rows, next: more && last ? { at: last.at, id: last.id } : null };
}
