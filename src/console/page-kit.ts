import { escapeHtml as e } from './http-kit.js';
import type { FreezeNowView, RuleView, ZonedTime } from './views.js';

/** What every page needs besides its data. */
export interface PageContext {
  login: string | null;
  csrf: string | null;
  timeZone: string;
  /** The page's own path and query (the sign-in return address). */
  path: string;
  /** An action just done (`approve`, `override`, `promote`, `reject`, `rollback`). */
  notice: string | null;
  signInEnabled: boolean;
  /** The server's now (ISO-8601), for relative times. */
  now: string;
  /** A line shown at the top of every page (`ConsoleConfig.banner`). */
  banner?: string | null;
}

const NOTICES: Record<string, string> = {
  approve: 'Your approval is recorded and what waited was evaluated again.',
  override: 'The override is recorded and what waited was evaluated again.',
  promote: 'The promotion to the next stage is recorded: deployed when the gate allows it.',
  reject: 'The rejection is recorded and GitHub was answered.',
  rollback:
    'The rollback deployment is created on GitHub: its deploy workflow runs, the gate lets it through, and it is verified like any deployment.',
  unchanged: 'Nothing changed: the same action was taken already.',
};

/**
 * The frame of every page. `live` marks the main content as refreshed by the script every
 * 20 s (the board, the queue, a repository, a release).
 */
export function layout(ctx: PageContext, title: string, body: string, live = false): string {
  const who = ctx.login
    ? `<div class="who"><span>Signed in as <strong>${e(ctx.login)}</strong></span><form class="inline" method="post" action="/auth/logout"><input type="hidden" name="_csrf" value="${e(ctx.csrf ?? '')}"><button class="secondary" type="submit">Sign out</button></form></div>`
    : '';
  const search = ctx.login
    ? `<form class="search" role="search" method="get" action="/search"><label for="q" class="skip">Find a release</label><input id="q" name="q" placeholder="SHA, version, tag or #PR" autocomplete="off"><button class="secondary" type="submit">Find</button></form>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${e(title)} · Release Gate</title>
<link rel="stylesheet" href="/console.css">
${live ? '<script src="/console.js" defer></script>\n' : ''}</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${ctx.banner ? `<p class="banner" role="note">${e(ctx.banner)}</p>` : ''}
<header class="top">
<a class="brand" href="/">Release Gate</a>
<nav aria-label="Console"><ul><li><a href="/">Board</a></li><li><a href="/queue">Waiting on me</a></li><li><a href="/audit">Audit</a></li><li><a href="/delivery">Delivery</a></li><li><a href="/api/v1/docs">API</a></li></ul></nav>
${search}
${who}
</header>
<main id="main" tabindex="-1" data-now="${e(ctx.now)}"${live ? ' data-live' : ''}>
${ctx.notice ? `<p class="notice" role="status">${e(NOTICES[ctx.notice] ?? 'Done.')}</p>` : ''}
${body}
</main>
<footer>Times are shown in ${e(ctx.timeZone)}${ctx.timeZone === 'UTC' ? '' : ' (your time zone)'}; the page takes your browser's time zone, or choose one on a repository's page. Roles come from your GitHub permission on each repository.</footer>
</body>
</html>
`;
}

export const state = (s: string | null | undefined) =>
  s ? `<span class="state ${e(s.replace(/\s+/g, '-'))}">${e(s)}</span>` : '<span class="muted">none</span>';
export const short = (sha: string) => `<code>${e(sha.slice(0, 7))}</code>`;
export const releaseLink = (repo: string, sha: string) =>
  `<a href="/repos/${e(repo)}/releases/${e(sha)}">${short(sha)}</a>`;

const formats = new Map<string, Intl.DateTimeFormat>();
/** An instant as a person reads it in a zone: `Mon, Dec 7, 08:00 EST`. */
export function inZone(at: string, timeZone: string): string {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formats.set(timeZone, f);
  }
  return f.format(new Date(at));
}

/** `<time>` in the viewer's zone; the script repaints it in the browser's. */
export function time(at: string | null | undefined, ctx: Pick<PageContext, 'timeZone'>): string {
  if (!at) return '<span class="muted">—</span>';
  return `<time datetime="${e(at)}" data-local title="${e(at)}">${e(inZone(at, ctx.timeZone))}</time>`;
}

/** How long from now: `in 2 h`, `3 d ago`. */
export function span(fromMs: number, toMs: number): string {
  const ms = toMs - fromMs;
  const a = Math.abs(ms);
  const m = Math.round(a / 60_000);
  const text =
    m < 1
      ? 'less than a minute'
      : m < 60
        ? `${m} min`
        : a < 48 * 3_600_000
          ? `${Math.round(a / 3_600_000)} h`
          : `${Math.round(a / 86_400_000)} d`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** A relative time the script keeps current: `<word> in 2 h`. */
export function relative(word: string, at: string, ctx: Pick<PageContext, 'now'>): string {
  return `<span data-rel="${e(word)}" data-at="${e(at)}">${e(word ? `${word} ` : '')}${e(span(Date.parse(ctx.now), Date.parse(at)))}</span>`;
}

/** An age in minutes as a person says it. */
export function age(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} h`;
}

/** An instant in the viewer's zone, and in the zones of the windows that set it. */
export function zoned(z: ZonedTime | null, ctx: PageContext): string {
  if (!z) return '<span class="muted">on an event (an approval, a check, a deployment)</span>';
  const windows = z.zones.filter((x) => x.role === 'window' && x.timeZone !== ctx.timeZone);
  return `${time(z.at, ctx)} <span class="muted">(${relative('', z.at, ctx)})</span>${windows.map((x) => `<br><span class="muted">${e(x.local.replace('T', ' ').slice(0, 16))} ${e(x.timeZone)} (window)</span>`).join('')}`;
}

/** A freeze in force (or the next one) as one line. */
export function freezeLine(f: FreezeNowView, ctx: PageContext): string {
  return f.active
    ? `<strong>${e(f.stage)} is frozen</strong> (${e(f.windows.join(', '))}): ends ${time(f.end.at, ctx)}, ${relative('', f.end.at, ctx)}.`
    : `<span class="muted">Next freeze of ${e(f.stage)} (${e(f.windows.join(', '))}): ${time(f.start.at, ctx)}, ${relative('', f.start.at, ctx)}, until ${time(f.end.at, ctx)}.</span>`;
}

/** Rule codes with their messages. */
export function ruleList(rules: RuleView[]): string {
  if (rules.length === 0) return '<span class="muted">not evaluated yet</span>';
  return rules.map((r) => `<code>${e(r.code)}</code> ${e(r.message)}`).join('<br>');
}

/** `×6` for an entry that stands for several identical ones. */
export function repeated(repeats: number, firstAt: string, ctx: PageContext, verb = 're-checked'): string {
  return repeats > 1 ? ` <span class="muted">(${verb} ${repeats} times since ${time(firstAt, ctx)})</span>` : '';
}
