import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../support/processes.js';

/**
 * deploy/kubernetes against Kubernetes' own schemas (the kubernetes-models package): each
 * object validates (types, required fields, formats), and, type-checked as an object literal
 * of the model's interface, has no field Kubernetes does not know (a typo would be dropped
 * silently by the API server). Then what the App needs of it.
 */

const DIR = join(ROOT, 'deploy/kubernetes');
const MODELS = {
  Deployment: { module: 'kubernetes-models/apps/v1', model: Deployment },
  PodDisruptionBudget: { module: 'kubernetes-models/policy/v1', model: PodDisruptionBudget },
  Service: { module: 'kubernetes-models/v1', model: Service },
  ServiceAccount: { module: 'kubernetes-models/v1', model: ServiceAccount },
} as const;
type Kind = keyof typeof MODELS;

interface Manifest {
  file: string;
  kind: Kind;
  object: Record<string, unknown>;
}

const kustomization = parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as {
  resources: string[];
  images: Array<{ name: string; newTag: string }>;
};
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    const object = doc.toJS() as Record<string, unknown>;
    expect(Object.keys(MODELS), `${file}: a kind this test knows`).toContain(object.kind);
    return { file, kind: object.kind as Kind, object };
  }),
);
const byKind = <T>(kind: Kind) => manifests.filter((m) => m.kind === kind).map((m) => m.object as T);
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Type errors of `objects` assigned to their models' interfaces (excess properties included). */
function typeErrors(objects: Manifest[]): string[] {
  const file = join(ROOT, 'test/deploy/__kubernetes_manifests__.ts');
  const text = objects
    .map(
      (m, i) =>
        `import type { I${m.kind} as T${i} } from '${MODELS[m.kind].module}';\nexport const m${i}: T${i} = ${JSON.stringify(m.object, null, 2)};`,
    )
    .join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (name) => (name === file ? text : readFile(name));
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
    const line = where ? text.split('\n')[where.line] : '';
    return `${ts.flattenDiagnosticMessageText(d.messageText, '\n')} at: ${line?.trim()}`;
  });
}

describe('deploy/kubernetes', () => {
  it('holds a service account, the Deployment, its Service and a PodDisruptionBudget', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    for (const file of kustomization.resources) expect(existsSync(join(DIR, file)), file).toBe(true);
  });

  it("each object validates against Kubernetes' schema", () => {
    for (const m of manifests) {
      const Model = MODELS[m.kind].model as unknown as new (data: unknown) => { validate(): void };
      expect(() => new Model(m.object).validate(), m.file).not.toThrow();
    }
    // The validation is real: a wrong type fails it.
    const broken = structuredClone(byKind<{ spec: { replicas: unknown } }>('Deployment')[0]!);
    broken.spec.replicas = 'two';
    expect(() => new Deployment(broken as never).validate()).toThrow(/replicas must be integer/);
  });

  it('has no field Kubernetes does not know', () => {
    expect(typeErrors(manifests)).toEqual([]);
    const typo = structuredClone(manifests.find((m) => m.kind === 'Deployment')!);
    (typo.object.spec as Record<string, unknown>).replica = 2;
    expect(typeErrors([typo])).toEqual([
      `Object literal may only specify known properties, and '"replica"' does not exist in type 'IDeploymentSpec'. at: "replica": 2`,
    ]);
  }, 60_000);

  it('runs 2 replicas of the released image, PostgreSQL from the Secret, each replica named after its pod', () => {
    const [deployment] = byKind<{
      spec: {
        replicas: number;
        template: {
          metadata: { labels: Record<string, string> };
          spec: {
            containers: Array<{
              image: string;
              env: Array<{ name: string; value?: string; valueFrom?: Record<string, Record<string, unknown>> }>;
            }>;
          };
        };
      };
    }>('Deployment');
    expect(deployment!.spec.replicas).toBe(2);
    const [container] = deployment!.spec.template.spec.containers;
    expect(container!.image).toBe(`ghcr.io/release-gate/release-gate:${version}`);
    expect(kustomization.images).toEqual([{ name: 'ghcr.io/release-gate/release-gate', newTag: version }]);
    const env = Object.fromEntries(container!.env.map((e) => [e.name, e]));
    expect(env.DATABASE_URL!.valueFrom).toEqual({ secretKeyRef: { name: 'release-gate', key: 'database-url' } });
    for (const name of ['APP_ID', 'PRIVATE_KEY', 'WEBHOOK_SECRET'])
      expect(env[name]!.valueFrom!.secretKeyRef, name).toMatchObject({ name: 'release-gate' });
    expect(env.RELEASE_GATE_REPLICA_ID!.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    // Every variable it sets is one the App reads (the README's configuration reference).
    const rows = readFileSync(join(ROOT, 'README.md'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split('|').map((c) => c.trim()));
    for (const name of Object.keys(env))
      expect(
        rows.some((r) => r[1]!.includes(`\`${name}\``) && r[2]!.split(', ').includes('App')),
        name,
      ).toBe(true);
  });

  it('probes readiness on /health/ready and liveness on /health/live, runs as non-root with resources', () => {
    const [deployment] = byKind<{
      spec: {
        template: {
          spec: {
            securityContext: Record<string, unknown>;
            terminationGracePeriodSeconds: number;
            containers: Array<{
              readinessProbe: { httpGet: { path: string } };
              livenessProbe: { httpGet: { path: string } };
              resources: { requests: Record<string, string>; limits: Record<string, string> };
              securityContext: Record<string, unknown>;
            }>;
          };
        };
      };
    }>('Deployment');
    const pod = deployment!.spec.template.spec;
    const [c] = pod.containers;
    expect(c!.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(c!.livenessProbe.httpGet.path).toBe('/health/live');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(c!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(Object.keys(c!.resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(c!.resources.limits.memory).toBeDefined();
    // Longer than the App's own stop deadline (9 s).
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(9);
  });

  it('the PodDisruptionBudget and the Service select the pods of the Deployment', () => {
    const [deployment] = byKind<{ spec: { template: { metadata: { labels: Record<string, string> } } } }>('Deployment');
    const labels = deployment!.spec.template.metadata.labels;
    const [pdb] = byKind<{ spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }>(
      'PodDisruptionBudget',
    );
    expect(pdb!.spec.minAvailable).toBe(1);
    expect(labels).toMatchObject(pdb!.spec.selector.matchLabels);
    const [service] = byKind<{ spec: { selector: Record<string, string>; ports: Array<{ targetPort: string }> } }>(
      'Service',
    );
    expect(labels).toMatchObject(service!.spec.selector);
    expect(service!.spec.ports[0]!.targetPort).toBe('http');
  });
});
