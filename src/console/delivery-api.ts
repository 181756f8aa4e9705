import { deliveryReport, DELIVERY_WINDOWS, type DeliveryReport } from '../delivery/delivery-report.js';
import type { DeliveryRecordStore } from '../store/delivery-record.js';
import type { ApiRoute } from './openapi-route.js';
import { ConsoleError } from './service.js';

/** What delivery reports need of the console: who may read which repository. */
export interface DeliveryAccess {
  /** Resolves for a repository the user can read; throws the console's 404 otherwise. */
  access(login: string, fullName: string): Promise<unknown>;
}

/** The window asked for (`days`: 30 or 90, default 30), with a message naming the choices. */
export function deliveryDays(url: URL): number {
  for (const key of url.searchParams.keys())
    if (key !== 'days' && key !== 'tz')
      throw new ConsoleError(400, 'invalid_parameter', `${key}: unknown parameter (allowed: days).`);
  const days = url.searchParams.get('days');
  if (days === null || days === '') return 30;
  const n = Number(days);
  if (!(DELIVERY_WINDOWS as readonly number[]).includes(n))
    throw new ConsoleError(
      400,
      'invalid_parameter',
      `days: "${days.slice(0, 20)}" is not a window the delivery figures offer (${DELIVERY_WINDOWS.join(' or ')}).`,
    );
  return n;
}

/**
 * The delivery figures a user may read: of one repository (404 when they cannot read it), or
 * of every repository with proven deployments in the window that they can read.
 */
export async function deliveryFor(
  record: DeliveryRecordStore,
  access: DeliveryAccess,
  query: { login: string; repo: string | null; days: number; now: Date },
): Promise<DeliveryReport> {
  if (query.repo !== null) {
    await access.access(query.login, query.repo);
    return deliveryReport(record, { repo: query.repo, days: query.days, now: query.now });
  }
  return deliveryReport(record, {
    days: query.days,
    now: query.now,
    allowed: (repo) =>
      access.access(query.login, repo).then(
        () => true,
        (error: unknown) => {
          if (error instanceof ConsoleError && error.status === 404) return false;
          throw error;
        },
      ),
  });
}

const num = { type: 'number' };
const numOrNull = { type: ['number', 'null'] };
const distribution = {
  type: 'object',
  required: ['count', 'p50', 'p90'],
  properties: {
    count: { type: 'integer' },
    p50: { ...numOrNull, description: 'Median, in seconds.' },
    p90: { ...numOrNull, description: '90th percentile, in seconds.' },
  },
};
const figures = {
  type: 'object',
  required: ['deployments', 'deploymentsPerDay', 'leadTime', 'failures', 'changeFailureRate', 'timeToRestore', 'daily'],
  properties: {
    since: { type: 'string' },
    until: { type: 'string' },
    days: { type: 'integer' },
    deployments: { type: 'integer', description: 'Deployments to the last stage proven in the window.' },
    deploymentsPerDay: num,
    leadTime: {
      ...distribution,
      description:
        "From the first commit of the release's pull requests to its first proven success in the last stage.",
    },
    leadTimeUnknown: { type: 'integer', description: 'Releases with no recorded pull request (not in leadTime).' },
    failures: { type: 'integer', description: 'Proven deployments later marked failure or error, or rolled back.' },
    changeFailureRate: { ...numOrNull, description: 'failures / deployments; null when nothing was deployed.' },
    timeToRestore: { ...distribution, description: 'From a failure to the next proven success in the last stage.' },
    unrestored: { type: 'integer' },
    daily: {
      type: 'array',
      items: {
        type: 'object',
        properties: { day: { type: 'string' }, deployments: { type: 'integer' }, failures: { type: 'integer' } },
      },
    },
  },
};
const report = {
  type: 'object',
  required: ['days', 'since', 'until', 'repositories', 'total', 'truncated'],
  properties: {
    days: { type: 'integer' },
    since: { type: 'string' },
    until: { type: 'string' },
    repositories: {
      type: 'array',
      items: {
        type: 'object',
        required: ['repo', 'prodStage', 'prodStageFrom', 'figures'],
        properties: {
          repo: { type: 'string' },
          prodStage: { type: 'string', description: 'The stage counted as production: the last of the policy.' },
          prodStageFrom: { enum: ['policy', 'default'] },
          figures,
        },
      },
    },
    total: figures,
    truncated: { type: 'boolean' },
  },
};
const daysParam = {
  name: 'days',
  description: 'The window: the last 30 (default) or 90 days.',
  schema: { type: 'integer', enum: [...DELIVERY_WINDOWS] },
};

/** The delivery operations of `/api/v1` (listed in the console's OpenAPI document). */
export const DELIVERY_ROUTES: ApiRoute[] = [
  {
    method: 'GET',
    path: '/delivery',
    operationId: 'getDelivery',
    summary:
      'Delivery figures (deployment frequency, lead time for changes, change failure rate, time to restore) of every repository you can read, and together.',
    auth: true,
    query: [daysParam],
    response: report,
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/delivery',
    operationId: 'getRepositoryDelivery',
    summary: "The repository's delivery figures over the window, from the gate's own record.",
    auth: true,
    query: [daysParam],
    response: report,
  },
];
