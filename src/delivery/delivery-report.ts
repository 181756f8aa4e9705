import {
  computeDeliveryFigures,
  type DeliveryDeployment,
  type DeliveryFigures,
  type DeliveryRollback,
} from '../core/delivery-metrics.js';
import { loadPolicyFiles } from '../core/policy-source.js';
import { PROVEN_DEPLOYMENTS_LIMIT, type DeliveryRecordStore } from '../store/delivery-record.js';

/** The windows the console and the API offer (days). */
export const DELIVERY_WINDOWS = [30, 90] as const;
export type DeliveryWindow = (typeof DELIVERY_WINDOWS)[number];

/** The stage taken as production when a repository's policy cannot be read from the record. */
export const DEFAULT_PROD_STAGE = 'PROD';

export interface RepoDelivery {
  repo: string;
  /** The stage counted as production: the last stage of the policy in force. */
  prodStage: string;
  /** `policy` when read from the policy the latest recorded decision used; `default` otherwise. */
  prodStageFrom: 'policy' | 'default';
  figures: DeliveryFigures;
}

export interface DeliveryReport {
  days: number;
  since: string;
  until: string;
  /** Every repository asked for, figures of each. */
  repositories: RepoDelivery[];
  /** The figures over all of them together. */
  total: DeliveryFigures;
  /** True when the window held more proven deployments than one report reads (the oldest are counted). */
  truncated: boolean;
}

/** The last stage of the policy the latest recorded decision of the repository used. */
export async function prodStageOf(
  record: Pick<DeliveryRecordStore, 'policyInForce'>,
  repo: string,
): Promise<{ stage: string; from: 'policy' | 'default' }> {
  const texts = await record.policyInForce(repo);
  if (texts && (texts.repository !== null || texts.org !== null)) {
    const loaded = loadPolicyFiles(
      texts.repository === null ? null : { text: texts.repository, source: '.github/release-policy.yml' },
      texts.org === null ? null : { text: texts.org, source: 'org default' },
    );
    const last = loaded.ok ? loaded.policy.environments.at(-1) : undefined;
    if (last) return { stage: last.name, from: 'policy' };
  }
  return { stage: DEFAULT_PROD_STAGE, from: 'default' };
}

/**
 * Delivery figures over the last `days` before `now`, of one repository or of every
 * repository `allowed` lets through (the console passes who may read what). Reads the proven
 * deployments of the window only (indexed by their proof time), then the first commits of the
 * releases deployed to production in it.
 */
export async function deliveryReport(
  record: DeliveryRecordStore,
  query: { repo?: string; days: number; now: Date; allowed?: (repo: string) => Promise<boolean> },
): Promise<DeliveryReport> {
  const until = query.now;
  const since = new Date(until.getTime() - query.days * 86_400_000);
  const rows = await record.provenDeployments({
    ...(query.repo ? { repo: query.repo } : {}),
    since,
    until,
    limit: PROVEN_DEPLOYMENTS_LIMIT,
  });
  const rollbacks = await record.appRollbacks({
    ...(query.repo ? { repo: query.repo } : {}),
    since,
    until,
    limit: PROVEN_DEPLOYMENTS_LIMIT,
  });
  const byRepo = new Map<string, typeof rows>();
  if (query.repo) byRepo.set(query.repo, []);
  for (const r of rows) {
    const list = byRepo.get(r.repo) ?? [];
    list.push(r);
    byRepo.set(r.repo, list);
  }
  const repositories: RepoDelivery[] = [];
  const all: DeliveryDeployment[] = [];
  const allRollbacks: DeliveryRollback[] = [];
  for (const [repo, list] of [...byRepo].sort(([a], [b]) => a.localeCompare(b))) {
    if (query.allowed && !(await query.allowed(repo))) continue;
    const prod = await prodStageOf(record, repo);
    const inProd = list.filter((d) => d.stage === prod.stage);
    const firstCommits = await record.firstCommits(
      repo,
      inProd.map((d) => d.sha),
    );
    const deployments: DeliveryDeployment[] = inProd.map((d) => ({
      id: d.id,
      repo: d.repo,
      sha: d.sha,
      createdAt: d.createdAt,
      provenAt: d.provenAt,
      latestState: d.latestState,
      latestStateAt: d.latestStateAt,
      firstCommitAt: firstCommits.get(d.sha) ?? null,
    }));
    const ownRollbacks: DeliveryRollback[] = rollbacks
      .filter((r) => r.repo === repo)
      .map((r) => ({ repo: r.repo, of: r.of, createdAt: r.createdAt }));
    all.push(...deployments);
    allRollbacks.push(...ownRollbacks);
    repositories.push({
      repo,
      prodStage: prod.stage,
      prodStageFrom: prod.from,
      figures: computeDeliveryFigures(deployments, { since, until }, ownRollbacks),
    });
  }
  return {
    days: query.days,
    since: since.toISOString(),
    until: until.toISOString(),
    repositories,
    total: computeDeliveryFigures(all, { since, until }, allRollbacks),
    truncated: rows.length >= PROVEN_DEPLOYMENTS_LIMIT,
  };
}
