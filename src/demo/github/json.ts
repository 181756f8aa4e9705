import { createHash } from 'node:crypto';
import type { FakeRequest, Handler, RecordedRequest } from './types.js';

/** Small pieces of GitHub's JSON the simulated GitHub's routes share, and its route table. */

/** A route given to `on`: `METHOD /template`, compiled. */
export interface Route {
  key: string;
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

/** The path of a request URL without GitHub Enterprise's `/api/v3` prefix and without the query. */
export function requestPath(url: string): string {
  const u = new URL(url, 'http://localhost');
  let path = decodeURIComponent(u.pathname);
  if (path.startsWith('/api/v3/')) path = path.slice('/api/v3'.length);
  return path;
}

export function compileRoute(route: string, handler: Handler): Route {
  const [method, template] = route.split(' ') as [string, string];
  const names: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      if (!part.startsWith('{')) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(part.slice(1, -1));
      return '([^/]+)';
    })
    .join('');
  return {
    key: `${method.toUpperCase()} ${template}`,
    method: method.toUpperCase(),
    pattern: new RegExp(`^${source}$`),
    names,
    handler,
  };
}

export function recorded(r: FakeRequest): RecordedRequest {
  return { method: r.method, path: r.path, query: Object.fromEntries(r.query), body: r.body, params: r.params };
}

export function paginate(
  all: unknown[],
  q: URLSearchParams,
  url: string,
): { status: number; body: unknown[]; headers?: Record<string, string> } {
  const per = Math.min(100, Number(q.get('per_page') ?? 30));
  const page = Number(q.get('page') ?? 1);
  const slice = all.slice((page - 1) * per, page * per);
  const headers: Record<string, string> = {};
  if (page * per < all.length) {
    const next = new URL(url);
    for (const [k, v] of q) next.searchParams.set(k, v);
    next.searchParams.set('page', String(page + 1));
    headers.link = `<${next.toString()}>; rel="next"`;
  }
  return { status: 200, body: slice, headers };
}

/** A team as `GET /orgs/{org}/teams/{team_slug}` answers it (GitHub's `team-full`). */
export function teamJson(org: string, slug: string, members: number): Record<string, unknown> {
  const id = hashId(`${org}/${slug}`);
  return {
    id,
    node_id: `T${id}`,
    url: `https://api.github.com/organizations/${hashId(org)}/team/${id}`,
    html_url: `https://github.com/orgs/${org}/teams/${slug}`,
    name: slug,
    slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'pull',
    members_url: `https://api.github.com/organizations/${hashId(org)}/team/${id}/members{/member}`,
    repositories_url: `https://api.github.com/organizations/${hashId(org)}/team/${id}/repos`,
    parent: null,
    members_count: members,
    repos_count: 1,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    organization: { login: org, id: hashId(org), node_id: `O${hashId(org)}` },
  };
}

/** A stable numeric id for a login or name. */
export function hashId(login: string): number {
  let h = 7;
  for (const c of login) h = (h * 31 + c.charCodeAt(0)) % 1_000_000;
  return h + 1;
}

/** Git's blob id of a text: sha1("blob <len>\0<content>"). */
export function gitBlobSha(text: string): string {
  const buf = Buffer.from(text);
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}
