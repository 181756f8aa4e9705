import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findStageIndex } from '../../src/core/evaluate.js';
import { readPolicyFile } from '../../src/local/policy-file.js';
import { ROOT } from './helpers.js';

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const WORKFLOWS = [
  { file: '.github/workflows/release-gate.yml', action: './' },
  { file: 'examples/.github/workflows/release.yml', action: 'release-gate/release-gate@v1' },
];
/** Workflows that do not use the Action, tested on their own. */
const OTHERS = ['.github/workflows/release.yml'];

async function load(file: string): Promise<{ text: string; workflow: Workflow }> {
  const text = await readFile(join(ROOT, file), 'utf8');
  return { text, workflow: parse(text) as Workflow };
}

describe('workflows that use the Action', () => {
  it('covers every workflow file there is', async () => {
    const found = [
      ...(await readdir(join(ROOT, '.github/workflows'))).map((f) => `.github/workflows/${f}`),
      ...(await readdir(join(ROOT, 'examples/.github/workflows'))).map((f) => `examples/.github/workflows/${f}`),
    ];
    expect(found.sort()).toEqual([...WORKFLOWS.map((w) => w.file), ...OTHERS].sort());
  });

  for (const { file, action } of WORKFLOWS) {
    it(`${file}: least permissions, pinned actions, real step ids, known inputs, stages of the policy`, async () => {
      const { text, workflow } = await load(file);
      const actionYml = parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as {
        inputs: Record<string, { required?: boolean }>;
      };
      expect(workflow.permissions).toEqual({ contents: 'read' });
      const gateSteps: Step[] = [];
      for (const [name, job] of Object.entries(workflow.jobs)) {
        for (const need of [job.needs ?? []].flat())
          expect(Object.keys(workflow.jobs), `${name} needs ${need}`).toContain(need);
        const ids = job.steps.map((s) => s.id).filter(Boolean);
        // Every steps.<id>.outputs reference in this job names a step of this job.
        const jobText = JSON.stringify(job);
        for (const m of jobText.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          expect(ids, `${name} refers to steps.${m[1]}`).toContain(m[1]);
          expect(
            Object.keys((parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as { outputs: object }).outputs),
          ).toContain(m[2]);
        }
        for (const step of job.steps) {
          if (!step.uses) continue;
          if (step.uses === action) {
            gateSteps.push(step);
            continue;
          }
          expect(step.uses, `${name}: actions are pinned to a commit`).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
        }
        if (gateSteps.some((s) => job.steps.includes(s)))
          expect(job.permissions?.checks, `${name} writes the check run`).toBe('write');
      }
      expect(gateSteps.length).toBeGreaterThan(0);
      expect(text).not.toMatch(/run:.*\$\{\{\s*steps\./); // outputs reach scripts through env, never pasted into them
      for (const step of gateSteps) {
        for (const key of Object.keys(step.with ?? {})) expect(Object.keys(actionYml.inputs)).toContain(key);
        for (const [key, input] of Object.entries(actionYml.inputs))
          if (input.required) expect(step.with, `${key} is required`).toHaveProperty(key);
        const policyPath =
          step.with?.policy ??
          (file.startsWith('examples/') ? 'examples/.github/release-policy.yml' : '.github/release-policy.yml');
        const { policy } = await readPolicyFile(policyPath, ROOT);
        expect(
          findStageIndex(policy, step.with!.environment!),
          `${step.with!.environment} is a stage`,
        ).toBeGreaterThanOrEqual(0);
        for (const job of Object.values(workflow.jobs))
          if (job.environment) expect(findStageIndex(policy, job.environment)).toBeGreaterThanOrEqual(0);
      }
    });
  }

  it("this repository's own run is a report run", async () => {
    const { workflow } = await load('.github/workflows/release-gate.yml');
    const gate = Object.values(workflow.jobs)
      .flatMap((j) => j.steps)
      .filter((s) => s.uses === './');
    expect(gate.map((s) => s.with?.mode)).toEqual(['report']);
  });
});
