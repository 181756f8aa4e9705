import { escapeHtml as e } from './http-kit.js';
import { stageList } from './board-page.js';
import { freezeLine, layout, releaseLink, repeated, ruleList, state, time, zoned } from './page-kit.js';
import type { PageContext } from './page-kit.js';
import type { AuditPage, RepositoryView, WaitingGateView } from './service.js';
import { RELEASE_EVENT_TYPES } from '../store/types.js';

export type { PageContext } from './page-kit.js';
export { layout } from './page-kit.js';
export { CONSOLE_CSS } from './console-css.js';
export { CONSOLE_JS } from './console-script.js';
export { renderBoard, renderQueue, renderSearch } from './board-page.js';
export { renderRelease } from './release-page.js';

export function renderSignIn(ctx: PageContext): string {
  const body = ctx.signInEnabled
    ? `<h1>Sign in</h1><p>The release console shows the releases, gates and audit of the repositories you can read on GitHub. Your role on each comes from your GitHub permission.</p><p><a href="/auth/login?return=${encodeURIComponent(ctx.path)}">Sign in with GitHub</a></p>`
    : '<h1>Sign in</h1><p class="problem">Sign-in with GitHub is not set up on this App: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the GitHub App\'s client id and a client secret) and restart. The API\'s bearer tokens are checked with the same client, so they wait for it too.</p>';
  return layout(ctx, 'Sign in', body);
}

export function renderError(ctx: PageContext, status: number, code: string, message: string): string {
  return layout(
    ctx,
    `Error ${status}`,
    `<h1>${status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status === 429 ? 'Too many requests' : 'Something is wrong'}</h1><p class="problem" role="alert">${e(message)}</p><p class="muted">Code: <code>${e(code)}</code></p><p><a href="/">Back to the board</a></p>`,
  );
}

function waitingTable(repo: string, waiting: WaitingGateView[], ctx: PageContext): string {
  if (waiting.length === 0) return '<p class="muted">Nothing waits.</p>';
  return `<div class="scroll"><table class="stack"><caption>Waiting requests</caption><thead><tr><th scope="col">Release</th><th scope="col">Environment</th><th scope="col">Waits for</th><th scope="col">Clears</th><th scope="col">Since</th></tr></thead><tbody>${waiting
    .map(
      (w) =>
        `<tr><td data-label="Release">${releaseLink(repo, w.sha)}</td><td data-label="Environment">${e(w.stage ?? w.environment)}${w.stage && w.stage !== w.environment ? ` <span class="muted">(${e(w.environment)})</span>` : ''}</td><td data-label="Waits for">${ruleList(w.waitsFor)}</td><td data-label="Clears">${zoned(w.clears, ctx)}</td><td data-label="Since">${time(w.since, ctx)}</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
}

function tzForm(ctx: PageContext, action: string): string {
  return `<form class="inline" method="get" action="${e(action)}"><label for="tz">Your time zone</label> <input id="tz" name="tz" value="${e(ctx.timeZone)}" class="tz" autocomplete="off"> <button class="secondary" type="submit">Show times</button></form>`;
}

export function renderRepository(ctx: PageContext, v: RepositoryView): string {
  const r = v.repository.fullName;
  const policy = v.policy.ok
    ? `<p><a href="${e(v.policy.link)}"><code>${e(v.policy.path)}</code></a> on <code>${e(v.policy.ref)}</code>${v.policy.commitSha ? `, commit <code>${e(v.policy.commitSha.slice(0, 12))}</code>` : ''}${v.policy.blobSha ? `, blob <code>${e(v.policy.blobSha.slice(0, 12))}</code>` : ''}.</p>${v.policy.files.length > 1 ? `<ul>${v.policy.files.map((f) => `<li><code>${e(f.path)}</code> in ${e(f.repository)} (${e(f.role)})</li>`).join('')}</ul>` : ''}`
    : `<div class="problem"><p>The policy <code>${e(v.policy.path)}</code> is invalid; the gate fails closed.</p><ul>${v.policy.problems.map((p) => `<li>${e(p)}</li>`).join('')}</ul></div>`;
  const decisions =
    v.decisions.items.length === 0
      ? '<p class="muted">No decision recorded yet.</p>'
      : `<div class="scroll"><table class="stack"><caption>Recent decisions</caption><thead><tr><th scope="col">At</th><th scope="col">Release</th><th scope="col">Environment</th><th scope="col">Decision</th><th scope="col">Failing rules</th><th scope="col">Score</th><th scope="col">By</th></tr></thead><tbody>${v.decisions.items
          .map(
            (d) =>
              `<tr><td data-label="At">${time(d.at, ctx)}</td><td data-label="Release">${releaseLink(r, d.sha)}</td><td data-label="Stage">${e(d.stage ?? d.environment)}</td><td data-label="Decision">${state(d.decision)}</td><td data-label="Failing rules">${d.failing.map((c) => `<code>${e(c)}</code>`).join(' ') || '—'}</td><td data-label="Score">${d.score ?? '—'}</td><td data-label="By">${e(d.actor ?? '')}</td></tr>`,
          )
          .join(
            '',
          )}</tbody></table></div>${v.decisions.nextCursor ? `<p><a href="/repos/${e(r)}?cursor=${encodeURIComponent(v.decisions.nextCursor)}">Older decisions</a></p>` : ''}`;
  const freeze = v.freeze.stages
    .map((s) => {
      if (s.error) return `<h3>${e(s.stage)}</h3><p class="problem">${e(s.error)}</p>`;
      if (s.intervals.length === 0) return `<h3>${e(s.stage)}</h3><p class="muted">No freeze in the next 30 days.</p>`;
      return `<div class="scroll"><table><caption>${e(s.stage)}: freezes of the next 30 days (window time zone ${e(s.timeZones.join(', '))})</caption><thead><tr><th scope="col">Window</th><th scope="col">From</th><th scope="col">Until</th></tr></thead><tbody>${s.intervals
        .slice(0, 60)
        .map(
          (i) =>
            `<tr><td>${e(i.windows.join(', '))}</td><td>${zoned(i.start, ctx)}</td><td>${zoned(i.end, ctx)}</td></tr>`,
        )
        .join(
          '',
        )}</tbody></table></div>${s.intervals.length > 60 ? `<p class="muted">${s.intervals.length - 60} more.</p>` : ''}`;
    })
    .join('');
  return layout(
    ctx,
    r,
    `<h1>${e(r)}</h1><p class="muted">Your role: ${e(v.repository.role)} · <a href="${e(v.repository.htmlUrl)}">On GitHub</a> · <a href="/audit?repo=${encodeURIComponent(r)}">Audit</a> · ${v.stages
      .map(
        (s) =>
          `<a href="/audit?repo=${encodeURIComponent(r)}&amp;stage=${encodeURIComponent(s.name)}&amp;type=DEPLOYED">Deployed to ${e(s.name)}</a>`,
      )
      .join(' · ')}</p>
${v.freezesNow.map((f) => `<p${f.active ? ' class="frozen"' : ''}>${freezeLine(f, ctx)}</p>`).join('')}
<section aria-labelledby="pipeline"><h2 id="pipeline">Pipeline</h2>${stageList(r, v.stages, ctx)}</section>
<section aria-labelledby="waiting"><h2 id="waiting">Waiting gates</h2>${tzForm(ctx, `/repos/${r}`)}${waitingTable(r, v.waiting, ctx)}</section>
<section aria-labelledby="decisions"><h2 id="decisions">Recent decisions</h2>${decisions}</section>
<section aria-labelledby="freeze"><h2 id="freeze">Freeze calendar</h2>${freeze || '<p class="muted">No stages.</p>'}</section>
<section aria-labelledby="policy"><h2 id="policy">Policy in force</h2>${policy}</section>`,
    true,
  );
}

export function renderAudit(ctx: PageContext, page: AuditPage, filters: URLSearchParams): string {
  const f = (k: string) => e(filters.get(k) ?? '');
  const sel = (k: string, options: readonly string[]) =>
    options.map((o) => `<option${filters.get(k) === o ? ' selected' : ''}>${e(o)}</option>`).join('');
  const exportQuery = new URLSearchParams(filters);
  exportQuery.delete('cursor');
  exportQuery.delete('limit');
  const next = new URLSearchParams(filters);
  if (page.nextCursor) next.set('cursor', page.nextCursor);
  const rows = page.items
    .map(
      (t) =>
        `<tr><td data-label="At">${time(t.at, ctx)}${repeated(t.repeats, t.firstAt, ctx)}</td><td data-label="Repository"><a href="/repos/${e(t.repo)}">${e(t.repo)}</a></td><td data-label="Release">${releaseLink(t.repo, t.sha)}${t.version ? ` ${e(t.version)}` : ''}</td><td data-label="Event"><strong>${e(t.type)}</strong></td><td data-label="Environment">${e(t.environment ?? '')}</td><td data-label="Status">${e(t.status ?? '')}</td><td data-label="By">${e(t.actor ?? '')}</td><td data-label="Notes">${e((t.notes ?? '').slice(0, 200))}</td></tr>`,
    )
    .join('');
  return layout(
    ctx,
    'Audit',
    `<h1>Audit</h1>
<form class="filters" method="get" action="/audit" aria-label="Filters">
<div><label for="f-repo">Repository</label><input id="f-repo" name="repo" value="${f('repo')}" placeholder="owner/name"></div>
<div><label for="f-stage">Stage (and its environments)</label><input id="f-stage" name="stage" value="${f('stage')}" placeholder="PROD"></div>
<div><label for="f-actor">Actor</label><input id="f-actor" name="actor" value="${f('actor')}"></div>
<div><label for="f-decision">Decision</label><select id="f-decision" name="decision"><option value="">any</option>${sel('decision', ['allow', 'wait', 'block'])}</select></div>
<div><label for="f-type">Event</label><select id="f-type" name="type"><option value="">any</option>${sel('type', RELEASE_EVENT_TYPES)}</select></div>
<div><label for="f-since">Since</label><input id="f-since" name="since" value="${f('since')}" placeholder="30d or 2026-03-01"></div>
<div><label for="f-until">Until</label><input id="f-until" name="until" value="${f('until')}" placeholder="2026-03-31"></div>
<div><button type="submit">Filter</button></div>
</form>
<p>Export: <a href="/api/v1/audit/export?${e(new URLSearchParams([...exportQuery, ['format', 'csv']]).toString())}" download>CSV</a> · <a href="/api/v1/audit/export?${e(new URLSearchParams([...exportQuery, ['format', 'json']]).toString())}" download>JSON</a></p>
${page.items.length === 0 ? '<p>No event matches.</p>' : `<div class="scroll"><table class="stack"><caption>Events, newest first${filters.get('collapse') === 'false' ? '' : '; identical events in a row (a wait re-checked without change) shown once'}</caption><thead><tr><th scope="col">At</th><th scope="col">Repository</th><th scope="col">Release</th><th scope="col">Event</th><th scope="col">Environment</th><th scope="col">Status</th><th scope="col">By</th><th scope="col">Notes</th></tr></thead><tbody>${rows}</tbody></table></div>`}
${page.nextCursor ? `<p><a rel="next" href="/audit?${e(next.toString())}">Older events</a></p>` : ''}`,
  );
}

export function renderApiDocs(ctx: PageContext, doc: Record<string, unknown>): string {
  const paths = doc.paths as Record<
    string,
    Record<
      string,
      {
        operationId: string;
        summary: string;
        parameters?: Array<{ name: string; in: string; description: string }>;
        requestBody?: unknown;
      }
    >
  >;
  const ops = Object.entries(paths)
    .flatMap(([p, methods]) =>
      Object.entries(methods).map(
        ([m, op]) =>
          `<section class="card" aria-labelledby="${e(op.operationId)}"><h2 id="${e(op.operationId)}"><code>${e(m.toUpperCase())} /api/v1${e(p)}</code></h2><p>${e(op.summary)}</p>${op.parameters && op.parameters.length > 0 ? `<table><caption>Parameters</caption><thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Meaning</th></tr></thead><tbody>${op.parameters.map((x) => `<tr><td><code>${e(x.name)}</code></td><td>${e(x.in)}</td><td>${e(x.description)}</td></tr>`).join('')}</tbody></table>` : ''}</section>`,
      ),
    )
    .join('');
  const info = doc.info as { description: string };
  return layout(
    ctx,
    'API',
    `<h1>Release Gate console API</h1><p>${e(info.description)}</p><p>Errors are <code>{ "error": { "code", "message" } }</code> with status 400, 401, 403, 404, 409, 422 or 429 (with <code>Retry-After</code>). Every answer carries an <code>X-Request-Id</code>. The machine-readable description: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).</p><p>Example: <code>curl -H "Authorization: Bearer $GITHUB_TOKEN" https://&lt;app&gt;/api/v1/board</code></p>${ops}`,
  );
}
