import MarkdownIt from 'markdown-it';
import { escapeHtml as e } from './http-kit.js';
import type {
  AuditPage,
  BoardView,
  DecisionView,
  ReleaseView,
  RepositoryView,
  StageView,
  WaitingGateView,
  ZonedTime,
} from './service.js';
import { RELEASE_EVENT_TYPES } from '../store/types.js';
import { describeRole, roleOf } from '../core/rules/roles.js';

/** What every page needs besides its data. */
export interface PageContext {
  login: string | null;
  csrf: string | null;
  timeZone: string;
  /** The page's own path and query (the sign-in return address). */
  path: string;
  /** An action just done (`approve`, `override`, `promote`). */
  notice: string | null;
  signInEnabled: boolean;
  /** A line shown at the top of every page (`ConsoleConfig.banner`). */
  banner?: string | null;
}

// Raw HTML in Markdown is shown as text: summaries hold text from pull requests and policies.
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

/** The console's one stylesheet: readable on a phone, AA contrast, visible focus. */
export const CONSOLE_CSS = `
:root{--fg:#1b1f24;--muted:#4b5563;--bg:#fff;--line:#d0d7de;--accent:#0a58ca;--ok:#116329;--wait:#7a4a00;--block:#a40e26;--panel:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #f59e0b;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:9}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
header.top .brand{font-weight:700;text-decoration:none;color:var(--fg)}
header.top nav ul{display:flex;gap:1rem;list-style:none;margin:0;padding:0}
header.top .who{margin-left:auto;display:flex;gap:.5rem;align-items:center}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}h3{font-size:1.05rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:var(--panel)}
.scroll{overflow-x:auto}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
.state{display:inline-block;padding:0 .4rem;border-radius:.3rem;border:1px solid currentColor;font-size:.85rem;font-weight:600}
.allow,.success,.pass{color:var(--ok)}.wait,.waiting,.pending,.in_progress,.queued{color:var(--wait)}.block,.failure,.error,.rejected{color:var(--block)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,20rem),1fr));gap:1rem;padding:0;list-style:none}
.card{border:1px solid var(--line);border-radius:.5rem;padding:.75rem}
.card h2{margin:0 0 .5rem}
ol.pipeline{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.5rem}
ol.pipeline li{flex:1 1 8rem;border:1px solid var(--line);border-radius:.4rem;padding:.4rem;background:var(--panel)}
.muted{color:var(--muted)}
.notice{border:1px solid var(--ok);padding:.5rem;border-radius:.4rem}
.problem{border:1px solid var(--block);padding:.5rem;border-radius:.4rem;color:var(--block)}
form.inline{display:inline}
input.tz{max-width:14rem;display:inline-block}
form.stack{display:grid;gap:.5rem;max-width:32rem;border:1px solid var(--line);padding:.75rem;border-radius:.4rem;margin:.5rem 0}
form.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,11rem),1fr));gap:.5rem;align-items:end}
label{font-weight:600;display:block}
input,select,textarea{font:inherit;padding:.3rem;border:1px solid #6b7280;border-radius:.3rem;width:100%}
button{font:inherit;padding:.35rem .8rem;border-radius:.3rem;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}
details{margin:.5rem 0}summary{cursor:pointer;font-weight:600}
.md table{font-size:.9rem}
.banner{margin:0;padding:.5rem 1rem;background:#fff4ce;color:#4d3800;border-bottom:2px solid #b58105;font-weight:600;text-align:center}
footer{max-width:72rem;margin:2rem auto;padding:0 1rem;color:var(--muted);font-size:.9rem}
@media (max-width:40rem){main{padding:.5rem}th,td{padding:.25rem}}
`.trim();

function layout(ctx: PageContext, title: string, body: string): string {
  const who = ctx.login
    ? `<div class="who"><span>Signed in as <strong>${e(ctx.login)}</strong></span><form class="inline" method="post" action="/auth/logout"><input type="hidden" name="_csrf" value="${e(ctx.csrf ?? '')}"><button class="secondary" type="submit">Sign out</button></form></div>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} · Release Gate</title>
<link rel="stylesheet" href="/console.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${ctx.banner ? `<p class="banner" role="note">${e(ctx.banner)}</p>` : ''}
<header class="top">
<a class="brand" href="/">Release Gate</a>
<nav aria-label="Console"><ul><li><a href="/">Board</a></li><li><a href="/audit">Audit</a></li><li><a href="/api/v1/docs">API</a></li></ul></nav>
${who}
</header>
<main id="main" tabindex="-1">
${ctx.notice ? `<p class="notice" role="status">${e(NOTICES[ctx.notice] ?? 'Done.')}</p>` : ''}
${body}
</main>
<footer>Times are shown in UTC${ctx.timeZone === 'UTC' ? '' : ` and in ${e(ctx.timeZone)}`}; choose your time zone on a repository's page. Roles come from your GitHub permission on each repository.</footer>
</body>
</html>
`;
}

const NOTICES: Record<string, string> = {
  approve: 'Your approval is recorded and what waited was evaluated again.',
  override: 'The override is recorded and what waited was evaluated again.',
  promote: 'The promotion to the next stage is recorded: deployed when the gate allows it.',
  reject: 'The rejection is recorded and GitHub was answered.',
};

const state = (s: string | null | undefined) =>
  s ? `<span class="state ${e(s)}">${e(s)}</span>` : '<span class="muted">none</span>';
const short = (sha: string) => `<code>${e(sha.slice(0, 7))}</code>`;
const releaseLink = (repo: string, sha: string) => `<a href="/repos/${e(repo)}/releases/${e(sha)}">${short(sha)}</a>`;

function time(at: string | null | undefined): string {
  if (!at) return '<span class="muted">—</span>';
  return `<time datetime="${e(at)}">${e(at.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z'))}</time>`;
}

function zoned(z: ZonedTime | null): string {
  if (!z) return '<span class="muted">on an event (an approval, a check, a deployment)</span>';
  const parts = z.zones.map(
    (x) => `${e(x.local)} <span class="muted">${e(x.timeZone)}${x.role === 'window' ? ' (window)' : ' (yours)'}</span>`,
  );
  return `${time(z.at)}<br>${parts.join('<br>')}`;
}

function stageList(repo: string, stages: StageView[]): string {
  if (stages.length === 0) return '<p class="muted">No stages.</p>';
  return `<ol class="pipeline" aria-label="Stages of ${e(repo)} in order">${stages
    .map(
      (s) =>
        `<li><strong>${e(s.name)}</strong><br>${s.current ? `${releaseLink(repo, s.current.sha)}${s.current.ref ? ` <span class="muted">${e(s.current.ref)}</span>` : ''}<br>${state(s.current.state)}` : '<span class="muted">nothing deployed</span>'}<br>${s.waiting > 0 ? `<span class="state waiting">${s.waiting} waiting</span>` : '<span class="muted">0 waiting</span>'}</li>`,
    )
    .join('')}</ol>`;
}

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

export function renderBoard(ctx: PageContext, board: BoardView): string {
  const cards = board.repositories
    .map(
      (r) =>
        `<li class="card"><h2><a href="/repos/${e(r.fullName)}">${e(r.fullName)}</a></h2><p class="muted">Your role: ${e(r.role)}</p>${r.policy.ok ? stageList(r.fullName, r.stages) : `<p class="problem">The policy is invalid: ${e(r.policy.problems[0] ?? '')}</p>`}</li>`,
    )
    .join('');
  return layout(
    ctx,
    'Board',
    `<h1>Board</h1>${board.repositories.length === 0 ? "<p>No repository of the App's installations that you can read.</p>" : `<ul class="cards" aria-label="Repositories">${cards}</ul>`}`,
  );
}

function waitingTable(repo: string, waiting: WaitingGateView[]): string {
  if (waiting.length === 0) return '<p class="muted">Nothing waits.</p>';
  return `<div class="scroll"><table><caption>Waiting requests</caption><thead><tr><th scope="col">Release</th><th scope="col">Environment</th><th scope="col">Waits for</th><th scope="col">Clears</th><th scope="col">Since</th></tr></thead><tbody>${waiting
    .map(
      (w) =>
        `<tr><td>${releaseLink(repo, w.sha)}</td><td>${e(w.stage ?? w.environment)}${w.stage && w.stage !== w.environment ? ` <span class="muted">(${e(w.environment)})</span>` : ''}</td><td>${w.waitsFor.length > 0 ? w.waitsFor.map((r) => `<code>${e(r.code)}</code> ${e(r.message)}`).join('<br>') : '<span class="muted">not evaluated yet</span>'}</td><td>${zoned(w.clears)}</td><td>${time(w.since)}</td></tr>`,
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
      : `<div class="scroll"><table><caption>Recent decisions</caption><thead><tr><th scope="col">At</th><th scope="col">Release</th><th scope="col">Environment</th><th scope="col">Decision</th><th scope="col">Failing rules</th><th scope="col">Score</th><th scope="col">By</th></tr></thead><tbody>${v.decisions.items
          .map(
            (d) =>
              `<tr><td>${time(d.at)}</td><td>${releaseLink(r, d.sha)}</td><td>${e(d.stage ?? d.environment)}</td><td>${state(d.decision)}</td><td>${d.failing.map((c) => `<code>${e(c)}</code>`).join(' ') || '—'}</td><td>${d.score ?? '—'}</td><td>${e(d.actor ?? '')}</td></tr>`,
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
        .map((i) => `<tr><td>${e(i.windows.join(', '))}</td><td>${zoned(i.start)}</td><td>${zoned(i.end)}</td></tr>`)
        .join(
          '',
        )}</tbody></table></div>${s.intervals.length > 60 ? `<p class="muted">${s.intervals.length - 60} more.</p>` : ''}`;
    })
    .join('');
  return layout(
    ctx,
    r,
    `<h1>${e(r)}</h1><p class="muted">Your role: ${e(v.repository.role)} · <a href="${e(v.repository.htmlUrl)}">On GitHub</a> · <a href="/audit?repo=${encodeURIComponent(r)}">Audit</a></p>
<section aria-labelledby="pipeline"><h2 id="pipeline">Pipeline</h2>${stageList(r, v.stages)}</section>
<section aria-labelledby="waiting"><h2 id="waiting">Waiting gates</h2>${tzForm(ctx, `/repos/${r}`)}${waitingTable(r, v.waiting)}</section>
<section aria-labelledby="decisions"><h2 id="decisions">Recent decisions</h2>${decisions}</section>
<section aria-labelledby="freeze"><h2 id="freeze">Freeze calendar</h2>${freeze || '<p class="muted">No stages.</p>'}</section>
<section aria-labelledby="policy"><h2 id="policy">Policy in force</h2>${policy}</section>`,
  );
}

function decisionSection(d: DecisionView, i: number): string {
  const rules = `<div class="scroll"><table><caption>Rules</caption><thead><tr><th scope="col">Result</th><th scope="col">Rule</th><th scope="col">Message</th></tr></thead><tbody>${d.rules
    .map(
      (r) =>
        `<tr><td>${state(r.overriddenBy ? 'pass' : r.outcome)}${r.overriddenBy ? ` <span class="muted">overridden by ${e(r.overriddenBy)}</span>` : ''}</td><td><code>${e(r.code)}</code></td><td>${e(r.message)}${r.clearsAt ? ` <span class="muted">(clears ${time(r.clearsAt)})</span>` : ''}</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
  const roles = d.rules.map((r) => roleOf(r)).filter((r) => r !== null);
  const roleList =
    roles.length > 0
      ? `<h4>Roles</h4><ul>${roles
          .map((role) => {
            const x = describeRole(role);
            const paths = x.paths.length > 0 ? ` of ${x.paths.map((p) => `<code>${e(p)}</code>`).join(', ')}` : '';
            return `<li>${x.mark} <strong>${e(x.title)}</strong>${paths} by ${e(x.by)}: ${e(x.status)}</li>`;
          })
          .join('')}</ul>`
      : '';
  const approvals = d.approvals
    ? `<h4>Approvals</h4><p>Counted (${d.approvals.counted.length} of ${d.approvals.required ?? '?'} required): ${d.approvals.counted.map((a) => `<strong>${e(a)}</strong>`).join(', ') || 'none'}</p>${d.approvals.notCounted.length > 0 ? `<div class="scroll"><table><caption>Not counted</caption><thead><tr><th scope="col">Who</th><th scope="col">Source</th><th scope="col">Why</th></tr></thead><tbody>${d.approvals.notCounted.map((n) => `<tr><td>${e(n.login)}</td><td>${e(n.source)}</td><td>${e(n.reason)}</td></tr>`).join('')}</tbody></table></div>` : ''}`
    : '';
  return `<article class="card" aria-labelledby="d${i}"><h3 id="d${i}">${state(d.decision)} ${e(d.stage ?? d.environment)} at ${time(d.at)}${d.actor ? ` <span class="muted">by ${e(d.actor)}</span>` : ''}</h3>${rules}${roleList}${approvals}<details><summary>The check run's summary (rules, evidence breakdown, approvals)</summary><div class="md">${markdown.render(d.summaryMarkdown)}</div></details></article>`;
}

export function renderRelease(ctx: PageContext, v: ReleaseView): string {
  const r = v.repository.fullName;
  const sha = v.release.sha;
  const base = `/repos/${r}/releases/${sha}`;
  const hidden = `<input type="hidden" name="_csrf" value="${e(ctx.csrf ?? '')}">`;
  const a = v.actions;
  const actions: string[] = [];
  if (a.approve.allowed) {
    actions.push(
      `<form class="stack" method="post" action="${e(base)}/approve" aria-labelledby="approve-h"><h3 id="approve-h">Approve</h3><p class="muted">${e(a.approve.reason)}</p>${hidden}<label for="approve-env">Environment</label><select id="approve-env" name="environment">${a.approve.environments.map((x) => `<option>${e(x)}</option>`).join('')}</select><button type="submit">Approve as ${e(ctx.login ?? '')}</button></form>`,
    );
  }
  if (a.override.allowed) {
    for (const p of a.override.pendingConfirmation) {
      actions.push(
        `<form class="stack" method="post" action="${e(base)}/override"><h3>Confirm the override of ${e(p.grantedBy)} for ${e(p.stage)}</h3>${hidden}<input type="hidden" name="stage" value="${e(p.stage)}"><label for="c-reason-${e(p.id)}">Reason</label><input id="c-reason-${e(p.id)}" name="reason" required><label for="c-risk-${e(p.id)}">Risk accepted</label><input id="c-risk-${e(p.id)}" name="risk" required><button type="submit">Confirm override</button></form>`,
      );
    }
    actions.push(
      `<form class="stack" method="post" action="${e(base)}/override" aria-labelledby="override-h"><h3 id="override-h">Override</h3><p class="muted">${e(a.override.reason)}${a.override.secondApprover ? ' The policy asks a second member to confirm it.' : ''}</p>${hidden}<label for="ov-stage">Stage</label><select id="ov-stage" name="stage">${a.override.stages.map((s) => `<option>${e(s)}</option>`).join('')}</select><label for="ov-reason">Reason</label><textarea id="ov-reason" name="reason" required rows="2"></textarea><label for="ov-risk">Risk accepted</label><textarea id="ov-risk" name="risk" required rows="2"></textarea><label for="ov-rules">Rules (codes, optional; all when empty)</label><input id="ov-rules" name="rules"><button type="submit">Grant override</button></form>`,
    );
  }
  if (a.reject.allowed) {
    actions.push(
      `<form class="stack" method="post" action="${e(base)}/reject" aria-labelledby="reject-h"><h3 id="reject-h">Reject</h3><p class="muted">${e(a.reject.reason)}</p>${hidden}<label for="reject-env">Reject in</label><select id="reject-env" name="environment">${a.reject.environments.map((x) => `<option>${e(x)}</option>`).join('')}</select><label for="reject-reason">Reason</label><textarea id="reject-reason" name="reason" required rows="2"></textarea><button type="submit">Reject as ${e(ctx.login ?? '')}</button></form>`,
    );
  }
  if (a.promote.allowed) {
    actions.push(
      `<form class="stack" method="post" action="${e(base)}/promote" aria-labelledby="promote-h"><h3 id="promote-h">Promote</h3><p class="muted">${e(a.promote.reason)}</p>${hidden}<input type="hidden" name="stage" value="${e(a.promote.target ?? '')}"><button type="submit">Promote to ${e(a.promote.target ?? '')}</button></form>`,
    );
  }
  const why = [a.approve, a.reject, a.override, a.promote].filter((x) => !x.allowed).map((x) => x.reason);
  const timeline =
    v.timeline.length === 0
      ? '<p class="muted">No event yet.</p>'
      : `<div class="scroll"><table><caption>Timeline</caption><thead><tr><th scope="col">At</th><th scope="col">Event</th><th scope="col">Environment</th><th scope="col">Status</th><th scope="col">By</th><th scope="col">Notes</th></tr></thead><tbody>${v.timeline
          .map(
            (t) =>
              `<tr><td>${time(t.at)}</td><td><strong>${e(t.type)}</strong></td><td>${e(t.environment ?? '')}</td><td>${e(t.status ?? '')}</td><td>${e(t.actor ?? '')}</td><td>${e((t.notes ?? '').slice(0, 300))}</td></tr>`,
          )
          .join('')}</tbody></table></div>`;
  const overrides =
    v.overrides.length === 0
      ? ''
      : `<section aria-labelledby="ov"><h2 id="ov">Overrides</h2><div class="scroll"><table><thead><tr><th scope="col">Stage</th><th scope="col">By</th><th scope="col">Confirmed by</th><th scope="col">Reason</th><th scope="col">Risk</th><th scope="col">Expires</th><th scope="col">Used</th></tr></thead><tbody>${v.overrides
          .map(
            (o) =>
              `<tr><td>${e(o.environment)}</td><td>${e(o.grantedBy)}</td><td>${e(o.confirmedBy ?? '')}</td><td>${e(o.reason)}</td><td>${e(o.risk)}</td><td>${time(o.expiresAt)}</td><td>${time(o.usedAt)}</td></tr>`,
          )
          .join('')}</tbody></table></div></section>`;
  return layout(
    ctx,
    `${r}@${sha.slice(0, 7)}`,
    `<h1>Release ${short(sha)} of <a href="/repos/${e(r)}">${e(r)}</a></h1><p class="muted">${v.release.ref ? `Ref <code>${e(v.release.ref)}</code> · ` : ''}${v.release.version ? `Version ${e(v.release.version)} · ` : ''}Your role: ${e(v.repository.role)}</p>
<section aria-labelledby="waiting"><h2 id="waiting">Waiting</h2>${waitingTable(r, v.waiting)}</section>
<section aria-labelledby="actions"><h2 id="actions">Actions</h2>${actions.join('') || ''}${why.length > 0 ? `<ul class="muted">${[...new Set(why)].map((w) => `<li>${e(w)}</li>`).join('')}</ul>` : ''}</section>
<section aria-labelledby="timeline"><h2 id="timeline">Timeline</h2>${timeline}</section>
<section aria-labelledby="decisions"><h2 id="decisions">Decisions</h2>${v.decisions.map(decisionSection).join('') || '<p class="muted">No decision recorded.</p>'}</section>
${overrides}`,
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
        `<tr><td>${time(t.at)}</td><td><a href="/repos/${e(t.repo)}">${e(t.repo)}</a></td><td>${releaseLink(t.repo, t.sha)}</td><td><strong>${e(t.type)}</strong></td><td>${e(t.environment ?? '')}</td><td>${e(t.status ?? '')}</td><td>${e(t.actor ?? '')}</td><td>${e((t.notes ?? '').slice(0, 200))}</td></tr>`,
    )
    .join('');
  return layout(
    ctx,
    'Audit',
    `<h1>Audit</h1>
<form class="filters" method="get" action="/audit" aria-label="Filters">
<div><label for="f-repo">Repository</label><input id="f-repo" name="repo" value="${f('repo')}" placeholder="owner/name"></div>
<div><label for="f-stage">Stage</label><input id="f-stage" name="stage" value="${f('stage')}"></div>
<div><label for="f-actor">Actor</label><input id="f-actor" name="actor" value="${f('actor')}"></div>
<div><label for="f-decision">Decision</label><select id="f-decision" name="decision"><option value="">any</option>${sel('decision', ['allow', 'wait', 'block'])}</select></div>
<div><label for="f-type">Event</label><select id="f-type" name="type"><option value="">any</option>${sel('type', RELEASE_EVENT_TYPES)}</select></div>
<div><label for="f-since">Since</label><input id="f-since" name="since" value="${f('since')}" placeholder="30d or 2026-03-01"></div>
<div><label for="f-until">Until</label><input id="f-until" name="until" value="${f('until')}" placeholder="2026-03-31"></div>
<div><button type="submit">Filter</button></div>
</form>
<p>Export: <a href="/api/v1/audit/export?${e(new URLSearchParams([...exportQuery, ['format', 'csv']]).toString())}" download>CSV</a> · <a href="/api/v1/audit/export?${e(new URLSearchParams([...exportQuery, ['format', 'json']]).toString())}" download>JSON</a></p>
${page.items.length === 0 ? '<p>No event matches.</p>' : `<div class="scroll"><table><caption>Events, newest first</caption><thead><tr><th scope="col">At</th><th scope="col">Repository</th><th scope="col">Release</th><th scope="col">Event</th><th scope="col">Environment</th><th scope="col">Status</th><th scope="col">By</th><th scope="col">Notes</th></tr></thead><tbody>${rows}</tbody></table></div>`}
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

export type { StageView };
