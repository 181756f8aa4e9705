import type { GitHubModel } from './model.js';
import type { FakeEnvironment } from './types.js';

/** App manifest conversions and the environments of repositories (protection rules, deployment ref policies). */
export function answerSetupRoute(
  gh: GitHubModel,
  method: string,
  path: string,
  b: Record<string, unknown>,
  installation: boolean,
): { status: number; body?: unknown } | null {
  let m: RegExpMatchArray | null;
  if (method === 'POST' && (m = path.match(/^\/app-manifests\/([^/]+)\/conversions$/))) {
    const app = gh.manifestCodes.get(m[1]!);
    if (!app)
      return {
        status: 404,
        body: {
          message: 'Not Found',
          documentation_url: 'https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest',
        },
      };
    gh.manifestCodes.delete(m[1]!);
    const created = gh.manifestApps.find((a) => a.id === app.id);
    if (created) {
      // From now on this fake GitHub is the App's: its OAuth client, its callback URLs.
      gh.oauthClient = { id: created.clientId, secret: created.clientSecret };
      gh.callbackUrls = created.callbackUrls;
      gh.appId = created.id;
    }
    const owner = { login: 'acme', id: 1, type: 'Organization' };
    return {
      status: 201,
      body: {
        ...app,
        node_id: 'A',
        owner,
        description: '',
        external_url: 'https://example.com',
        html_url: `https://github.com/apps/${app.slug}`,
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
        permissions: {},
        events: [],
      },
    };
  }
  m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/environments(?:\/([^/]+)(\/.*)?)?$/);
  if (!m) return null;
  const key = `${m[1]}/${m[2]}`.toLowerCase();
  if (!gh.repos.has(key)) return { status: 404, body: { message: 'Not Found' } };
  const envs = gh.environments.get(key) ?? [];
  gh.environments.set(key, envs);
  const name = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
  const rest = m[4] ?? '';
  const env = name === undefined ? undefined : envs.find((e) => e.name.toLowerCase() === name.toLowerCase());
  const denied = method !== 'GET' && gh.environmentWritesDenied.has(key);
  if (denied)
    return {
      status: 403,
      body: {
        message: installation ? 'Resource not accessible by integration' : 'Must have admin rights to Repository.',
        documentation_url: 'https://docs.github.com/rest/deployments/environments',
      },
    };
  const envJson = (e: FakeEnvironment) => ({
    id: e.id,
    node_id: `E${e.id}`,
    name: e.name,
    url: '',
    html_url: '',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    protection_rules: e.rules.map((r) => ({ id: r.id, node_id: `R${r.id}`, type: 'custom' })),
    deployment_branch_policy: e.branchPolicy,
  });
  const ruleJson = (r: FakeEnvironment['rules'][number]) => ({
    id: r.id,
    node_id: `R${r.id}`,
    enabled: true,
    app: {
      id: r.appId,
      slug: r.slug,
      integration_url: `https://api.github.com/apps/${r.slug}`,
      node_id: `A${r.appId}`,
    },
  });
  if (method === 'GET' && name === undefined)
    return { status: 200, body: { total_count: envs.length, environments: envs.map(envJson) } };
  if (method === 'PUT' && rest === '') {
    let e = env;
    if (!e) {
      e = { id: gh.newId(), name: name!, rules: [], branchPolicy: null, refPolicies: [] };
      envs.push(e);
    }
    if (b.deployment_branch_policy !== undefined)
      e.branchPolicy = b.deployment_branch_policy as FakeEnvironment['branchPolicy'];
    return { status: 200, body: envJson(e) };
  }
  if (!env) return { status: 404, body: { message: 'Not Found' } };
  if (method === 'GET' && rest === '') return { status: 200, body: envJson(env) };
  if (method === 'GET' && rest === '/deployment_protection_rules')
    return {
      status: 200,
      body: { total_count: env.rules.length, custom_deployment_protection_rules: env.rules.map(ruleJson) },
    };
  if (method === 'GET' && rest === '/deployment_protection_rules/apps') {
    const offered = gh.noCustomRules.has(key) ? [] : gh.ruleIntegrations;
    return {
      status: 200,
      body: {
        total_count: offered.length,
        available_custom_deployment_protection_rule_integrations: offered.map((a) => ({
          id: a.id,
          slug: a.slug,
          integration_url: `https://api.github.com/apps/${a.slug}`,
          node_id: `A${a.id}`,
        })),
      },
    };
  }
  if (method === 'POST' && rest === '/deployment_protection_rules') {
    const app = gh.ruleIntegrations.find((a) => a.id === b.integration_id);
    if (!app || gh.noCustomRules.has(key))
      return {
        status: 422,
        body: {
          message: 'Validation Failed',
          errors: [{ message: 'The integration is not available for this environment' }],
        },
      };
    const rule = { id: gh.newId(), appId: app.id, slug: app.slug };
    env.rules.push(rule);
    return { status: 201, body: ruleJson(rule) };
  }
  if (method === 'GET' && rest === '/deployment-branch-policies')
    return {
      status: 200,
      body: {
        total_count: env.refPolicies.length,
        branch_policies: env.refPolicies.map((p) => ({ id: p.id, node_id: `P${p.id}`, name: p.name, type: p.type })),
      },
    };
  if (method === 'POST' && rest === '/deployment-branch-policies') {
    if (!env.branchPolicy?.custom_branch_policies) return { status: 404, body: { message: 'Not Found' } };
    const policy = {
      id: gh.newId(),
      name: String(b.name),
      type: (b.type as 'branch' | 'tag' | undefined) ?? 'branch',
    };
    env.refPolicies.push(policy);
    return { status: 200, body: { id: policy.id, node_id: `P${policy.id}`, name: policy.name, type: policy.type } };
  }
  return { status: 404, body: { message: 'Not Found' } };
}
