/**
 * Policy texts the tests share: `policy()` writes one from its stages, and the policies many
 * tests use are named below. The texts are the YAML a repository would keep, so positions
 * and the record's policy text are what a test wrote by hand.
 */

/** Where a repository keeps its policy. */
export { POLICY_PATH } from '../../src/core/policy-source.js';

export type Stage = 'DEV' | 'PRE_PROD' | 'PROD';

/** Each stage's usual GitHub environment. */
export const GITHUB_ENVIRONMENT: Record<Stage, string> = {
  DEV: 'development',
  PRE_PROD: 'staging',
  PROD: 'production',
};

const ORDER: Stage[] = ['DEV', 'PRE_PROD', 'PROD'];

/**
 * `version: 1`, then the stages given (in pipeline order) on their usual GitHub environments,
 * each with its keys (one YAML line each, nested lines indented from their key), then the
 * top-level lines of `rest` (`overrides:` and its keys...).
 */
export function policy(stages: Partial<Record<Stage, string[]>>, ...rest: string[]): string {
  const lines = ['version: 1', 'environments:'];
  for (const stage of ORDER) {
    const keys = stages[stage];
    if (!keys) continue;
    lines.push(`  - name: ${stage}`, `    github: ${GITHUB_ENVIRONMENT[stage]}`, ...keys.map((k) => `    ${k}`));
  }
  return `${[...lines, ...rest].join('\n')}\n`;
}

/** A stage's freeze window on 2026-03-10 from 16:00 to 18:00 UTC. */
export function freezeWindow(name = 'freeze'): string[] {
  return [
    'freezeWindows:',
    `  - name: ${name}`,
    '    from: "2026-03-10T16:00"',
    '    to: "2026-03-10T18:00"',
    '    timezone: UTC',
  ];
}

/** The overrides section: granted by the release-managers team. */
export function overrides(options: { secondApprover?: boolean; expires?: string } = {}): string[] {
  return [
    'overrides:',
    '  teams: [release-managers]',
    ...(options.secondApprover === undefined ? [] : [`  secondApprover: ${options.secondApprover}`]),
    ...(options.expires === undefined ? [] : [`  expires: ${options.expires}`]),
  ];
}

/** PROD alone, with no rule: everything is allowed. */
export const PROD_ONLY = policy({ PROD: [] });
/** PROD alone, one approval. */
export const PROD_APPROVALS = policy({ PROD: ['minApprovals: 1'] });
/** PROD alone, frozen on 2026-03-10 from 16:00 to 18:00 UTC. */
export const PROD_FROZEN = policy({ PROD: freezeWindow() });
/** DEV, PRE_PROD and PROD with no rule. */
export const PIPELINE = policy({ DEV: [], PRE_PROD: [], PROD: [] });
/** DEV, then PROD with one approval. */
export const DEV_PROD_APPROVALS = policy({ DEV: [], PROD: ['minApprovals: 1'] });

/** A repository's policy that extends the org default (`extends: org`) and sets PROD's `keys`; the org default maps PROD to its GitHub environment. */
export function extendingOrg(...keys: string[]): string {
  return `${['version: 1', 'extends: org', 'environments:', '  - name: PROD', ...keys.map((k) => `    ${k}`)].join('\n')}\n`;
}
