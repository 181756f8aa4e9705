import { ACTION_ROUTES } from './openapi-action-routes.js';
import { READ_ROUTES } from './openapi-routes.js';
import { DELIVERY_ROUTES } from './delivery-api.js';
import { str } from './openapi-schemas.js';
import type { ApiRoute } from './openapi-route.js';

export type { ApiRoute } from './openapi-route.js';

export const API_ROUTES: ApiRoute[] = [...READ_ROUTES, ...ACTION_ROUTES, ...DELIVERY_ROUTES];

const repoParams = ['owner', 'repo'];

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
