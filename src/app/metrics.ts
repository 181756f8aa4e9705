import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Decision } from '../core/types.js';
import { requestCost } from '../github/api-calls.js';
import type { ApiCallObserver } from '../github/api-calls.js';

/** The most environment label values one process reports; names past it are counted as `other`. */
export const ENVIRONMENT_LABEL_LIMIT = 50;

/** The App's Prometheus metrics, on a registry of its own (several Apps may run in one process in tests). */
export interface AppMetrics {
  registry: Registry;
  decisions: Counter<'environment' | 'outcome'>;
  evaluationSeconds: Histogram<'environment'>;
  apiCalls: Counter<'route' | 'status'>;
  apiCallsPerDecision: Histogram<'environment'>;
  /** GitHub requests by what they cost (see `requestCost`): billed, not_modified, unanswered, unauthenticated. */
  apiRequests: Counter<'kind'>;
  rateLimitRemaining: Gauge;
  pendingGates: Gauge;
  deliveries: Counter<'event' | 'result'>;
  observer: ApiCallObserver;
  /**
   * The `environment` label of a decision. Anyone with write access can create a deployment
   * to an environment of any name, and each label value is a series Prometheus keeps: only a
   * policy's stages are reported by name (at most {@link ENVIRONMENT_LABEL_LIMIT} per
   * process, then `other`); an environment the policy does not name is `ungated` (approved as
   * such) or `unnamed` (refused: strict policy, lookalike), and a policy that cannot be
   * read is `policy_invalid`.
   */
  environmentLabel(decision: Pick<Decision, 'environment' | 'ungated' | 'rules'>): string;
}

/** Creates the metrics; `defaults` adds Node's process metrics (off in tests). */
export function createMetrics(options: { defaults?: boolean } = {}): AppMetrics {
  const registry = new Registry();
  if (options.defaults) collectDefaultMetrics({ register: registry });
  const decisions = new Counter({
    name: 'release_gate_decisions_total',
    help: 'Gate decisions by environment and outcome (allow, wait, block).',
    labelNames: ['environment', 'outcome'] as const,
    registers: [registry],
  });
  const evaluationSeconds = new Histogram({
    name: 'release_gate_evaluation_seconds',
    help: 'Time to load facts, evaluate and report one gate decision.',
    labelNames: ['environment'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const apiCalls = new Counter({
    name: 'release_gate_github_api_calls_total',
    help: 'GitHub API calls by route template and HTTP status.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const apiRequests = new Counter({
    name: 'release_gate_github_requests_total',
    help: 'GitHub requests by cost: billed (counted against the rate limit), not_modified (a conditional request answered 304, free), unanswered (no answer came) or unauthenticated (401).',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const apiCallsPerDecision = new Histogram({
    name: 'release_gate_github_api_calls_per_decision',
    help: 'GitHub API calls made to reach one decision (facts, policy, report).',
    labelNames: ['environment'] as const,
    buckets: [1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50],
    registers: [registry],
  });
  // Registered at the first response that carries the header: before it, the headroom is
  // unknown, and a sample of 0 would read as "rate limit exhausted".
  const rateLimitRemaining = new Gauge({
    name: 'release_gate_github_rate_limit_remaining',
    help: 'x-ratelimit-remaining of the latest GitHub response.',
    registers: [],
  });
  let rateLimitSeen = false;
  const pendingGates = new Gauge({
    name: 'release_gate_pending_gates',
    help: 'Protection rule requests waiting for a decision.',
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'release_gate_webhook_deliveries_total',
    help: 'Webhook deliveries by event and result (handled, duplicate, error).',
    labelNames: ['event', 'result'] as const,
    registers: [registry],
  });
  const observer: ApiCallObserver = {
    onCall: (route, status) => {
      apiCalls.inc({ route, status: String(status) });
      apiRequests.inc({ kind: requestCost(status) });
    },
    onRateLimit: (remaining) => {
      rateLimitRemaining.set(remaining);
      if (!rateLimitSeen) {
        rateLimitSeen = true;
        registry.registerMetric(rateLimitRemaining);
      }
    },
  };
  const stageLabels = new Set<string>();
  const environmentLabel = (decision: Pick<Decision, 'environment' | 'ungated' | 'rules'>): string => {
    if (decision.ungated) return 'ungated';
    if (decision.rules.some((r) => r.rule === 'environment')) return 'unnamed';
    if (decision.rules.some((r) => r.rule === 'policy')) return 'policy_invalid';
    if (stageLabels.has(decision.environment)) return decision.environment;
    if (stageLabels.size >= ENVIRONMENT_LABEL_LIMIT) return 'other';
    stageLabels.add(decision.environment);
    return decision.environment;
  };
  return {
    registry,
    decisions,
    evaluationSeconds,
    apiCalls,
    apiCallsPerDecision,
    apiRequests,
    rateLimitRemaining,
    pendingGates,
    deliveries,
    observer,
    environmentLabel,
  };
}
