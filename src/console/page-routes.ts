import type { IncomingMessage, ServerResponse } from 'node:http';
import { act, AUDIT_QUERY_PARAMS, auditQuery } from './api-routes.js';
import { deliveryDays, deliveryFor } from './delivery-api.js';
import { renderDelivery } from './delivery-page.js';
import { checkRepoName, checkSha, readBody, redirect, sendHtml } from './http-kit.js';
import { renderAudit, renderBoard, renderQueue, renderRelease, renderRepository, renderSearch } from './pages.js';
import type { PageContext } from './pages.js';
import type { Caller, ConsoleKit } from './request-kit.js';
import { ConsoleError, decodeCursor } from './service.js';
import type { Viewer } from './service.js';

/** One signed-in page request, as a page route gets it. */
export interface PageRequest {
  kit: ConsoleKit;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  caller: Caller;
  viewer: Viewer;
  ctx: PageContext;
  /** The path pattern's groups, URI-decoded. */
  params: string[];
  /** Headers every answer carries (the time zone cookie, when one was chosen). */
  headers: Record<string, string>;
}

/** A page of the console for signed-in people; the handler tries them in order. */
export interface PageRoute {
  method: 'GET' | 'POST';
  path: RegExp;
  handle(r: PageRequest): Promise<void>;
}

const repoOf = (r: PageRequest) => checkRepoName(`${r.params[0]}/${r.params[1]}`, 'repository');
const html = (r: PageRequest, body: string, status = 200) => sendHtml(r.res, status, body, r.headers);

/** The board, the queue, search, the audit, a repository, a release and its actions. */
export const PAGE_ROUTES: PageRoute[] = [
  {
    method: 'GET',
    path: /^\/$/,
    handle: async (r) => html(r, renderBoard(r.ctx, await r.kit.service.board(r.viewer))),
  },
  {
    method: 'GET',
    path: /^\/queue$/,
    handle: async (r) => html(r, renderQueue(r.ctx, await r.kit.service.queue(r.viewer))),
  },
  {
    method: 'GET',
    path: /^\/search$/,
    async handle(r) {
      const found = await r.kit.service.search(r.caller.login, r.url.searchParams.get('q') ?? '');
      // One release: straight to it.
      const [only] = found.items;
      if (found.items.length === 1 && only) return redirect(r.res, `/repos/${only.repo}/releases/${only.sha}`);
      html(r, renderSearch(r.ctx, found));
    },
  },
  {
    method: 'GET',
    path: /^\/audit$/,
    async handle(r) {
      const filters = new URL(r.url);
      filters.searchParams.delete('done');
      for (const [k, v] of [...filters.searchParams]) if (v === '') filters.searchParams.delete(k);
      r.kit.checkQuery(filters, [...AUDIT_QUERY_PARAMS, 'tz']);
      filters.searchParams.delete('tz');
      const q = auditQuery(r.kit, filters, 50);
      html(r, renderAudit(r.ctx, await r.kit.service.audit(r.caller.login, q), filters.searchParams));
    },
  },
  {
    method: 'GET',
    path: /^(?:\/repos\/([^/]+)\/([^/]+))?\/delivery$/,
    async handle(r) {
      const repo = r.params[0] ? repoOf(r) : null;
      const q = { login: r.caller.login, repo, days: deliveryDays(r.url), now: r.kit.clock() };
      html(r, renderDelivery(r.ctx, await deliveryFor(r.kit.gate.store.deliveryRecord, r.kit.service, q), repo));
    },
  },
  {
    method: 'GET',
    path: /^\/repos\/([^/]+)\/([^/]+)$/,
    async handle(r) {
      const cursor = r.url.searchParams.get('cursor');
      const c = cursor ? decodeCursor(cursor) : null;
      if (cursor && !c) throw new ConsoleError(400, 'invalid_parameter', 'cursor: not a cursor this console gave.');
      html(r, renderRepository(r.ctx, await r.kit.service.repository(r.viewer, repoOf(r), c)));
    },
  },
  {
    method: 'GET',
    path: /^\/repos\/([^/]+)\/([^/]+)\/releases\/([^/]+)$/,
    handle: async (r) =>
      html(r, renderRelease(r.ctx, await r.kit.service.release(r.viewer, repoOf(r), checkSha(r.params[2]!)))),
  },
  {
    method: 'POST',
    path: /^\/repos\/([^/]+)\/([^/]+)\/releases\/([^/]+)\/(approve|override|promote|reject|rollback)$/,
    async handle(r) {
      const body = await formBody(r.kit, r.caller, r.req);
      const fullName = repoOf(r);
      const sha = checkSha(r.params[2]!);
      const action = r.params[3]!;
      let answer: { outcome?: string };
      try {
        answer = (await act(r.kit, r.caller, action, fullName, sha, body)) as { outcome?: string };
      } catch (error) {
        // A refusal is shown in place, on the release page, with the form as it was.
        if (!(error instanceof ConsoleError) || error.status === 401 || error.status === 404) throw error;
        const view = await r.kit.service.release(r.viewer, fullName, sha);
        return html(r, renderRelease(r.ctx, view, error.message), error.status);
      }
      r.kit.gate.log.info({ user: r.caller.login, action, repo: fullName, sha }, 'Console action');
      redirect(
        r.res,
        `/repos/${fullName}/releases/${sha}?done=${answer.outcome === 'unchanged' ? 'unchanged' : action}`,
      );
    },
  },
];

/** Reads a form body and checks its CSRF token. */
export async function formBody(
  kit: ConsoleKit,
  caller: Caller,
  req: IncomingMessage,
): Promise<Record<string, unknown>> {
  const body = await readBody(req);
  kit.requireCsrf(caller, body._csrf);
  return body;
}
