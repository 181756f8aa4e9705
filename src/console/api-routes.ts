import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientAddress } from '../http/request-origin.js';
import { repoKey } from '../github/types.js';
import { auditExportChunks } from '../store/audit-export.js';
import type { AuditRecord } from '../store/audit-export.js';
import { RELEASE_EVENT_TYPES } from '../store/types.js';
import type { ReleaseEventType } from '../store/types.js';
import { checkRepoName, checkSha, parseInstant, readBody, sendJson, writeChunks } from './http-kit.js';
import { deliveryDays, deliveryFor } from './delivery-api.js';
import { matchApiRoute, openApiDocument } from './openapi.js';
import type { ApiRoute } from './openapi.js';
import type { Caller, ConsoleKit } from './request-kit.js';
import { csrfToken } from './session.js';
import { ConsoleError, decodeCursor } from './service.js';
import type { AuditQuery } from './service.js';

/** The query parameters of an audit page (the API's and the console's). */
export const AUDIT_QUERY_PARAMS = [
  'repo',
  'stage',
  'actor',
  'decision',
  'type',
  'since',
  'until',
  'cursor',
  'limit',
  'collapse',
] as const;

export function auditQuery(kit: ConsoleKit, url: URL, limitDefault: number): AuditQuery {
  const p = url.searchParams;
  const now = kit.clock();
  const q: AuditQuery = { limit: limitDefault };
  const repo = p.get('repo');
  if (repo) q.repo = checkRepoName(repo, 'repo');
  for (const key of ['stage', 'actor'] as const) {
    const v = p.get(key);
    if (v === null || v === '') continue;
    if (v.length > 100) throw new ConsoleError(400, 'invalid_parameter', `${key}: at most 100 characters.`);
    q[key] = v;
  }
  const decision = p.get('decision');
  if (decision) {
    if (!['allow', 'wait', 'block'].includes(decision))
      throw new ConsoleError(
        400,
        'invalid_parameter',
        `decision: "${decision.slice(0, 40)}" is not allow, wait or block.`,
      );
    q.decision = decision;
  }
  const type = p.get('type');
  if (type) {
    if (!(RELEASE_EVENT_TYPES as readonly string[]).includes(type))
      throw new ConsoleError(
        400,
        'invalid_parameter',
        `type: "${type.slice(0, 40)}" is not an event type (${RELEASE_EVENT_TYPES.join(', ')}).`,
      );
    q.type = type as ReleaseEventType;
  }
  const since = p.get('since');
  if (since) q.since = parseInstant(since, 'since', now);
  const until = p.get('until');
  if (until) q.until = parseInstant(until, 'until', now);
  if (q.since && q.until && q.since >= q.until)
    throw new ConsoleError(400, 'invalid_parameter', 'until: must be later than since.');
  const collapse = p.get('collapse');
  if (collapse !== null && collapse !== '') {
    if (collapse !== 'true' && collapse !== 'false')
      throw new ConsoleError(400, 'invalid_parameter', `collapse: "${collapse.slice(0, 20)}" is not true or false.`);
    q.collapse = collapse === 'true';
  }
  const cursor = p.get('cursor');
  if (cursor) {
    const c = decodeCursor(cursor);
    if (!c)
      throw new ConsoleError(
        400,
        'invalid_parameter',
        'cursor: not a cursor this API gave (use nextCursor of the previous page, unchanged).',
      );
    q.cursor = c;
  }
  const limit = p.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > 200)
      throw new ConsoleError(
        400,
        'invalid_parameter',
        `limit: "${limit.slice(0, 20)}" is not a whole number from 1 to 200.`,
      );
    q.limit = n;
  }
  return q;
}

/** Pages of the filtered audit, oldest first, read as they are written. */
async function* auditPages(kit: ConsoleKit, login: string, url: URL): AsyncGenerator<AuditRecord[]> {
  const q = auditQuery(kit, url, 500);
  q.limit = 500;
  q.order = 'asc';
  q.collapse = false;
  for (;;) {
    const page = await kit.service.audit(login, q);
    yield page.items.map(({ repeats: _r, firstAt: _f, ...record }) => record);
    if (!page.nextCursor) return;
    q.cursor = decodeCursor(page.nextCursor);
  }
}

function stringField(body: Record<string, unknown>, name: string, required: boolean, max = 2000): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw new ConsoleError(422, 'invalid_field', `${name}: required.`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ConsoleError(422, 'invalid_field', `${name}: must be a string.`);
  const t = v.trim();
  if (required && t === '') throw new ConsoleError(422, 'invalid_field', `${name}: required.`);
  if (t.length > max) throw new ConsoleError(422, 'invalid_field', `${name}: at most ${max} characters.`);
  return t;
}

export async function act(
  kit: ConsoleKit,
  caller: Caller,
  action: string,
  fullName: string,
  sha: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  if (action === 'approve')
    return kit.service.approve(caller.login, fullName, sha, stringField(body, 'environment', false, 100));
  if (action === 'promote')
    return kit.service.promote(caller.login, fullName, sha, stringField(body, 'stage', false, 100));
  if (action === 'rollback')
    return kit.service.rollback(caller.login, fullName, sha, stringField(body, 'environment', true, 100)!);
  if (action === 'reject') {
    const environment = stringField(body, 'environment', false, 100);
    return kit.service.reject(caller.login, fullName, sha, {
      reason: stringField(body, 'reason', true, 500)!,
      ...(environment ? { environment } : {}),
    });
  }
  const rules =
    body.rules === undefined || body.rules === ''
      ? []
      : typeof body.rules === 'string'
        ? body.rules.split(/[\s,]+/).filter(Boolean)
        : body.rules;
  if (!Array.isArray(rules) || rules.some((r) => typeof r !== 'string' || r.length > 100))
    throw new ConsoleError(422, 'invalid_field', 'rules: must be a list of rule codes.');
  return kit.service.override(caller.login, fullName, sha, {
    stage: stringField(body, 'stage', true, 100)!,
    reason: stringField(body, 'reason', true)!,
    risk: stringField(body, 'risk', true)!,
    rules: rules as string[],
  });
}

export async function handleApi(
  kit: ConsoleKit,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
  requestId: string,
): Promise<void> {
  const match = matchApiRoute(req.method ?? 'GET', path);
  if (!match)
    throw new ConsoleError(404, 'not_found', `No API route ${req.method} /api/v1${path}; see /api/v1/openapi.json.`);
  if ('allowed' in match)
    throw new ConsoleError(
      405,
      'method_not_allowed',
      `${req.method} is not an operation of /api/v1${path} (it answers ${match.allowed.join(', ')}).`,
      { allow: match.allowed },
    );
  const { route, params } = match;
  if (route.operationId === 'getOpenApi') return sendJson(res, 200, openApiDocument());
  const address = `addr:${clientAddress(req, kit.config)}`;
  const caller = await kit.identify(req).catch((error: unknown) => {
    kit.limit(address);
    throw error;
  });
  if (!caller) {
    kit.limit(address);
    throw new ConsoleError(
      401,
      'unauthenticated',
      'Sign in with GitHub at /auth/login, or send Authorization: Bearer <GitHub user token>.',
    );
  }
  kit.limit(caller.login);
  kit.users.set(res, caller.login);
  const fullName =
    params.owner && params.repo ? checkRepoName(repoKey({ owner: params.owner, repo: params.repo }), 'owner/repo') : '';
  switch (route.operationId as ApiRoute['operationId']) {
    case 'getMe':
      kit.checkQuery(url, []);
      return sendJson(res, 200, {
        login: caller.login,
        via: caller.via,
        csrfToken: caller.session ? csrfToken(kit.config.sessionSecret, caller.session) : null,
      });
    case 'getBoard':
      kit.checkQuery(url, ['tz']);
      return sendJson(res, 200, await kit.service.board(kit.viewerOf(req, url, caller.login, true)));
    case 'getQueue':
      kit.checkQuery(url, ['tz']);
      return sendJson(res, 200, await kit.service.queue(kit.viewerOf(req, url, caller.login, true)));
    case 'searchReleases':
      kit.checkQuery(url, ['q']);
      return sendJson(res, 200, await kit.service.search(caller.login, url.searchParams.get('q') ?? ''));
    case 'getRepository': {
      kit.checkQuery(url, ['tz', 'cursor']);
      const cursor = url.searchParams.get('cursor');
      const c = cursor ? decodeCursor(cursor) : null;
      if (cursor && !c) throw new ConsoleError(400, 'invalid_parameter', 'cursor: not a cursor this API gave.');
      return sendJson(res, 200, await kit.service.repository(kit.viewerOf(req, url, caller.login, true), fullName, c));
    }
    case 'getRelease':
      kit.checkQuery(url, ['tz']);
      return sendJson(
        res,
        200,
        await kit.service.release(kit.viewerOf(req, url, caller.login, true), fullName, checkSha(params.sha!)),
      );
    case 'getDelivery':
    case 'getRepositoryDelivery': {
      const q = { login: caller.login, repo: fullName || null, days: deliveryDays(url), now: kit.clock() };
      return sendJson(res, 200, await deliveryFor(kit.gate.store.deliveryRecord, kit.service, q));
    }
    case 'getAudit':
      kit.checkQuery(url, [...AUDIT_QUERY_PARAMS]);
      return sendJson(res, 200, await kit.service.audit(caller.login, auditQuery(kit, url, 50)));
    case 'exportAudit': {
      kit.checkQuery(url, ['repo', 'stage', 'actor', 'decision', 'type', 'since', 'until', 'format']);
      const format = url.searchParams.get('format') ?? 'json';
      if (format !== 'json' && format !== 'csv')
        throw new ConsoleError(400, 'invalid_parameter', `format: "${format.slice(0, 20)}" is not json or csv.`);
      url.searchParams.delete('format');
      const pages = auditPages(kit, caller.login, url);
      // The first page is read before the answer starts, so a refusal (a repository the
      // user cannot read) is still an error answer; the rest streams as it is read.
      const first = await pages.next();
      async function* all(): AsyncGenerator<AuditRecord[]> {
        if (!first.done) yield first.value;
        yield* pages;
      }
      res.writeHead(200, {
        'content-type': format === 'json' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="release-gate-audit.${format}"`,
        'cache-control': 'no-store',
      });
      await writeChunks(res, auditExportChunks(all(), format));
      return;
    }
    default: {
      // The actions.
      kit.checkQuery(url, []);
      const body = await readBody(req);
      kit.requireCsrf(caller, req.headers['x-csrf-token'] ?? body._csrf);
      const action =
        route.operationId === 'approveRelease'
          ? 'approve'
          : route.operationId === 'overrideRelease'
            ? 'override'
            : route.operationId === 'rejectRelease'
              ? 'reject'
              : route.operationId === 'rollbackRelease'
                ? 'rollback'
                : 'promote';
      const out = await act(kit, caller, action, fullName, checkSha(params.sha!), body);
      kit.gate.log.info({ requestId, user: caller.login, action, repo: fullName, sha: params.sha }, 'Console action');
      return sendJson(res, 200, out);
    }
  }
}
