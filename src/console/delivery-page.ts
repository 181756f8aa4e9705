import type { DeliveryFigures, Distribution } from '../core/delivery-metrics.js';
import { DELIVERY_WINDOWS, type DeliveryReport } from '../delivery/delivery-report.js';
import { escapeHtml as e } from './http-kit.js';
import { layout, type PageContext } from './pages.js';

/** A duration in seconds as a person reads it (45 s, 12 min, 5.5 h, 3.2 d). */
export function humanDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)} %`;
}

function spread(d: Distribution): string {
  return d.count === 0
    ? '<span class="muted">none</span>'
    : `${e(humanDuration(d.p50))} <span class="muted">median · ${e(humanDuration(d.p90))} p90 · ${d.count}</span>`;
}

/**
 * Deployments (bars) and failures (the darker part of each bar) per day, as an SVG drawn on
 * the server: readable without JavaScript, with a title and a description for screen readers
 * and a table of the same figures beside it.
 */
export function dailyChart(f: DeliveryFigures, id: string): string {
  const width = 720;
  const height = 160;
  const pad = { left: 32, right: 8, top: 8, bottom: 24 };
  const max = Math.max(1, ...f.daily.map((d) => d.deployments));
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const step = plotW / Math.max(1, f.daily.length);
  const barW = Math.max(1, step * 0.7);
  const y = (n: number) => pad.top + plotH - (n / max) * plotH;
  const bars = f.daily
    .map((d, i) => {
      const x = pad.left + i * step + (step - barW) / 2;
      const label = `${d.day}: ${d.deployments} deployment${d.deployments === 1 ? '' : 's'}, ${d.failures} failed`;
      const ok = d.deployments - d.failures;
      return `<g><title>${e(label)}</title>${ok > 0 ? `<rect fill="#2563eb" x="${x.toFixed(1)}" y="${y(d.deployments).toFixed(1)}" width="${barW.toFixed(1)}" height="${((ok / max) * plotH).toFixed(1)}"/>` : ''}${d.failures > 0 ? `<rect fill="#b91c1c" x="${x.toFixed(1)}" y="${y(d.failures).toFixed(1)}" width="${barW.toFixed(1)}" height="${((d.failures / max) * plotH).toFixed(1)}"/>` : ''}</g>`;
    })
    .join('');
  const first = f.daily[0]?.day ?? '';
  const last = f.daily.at(-1)?.day ?? '';
  return `<svg id="${e(id)}" width="100%" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${e(id)}-title ${e(id)}-desc" xmlns="http://www.w3.org/2000/svg">
<title id="${e(id)}-title">Deployments per day</title>
<desc id="${e(id)}-desc">${f.deployments} deployments from ${e(first)} to ${e(last)}, ${f.failures} of them failed; at most ${max} in a day.</desc>
<line stroke="#6b7280" x1="${pad.left}" y1="${pad.top + plotH}" x2="${width - pad.right}" y2="${pad.top + plotH}"/>
<text font-size="11" x="${pad.left - 4}" y="${pad.top + 10}" text-anchor="end">${max}</text>
<text font-size="11" x="${pad.left - 4}" y="${pad.top + plotH}" text-anchor="end">0</text>
<text font-size="11" x="${pad.left}" y="${height - 6}">${e(first)}</text>
<text font-size="11" x="${width - pad.right}" y="${height - 6}" text-anchor="end">${e(last)}</text>
${bars}
</svg>`;
}

function keys(f: DeliveryFigures): string {
  return `<div class="scroll"><table><caption>The four keys</caption><tbody>
<tr><th scope="row">Deployment frequency</th><td>${f.deploymentsPerDay.toFixed(2)} a day <span class="muted">(${f.deployments} in ${f.days} days)</span></td></tr>
<tr><th scope="row">Lead time for changes</th><td>${spread(f.leadTime)}${f.leadTimeUnknown > 0 ? `<br><span class="muted">${f.leadTimeUnknown} release${f.leadTimeUnknown === 1 ? '' : 's'} without a recorded pull request</span>` : ''}</td></tr>
<tr><th scope="row">Change failure rate</th><td>${e(percent(f.changeFailureRate))} <span class="muted">(${f.failures} of ${f.deployments})</span></td></tr>
<tr><th scope="row">Time to restore</th><td>${spread(f.timeToRestore)}${f.unrestored > 0 ? `<br><span class="muted">${f.unrestored} not restored yet</span>` : ''}</td></tr>
</tbody></table></div>`;
}

/** The console's delivery page: the four keys over 30 or 90 days, of one repository or all the viewer can read. */
export function renderDelivery(ctx: PageContext, report: DeliveryReport, repo: string | null): string {
  const base = repo ? `/repos/${repo}/delivery` : '/delivery';
  const windows = DELIVERY_WINDOWS.map((d) =>
    d === report.days
      ? `<strong aria-current="page">${d} days</strong>`
      : `<a href="${e(base)}?days=${d}">${d} days</a>`,
  ).join(' · ');
  const title = repo ? `Delivery of ${repo}` : 'Delivery';
  const rows = report.repositories
    .map(
      (r) =>
        `<tr><th scope="row"><a href="/repos/${e(r.repo)}/delivery?days=${report.days}">${e(r.repo)}</a></th><td>${e(r.prodStage)}${r.prodStageFrom === 'default' ? ' <span class="muted">(no policy recorded)</span>' : ''}</td><td>${r.figures.deployments}</td><td>${e(humanDuration(r.figures.leadTime.p50))}</td><td>${e(percent(r.figures.changeFailureRate))}</td><td>${e(humanDuration(r.figures.timeToRestore.p50))}</td></tr>`,
    )
    .join('');
  const table =
    report.repositories.length === 0
      ? '<p class="muted">No deployment to a last stage was proven in this window.</p>'
      : `<div class="scroll"><table><caption>By repository</caption><thead><tr><th scope="col">Repository</th><th scope="col">Production stage</th><th scope="col">Deployments</th><th scope="col">Lead time (median)</th><th scope="col">Change failure rate</th><th scope="col">Time to restore (median)</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  const body = `<h1>${e(title)}</h1>
<p>Window: ${windows} <span class="muted">(${e(report.since.slice(0, 10))} to ${e(report.until.slice(0, 10))}, UTC)</span></p>
${report.truncated ? '<p class="problem">More deployments were proven in this window than one page reads: the oldest are counted.</p>' : ''}
${keys(report.total)}
<h2>Deployments per day</h2>
${dailyChart(report.total, 'daily')}
${repo ? '' : table}
<p class="muted">From the gate's own record: deployments it let through and saw succeed in the last stage; failures are those later marked failure or error and those rolled back. See the README's "Delivery metrics".</p>`;
  return layout(ctx, title, body);
}
