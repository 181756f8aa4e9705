import { Gauge, type Registry } from 'prom-client';
import type { DeliveryFigures } from '../core/delivery-metrics.js';
import type { DeliveryRecordStore } from '../store/delivery-record.js';
import { deliveryReport, DELIVERY_WINDOWS, type DeliveryReport } from './delivery-report.js';

/** The most repositories reported by name; the rest are summed as `other` (each name is a series Prometheus keeps). */
export const REPOSITORY_LABEL_LIMIT = 50;

/** How long a computed report is served to scrapes before it is read again. */
export const DELIVERY_GAUGE_TTL_MS = 60_000;

type Labels = 'window' | 'repository';

/**
 * The four keys as Prometheus gauges, per window (`30d`, `90d`) and repository (the
 * {@link REPOSITORY_LABEL_LIMIT} with the most deployments by name, and `all` for every
 * repository together). Computed from the record at most once a minute, when scraped.
 */
export function registerDeliveryGauges(
  registry: Registry,
  record: DeliveryRecordStore,
  clock: () => Date,
  onError: (error: unknown) => void = () => {},
): void {
  // One set per registry (an App started again in the same process keeps them).
  if (registry.getSingleMetric('release_gate_delivery_deployments')) return;
  let cached: { at: number; reports: DeliveryReport[] } | null = null;
  let reading: Promise<DeliveryReport[]> | null = null;
  const reports = async (): Promise<DeliveryReport[]> => {
    const now = clock();
    if (cached && now.getTime() - cached.at < DELIVERY_GAUGE_TTL_MS) return cached.reports;
    reading ??= Promise.all(DELIVERY_WINDOWS.map((days) => deliveryReport(record, { days, now })))
      .then((r) => {
        cached = { at: now.getTime(), reports: r };
        return r;
      })
      .finally(() => (reading = null));
    return reading;
  };

  /** Sets one gauge from the reports of each window. */
  const fill = (gauge: Gauge<Labels>, value: (f: DeliveryFigures) => number | null, list: DeliveryReport[]) => {
    gauge.reset();
    list.forEach((report, i) => {
      const window = `${DELIVERY_WINDOWS[i]}d`;
      const set = (repository: string, f: DeliveryFigures) => {
        const v = value(f);
        if (v !== null) gauge.set({ window, repository }, v);
      };
      set('all', report.total);
      const named = [...report.repositories]
        .sort((a, b) => b.figures.deployments - a.figures.deployments || a.repo.localeCompare(b.repo))
        .slice(0, REPOSITORY_LABEL_LIMIT);
      for (const r of named) set(r.repo, r.figures);
    });
  };
  const define = (name: string, help: string, value: (f: DeliveryFigures) => number | null) => {
    const gauge: Gauge<Labels> = new Gauge({
      name,
      help,
      labelNames: ['window', 'repository'] as const,
      registers: [registry],
      // Each scrape reads the record at most once a minute (the reports are shared by every gauge).
      async collect() {
        try {
          fill(this, value, await reports());
        } catch (error) {
          onError(error);
        }
      },
    });
    return gauge;
  };
  define(
    'release_gate_delivery_deployments',
    'Deployments to the last stage proven in the window.',
    (f) => f.deployments,
  );
  define(
    'release_gate_delivery_deployments_per_day',
    'Deployment frequency: proven deployments to the last stage per day over the window.',
    (f) => f.deploymentsPerDay,
  );
  define(
    'release_gate_delivery_lead_time_seconds',
    "Lead time for changes, median: first commit of the release's pull requests to its proven success in the last stage.",
    (f) => f.leadTime.p50,
  );
  define(
    'release_gate_delivery_change_failure_rate',
    'Proven deployments to the last stage later marked failure or error, or rolled back, over all of them.',
    (f) => f.changeFailureRate,
  );
  define(
    'release_gate_delivery_time_to_restore_seconds',
    'Time to restore, median: from a failure to the next proven success in the last stage.',
    (f) => f.timeToRestore.p50,
  );
}
