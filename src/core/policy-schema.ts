/**
 * The JSON Schema (draft 2020-12) of `.github/release-policy.yml`: the single source of
 * truth for both formats (v1 and the Aurora format). `policy.schema.json` at the root is
 * written from it by `npm run schema`; editors use that file through
 * `# yaml-language-server: $schema=...`. The loader validates with it and then checks what
 * a schema cannot say (real time zones, calendar dates, weights summing to 100, unique names).
 */
import { EVIDENCE_KINDS } from './types.js';
import { DURATION_FORM } from './time-values.js';
import { dailyWindowProperties, freezeWindowDefs } from './policy/freeze-window-schema.js';
import { POLICY_LIMITS, ref } from './policy/limits.js';
import { notifyProperty, VERIFY_STAGE_DEFAULTS, verifyStageProperties } from './policy/verify-schema.js';

export { POLICY_LIMITS } from './policy/limits.js';

/**
 * The default of every key a policy may leave out, as a policy file would write it: the one
 * place a key gets its default. The loader builds the typed policy from it (a stage key whose
 * name is its field's, such as a new rule's, is taken over as written or from here), and the
 * Aurora format starts from the same stage defaults. A stage's `github` defaults to its name.
 */
export const POLICY_DEFAULTS = {
  strict: false,
  stage: {
    refs: [] as string[],
    minApprovals: 0,
    approvals: { excludeAuthor: true, fromTeams: [] as string[] },
    requiredReviewers: [] as Array<{ paths: string[]; teams: string[] }>,
    minScore: null as number | null,
    requiredChecks: [] as Array<
      string | { name: string; app?: string; workflow?: string; status?: boolean; creator?: string }
    >,
    requiredEvidence: [] as string[],
    soak: { minutes: 0 },
    freezeWindows: [] as unknown[],
    deployDuration: '0s',
    onBlocked: 'wait' as 'wait' | 'reject',
    autoPromote: false,
    requireLinkedIssue: false,
    ...VERIFY_STAGE_DEFAULTS,
  },
  scoring: {
    weights: { tests: 40, coverage: 20, security: 20, checklist: 20 },
    warnScore: null as number | null,
    coverageTarget: 80,
    allowedSarifLevels: ['note', 'none'] as Array<'error' | 'warning' | 'note' | 'none'>,
    backupMaxAge: '24h',
  },
  overrides: { teams: [] as string[], secondApprover: false, expires: '24h' },
  evidence: { workflows: [] as string[] },
};

const name = { type: 'string', minLength: 1, maxLength: POLICY_LIMITS.text } as const;
const names = (description: string) =>
  ({
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: POLICY_LIMITS.text },
    maxItems: POLICY_LIMITS.list,
    uniqueItems: true,
    description,
  }) as const;

export const policySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Release Gate policy',
  description:
    'The release policy of a repository (.github/release-policy.yml): the promotion path and the rules each stage holds releases to.',
  if: { type: 'object', required: ['policy'] },
  then: ref('auroraPolicy'),
  else: ref('policyV1'),
  $defs: {
    ...freezeWindowDefs,
    environment: {
      type: 'object',
      description: 'A stage of the promotion path and the rules a release must meet to enter it.',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { ...name, description: 'The stage name, e.g. DEV, PRE_PROD, PROD.' },
        github: {
          type: ['string', 'array'],
          minLength: 1,
          maxLength: POLICY_LIMITS.text,
          items: { type: 'string', minLength: 1, maxLength: POLICY_LIMITS.text },
          minItems: 1,
          maxItems: POLICY_LIMITS.list,
          uniqueItems: true,
          description: 'GitHub environment name(s) this stage covers; defaults to the stage name.',
        },
        refs: {
          type: 'array',
          items: { type: 'string', minLength: 1, maxLength: POLICY_LIMITS.text },
          minItems: 1,
          maxItems: POLICY_LIMITS.list,
          uniqueItems: true,
          description: 'Ref patterns a release must match, e.g. "refs/tags/v*"; any ref when left out.',
        },
        minApprovals: {
          type: 'integer',
          minimum: 0,
          maximum: POLICY_LIMITS.minApprovals,
          description: 'Distinct approvals needed (default 0).',
        },
        approvals: {
          type: 'object',
          additionalProperties: false,
          properties: {
            excludeAuthor: {
              type: 'boolean',
              description: "The author's and the deployer's own approvals do not count (default true).",
            },
            fromTeams: names(
              'Approvals count toward minApprovals only from members of these teams (the release owners). It does not limit requiredReviewers: a required review counts from a member of its own teams.',
            ),
          },
        },
        requiredReviewers: {
          type: 'array',
          description:
            "Technical reviews: when a file changed since the last deployment to the last stage matches an entry's paths, an approval from a member of its teams is needed, whether or not they are in approvals.fromTeams. It is counted as any approval is (the latest review per person, not stale, not the author's or the deployer's when excludeAuthor); a member of both teams fills both roles. When the changed files are unknown (the first release to the last stage), every entry applies.",
          maxItems: POLICY_LIMITS.list,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['paths', 'teams'],
            properties: {
              paths: { ...names('Glob patterns of changed files.'), minItems: 1 },
              teams: {
                ...names('Teams whose members may give the review, whether or not they are in approvals.fromTeams.'),
                minItems: 1,
              },
            },
          },
        },
        minScore: {
          type: 'number',
          minimum: 0,
          maximum: 100,
          description: 'Minimum evidence score (0-100); not checked when left out.',
        },
        requiredChecks: {
          type: 'array',
          maxItems: POLICY_LIMITS.list,
          description:
            'Checks of the release commit that must have passed, each from a source the policy trusts: a name alone is a check run by any GitHub App; { name, app } a check run by that App; { name, workflow } a job of that GitHub Actions workflow; { name, status: true, creator } a commit status posted by that login.',
          items: {
            anyOf: [
              { ...name, description: 'A check run of this name, by any GitHub App.' },
              {
                type: 'object',
                additionalProperties: false,
                required: ['name'],
                properties: {
                  name: { ...name, description: 'The check run or commit status name (its context).' },
                  app: {
                    ...name,
                    description: 'The slug of the GitHub App whose check run counts (github-actions...).',
                  },
                  workflow: {
                    ...name,
                    description:
                      'The workflow file whose job the check run must be (.github/workflows/ci.yml): a job of GitHub Actions, unchanged from the default branch.',
                  },
                  status: { const: true, description: 'A commit status, not a check run: needs creator.' },
                  creator: { ...name, description: 'The login whose commit status counts (with status: true).' },
                },
              },
            ],
          },
        },
        requiredEvidence: {
          type: 'array',
          items: { enum: [...EVIDENCE_KINDS] },
          uniqueItems: true,
          description: 'Evidence kinds that must be present.',
        },
        soak: {
          type: 'object',
          additionalProperties: false,
          required: ['minutes'],
          properties: {
            minutes: {
              type: 'integer',
              minimum: 0,
              maximum: POLICY_LIMITS.soakMinutes,
              description: 'Minutes the same release must have run in the previous stage (at most 30 days).',
            },
          },
        },
        freezeWindows: {
          type: 'array',
          items: ref('freezeWindow'),
          maxItems: POLICY_LIMITS.freezeWindows,
          description: 'Times no deployment enters this stage.',
        },
        deployDuration: {
          ...ref('duration'),
          description: `How long a deploy runs (default 0s, at most 7d): ${DURATION_FORM}.`,
        },
        onBlocked: {
          enum: ['wait', 'reject'],
          description: 'wait: hold the deployment until it clears (default); reject: reject it at once.',
        },
        autoPromote: {
          type: 'boolean',
          description: "Create the next stage's deployment when its gate allows it (default false).",
        },
        requireLinkedIssue: {
          type: 'boolean',
          description:
            'Every pull request the release came from must name an issue in its title or body: #123, owner/repo#123 or the issue URL (default false).',
        },
        ...verifyStageProperties,
      },
    },
    scoring: {
      type: 'object',
      description: 'Weights of the evidence kinds (summing to 100) and scoring settings.',
      additionalProperties: false,
      properties: {
        ...Object.fromEntries(
          EVIDENCE_KINDS.map((kind) => [
            kind,
            { type: 'integer', minimum: 0, maximum: 100, description: `Weight of ${kind}.` },
          ]),
        ),
        warnScore: {
          type: 'number',
          minimum: 0,
          maximum: 100,
          description:
            "Scores from warnScore up to a stage's minScore need an override team's approval instead of blocking.",
        },
        coverageTarget: {
          type: 'number',
          minimum: 0,
          maximum: 100,
          description: 'Line coverage (percent) earning full marks (default 80).',
        },
        allowedSarifLevels: {
          type: 'array',
          items: { enum: ['error', 'warning', 'note', 'none'] },
          uniqueItems: true,
          description: 'SARIF levels that cost no points (default [note, none]).',
        },
        backupMaxAge: {
          ...ref('duration'),
          description: `A backup record older than this does not count (default 24h, at most 366d): ${DURATION_FORM}.`,
        },
      },
    },
    overrides: {
      type: 'object',
      description: 'Who may grant an exception to the rules, and how.',
      additionalProperties: false,
      properties: {
        teams: names('Teams whose members may grant an override.'),
        secondApprover: { type: 'boolean', description: 'A second member must confirm an override (default false).' },
        expires: {
          ...ref('duration'),
          description: `How long an override stays usable (default 24h, at most 30d): ${DURATION_FORM}.`,
        },
      },
    },
    evidence: {
      type: 'object',
      description: 'Where evidence may come from.',
      additionalProperties: false,
      properties: {
        workflows: {
          type: 'array',
          items: { type: 'string', minLength: 1, maxLength: POLICY_LIMITS.text },
          maxItems: POLICY_LIMITS.list,
          uniqueItems: true,
          description:
            'Workflow files allowed to publish the "Release evidence" check run, e.g. .github/workflows/ci.yml; any workflow when left out or empty.',
        },
      },
    },
    policyV1: {
      type: 'object',
      additionalProperties: false,
      required: ['version'],
      // A file that extends the org default may leave the stages to it.
      if: { required: ['extends'] },
      then: true,
      else: { required: ['environments'] },
      properties: {
        $schema: { type: 'string' },
        version: { const: 1, description: 'The policy format version: 1.' },
        extends: {
          const: 'org',
          description:
            "Build on the org default: .github/release-policy.yml in the owner's .github repository. This file's stages are merged into the org's by name, key by key; scoring and overrides key by key; strict when given.",
        },
        environments: {
          type: 'array',
          minItems: 1,
          maxItems: POLICY_LIMITS.stages,
          items: ref('environment'),
          description:
            "The promotion path, in order. With extends: org, stages merged into the org default's by name (new ones go after the stage listed before them).",
        },
        scoring: ref('scoring'),
        overrides: ref('overrides'),
        evidence: ref('evidence'),
        ...notifyProperty,
        strict: {
          type: 'boolean',
          description:
            'Reject environments the policy does not name instead of approving them as ungated (default false).',
        },
        sync: {
          enum: ['environments', 'off'],
          description:
            'environments: the App creates the missing GitHub environments of each stage, enables its deployment protection rule on them and sets their ref policies from refs; it never removes what a person configured (default off).',
        },
      },
    },
    auroraPolicy: {
      type: 'object',
      description:
        'The Aurora format: stages DEV, PRE_PROD, PROD; the rules apply to PROD, freeze windows to their env.',
      additionalProperties: false,
      required: ['policy'],
      properties: {
        $schema: { type: 'string' },
        policy: {
          type: 'object',
          additionalProperties: false,
          properties: {
            minApprovals: {
              type: 'integer',
              minimum: 0,
              maximum: POLICY_LIMITS.minApprovals,
              description: 'Approvals needed to enter PROD.',
            },
            minScore: { type: 'number', minimum: 0, maximum: 100, description: 'Evidence score needed to enter PROD.' },
            freezeWindows: {
              type: 'array',
              maxItems: POLICY_LIMITS.freezeWindows,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['env', 'start', 'end', 'timezone'],
                properties: {
                  env: { enum: ['DEV', 'PRE_PROD', 'PROD'], description: 'The stage the window applies to.' },
                  ...dailyWindowProperties,
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

/** The text of `policy.schema.json`: 2-space JSON with a trailing newline. */
export function renderPolicySchema(): string {
  return `${JSON.stringify(policySchema, null, 2)}\n`;
}
