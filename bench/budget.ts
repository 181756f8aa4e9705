/**
 * The App while a pull request from a fork asks it to simulate a policy that costs the freeze
 * engine the most it allows (100 one-second freezes every minute, a 7-day deploy: the
 * policy of test/fixtures/policies/fork-hourly-freezes.yml, written out here so that
 * `--compare` can run this section on older commits). The real App (throttling and retries
 * on, as `npm start` runs it; then off) answers `/health/live` and deployment protection
 * rule requests first with nothing else to do, then while such pull requests keep coming,
 * each with a new variant of the policy (so none is refused from the record without work).
 * Target: every latency within 1 s of its normal value measured in the same run.
 */
import { seedEvaluation } from '../test/support/record-seed.js';
import { pullRequestEvent } from '../test/support/webhooks.js';
import { PIPELINE, percentile, release, request, rig, send, sleep } from './app.js';
import type { Rig } from './app.js';
import { figure } from './figures.js';

const NOW = Date.parse('2026-03-10T15:00:00Z');
const PATH = '.github/release-policy.yml';
const TARGET_MS = 1_000;

/** The fork's policy; `variant` makes another blob of the same policy. */
export function forkPolicy(variant: number): string {
  const minutes = Array.from({ length: 60 }, (_, m) => m).join(',');
  let text = `# variant ${variant}\nversion: 1\nenvironments:\n  - name: DEV\n    github: development\n  - name: PROD\n    github: production\n    deployDuration: 7d\n    freezeWindows:\n`;
  for (let i = 0; i < 100; i++) {
    text += `      - name: tick-${String(i).padStart(2, '0')} (a one-second freeze, every minute of every hour)\n`;
    text += `        rrule: "FREQ=HOURLY;BYMINUTE=${minutes};BYSECOND=${2 * (i % 30)}"\n`;
    text += `        duration: 1s\n        timezone: America/Argentina/Buenos_Aires\n`;
  }
  return text;
}

interface Latencies {
  health: number[];
  /** Decisions of another installation's repository. */
  decisions: number[];
  /** Decisions of the pull requests' repository: GitHub's one write a second per installation is shared with them. */
  sameRepository: number[];
}

/**
 * `/health/live` every 50 ms, and `decisions` DEV decisions of each repository, one after the
 * other, the installation's write slot free again between them.
 */
async function measure(r: Rig, other: Rig, decisions: number, firstRun: number): Promise<Latencies> {
  const health: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const t0 = performance.now();
      const res = await fetch(`${r.app.url}/health/live`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`/health/live answered ${res.status}`);
      health.push(performance.now() - t0);
      await sleep(50);
    }
  })();
  const decide = async (target: Rig, run: number): Promise<number> => {
    const { delivery } = request(target, run, release(target, run), 'development');
    const t0 = performance.now();
    await send(target, delivery);
    for (let waited = 0; !target.callbackAt.has(run) && waited < 60_000; waited += 10) await sleep(10);
    return (target.callbackAt.get(run) ?? NaN) - t0;
  };
  const answered: number[] = [];
  const sameRepository: number[] = [];
  for (let k = 0; k < decisions; k++) {
    answered.push(await decide(other, firstRun + 2 * k));
    sameRepository.push(await decide(r, firstRun + 2 * k + 1));
    await r.app.app.idle();
    await sleep(1_100); // the installations' write slots are free again
  }
  probing = false;
  await probe;
  return { health, decisions: answered, sameRepository };
}

/** The same App seen from another installation's repository. */
function otherInstallation(r: Rig): Rig {
  const repo = r.github.addRepo('globex', 'api');
  repo.files[PATH] = PIPELINE;
  repo.fileCommits[PATH] = 'd'.repeat(40);
  return { ...r, repo, ctx: { ...r.ctx, owner: 'globex', name: 'api', id: repo.id, installationId: 2 } };
}

async function scenario(throttled: boolean, quick: boolean) {
  const r = await rig(PIPELINE, throttled);
  try {
    // Recorded PROD decisions of the last 30 days, for the pull requests to simulate.
    for (let i = 2; i < 90; i += 3) {
      const { decided: _decided, ...input } = seedEvaluation(i);
      await r.store.recordEvaluation({ ...input, repo: 'acme/shop', at: new Date(NOW - 86_400_000) });
    }
    r.github.addRepo('mallory', 'shop');
    const other = otherInstallation(r);
    const decisions = quick ? 3 : 6;
    // Warm: the workers loaded, the tokens cached.
    await measure(r, other, 2, 1);
    const normal = await measure(r, other, decisions, 100);

    let pulls = 0;
    let streaming = true;
    const runs: Array<{ conclusion: string | null | undefined; title: string | undefined }> = [];
    const stream = (async () => {
      while (streaming) {
        pulls += 1;
        const head = (0xf000 + pulls).toString(16).padStart(40, 'f');
        r.github.setPullFiles('acme/shop', pulls, [{ filename: PATH, status: 'modified' }]);
        r.github.serveFileAt('mallory/shop', head, PATH, forkPolicy(pulls));
        const delivery = pullRequestEvent(r.ctx, {
          action: 'opened',
          number: pulls,
          headSha: head,
          headRepo: 'mallory/shop',
          author: 'mallory',
        });
        await send(r, delivery);
        const run = r.repo.checkRuns.find((c) => c.head_sha === head && c.name === 'Release gate / policy impact');
        runs.push({ conclusion: run?.conclusion, title: run?.output?.title });
      }
    })();
    await sleep(300); // the first simulation is under way
    const loaded = await measure(r, other, decisions, 200);
    streaming = false;
    await stream;
    return { normal, loaded, runs };
  } finally {
    await r.close();
  }
}

const ms = (v: number) => `${Math.round(v)} ms`;
const stat = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), max: sorted.at(-1) ?? NaN, n: sorted.length };
};

export async function runBudgetBench({ log, quick = false }: { log: (line: string) => void; quick?: boolean }) {
  let allMet = true;
  for (const throttled of [true, false]) {
    const { normal, loaded, runs } = await scenario(throttled, quick);
    const mode = throttled ? 'throttling and retries ON, as `npm start` runs' : 'throttling off';
    log(
      `## App while pull requests from a fork simulate a policy of 100 one-second freezes every minute and a 7-day deploy (${mode})`,
    );
    log('');
    log('| measure | normal (same run) | while the policy is evaluated | difference | target | |');
    log('|---|---|---|---|---|---|');
    const rows: Array<[string, number[], number[], boolean]> = [
      ['`/health/live`', normal.health, loaded.health, true],
      ['a decision of another installation, webhook in -> callback out', normal.decisions, loaded.decisions, true],
      [
        "a decision of the pull requests' repository (shares its installation's write slot with their check runs)",
        normal.sameRepository,
        loaded.sameRepository,
        false,
      ],
    ];
    for (const [name, before, during, counted] of rows) {
      const a = stat(before);
      const b = stat(during);
      for (const [which, x, y] of [
        ['median', a.p50, b.p50],
        ['worst', a.max, b.max],
      ] as const) {
        const ok = y - x <= TARGET_MS;
        if (which === 'worst' && counted) allMet &&= ok;
        log(
          `| ${name}, ${which} (${a.n} / ${b.n}) | ${ms(x)} | ${ms(y)} | ${y - x >= 0 ? '+' : ''}${ms(y - x)} | within 1 s | ${ok ? 'met' : 'NOT met'}${counted ? '' : " (not the target: GitHub's write limit)"} |`,
        );
        figure({
          section: 'budget',
          measure: `${name}, ${which}, ${throttled ? 'throttled' : 'throttling off'}, while evaluated`,
          value: y,
          unit: 'ms',
          better: 'lower',
        });
      }
    }
    const refused = runs.filter((x) => x.conclusion === 'failure').length;
    log('');
    log(
      `Decisions of another installation, one by one (ms): normal ${normal.decisions.map(Math.round).join(', ')}; while evaluated ${loaded.decisions.map(Math.round).join(', ')}.`,
    );
    log(
      `Pull requests answered while measuring: ${runs.length}; ${refused} refused as past the budget (${[...new Set(runs.map((x) => `${x.conclusion}: ${x.title}`))].join('; ')}).`,
    );
    log('');
  }
  log(
    `Target (the worst \`/health/live\` and decision of another installation within 1 s of their normal latency, both configurations): ${allMet ? 'met' : 'NOT met'}`,
  );
}
