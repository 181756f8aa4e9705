import type { ApiRoute } from './openapi-route.js';
import {
  actionOption,
  decisionSummary,
  evidence,
  overrideView,
  repeatedAuditRecord,
  repeats,
  repoSummary,
  rule,
  stageVerdict,
  str,
  strOrNull,
  waiting,
} from './openapi-schemas.js';

const int = { type: 'integer' };
const bool = { type: 'boolean' };

/** The release page's operation. */
export const RELEASE_ROUTE: ApiRoute = {
  method: 'GET',
  path: '/repos/{owner}/{repo}/releases/{sha}',
  operationId: 'getRelease',
  summary:
    'One release (a commit; a SHA prefix of 7 or more digits finds it): its verdict per stage with the rule codes and the next step, links to GitHub, the timeline and decisions (identical ones in a row shown once), overrides, and the actions the user may take.',
  auth: true,
  query: [{ name: 'tz', description: "The viewer's IANA time zone (default UTC).", schema: str }],
  response: {
    type: 'object',
    required: ['repository', 'release', 'timeline', 'decisions', 'actions'],
    properties: {
      repository: repoSummary,
      release: { type: 'object', properties: { sha: str, ref: strOrNull, version: strOrNull, tag: strOrNull } },
      viewerTimeZone: str,
      now: str,
      links: {
        type: 'object',
        required: ['commit', 'pulls', 'pullSearch', 'runs', 'checkRuns'],
        properties: {
          commit: str,
          pulls: {
            type: 'array',
            items: { type: 'object', required: ['number', 'url'], properties: { number: int, title: str, url: str } },
          },
          runs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['runId', 'url'],
              properties: { environment: str, runId: int, url: str },
            },
          },
          checkRuns: {
            type: 'array',
            items: { type: 'object', required: ['url'], properties: { environment: str, url: str } },
          },
        },
      },
      verdicts: {
        type: 'array',
        items: stageVerdict,
        description: 'Each stage in order: where the release stands and what moves it on.',
      },
      timeline: {
        type: 'array',
        items: repeatedAuditRecord,
        description: 'Newest first; identical events in a row shown once.',
      },
      waiting: { type: 'array', items: waiting },
      decisions: {
        type: 'array',
        items: {
          allOf: [
            decisionSummary,
            {
              type: 'object',
              properties: {
                ...repeats,
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
                evidence,
                policy: { type: 'object', properties: { path: strOrNull, blobSha: strOrNull } },
                ungated: bool,
                summaryMarkdown: str,
              },
            },
          ],
        },
      },
      overrides: { type: 'array', items: overrideView },
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
          rollback: {
            ...actionOption,
            properties: { ...actionOption.properties, stage: strOrNull, environment: strOrNull, to: strOrNull },
          },
        },
      },
    },
  },
};
