import { RELEASE_EVENT_TYPES } from '../store/types.js';
import { DELIVERY_ROUTES } from './delivery-api.js';

/** One operation of `/api/v1`: the router dispatches on this table and the OpenAPI document is built from it. */
export interface ApiRoute {
  method: 'GET' | 'POST';
  /** OpenAPI path template under the server URL `/api/v1`. */
  path: string;
  operationId: string;
  summary: string;
  /** Needs a signed-in user (all but the document itself). */
  auth: boolean;
  query?: Array<{ name: string; description: string; schema: Record<string, unknown> }>;
  body?: Record<string, unknown>;
  response: Record<string, unknown>;
  /** Content types other than JSON that the operation answers with. */
  produces?: string[];
}

const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };
const repoParams = ['owner', 'repo'];

const zoned = {
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
const names = { type: 'array', items: str };
/** `values.role` of the approvals and reviewers results: `RoleStatus` of src/core/rules/roles.ts. */
const role = {
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
const rule = {
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
const stage = {
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
const repoSummary = {
  type: 'object',
  required: ['fullName', 'owner', 'name', 'role'],
  properties: { fullName: str, owner: str, name: str, role: { enum: ['admin', 'approver', 'viewer'] }, htmlUrl: str },
};
const waiting = {
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
const auditRecord = {
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
const decisionSummary = {
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
const gateOutcomes = {
  type: 'array',
  items: { type: 'object', properties: { environment: strOrNull, decision: strOrNull, answer: strOrNull } },
};
/** Every action answers done or unchanged (the same action was taken already), with the sentence a person reads. */
const actionAnswer = {
  outcome: {
    enum: ['done', 'unchanged'],
    description: 'done, or unchanged when the same action was taken already (nothing was done again).',
  },
  message: str,
};
const actionOption = {
  type: 'object',
  properties: {
    allowed: { type: 'boolean', description: 'The viewer may take it here (role, teams, something to act on).' },
    counts: { type: 'boolean', description: 'Taking it would count (an approval counted, an override in force).' },
    reason: str,
  },
};

const auditFilters = [
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

export const API_ROUTES: ApiRoute[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This document.',
    auth: false,
    response: { type: 'object' },
  },
  {
    method: 'GET',
    path: '/me',
    operationId: 'getMe',
    summary: 'The signed-in GitHub user and, for a browser session, its CSRF token.',
    auth: true,
    response: {
      type: 'object',
      required: ['login'],
      properties: { login: str, csrfToken: strOrNull, via: { enum: ['session', 'token'] } },
    },
  },
  {
    method: 'GET',
    path: '/board',
    operationId: 'getBoard',
    summary: 'Repositories of the App that the user can read, their stages in order and what is in each.',
    auth: true,
    response: {
      type: 'object',
      required: ['user', 'repositories'],
      properties: {
        user: { type: 'object', properties: { login: str } },
        repositories: {
          type: 'array',
          items: {
            allOf: [
              repoSummary,
              { type: 'object', properties: { policy: { type: 'object' }, stages: { type: 'array', items: stage } } },
            ],
          },
        },
      },
    },
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}',
    operationId: 'getRepository',
    summary: 'Pipeline, waiting requests, recent decisions, freeze calendar of the next 30 days, the policy in force.',
    auth: true,
    query: [
      { name: 'tz', description: "The viewer's IANA time zone (default UTC).", schema: str },
      { name: 'cursor', description: 'The nextCursor of the previous page of decisions.', schema: str },
    ],
    response: {
      type: 'object',
      required: ['repository', 'policy', 'stages', 'waiting', 'decisions', 'freeze'],
      properties: {
        repository: repoSummary,
        viewerTimeZone: str,
        policy: {
          type: 'object',
          properties: {
            ok: { type: 'boolean' },
            path: str,
            ref: str,
            blobSha: strOrNull,
            commitSha: strOrNull,
            link: str,
            problems: { type: 'array', items: str },
          },
        },
        stages: { type: 'array', items: stage },
        waiting: { type: 'array', items: waiting },
        decisions: {
          type: 'object',
          properties: { items: { type: 'array', items: decisionSummary }, nextCursor: strOrNull },
        },
        freeze: {
          type: 'object',
          properties: {
            from: str,
            to: str,
            stages: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  stage: str,
                  timeZones: { type: 'array', items: str },
                  intervals: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: { windows: { type: 'array', items: str }, start: zoned, end: zoned },
                    },
                  },
                  error: strOrNull,
                },
              },
            },
          },
        },
      },
    },
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/releases/{sha}',
    operationId: 'getRelease',
    summary:
      'One release (a commit): timeline, every decision with its rules, evidence and approvals, overrides, and the actions the user may take.',
    auth: true,
    query: [{ name: 'tz', description: "The viewer's IANA time zone (default UTC).", schema: str }],
    response: {
      type: 'object',
      required: ['repository', 'release', 'timeline', 'decisions', 'actions'],
      properties: {
        repository: repoSummary,
        release: { type: 'object', properties: { sha: str, ref: strOrNull, version: strOrNull, tag: strOrNull } },
        timeline: { type: 'array', items: auditRecord },
        waiting: { type: 'array', items: waiting },
        decisions: {
          type: 'array',
          items: {
            allOf: [
              decisionSummary,
              {
                type: 'object',
                properties: {
                  rules: { type: 'array', items: rule },
                  approvals: {
                    oneOf: [
                      { type: 'null' },
                      {
                        type: 'object',
                        properties: {
                          required: { type: ['integer', 'null'] },
                          counted: { type: 'array', items: str },
                          notCounted: {
                            type: 'array',
                            items: { type: 'object', properties: { login: str, source: str, reason: str } },
                          },
                        },
                      },
                    ],
                  },
                  evidence: { type: 'object' },
                  summaryMarkdown: str,
                },
              },
            ],
          },
        },
        overrides: { type: 'array', items: { type: 'object' } },
        actions: {
          type: 'object',
          description: 'What the viewer can do to the release, whether it would count, and why.',
          properties: {
            stage: strOrNull,
            approve: {
              ...actionOption,
              properties: { ...actionOption.properties, environments: { type: 'array', items: str } },
            },
            reject: {
              ...actionOption,
              properties: { ...actionOption.properties, environments: { type: 'array', items: str } },
            },
            override: {
              ...actionOption,
              properties: {
                ...actionOption.properties,
                stages: { type: 'array', items: str },
                secondApprover: { type: 'boolean' },
                pendingConfirmation: {
                  type: 'array',
                  items: { type: 'object', properties: { id: str, stage: str, grantedBy: str } },
                },
              },
            },
            promote: { ...actionOption, properties: { ...actionOption.properties, target: strOrNull } },
          },
        },
      },
    },
  },
  {
    method: 'GET',
    path: '/audit',
    operationId: 'getAudit',
    summary: 'The audit trail of the repositories the user can read, newest first, filtered, one page at a time.',
    auth: true,
    query: [
      ...auditFilters,
      { name: 'cursor', description: 'The nextCursor of the previous page.', schema: str },
      {
        name: 'limit',
        description: 'Events per page, 1 to 200 (default 50).',
        schema: { type: 'integer', minimum: 1, maximum: 200 },
      },
    ],
    response: {
      type: 'object',
      required: ['items', 'nextCursor'],
      properties: { items: { type: 'array', items: auditRecord }, nextCursor: strOrNull },
    },
  },
  {
    method: 'GET',
    path: '/audit/export',
    operationId: 'exportAudit',
    summary: 'The filtered audit trail, oldest first, as JSON or CSV: the shapes of `release-gate audit`.',
    auth: true,
    query: [
      ...auditFilters,
      { name: 'format', description: 'json (default) or csv.', schema: { enum: ['json', 'csv'] } },
    ],
    response: { type: 'array', items: auditRecord },
    produces: ['text/csv'],
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/releases/{sha}/approve',
    operationId: 'approveRelease',
    summary:
      "Approve what of the release waits (an approver's approval, counted like a deployment review), then re-evaluate.",
    auth: true,
    body: {
      type: 'object',
      properties: {
        environment: {
          type: 'string',
          description: 'The waiting environment or stage; all waiting ones when left out.',
        },
      },
    },
    response: {
      type: 'object',
      properties: {
        ...actionAnswer,
        approved: { type: 'array', items: str },
        by: str,
        gates: gateOutcomes,
        promotions: { type: 'integer', description: 'Held promotions looked at again.' },
      },
    },
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/releases/{sha}/reject',
    operationId: 'rejectRelease',
    summary:
      "Reject what of the release waits: a protection rule request is answered rejected with the user's name and reason, a held promotion is dropped.",
    auth: true,
    body: {
      type: 'object',
      required: ['reason'],
      properties: {
        environment: {
          type: 'string',
          description: 'The waiting environment or stage; all waiting ones when left out.',
        },
        reason: { type: 'string', minLength: 1, maxLength: 500 },
      },
    },
    response: {
      type: 'object',
      properties: {
        ...actionAnswer,
        rejected: {
          type: 'array',
          items: {
            type: 'object',
            properties: { environment: str, answer: { enum: ['approved', 'rejected', 'dropped', null] } },
          },
        },
        by: str,
        reason: str,
      },
    },
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/releases/{sha}/override',
    operationId: 'overrideRelease',
    summary:
      "Grant (or, as a second member, confirm) an exception for a stage, with reason and risk; members of the policy's overrides.teams only.",
    auth: true,
    body: {
      type: 'object',
      required: ['stage', 'reason', 'risk'],
      properties: {
        stage: str,
        reason: { type: 'string', minLength: 1, maxLength: 2000 },
        risk: { type: 'string', minLength: 1, maxLength: 2000 },
        rules: { type: 'array', items: str },
      },
    },
    response: {
      type: 'object',
      properties: {
        override: {
          type: 'object',
          properties: {
            status: { enum: ['granted', 'confirmed'] },
            id: str,
            needsConfirmation: { type: 'boolean' },
            expiresAt: strOrNull,
          },
        },
        ...actionAnswer,
        stage: str,
        by: str,
        gates: gateOutcomes,
        promotions: { type: 'integer', description: 'Held promotions looked at again.' },
      },
    },
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/releases/{sha}/promote',
    operationId: 'promoteRelease',
    summary:
      'Deploy the release to its next stage, with the user as its deployer: created when the gate allows, held until it does when it waits, refused when it blocks. Once per release and stage.',
    auth: true,
    body: {
      type: 'object',
      properties: {
        stage: { type: 'string', description: 'The expected next stage; refused when it is not the next one.' },
      },
    },
    response: {
      type: 'object',
      properties: {
        ...actionAnswer,
        promotionId: { type: ['integer', 'null'] },
        deploymentId: { type: ['integer', 'null'], description: 'Null while the promotion is held.' },
        stage: str,
        environment: str,
        gateDecision: { enum: ['allow', 'wait', null] },
        waitingFor: { type: 'array', items: str, description: 'The rule codes a held promotion waits for.' },
        heldUntil: strOrNull,
        by: str,
      },
    },
  },
  ...DELIVERY_ROUTES,
];

function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
}

const ERROR_STATUSES: Record<string, string> = {
  '400': 'A parameter or the body is wrong; the message names it.',
  '401': 'Not signed in, or GitHub does not know the bearer token as one of this App.',
  '403': 'Signed in, but the role (or the CSRF token) does not allow this.',
  '404': 'No such repository or release that the user can read.',
  '409': 'The state does not allow it (nothing waits, the gate blocks, the last stage).',
  '422': 'A field is missing or not allowed (an own release, an unknown stage).',
  '429': 'Too many requests: wait Retry-After seconds.',
};

/** The OpenAPI 3.1 document of `/api/v1`. */
export function openApiDocument(serverUrl = '/api/v1'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of API_ROUTES) {
    const parameters = [
      ...pathParams(r.path).map((name) => ({
        name,
        in: 'path',
        required: true,
        description:
          name === 'sha'
            ? 'A commit SHA (7 to 40 hex digits).'
            : repoParams.includes(name)
              ? `The repository's ${name}.`
              : name,
        schema: { type: 'string' },
      })),
      ...(r.query ?? []).map((q) => ({
        name: q.name,
        in: 'query',
        required: false,
        description: q.description,
        schema: q.schema,
      })),
      ...(r.auth && r.method === 'POST'
        ? [
            {
              name: 'X-CSRF-Token',
              in: 'header',
              required: false,
              description: 'The csrfToken of GET /me; needed with a browser session, not with a bearer token.',
              schema: { type: 'string' },
            },
          ]
        : []),
    ];
    const responses: Record<string, unknown> = {
      '200': {
        description: 'OK',
        content: {
          'application/json': { schema: r.response },
          ...Object.fromEntries((r.produces ?? []).map((t) => [t, { schema: { type: 'string' } }])),
        },
      },
    };
    if (r.auth)
      for (const [code, description] of Object.entries(ERROR_STATUSES))
        responses[code] = {
          description,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        };
    paths[r.path] ??= {};
    paths[r.path]![r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.auth ? {} : { security: [] }),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: false,
              content: {
                'application/json': { schema: r.body },
                'application/x-www-form-urlencoded': { schema: r.body },
              },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Release Gate console API',
      version: '1',
      description:
        "What the release console shows and does, as JSON. Sign in with GitHub in the browser (a session cookie; POSTs carry the X-CSRF-Token of GET /me), or send `Authorization: Bearer <user token of this GitHub App>` (checked with GitHub; a personal access token or another app's token is refused). Roles per repository come from GitHub: admin/maintain -> admin, write -> approver, read/triage -> viewer; a repository you cannot read answers 404.",
    },
    servers: [{ url: serverUrl }],
    security: [{ githubToken: [] }, { session: [] }],
    paths,
    components: {
      securitySchemes: {
        githubToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'A user access token of this GitHub App (its OAuth web or device flow).',
        },
        session: { type: 'apiKey', in: 'cookie', name: 'rg_session' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: { type: 'object', required: ['code', 'message'], properties: { code: str, message: str } },
          },
        },
      },
    },
  };
}

/** The route of a request under `/api/v1`, with its path parameters. */
export function matchApiRoute(
  method: string,
  path: string,
): { route: ApiRoute; params: Record<string, string> } | { allowed: string[] } | null {
  const allowed: string[] = [];
  for (const r of API_ROUTES) {
    const names = pathParams(r.path);
    const re = new RegExp(`^${r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '([^/]+)')}$`);
    const m = re.exec(path);
    if (!m) continue;
    if (r.method !== method) {
      allowed.push(r.method);
      continue;
    }
    const params: Record<string, string> = {};
    names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    return { route: r, params };
  }
  return allowed.length > 0 ? { allowed } : null;
}
