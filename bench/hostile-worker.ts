/**
 * One hostile input, in its own process so that its peak RSS is its own.
 * Prints one JSON line: { ok, ms, maxRssBytes, outcome }.
 * Usage: node --import tsx bench/hostile-worker.ts <case> [file]
 */
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseGateCommand } from '../src/core/commands-parse.js';
import { earliestDeployStart } from '../src/core/freeze-windows.js';
import { matchGlob } from '../src/core/glob.js';
import { escapeMarkdown } from '../src/core/markdown-escape.js';
import { defaultScoring, loadPolicy } from '../src/core/policy-load.js';
import { scoreEvidence } from '../src/core/score.js';
import { parseCoverage } from '../src/evidence/coverage.js';
import { parseJunit } from '../src/evidence/junit.js';
import { readFileChunks } from '../src/evidence/read-helpers.js';
import { parseSarif } from '../src/evidence/sarif.js';

const [name, file] = process.argv.slice(2) as [string, string | undefined];
const STAGES = 'version: 1\nenvironments:\n  - name: DEV\n  - name: PROD\n';
const NOW = new Date('2026-03-10T12:00:00Z');
async function* streamOf(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text);
}

/** Runs the case; returns what happened, in words. */
async function run(): Promise<string> {
  switch (name) {
    case 'read': {
      let n = 0;
      for await (const chunk of createReadStream(file!, { highWaterMark: 1024 * 1024 })) n += (chunk as Buffer).length;
      return `read ${n} bytes`;
    }
    case 'json-parse': {
      // What SARIF reading did before streaming: the whole file, then JSON.parse.
      const parts: Buffer[] = [];
      for await (const chunk of createReadStream(file!, { highWaterMark: 1024 * 1024 })) parts.push(chunk as Buffer);
      const doc = JSON.parse(Buffer.concat(parts).toString('utf8')) as { runs: Array<{ results: unknown[] }> };
      return `parsed ${doc.runs[0]!.results.length} results whole`;
    }
    case 'sarif': {
      try {
        const r = await parseSarif(readFileChunks(file!));
        return `read: ${r.results.error + r.results.warning + r.results.note + r.results.none} results counted`;
      } catch (error) {
        return `refused: ${(error as Error).message}`;
      }
    }
    case 'istanbul': {
      try {
        const r = await parseCoverage(readFileChunks(file!));
        return `read: ${r.fileCoverage.length} files`;
      } catch (error) {
        return `refused: ${(error as Error).message}`;
      }
    }
    case 'policy-100k-keys': {
      let text = STAGES;
      for (let i = 0; i < 100_000; i++) text += `k${i.toString(36)}: 1\n`;
      const t0 = performance.now();
      const r = loadPolicy(text, 'p.yml');
      const ms = performance.now() - t0;
      if (r.ok) throw new Error('the policy loaded');
      timed = ms;
      const [more, cut] = r.errors.slice(-2);
      return `${(text.length / 1e6).toFixed(2)} MB refused: ${r.errors.length - 2} problems listed, then "${more!.message}", then "${cut!.message}"`;
    }
    case 'glob-12-star': {
      const pattern = `${'*a'.repeat(12)}*b`;
      const ref = 'a'.repeat(40);
      const t0 = performance.now();
      const r = matchGlob(pattern, ref);
      timed = performance.now() - t0;
      return `"${pattern}" against 40 x "a": ${r ? 'match' : 'no match'} (first call, compiling included)`;
    }
    case 'deploy-duration': {
      const text = `${STAGES}    deployDuration: 2500000000h\n    freezeWindows:\n      - { start: "22:00", end: "23:00", timezone: UTC }\n`;
      const r = loadPolicy(text, 'p.yml');
      if (r.ok) throw new Error('the policy loaded');
      const windows = [
        {
          kind: 'daily' as const,
          name: 'nightly',
          days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as Array<'mon'>,
          start: '22:00',
          end: '23:00',
          timezone: 'UTC',
        },
      ];
      const start = earliestDeployStart(windows, NOW, 2_500_000_000 * 3_600_000);
      return `refused at load ("${r.errors[0]!.message}"); a stored policy: the engine answers ${start === null ? 'no start (blocked)' : 'a start'}`;
    }
    case 'lcov-lh-gt-lf': {
      try {
        await parseCoverage(streamOf(`SF:src/a.ts\nLF:1\nLH:1${'0'.repeat(26)}\nend_of_record\n`));
        return 'read';
      } catch (error) {
        return `refused: ${(error as Error).message}`;
      }
    }
    case 'sarif-runs-empty': {
      const r = await parseSarif(streamOf('{"version":"2.1.0","runs":[]}'));
      const s = scoreEvidence({ security: r }, defaultScoring(), NOW);
      return `security ${s.breakdown.security!.points} of ${s.breakdown.security!.weight} points`;
    }
    case 'sarif-results-null': {
      const r = await parseSarif(
        streamOf('{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":null}]}'),
      );
      const s = scoreEvidence({ security: r }, defaultScoring(), NOW);
      return `security ${s.breakdown.security!.points} of ${s.breakdown.security!.weight} points`;
    }
    case 'sarif-duplicate-runs': {
      try {
        await parseSarif(
          streamOf(
            '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"level":"error","message":{"text":"x"}}]}],"runs":[]}',
          ),
        );
        return 'read';
      } catch (error) {
        return `refused: ${(error as Error).message}`;
      }
    }
    case 'junit-failures-100': {
      const r = await parseJunit(
        streamOf('<testsuite name="api" tests="1" failures="100"><testcase name="ok"/></testsuite>'),
      );
      const s = scoreEvidence({ tests: r }, defaultScoring(), NOW);
      return `tests ${s.breakdown.tests!.points} of ${s.breakdown.tests!.weight} points (worse of declared and counted)`;
    }
    case 'comment-1MB-mentions': {
      const body = `/release-gate override PROD reason="${'@acme/release-managers [x](https://e.x) '.repeat(25_000)}" risk="low"`;
      const t0 = performance.now();
      const parsed = parseGateCommand(body);
      const escaped = escapeMarkdown(body);
      timed = performance.now() - t0;
      const live = (escaped.match(/(?:^|[^\w`\\])@[A-Za-z0-9]/g) ?? []).length;
      return `${(body.length / 1e6).toFixed(2)} MB comment: parsed (${parsed?.ok ? 'an override' : 'refused'}), escaped with ${live} live mentions`;
    }
    default:
      throw new Error(`unknown case ${name}`);
  }
}

/** The time of the part measured, when a case measures less than its whole run (setup excluded). */
let timed: number | null = null;
const t0 = performance.now();
try {
  const outcome = await run();
  const ms = timed ?? performance.now() - t0;
  process.stdout.write(
    `${JSON.stringify({ ok: true, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024, outcome })}\n`,
  );
} catch (error) {
  const ms = performance.now() - t0;
  const message =
    error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}` : String(error);
  process.stdout.write(
    `${JSON.stringify({ ok: false, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024, outcome: message.slice(0, 200) })}\n`,
  );
}
