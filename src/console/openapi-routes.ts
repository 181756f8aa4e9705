import type { ApiRoute } from './openapi.js';
import { str, strOrNull, repoParams, zoned, names, role, rule, stage, repoSummary, waiting, auditRecord, decisionSummary, gateOutcomes, actionAnswer, actionOption, auditFilters } from './openapi-schemas.js';

/** The read operations of `/api/v1`. */
export const READ_ROUTES: ApiRoute[] = [
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
];
