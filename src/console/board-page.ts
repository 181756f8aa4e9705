import { escapeHtml as e } from './http-kit.js';
import { age, freezeLine, layout, releaseLink, relative, ruleList, time } from './page-kit.js';
import type { PageContext } from './page-kit.js';
import type { BoardView, QueueItem, QueueView, SearchView, StageView } from './views.js';

/** The stages of a repository: what runs in each (and who approved it), and separately what waits. */
export function stageList(repo: string, stages: StageView[], ctx: PageContext): string {
  if (stages.length === 0) return '<p class="muted">No stages.</p>';
  return `<ol class="pipeline" aria-label="Stages of ${e(repo)} in order">${stages
    .map((s) => {
      const running = s.running
        ? `${releaseLink(repo, s.running.sha)}${s.running.ref ? ` <span class="muted">${e(s.running.ref)}</span>` : ''}<br>${s.running.approvedBy.length > 0 ? `approved by ${s.running.approvedBy.map((a) => `<strong>${e(a)}</strong>`).join(', ')}` : '<span class="muted">no approval needed</span>'}<br>${time(s.running.at, ctx)}`
        : '<span class="muted">nothing proven deployed</span>';
      const waits =
        s.waiting > 0
          ? `<span class="state waiting">${s.waiting} waiting</span>${s.current && s.current.state === 'waiting' ? ` ${releaseLink(repo, s.current.sha)}` : ''}`
          : '<span class="muted">nothing waits</span>';
      return `<li data-stage="${e(s.name)}"><strong>${e(s.name)}</strong><span class="label">Running</span>${running}<span class="label">Waiting</span>${waits}</li>`;
    })
    .join('')}</ol>`;
}

function queueTable(items: QueueItem[], ctx: PageContext, caption: string): string {
  return `<div class="scroll"><table class="stack"><caption>${e(caption)}</caption><thead><tr><th scope="col">Waiting</th><th scope="col">Repository</th><th scope="col">Release</th><th scope="col">Stage</th><th scope="col">Waits for</th><th scope="col">You can</th></tr></thead><tbody>${items
    .map(
      (q) =>
        `<tr><td data-label="Waiting"><strong>${e(age(q.ageMinutes))}</strong><br><span class="muted">since ${time(q.since, ctx)}</span></td><td data-label="Repository"><a href="/repos/${e(q.repo)}">${e(q.repo)}</a></td><td data-label="Release">${releaseLink(q.repo, q.sha)}${q.version ? ` ${e(q.version)}` : q.ref ? ` <span class="muted">${e(q.ref)}</span>` : ''}</td><td data-label="Stage">${e(q.stage)}${q.stage !== q.environment ? ` <span class="muted">(${e(q.environment)})</span>` : ''}</td><td data-label="Waits for">${ruleList(q.waitsFor)}</td><td data-label="You can">${q.actions.map((a) => `<a href="/repos/${e(q.repo)}/releases/${e(q.sha)}#${a}-h">${e(a)}</a>`).join(' · ')}</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
}

export function renderBoard(ctx: PageContext, board: BoardView): string {
  const frozen = board.repositories.flatMap((r) =>
    r.freezes
      .filter((f) => f.active)
      .map((f) => `<li><a href="/repos/${e(r.fullName)}">${e(r.fullName)}</a>: ${freezeLine(f, ctx)}</li>`),
  );
  // The last stage most repositories share (PROD, usually).
  const lasts = board.repositories.map((r) => r.stages.at(-1)?.name).filter((n): n is string => Boolean(n));
  const last =
    lasts.sort((a, b) => lasts.filter((x) => x === b).length - lasts.filter((x) => x === a).length)[0] ?? 'PROD';
  const queue =
    board.queue.length === 0
      ? '<p>Nothing waits on you: no gate waits for an approval or override of yours that would count.</p>'
      : `${queueTable(board.queue.slice(0, 10), ctx, `${board.queue.length} waiting on you, oldest first`)}${board.queue.length > 10 ? `<p><a href="/queue">All ${board.queue.length}</a></p>` : ''}`;
  const cards = board.repositories
    .map(
      (r) =>
        `<li class="card"><h2><a href="/repos/${e(r.fullName)}">${e(r.fullName)}</a></h2><p class="muted">Your role: ${e(r.role)} · <a href="/audit?repo=${encodeURIComponent(r.fullName)}&amp;stage=${encodeURIComponent(r.stages.at(-1)?.name ?? 'PROD')}&amp;type=DEPLOYED">Deployed to ${e(r.stages.at(-1)?.name ?? 'PROD')}</a> · <a href="/audit?repo=${encodeURIComponent(r.fullName)}">Audit</a></p>${r.freezes.map((f) => `<p${f.active ? ' class="frozen"' : ''}>${freezeLine(f, ctx)}</p>`).join('')}${r.policy.ok ? stageList(r.fullName, r.stages, ctx) : `<p class="problem">The policy is invalid: ${e(r.policy.problems[0] ?? '')}</p>`}</li>`,
    )
    .join('');
  return layout(
    ctx,
    'Board',
    `<h1>Board</h1>
${frozen.length > 0 ? `<section class="frozen" aria-labelledby="freeze-now"><h2 id="freeze-now">Frozen now</h2><ul>${frozen.join('')}</ul></section>` : ''}
<section aria-labelledby="queue"><h2 id="queue">Waiting on you</h2>${queue}</section>
<section aria-labelledby="repos"><h2 id="repos">Repositories</h2><p><a href="/audit?stage=${encodeURIComponent(last)}&amp;type=DEPLOYED&amp;since=7d">Deployed to ${e(last)} in the last 7 days</a>, every repository.</p>${board.repositories.length === 0 ? "<p>No repository of the App's installations that you can read.</p>" : `<ul class="cards" aria-label="Repositories">${cards}</ul>`}</section>`,
    true,
  );
}

export function renderQueue(ctx: PageContext, v: QueueView): string {
  return layout(
    ctx,
    'Waiting on me',
    `<h1>Waiting on me</h1><p class="muted">Gates of every repository you can act on, waiting for an approval or override of yours that would count there (team requirements, authors and the deployer left out), oldest first. Updated ${relative('', v.now, ctx)}.</p>${v.items.length === 0 ? '<p>Nothing waits on you.</p>' : queueTable(v.items, ctx, `${v.items.length} waiting on you, oldest first`)}`,
    true,
  );
}

export function renderSearch(ctx: PageContext, v: SearchView): string {
  const rows = v.items
    .map(
      (h) =>
        `<tr><td data-label="Repository"><a href="/repos/${e(h.repo)}">${e(h.repo)}</a></td><td data-label="Release">${releaseLink(h.repo, h.sha)}</td><td data-label="Version">${e(h.version ?? h.tag ?? '')}</td><td data-label="Ref">${e(h.ref ?? '')}</td><td data-label="Matched">${e(h.matched)}</td><td data-label="Seen">${time(h.at, ctx)}</td></tr>`,
    )
    .join('');
  return layout(
    ctx,
    `Find ${v.query}`,
    `<h1>Releases matching <code>${e(v.query)}</code></h1>${v.items.length === 0 ? `<p>No release of the repositories you can read matches ${e(v.query)}: give a SHA prefix (7 or more hex digits), a version or tag (1.4.2, v1.4.2) or a pull request number (#123).</p>` : `<div class="scroll"><table class="stack"><caption>${v.items.length} found, newest first</caption><thead><tr><th scope="col">Repository</th><th scope="col">Release</th><th scope="col">Version</th><th scope="col">Ref</th><th scope="col">Matched</th><th scope="col">Seen</th></tr></thead><tbody>${rows}</tbody></table></div>`}`,
  );
}
