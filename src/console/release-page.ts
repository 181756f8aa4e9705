import MarkdownIt from 'markdown-it';
import { describeRole, roleOf } from '../core/rules/roles.js';
import { escapeHtml as e } from './http-kit.js';
import { layout, relative, releaseLink, repeated, ruleList, short, state, time, zoned } from './page-kit.js';
import type { PageContext } from './page-kit.js';
import type { DecisionView, ReleaseView, Repeats, StageVerdict, WaitingGateView } from './views.js';

// Raw HTML in Markdown is shown as text: summaries hold text from pull requests and policies.
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

function decisionSection(d: DecisionView & Repeats, i: number, ctx: PageContext): string {
  const rules = `<div class="scroll"><table><caption>Rules</caption><thead><tr><th scope="col">Result</th><th scope="col">Rule</th><th scope="col">Message</th></tr></thead><tbody>${d.rules
    .map(
      (r) =>
        `<tr><td>${state(r.overriddenBy ? 'pass' : r.outcome)}${r.overriddenBy ? ` <span class="muted">overridden by ${e(r.overriddenBy)}</span>` : ''}</td><td><code>${e(r.code)}</code></td><td>${e(r.message)}${r.clearsAt ? ` <span class="muted">(clears ${time(r.clearsAt, ctx)})</span>` : ''}</td></tr>`,
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
  return `<article class="card" aria-labelledby="d${i}"><h3 id="d${i}">${state(d.decision)} ${e(d.stage ?? d.environment)} at ${time(d.at, ctx)}${repeated(d.repeats, d.firstAt, ctx, 'decided the same')}${d.actor ? ` <span class="muted">by ${e(d.actor)}</span>` : ''}</h3>${rules}${roleList}${approvals}<details><summary>The check run's summary (rules, evidence breakdown, approvals)</summary><div class="md">${markdown.render(d.summaryMarkdown)}</div></details></article>`;
}

const VERDICT_WORD: Record<StageVerdict['verdict'], string> = {
  allowed: 'allowed',
  waiting: 'waiting',
  rejected: 'rejected',
  'not reached': 'not reached',
};

function verdictTable(v: ReleaseView, ctx: PageContext): string {
  if (v.verdicts.length === 0)
    return '<p class="problem">The policy is invalid: no stage can be judged until it is fixed.</p>';
  const rows = v.verdicts
    .map((s) => {
      const why =
        s.rules.length > 0
          ? ruleList(s.rules)
          : s.rejectedBy
            ? `Rejected by ${e(s.rejectedBy)}`
            : s.verdict === 'allowed'
              ? '<span class="muted">every rule passed</span>'
              : '<span class="muted">—</span>';
      const next =
        s.next.length === 0
          ? '<span class="muted">—</span>'
          : `<ol class="steps">${s.next
              .map(
                (n) =>
                  `<li>${n.href ? `<a href="${e(n.href)}">${e(n.text)}</a>` : e(n.text)}${n.until ? ` until ${zoned(n.until, ctx)}` : ''}</li>`,
              )
              .join('')}</ol>`;
      const links = [
        s.runUrl ? `<a href="${e(s.runUrl)}">workflow run</a>` : '',
        s.checkRunUrl ? `<a href="${e(s.checkRunUrl)}">check run</a>` : '',
      ]
        .filter(Boolean)
        .join(' · ');
      const verification = s.deployed?.verification
        ? `<br><span class="muted">verification</span> ${state(s.deployed.verification.state)}`
        : '';
      const deployed = s.deployed
        ? `<br><span class="muted">${e(s.deployed.environment)}: ${e(s.deployed.state ?? 'no status')} ${time(s.deployed.at, ctx)}</span>${verification}`
        : '';
      return `<tr data-stage="${e(s.stage)}"><th scope="row">${e(s.stage)}</th><td data-label="Verdict">${state(VERDICT_WORD[s.verdict])}${s.decidedAt ? `<br><span class="muted">${time(s.decidedAt, ctx)}</span>` : ''}${deployed}</td><td data-label="Why">${why}</td><td data-label="Next step">${next}</td><td data-label="On GitHub">${links || '<span class="muted">—</span>'}</td></tr>`;
    })
    .join('');
  return `<div class="scroll"><table class="stack"><caption>Verdict per stage</caption><thead><tr><th scope="col">Stage</th><th scope="col">Verdict</th><th scope="col">Why</th><th scope="col">Next step</th><th scope="col">On GitHub</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function waitingTable(repo: string, waiting: WaitingGateView[], ctx: PageContext): string {
  if (waiting.length === 0) return '';
  return `<div class="scroll"><table class="stack"><caption>Waiting requests</caption><thead><tr><th scope="col">Release</th><th scope="col">Environment</th><th scope="col">Waits for</th><th scope="col">Clears</th><th scope="col">Since</th></tr></thead><tbody>${waiting
    .map(
      (w) =>
        `<tr><td data-label="Release">${releaseLink(repo, w.sha)} <a href="${e(w.runUrl)}">run</a></td><td data-label="Environment">${e(w.stage ?? w.environment)}${w.stage && w.stage !== w.environment ? ` <span class="muted">(${e(w.environment)})</span>` : ''}</td><td data-label="Waits for">${ruleList(w.waitsFor)}</td><td data-label="Clears">${zoned(w.clears, ctx)}</td><td data-label="Since">${time(w.since, ctx)}</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
}

/** The forms of the actions the viewer may take; the override preset to the stage that is held and its codes. */
function actionForms(v: ReleaseView, ctx: PageContext): string {
  const base = `/repos/${v.repository.fullName}/releases/${v.release.sha}`;
  const hidden = `<input type="hidden" name="_csrf" value="${e(ctx.csrf ?? '')}">`;
  const a = v.actions;
  const out: string[] = [];
  const held = v.verdicts.find((s) => s.verdict === 'waiting' || s.verdict === 'rejected');
  const presetStage = held?.stage ?? a.stage;
  const presetCodes = held ? held.rules.filter((r) => !r.overriddenBy).map((r) => r.code) : [];
  if (a.approve.allowed)
    out.push(
      `<form class="stack" method="post" action="${e(base)}/approve" aria-labelledby="approve-h"><h3 id="approve-h">Approve</h3><p class="muted">${e(a.approve.reason)}</p>${hidden}<label for="approve-env">Environment</label><select id="approve-env" name="environment">${a.approve.environments.map((x) => `<option>${e(x)}</option>`).join('')}</select><button type="submit">Approve as ${e(ctx.login ?? '')}</button></form>`,
    );
  if (a.reject.allowed)
    out.push(
      `<form class="stack" method="post" action="${e(base)}/reject" aria-labelledby="reject-h"><h3 id="reject-h">Reject</h3><p class="muted">${e(a.reject.reason)}</p>${hidden}<label for="reject-env">Reject in</label><select id="reject-env" name="environment">${a.reject.environments.map((x) => `<option>${e(x)}</option>`).join('')}</select><label for="reject-reason">Reason</label><textarea id="reject-reason" name="reason" required rows="2"></textarea><button type="submit">Reject as ${e(ctx.login ?? '')}</button></form>`,
    );
  if (a.override.allowed) {
    for (const p of a.override.pendingConfirmation)
      out.push(
        `<form class="stack" method="post" action="${e(base)}/override"><h3>Confirm the override of ${e(p.grantedBy)} for ${e(p.stage)}</h3>${hidden}<input type="hidden" name="stage" value="${e(p.stage)}"><label for="c-reason-${e(p.id)}">Reason</label><input id="c-reason-${e(p.id)}" name="reason" required><label for="c-risk-${e(p.id)}">Risk accepted</label><input id="c-risk-${e(p.id)}" name="risk" required><button type="submit">Confirm override</button></form>`,
      );
    out.push(
      `<form class="stack" method="post" action="${e(base)}/override" aria-labelledby="override-h"><h3 id="override-h">Override</h3><p class="muted">${e(a.override.reason)}${a.override.secondApprover ? ' The policy asks a second member to confirm it.' : ''}</p>${hidden}<label for="ov-stage">Stage</label><select id="ov-stage" name="stage">${a.override.stages.map((s) => `<option${s === presetStage ? ' selected' : ''}>${e(s)}</option>`).join('')}</select><label for="ov-rules">Rules (codes; all failing ones when empty)</label><input id="ov-rules" name="rules" value="${e(presetCodes.join(' '))}"><label for="ov-reason">Reason</label><textarea id="ov-reason" name="reason" required rows="2"></textarea><label for="ov-risk">Risk accepted</label><textarea id="ov-risk" name="risk" required rows="2"></textarea><button type="submit">Grant override</button></form>`,
    );
  }
  if (a.promote.allowed)
    out.push(
      `<form class="stack" method="post" action="${e(base)}/promote" aria-labelledby="promote-h"><h3 id="promote-h">Promote</h3><p class="muted">${e(a.promote.reason)}</p>${hidden}<input type="hidden" name="stage" value="${e(a.promote.target ?? '')}"><button type="submit">Promote to ${e(a.promote.target ?? '')}</button></form>`,
    );
  if (a.rollback.allowed)
    out.push(
      `<form class="stack" method="post" action="${e(base)}/rollback" aria-labelledby="rollback-h"><h3 id="rollback-h">Roll back</h3><p class="muted">${e(a.rollback.reason)}</p>${hidden}<input type="hidden" name="environment" value="${e(a.rollback.environment ?? '')}"><button type="submit">Roll back ${e(a.rollback.stage ?? '')} to ${short(a.rollback.to ?? '')}</button></form>`,
    );
  const why = [a.approve, a.reject, a.override, a.promote, a.rollback]
    .filter((x) => !x.allowed && x.reason)
    .map((x) => x.reason);
  return `${out.join('')}${why.length > 0 ? `<ul class="muted">${[...new Set(why)].map((w) => `<li>${e(w)}</li>`).join('')}</ul>` : ''}`;
}

/** The release page: verdict per stage with the next step first, then actions, then the record, shortened. */
export function renderRelease(ctx: PageContext, v: ReleaseView, problem: string | null = null): string {
  const r = v.repository.fullName;
  const sha = v.release.sha;
  const links = [
    `<a href="${e(v.links.commit)}">commit ${e(sha.slice(0, 7))}</a>`,
    ...(v.links.pulls.length > 0
      ? v.links.pulls.map(
          (p) => `<a href="${e(p.url)}"${p.title ? ` title="${e(p.title)}"` : ''}>pull request #${p.number}</a>`,
        )
      : [`<a href="${e(v.links.pullSearch)}">pull requests with ${e(sha.slice(0, 7))}</a>`]),
    ...v.links.runs.map((x) => `<a href="${e(x.url)}">workflow run (${e(x.environment)})</a>`),
    ...v.links.checkRuns.map((x) => `<a href="${e(x.url)}">check run (${e(x.environment)})</a>`),
  ];
  const timeline =
    v.timeline.length === 0
      ? '<p class="muted">No event yet.</p>'
      : `<div class="scroll"><table class="stack"><caption>Timeline, newest first</caption><thead><tr><th scope="col">At</th><th scope="col">Event</th><th scope="col">Environment</th><th scope="col">Status</th><th scope="col">By</th><th scope="col">Notes</th></tr></thead><tbody>${v.timeline
          .map(
            (t) =>
              `<tr><td data-label="At">${time(t.at, ctx)}${repeated(t.repeats, t.firstAt, ctx)}</td><td data-label="Event"><strong>${e(t.type)}</strong></td><td data-label="Environment">${e(t.environment ?? '')}</td><td data-label="Status">${e(t.status ?? '')}</td><td data-label="By">${e(t.actor ?? '')}</td><td data-label="Notes">${e((t.notes ?? '').slice(0, 300))}</td></tr>`,
          )
          .join('')}</tbody></table></div>`;
  const overrides =
    v.overrides.length === 0
      ? ''
      : `<section aria-labelledby="ov"><h2 id="ov">Overrides</h2><div class="scroll"><table class="stack"><thead><tr><th scope="col">Stage</th><th scope="col">State</th><th scope="col">Rules</th><th scope="col">By</th><th scope="col">Confirmed by</th><th scope="col">Reason</th><th scope="col">Risk</th><th scope="col">Expires</th></tr></thead><tbody>${v.overrides
          .map(
            (o) =>
              `<tr><td data-label="Stage">${e(o.environment)}</td><td data-label="State">${state(o.status)}</td><td data-label="Rules">${o.rules.map((c) => `<code>${e(c)}</code>`).join(' ') || 'all'}</td><td data-label="By">${e(o.grantedBy)}</td><td data-label="Confirmed by">${e(o.confirmedBy ?? '')}</td><td data-label="Reason">${e(o.reason)}</td><td data-label="Risk">${e(o.risk)}</td><td data-label="Expires">${o.expiresAt ? `${time(o.expiresAt, ctx)} (${relative(o.status === 'expired' ? 'expired' : '', o.expiresAt, ctx)})` : '—'}</td></tr>`,
          )
          .join('')}</tbody></table></div></section>`;
  const [latest, ...older] = v.decisions;
  return layout(
    ctx,
    `${r}@${sha.slice(0, 7)}`,
    `<h1>Release ${short(sha)} of <a href="/repos/${e(r)}">${e(r)}</a></h1><p class="muted">${v.release.version ? `Version ${e(v.release.version)} · ` : ''}${v.release.ref ? `Ref <code>${e(v.release.ref)}</code> · ` : ''}Your role: ${e(v.repository.role)}</p>
<p>On GitHub: ${links.join(' · ')}</p>
${problem ? `<p class="problem" role="alert">${e(problem)}</p>` : ''}
<section aria-labelledby="verdict"><h2 id="verdict">Where it stands</h2>${verdictTable(v, ctx)}${waitingTable(r, v.waiting, ctx)}</section>
<section aria-labelledby="actions"><h2 id="actions">Actions</h2>${actionForms(v, ctx)}</section>
<section aria-labelledby="decisions"><h2 id="decisions">Decisions</h2>${latest ? decisionSection(latest, 0, ctx) : '<p class="muted">No decision recorded.</p>'}${older.length > 0 ? `<details><summary>${older.length} earlier decision${older.length === 1 ? '' : 's'} (identical ones shown once)</summary>${older.map((d, i) => decisionSection(d, i + 1, ctx)).join('')}</details>` : ''}</section>
<section aria-labelledby="timeline"><h2 id="timeline">Timeline</h2>${timeline}</section>
${overrides}`,
    !problem,
  );
}
