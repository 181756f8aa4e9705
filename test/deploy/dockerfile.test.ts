import { existsSync, readFileSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes.js';

/**
 * No Docker engine runs here: these tests read the Dockerfile, .dockerignore and compose.yaml
 * and check what a build would need (test/deploy/package.test.ts builds and runs the same
 * runtime tree).
 */

interface Instruction {
  stage: string;
  op: string;
  args: string;
}

function instructions(): Instruction[] {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const out: Instruction[] = [];
  let stage = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op!.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? 'final';
    out.push({ stage, op: op!.toUpperCase(), args });
  }
  return out;
}

const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const isIgnored = (path: string) =>
  ignored.some((p) => matchesGlob(path, p) || matchesGlob(path.split('/').pop()!, p) || path.startsWith(`${p}/`));

describe('Dockerfile', () => {
  const all = instructions();

  it('copies only paths that exist in the repository and are not left out by .dockerignore', () => {
    const copies = all.filter((i) => i.op === 'COPY' && !i.args.includes('--from='));
    expect(copies.length).toBeGreaterThan(3);
    for (const copy of copies) {
      const parts = copy.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      for (const source of parts.slice(0, -1)) {
        expect(existsSync(join(ROOT, source)), `COPY ${source}`).toBe(true);
        expect(isIgnored(source), `COPY ${source} is excluded by .dockerignore`).toBe(false);
      }
    }
  });

  it('the files the package needs are sent to the build, secrets and local state are not', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    for (const f of pkg.files.filter((f) => f !== 'dist')) expect(isIgnored(f), f).toBe(false);
    for (const f of ['.env', 'app.pem', 'node_modules', 'data/release-gate.db', '.git', 'dist'])
      expect(isIgnored(f), f).toBe(true);
  });

  it('builds in one stage and runs the production install as a non-root user in another', () => {
    const stages = all.filter((i) => i.op === 'FROM');
    expect(stages.map((s) => s.args)).toEqual([
      'node:${NODE_VERSION}-bookworm-slim AS build',
      'node:${NODE_VERSION}-bookworm-slim',
    ]);
    const final = all.filter((i) => i.stage === 'final');
    const runs = final
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join(' ');
    expect(runs).toContain('npm ci --omit=dev --ignore-scripts');
    expect(final.find((i) => i.op === 'USER')?.args).toBe('node');
    expect(final.find((i) => i.op === 'VOLUME')?.args).toBe('["/data"]');
    const env = final
      .filter((i) => i.op === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toContain('HOST=0.0.0.0');
    expect(env).toContain('DATABASE_URL=file:/data/release-gate.db');
    expect(final.find((i) => i.op === 'HEALTHCHECK')?.args).toContain('/health/ready');
    // The build stage prunes the lockfile the same way test/deploy/package.test.ts does.
    const build = all
      .filter((i) => i.stage === 'build' && i.op === 'RUN')
      .map((i) => i.args)
      .join(' ');
    expect(build).toContain('npm pkg delete devDependencies');
    expect(build).toContain('npm install --package-lock-only --ignore-scripts');
  });

  it('labels the image with the OCI annotations, its version and revision given by the release workflow', () => {
    const final = all.filter((i) => i.stage === 'final');
    const labels = final
      .filter((i) => i.op === 'LABEL')
      .map((i) => i.args)
      .join(' ');
    for (const key of ['title', 'description', 'source', 'url', 'documentation', 'licenses', 'version', 'revision'])
      expect(labels, key).toContain(`org.opencontainers.image.${key}=`);
    expect(labels).toContain('org.opencontainers.image.version="${VERSION}"');
    expect(labels).toContain('org.opencontainers.image.revision="${REVISION}"');
    const args = final.filter((i) => i.op === 'ARG').map((i) => i.args.split('=')[0]);
    expect(args).toEqual(['VERSION', 'REVISION']);
    const workflow = readFileSync(join(ROOT, '.github/workflows/release.yml'), 'utf8');
    expect(workflow).toContain('VERSION=${{ needs.check.outputs.version }}');
    expect(workflow).toContain('REVISION=${{ github.sha }}');
  });

  it("starts the package's release-gate-app bin", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const cmd = all.filter((i) => i.op === 'CMD').at(-1)!;
    expect(JSON.parse(cmd.args)).toEqual(['node', pkg.bin['release-gate-app']]);
  });
});

describe('one Node requirement everywhere', () => {
  it('engines, the Dockerfile, the Action and the README say Node 24', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    expect(pkg.engines.node).toBe('>=24');
    expect(pkg.devDependencies.node).toMatch(/^\^24\./);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toContain('ARG NODE_VERSION=24\n');
    expect(parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')).runs.using).toBe('node24');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('Node.js 24 or later');
    expect(readme.match(/Node(?:\.js)? ?(?:>=)? ?(\d\d)/g)?.filter((m) => !m.includes('24'))).toEqual([]);
  });
});

describe('compose.yaml', () => {
  it('runs two replicas of the App on PostgreSQL behind one published port', () => {
    const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as {
      services: Record<
        string,
        {
          build?: string;
          image?: string;
          ports?: string[];
          deploy?: { replicas?: number };
          environment?: Record<string, string>;
          depends_on?: unknown;
        }
      >;
      configs: Record<string, { content: string }>;
    };
    const app = compose.services.app!;
    expect(app.build).toBe('.');
    expect(app.deploy?.replicas).toBe(2);
    expect(app.environment?.DATABASE_URL).toMatch(/^postgresql:\/\/[^@]+@db:5432\//);
    expect(app.ports).toBeUndefined();
    expect(compose.services.db!.image).toMatch(/^postgres:/);
    const published = Object.entries(compose.services).filter(([, s]) => s.ports && s.ports.length > 0);
    expect(published.map(([name, s]) => [name, s.ports])).toEqual([['proxy', ['8080:8080']]]);
    expect(compose.configs.nginx!.content).toContain('server app:3000;');
  });
});
