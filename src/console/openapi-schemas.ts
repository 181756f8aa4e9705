import { RELEASE_EVENT_TYPES } from '../store/types.js';

/** The JSON Schemas of the console API's answers, shared by the routes (`openapi-routes.ts`). */
export const str = { type: 'string' };
export const strOrNull = { type: ['string', 'null'] };
export const repoParams = ['owner', 'repo'];

export const zoned = {
  type: 'object',
  required: ['at', 'zones'],
  properties: {
    at: str,
    zones: {
      type: 'array',
      items: { type: 'object', properties: { timeZone: str, local: str, role: { enum: ['window', 'viewer'] } } },
    },
  },
};
export const names = { type: 'array', items: str };
/** `values.role` of the approvals and reviewers results: `RoleStatus` of src/core/rules/roles.ts. */
export const role = {
  type: 'object',
  description:
    "A role of the stage's approvals: the release approval (minApprovals from approvals.fromTeams) or the technical review of one requiredReviewers entry. A person may still fill it when missing > 0, they are in one of teams (anyone when teams is empty), not in excluded and not in counted.",
  required: [
    'kind',
    'teams',
    'paths',
    'needed',
    'touched',
    'touchedCount',
    'required',
    'counted',
    'missing',
    'excluded',
    'unreadable',
  ],
  additionalProperties: false,
  properties: {
    kind: { enum: ['release', 'review'] },
    teams: names,
    paths: names,
    needed: { type: 'boolean', description: 'False for a review no changed file triggers.' },
    touched: {
      type: ['array', 'null'],
      items: str,
      description: 'Matching changed files (at most 20); null when the changed files are unknown.',
    },
    touchedCount: { type: 'integer' },
    required: { type: 'integer' },
    counted: { ...names, description: 'Who counted for the role.' },
    missing: { type: 'integer', description: 'How many more approvals the role needs.' },
    excluded: {
      ...names,
      description: "Whose approval cannot count: the release's authors, contributors and deployer when excludeAuthor.",
    },
    unreadable: {
      type: 'array',
      items: { type: 'object', required: ['team', 'reason'], properties: { team: str, reason: str } },
      description: 'Teams of the role whose membership could not be read, and why.',
    },
  },
};
export const rule = {
  type: 'object',
  required: ['code', 'ok', 'outcome', 'message'],
  properties: {
    code: str,
    rule: str,
    ok: { type: 'boolean' },
    outcome: { enum: ['pass', 'wait', 'block'] },
    message: str,
    values: {
      type: 'object',
      description: 'The values the rule compared; the approvals and reviewers results carry their role in `role`.',
      properties: { role },
    },
    clearsAt: strOrNull,
    overriddenBy: strOrNull,
  },
};
export const stage = {
  type: 'object',
  required: ['name', 'environments', 'current', 'waiting'],
  properties: {
    name: str,
    environments: { type: 'array', items: str },
    current: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: { sha: str, ref: strOrNull, deploymentId: { type: 'integer' }, state: strOrNull, at: str },
        },
      ],
    },
    waiting: { type: 'integer', minimum: 0 },
  },
};
export const repoSummary = {
  type: 'object',
  required: ['fullName', 'owner', 'name', 'role'],
  properties: { fullName: str, owner: str, name: str, role: { enum: ['admin', 'approver', 'viewer'] }, htmlUrl: str },
};
export const waiting = {
  type: 'object',
  properties: {
    gateId: { type: 'integer' },
    sha: str,
    environment: str,
    stage: strOrNull,
    since: str,
    decidedAt: strOrNull,
    waitsFor: { type: 'array', items: rule },
    clears: { oneOf: [{ type: 'null' }, zoned] },
  },
};
export const auditRecord = {
  type: 'object',
  required: ['at', 'repo', 'sha', 'type', 'id'],
  properties: {
    at: str,
    repo: str,
    sha: str,
    version: strOrNull,
    environment: strOrNull,
    type: { enum: [...RELEASE_EVENT_TYPES] },
    status: strOrNull,
    actor: strOrNull,
    notes: strOrNull,
    deliveryId: strOrNull,
    id: { type: 'integer' },
  },
};
export const decisionSummary = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    sha: str,
    environment: str,
    stage: strOrNull,
    decision: { enum: ['allow', 'wait', 'block'] },
    failing: { type: 'array', items: str },
    score: { type: ['number', 'null'] },
    actor: strOrNull,
    at: str,
  },
};
export const gateOutcomes = {
  type: 'array',
  items: { type: 'object', properties: { environment: strOrNull, decision: strOrNull, answer: strOrNull } },
};
/** Every action answers done or unchanged (the same action was taken already), with the sentence a person reads. */
export const actionAnswer = {
  outcome: {
    enum: ['done', 'unchanged'],
    description: 'done, or unchanged when the same action was taken already (nothing was done again).',
  },
  message: str,
};
export const actionOption = {
  type: 'object',
  properties: {
    allowed: { type: 'boolean', description: 'The viewer may take it here (role, teams, something to act on).' },
    counts: { type: 'boolean', description: 'Taking it would count (an approval counted, an override in force).' },
    reason: str,
  },
};

export const auditFilters = [
  { name: 'repo', description: 'Only this repository (owner/name).', schema: str },
  { name: 'stage', description: 'Only events of this stage (or GitHub environment).', schema: str },
  { name: 'actor', description: 'Only events by this GitHub user.', schema: str },
  {
    name: 'decision',
    description: 'Only gate events with this decision.',
    schema: { enum: ['allow', 'wait', 'block'] },
  },
  { name: 'type', description: 'Only events of this type.', schema: { enum: [...RELEASE_EVENT_TYPES] } },
  {
    name: 'since',
    description: 'At or after: ISO-8601 date or date-time, or a span back from now (30d, 12h, 90m).',
    schema: str,
  },
  { name: 'until', description: 'Before: same forms as since.', schema: str },
];

const int = { type: 'integer' };
const bool = { type: 'boolean' };
const strings = { type: 'array', items: str };

/** Consecutive identical entries shown once. */
export const repeats = {
  repeats: { type: 'integer', minimum: 1, description: 'How many identical entries in a row this one stands for.' },
  firstAt: { ...str, description: 'The first of them; `at` is the latest.' },
};
export const repeatedAuditRecord = {
  ...auditRecord,
  required: [...auditRecord.required, 'repeats', 'firstAt'],
  properties: { ...auditRecord.properties, ...repeats },
};

export const running = {
  type: 'object',
  description: 'What runs in the stage: its last deployment whose success the gate proved.',
  required: ['sha', 'environment', 'deploymentId', 'at', 'approvedBy'],
  properties: {
    sha: str,
    ref: strOrNull,
    environment: str,
    deploymentId: int,
    at: { ...str, description: 'When its success was proven.' },
    approvedBy: { ...strings, description: 'Whose approvals let it through.' },
    approvedAt: strOrNull,
    deployer: strOrNull,
    runUrl: { ...strOrNull, description: 'The workflow run the gate approved, on GitHub.' },
  },
};

export const stageWithRunning = {
  ...stage,
  required: [...stage.required, 'running'],
  properties: { ...stage.properties, running: { oneOf: [{ type: 'null' }, running] } },
};

export const freezeNow = {
  type: 'object',
  required: ['stage', 'windows', 'active', 'start', 'end'],
  properties: {
    stage: str,
    windows: strings,
    active: { ...bool, description: 'In force now (else the next freeze within a week).' },
    start: zoned,
    end: zoned,
  },
};

export const queueItem = {
  type: 'object',
  required: ['repo', 'sha', 'stage', 'environment', 'gateId', 'since', 'ageMinutes', 'waitsFor', 'actions'],
  properties: {
    repo: str,
    sha: str,
    version: strOrNull,
    ref: strOrNull,
    stage: str,
    environment: str,
    gateId: int,
    since: str,
    ageMinutes: int,
    waitsFor: { type: 'array', items: rule },
    actions: {
      type: 'array',
      items: { enum: ['approve', 'override', 'reject'] },
      description: 'What the viewer can do here that would count.',
    },
    reason: str,
    runUrl: str,
  },
};

export const nextStep = {
  type: 'object',
  required: ['kind', 'text', 'href', 'codes', 'until'],
  properties: {
    kind: { enum: ['approve', 'ask', 'override', 'rerun', 'wait', 'promote', 'rollback', 'fix', 'deploy'] },
    text: str,
    href: { ...strOrNull, description: 'Where to do it: GitHub, or an anchor of the release page.' },
    codes: { ...strings, description: 'The rule codes an override would lift.' },
    until: { oneOf: [{ type: 'null' }, zoned] },
  },
};

export const stageVerdict = {
  type: 'object',
  required: ['stage', 'environments', 'verdict', 'rules', 'next'],
  properties: {
    stage: str,
    environments: strings,
    verdict: { enum: ['allowed', 'waiting', 'rejected', 'not reached'] },
    decidedAt: strOrNull,
    rejectedBy: strOrNull,
    rules: { type: 'array', items: rule, description: 'The rules that hold the release in this stage.' },
    next: { type: 'array', items: nextStep },
    runUrl: strOrNull,
    checkRunUrl: strOrNull,
    deployed: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          required: ['environment', 'at'],
          properties: {
            environment: str,
            state: strOrNull,
            at: str,
            verification: {
              oneOf: [
                { type: 'null' },
                {
                  type: 'object',
                  required: ['state'],
                  description: 'With verify on the stage: running, verified, failed or inconclusive, and since when.',
                  properties: { state: str, at: strOrNull },
                },
              ],
            },
          },
        },
      ],
    },
  },
};

export const evidence = {
  type: 'object',
  required: ['score', 'breakdown'],
  properties: {
    score: { type: ['number', 'null'] },
    breakdown: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'points'],
        properties: {
          kind: str,
          points: { type: 'number' },
          weight: { type: ['number', 'null'] },
          present: { type: ['boolean', 'null'] },
          reasons: strings,
        },
      },
    },
  },
};

export const overrideView = {
  type: 'object',
  required: ['status', 'id', 'environment', 'grantedBy', 'reason', 'risk', 'rules', 'grantedAt'],
  properties: {
    status: { enum: ['active', 'awaiting confirmation', 'used', 'expired'] },
    id: str,
    environment: str,
    grantedBy: str,
    confirmedBy: strOrNull,
    reason: str,
    risk: str,
    rules: strings,
    grantedAt: str,
    expiresAt: strOrNull,
    usedAt: strOrNull,
  },
};

export const policyState = {
  type: 'object',
  required: ['ok', 'problems'],
  properties: { ok: bool, problems: strings },
};
