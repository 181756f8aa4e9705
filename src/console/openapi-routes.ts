import type { ApiRoute } from './openapi-route.js';
import { RELEASE_ROUTE } from './openapi-release-route.js';
import {
  str,
  strOrNull,
  zoned,
  repoSummary,
  waiting,
  auditRecord,
  decisionSummary,
  auditFilters,
  queueItem,
  policyState,
  stageWithRunning,
  freezeNow,
  repeatedAuditRecord,
} from './openapi-schemas.js';

const tzParam = {
  name: 'tz',
  description: "The viewer's IANA time zone (default: the browser's, remembered in a cookie, else UTC).",
  schema: str,
};

/** The read operations of `/api/v1`. */
export const READ_ROUTES: ApiRoute[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This document.',
    auth: false,
    response: {
      type: 'object',
      required: ['openapi', 'info', 'paths'],
      properties: {
        openapi: { const: '3.1.0' },
        info: { type: 'object', properties: { title: str, version: str } },
        paths: { type: 'object', additionalProperties: { type: 'object' } },
      },
    },
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
    summary:
      'What waits on the user (see /queue), then each repository of the App that the user can read: its stages in order with what runs in each (and who approved it) and what waits, and the freeze in force or coming.',
    auth: true,
    query: [tzParam],
    response: {
      type: 'object',
      required: ['user', 'viewerTimeZone', 'now', 'queue', 'repositories'],
      properties: {
        user: { type: 'object', required: ['login'], properties: { login: str } },
        viewerTimeZone: str,
        now: str,
        queue: { type: 'array', items: queueItem },
        repositories: {
          type: 'array',
          items: {
            allOf: [
              repoSummary,
              {
                type: 'object',
                required: ['policy', 'stages', 'freezes'],
                properties: {
                  policy: policyState,
                  stages: { type: 'array', items: stageWithRunning },
                  freezes: { type: 'array', items: freezeNow },
                },
              },
            ],
          },
        },
      },
    },
  },
  {
    method: 'GET',
    path: '/queue',
    operationId: 'getQueue',
    summary:
      "Gates of every repository the user can act on that wait for an approval or override of theirs that would count there (team requirements, excludeAuthor, the deployer: as the App's actions judge it), oldest first with their age.",
    auth: true,
    query: [tzParam],
    response: {
      type: 'object',
      required: ['user', 'now', 'items'],
      properties: {
        user: { type: 'object', properties: { login: str } },
        now: str,
        items: { type: 'array', items: queueItem },
      },
    },
  },
  {
    method: 'GET',
    path: '/search',
    operationId: 'searchReleases',
    summary:
      'Releases of the repositories the user can read, by SHA prefix (7-40 hex digits), version or tag, or pull request number (#123), newest first.',
    auth: true,
    query: [{ name: 'q', description: 'What to look for.', schema: { type: 'string', minLength: 1, maxLength: 100 } }],
    response: {
      type: 'object',
      required: ['query', 'items'],
      properties: {
        query: str,
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: ['repo', 'sha', 'matched', 'at'],
            properties: {
              repo: str,
              sha: str,
              ref: strOrNull,
              version: strOrNull,
              tag: strOrNull,
              matched: { enum: ['sha', 'version', 'tag', 'pull'] },
              at: str,
            },
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
    query: [tzParam, { name: 'cursor', description: 'The nextCursor of the previous page of decisions.', schema: str }],
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
        stages: { type: 'array', items: stageWithRunning },
        freezesNow: { type: 'array', items: freezeNow },
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
  RELEASE_ROUTE,
  {
    method: 'GET',
    path: '/audit',
    operationId: 'getAudit',
    summary: 'The audit trail of the repositories the user can read, newest first, filtered, one page at a time.',
    auth: true,
    query: [
      ...auditFilters,
      {
        name: 'collapse',
        description:
          'true (default): identical events of a release in a row (a wait re-checked without change) are one item with repeats; false: every event.',
        schema: { enum: ['true', 'false'] },
      },
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
      properties: { items: { type: 'array', items: repeatedAuditRecord }, nextCursor: strOrNull },
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
