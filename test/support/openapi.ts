import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Checks requests against GitHub's REST description (`@octokit/openapi`): the operation
 * must exist for the method and path, and a JSON body must match its requestBody schema.
 * Used by every test that answers GitHub's part, so a request GitHub would refuse fails
 * the test instead of passing against a lenient fake.
 */

interface Operation {
  operationId?: string;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  literalChars: number;
  operation: Operation;
}

let routes: Route[] | null = null;
const validators = new Map<string, ValidateFunction>();
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);

function loadRoutes(): Route[] {
  if (routes) return routes;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.deref.json');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as { paths: Record<string, Record<string, Operation>> };
  const list: Route[] = [];
  for (const [template, ops] of Object.entries(spec.paths)) {
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => (part.startsWith('{') ? '([^/]+)' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
      .join('');
    // Some parameters (a file path, a ref) may contain slashes.
    const pattern = new RegExp(`^${source.replace('{path}', '(.+)')}$`);
    const loosePattern = new RegExp(
      `^${template
        .split(/(\{[^}]+\})/)
        .map((part) =>
          part === '{path}' || part === '{ref}' || part === '{basehead}'
            ? '(.+)'
            : part.startsWith('{')
              ? '([^/]+)'
              : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'),
        )
        .join('')}$`,
    );
    for (const [method, operation] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const literalChars = template.replace(/\{[^}]+\}/g, '').length;
      list.push({
        method: method.toUpperCase(),
        template,
        pattern:
          template.includes('{path}') || template.includes('{ref}') || template.includes('{basehead}')
            ? loosePattern
            : pattern,
        literalChars,
        operation,
      });
    }
  }
  // The most literal template wins (`/repos/{o}/{r}/check-runs` over `/repos/{o}/{r}/{x}`).
  list.sort((a, b) => b.literalChars - a.literalChars);
  routes = list;
  return list;
}

/** The path of a request URL without GitHub Enterprise's `/api/v3` prefix and without the query. */
export function requestPath(url: string): string {
  const u = new URL(url, 'http://localhost');
  let path = decodeURIComponent(u.pathname);
  if (path.startsWith('/api/v3/')) path = path.slice('/api/v3'.length);
  return path;
}

/** The REST operation a request is for, or null when GitHub has none. */
export function findOperation(method: string, url: string): { template: string; operationId: string } | null {
  const path = requestPath(url);
  const m = method.toUpperCase();
  const route = loadRoutes().find((r) => r.method === m && r.pattern.test(path));
  return route
    ? { template: route.template, operationId: route.operation.operationId ?? `${m} ${route.template}` }
    : null;
}

/**
 * GitHub's description writes OpenAPI's `nullable: true` beside `oneOf` without a `type` (the
 * issue's `title`, `milestone`), which Ajv refuses to compile: such a schema becomes
 * `anyOf: [itself, null]`, the meaning OpenAPI gives it.
 */
function withNullables(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withNullables);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = withNullables(v);
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

export class GitHubRequestError extends Error {
  override readonly name = 'GitHubRequestError';
}

/**
 * Throws when GitHub has no operation for `method url`, or when the JSON `body` does not
 * match the operation's request schema. Returns the path template that matched.
 */
export function assertRequestMatchesGitHub(method: string, url: string, body?: unknown): string {
  const path = requestPath(url);
  const m = method.toUpperCase();
  const route = loadRoutes().find((r) => r.method === m && r.pattern.test(path));
  if (!route) throw new GitHubRequestError(`GitHub's REST API has no operation ${m} ${path}`);
  const schema = route.operation.requestBody?.content?.['application/json']?.schema;
  const hasBody = body !== undefined && body !== null && !(typeof body === 'string' && body.length === 0);
  if (!schema) {
    if (hasBody && m !== 'GET' && m !== 'DELETE')
      throw new GitHubRequestError(
        `${m} ${route.template} takes no JSON body, got ${JSON.stringify(body).slice(0, 200)}`,
      );
    return route.template;
  }
  const key = `${m} ${route.template}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(withNullables(schema) as object);
    validators.set(key, validate);
  }
  const parsed = typeof body === 'string' ? (JSON.parse(body) as unknown) : body;
  if (!validate(parsed === undefined ? {} : parsed)) {
    throw new GitHubRequestError(
      `${m} ${route.template}: the body does not match GitHub's schema: ${ajv.errorsText(validate.errors)}; body: ${JSON.stringify(parsed).slice(0, 500)}`,
    );
  }
  return route.template;
}
