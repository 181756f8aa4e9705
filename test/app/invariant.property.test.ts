import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { policy } from '../support/policies.js';
import {
  deploymentCreated,
  deploymentStatusCreated,
  GITHUB_ACTIONS_APP_ID,
  pullRequestReviewSubmitted,
} from '../support/webhooks.js';
import type { DeploymentSpec } from '../support/webhooks.js';

/**
 * SECURITY.md I1, as a property: for random interleavings of deployments (through the REST
 * API and by workflow jobs with a protection rule), statuses set by any actor (the
 * deployment's creator, the job of the run the gate approved, another workflow's
 * `GITHUB_TOKEN`, this App's own identity, a writer), protection-rule requests and reviews,
 * the App approves PROD only if every earlier stage has a deployment the gate approved that
 * then succeeded from its creator (a REST deployment) or from the approved run's job
 * (GitHub Actions).
 *
 * It drives the real App: signed webhooks over HTTP, Probot, the inbox, a SQLite file and the
 * fake GitHub. One App serves every interleaving, each on a commit of its own. About two
 * seconds an interleaving, so `npm test` runs 40 of them from a seed of the clock;
 * PROPERTY_RUNS=300 runs a few hundred. PROPERTY_SEED sets the first seed; a failure names
 * the seed and the steps that reproduce it (PROPERTY_DEBUG=1 prints every interleaving).
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);
const FIRST_SEED = Number(process.env.PROPERTY_SEED ?? Date.now() % 1_000_000_000);
const STEPS = 14;

/** mulberry32: a small seeded PRNG, so an interleaving can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Env = 'development' | 'staging';
const ENVS: readonly Env[] = ['development', 'staging'];
type Kind = 'rest' | 'actions' | 'status' | 'review' | 'prod';
type Goal = 'deploy development' | 'succeed development' | 'deploy staging' | 'succeed staging' | 'review' | 'prod';
type Actor = 'creator' | 'job' | 'failed job' | 'other workflow' | 'app' | 'writer';

/** A deployment as the model sees it. */
interface Modelled {
  spec: DeploymentSpec;
  /** A workflow job's, with the protection rule run `runId`; else one created through the API. */
  actions: boolean;
  runId: number;
  /** Step at which the gate let it through (the model's reading), or null. */
  approvedAt: number | null;
  /** Statuses that move it: [step, state, whether a success is bound to the approval]. */
  moves: Array<{ step: number; state: string; bound: boolean }>;
}

const STAGES: Record<Env, 'DEV' | 'PRE_PROD'> = { development: 'DEV', staging: 'PRE_PROD' };

describe('property: PROD is approved only if every earlier stage has a deployment the gate approved that then succeeded', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: policy({ DEV: [], PRE_PROD: ['minApprovals: 1'], PROD: [] }) });
  }, 60_000);
  afterAll(() => closeChecked(h));

  let id = 100_000;
  const nextId = () => id++;

  /** One interleaving; returns how many times PROD was approved, or throws with what went wrong. */
  async function interleaving(seed: number, log: string[]): Promise<number> {
    const random = prng(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const sha = seed.toString(16).padStart(40, 'c').slice(-40);
    const pull = nextId();
    h.repo.pulls.push({ number: pull, user: 'author', headSha: sha, headRef: `f${pull}`, commits: [sha] });
    h.repo.reviews[pull] = [];
    let reviewed = false;
    const deployments: Modelled[] = [];
    let prodApproved = 0;

    /**
     * The model's proof of a stage, as the invariant words it: a deployment the gate let
     * through there, then a success bound to that approval. (The App asks more of the stage
     * just before: that this success is still the deployment's latest state.)
     */
    const proven = (env: Env, step: number) =>
      deployments.some(
        (d) =>
          d.spec.environment === env &&
          d.approvedAt !== null &&
          d.approvedAt <= step &&
          d.moves.some((m) => m.bound && m.step > d.approvedAt! && m.step <= step),
      );
    /** What the policy lets through (DEV always; PRE_PROD once DEV is proven and someone approved). */
    const allows = (env: Env, step: number) => env === 'development' || (proven('development', step) && reviewed);

    const answersOf = (runId: number) => h.repo.answers.filter((a) => a.runId === runId);
    const refresh = (step: number) => {
      for (const d of deployments)
        if (d.actions && d.approvedAt === null && answersOf(d.runId).some((a) => a.state === 'approved'))
          d.approvedAt = step;
    };

    // The way to PROD, in order, with the review anywhere along it, is taken at about half the
    // steps; the others are noise (any action by any actor), so the way interleaves with attacks:
    // a deployment made before the review is held, a success may come before the gate's answer...
    const way: Goal[] = ['deploy development', 'succeed development', 'deploy staging', 'succeed staging', 'prod'];
    way.splice(Math.floor(random() * (way.length + 1)), 0, 'review');
    for (let step = 1; step <= STEPS; step++) {
      let goal = way.length > 0 && random() < 0.55 ? way.shift()! : null;
      const last = (env: Env) => deployments.filter((d) => d.spec.environment === env).at(-1);
      if (goal === 'succeed development' && !last('development')) goal = null;
      if (goal === 'succeed staging' && !last('staging')) goal = null;
      const kind: Kind =
        goal === 'deploy development' || goal === 'deploy staging'
          ? pick(['rest', 'actions'] as const)
          : goal === 'succeed development' || goal === 'succeed staging'
            ? 'status'
            : goal === 'review' || goal === 'prod'
              ? goal
              : deployments.length === 0
                ? pick(['rest', 'actions'] as const)
                : pick(['rest', 'actions', 'status', 'status', 'status', 'review', 'prod'] as const);
      if (kind === 'rest' || kind === 'actions') {
        const environment: Env =
          goal === 'deploy development' ? 'development' : goal === 'deploy staging' ? 'staging' : pick(ENVS);
        const runId = nextId();
        const spec: DeploymentSpec = {
          id: nextId(),
          sha,
          ref: 'main',
          environment,
          creator: kind === 'rest' ? pick(['ci', 'mallory']) : 'dev',
          createdAt: h.clock.now().toISOString(),
          ...(kind === 'actions' ? { appId: GITHUB_ACTIONS_APP_ID, workflowRunId: runId } : {}),
        };
        const d: Modelled = { spec, actions: kind === 'actions', runId, approvedAt: null, moves: [] };
        deployments.push(d);
        // GitHub tells the App of the deployment; now and then the App misses it.
        const seen = kind === 'actions' || random() < 0.85;
        if (seen) expect(await h.deliver(deploymentCreated(h.ctx, spec))).toBe(200);
        if (kind === 'rest' && seen && allows(environment, step)) d.approvedAt = step;
        if (kind === 'actions') expect(await h.askGate({ ...spec, runId })).toBe(200);
        log.push(
          `${step}: ${kind} deployment ${spec.id} to ${environment} by ${spec.creator}${seen ? '' : ' (event missed)'}`,
        );
      } else if (kind === 'status') {
        const target =
          goal === 'succeed development' ? last('development') : goal === 'succeed staging' ? last('staging') : null;
        const d = target ?? pick(deployments);
        const actor: Actor = target
          ? d.actions
            ? 'job'
            : 'creator'
          : pick(['creator', 'job', 'failed job', 'other workflow', 'app', 'writer'] as const);
        const state = target ? 'success' : pick(['success', 'success', 'failure', 'in_progress']);
        const statusId = nextId();
        const at = h.clock.now().toISOString();
        let by: Parameters<typeof deploymentStatusCreated>[2] = { id: statusId, state, at };
        let moves: boolean;
        let bound = false;
        if (actor === 'job' || actor === 'failed job' || actor === 'other workflow') {
          const run = actor === 'other workflow' ? nextId() : d.runId;
          const job = nextId();
          const ok = actor === 'job' || actor === 'other workflow';
          h.repo.workflowJobs[job] = {
            run_id: run,
            head_sha: sha,
            status: 'completed',
            conclusion: ok ? 'success' : 'failure',
          };
          by = { ...by, creator: 'github-actions[bot]', appId: GITHUB_ACTIONS_APP_ID, workflowRunId: run, jobId: job };
          moves = d.actions && (d.approvedAt === null || run === d.runId);
          bound = d.actions && d.approvedAt !== null && run === d.runId && ok && state === 'success';
        } else if (actor === 'app') {
          by = { ...by, creator: 'release-gate[bot]', appId: h.github.appId };
          moves = state !== 'success';
        } else {
          const login = actor === 'creator' ? d.spec.creator : 'mallory';
          by = { ...by, creator: login, appId: null };
          moves = !d.actions && login === d.spec.creator;
          bound = moves && d.approvedAt !== null && state === 'success';
        }
        if (moves) d.moves.push({ step, state, bound });
        expect(await h.deliver(deploymentStatusCreated(h.ctx, d.spec, by))).toBe(200);
        log.push(
          `${step}: ${state} on ${d.spec.id} by ${actor}${moves ? '' : ' (does not move it)'}${bound ? ' (bound)' : ''}`,
        );
      } else if (kind === 'review') {
        const at = h.clock.now().toISOString();
        h.repo.reviews[pull]!.push({
          id: nextId(),
          user: 'carol',
          state: 'APPROVED',
          commit_id: sha,
          submitted_at: at,
        });
        expect(
          await h.deliver(
            pullRequestReviewSubmitted(h.ctx, {
              pull,
              headSha: sha,
              author: 'author',
              reviewer: 'carol',
              state: 'approved',
              at,
              reviewId: nextId(),
            }),
          ),
        ).toBe(200);
        reviewed = true;
        log.push(`${step}: review by carol`);
      } else {
        const runId = nextId();
        const spec: DeploymentSpec = {
          id: nextId(),
          sha,
          ref: 'main',
          environment: 'production',
          creator: 'dev',
          createdAt: h.clock.now().toISOString(),
          appId: GITHUB_ACTIONS_APP_ID,
        };
        expect(await h.askGate({ ...spec, runId })).toBe(200);
        const answer = answersOf(runId).at(-1);
        log.push(`${step}: PROD asked: ${answer?.state ?? 'waiting'}`);
        if (answer?.state === 'approved') {
          prodApproved += 1;
          for (const env of ['development', 'staging'] as const)
            if (!proven(env, step))
              throw new Error(`PROD was approved at step ${step}, yet nothing the gate approved proves ${STAGES[env]}`);
        }
      }
      refresh(step);
      h.clock.advance(60_000);
    }
    return prodApproved;
  }

  it(
    `holds for ${RUNS} interleavings from seed ${FIRST_SEED}`,
    async () => {
      let approvals = 0;
      for (let i = 0; i < RUNS; i++) {
        const seed = FIRST_SEED + i;
        const log: string[] = [];
        try {
          approvals += await interleaving(seed, log);
          if (process.env.PROPERTY_DEBUG) console.log(`seed ${seed}\n${log.join('\n')}`);
        } catch (error) {
          throw new Error(
            `The invariant broke for seed ${seed} (PROPERTY_SEED=${seed} PROPERTY_RUNS=1 npx vitest run ${'test/app/invariant.property.test.ts'}): ${error instanceof Error ? error.message : String(error)}\n${log.join('\n')}`,
            { cause: error },
          );
        }
      }
      // Not vacuous: some interleavings do reach PROD through the gate.
      expect(approvals).toBeGreaterThan(0);
      expect(h.github.violations).toEqual([]);
    },
    RUNS * 5_000,
  );
});
