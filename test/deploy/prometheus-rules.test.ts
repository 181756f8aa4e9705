import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/processes.js';

/**
 * The example alerting rules, checked and unit-tested by Prometheus's own promtool on series
 * written for the purpose (examples/prometheus/release-gate-alerts.test.yml). promtool comes
 * with Debian's prometheus package (.ci/run installs it); PROMTOOL names another one.
 */
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const DIR = join(ROOT, 'examples/prometheus');

function promtool(args: string[]): { status: number | null; output: string } {
  if (!existsSync(PROMTOOL))
    throw new Error(
      `promtool is not at ${PROMTOOL}: install it (apt-get install -y prometheus) or set PROMTOOL to its path`,
    );
  const run = spawnSync(PROMTOOL, args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('examples/prometheus/release-gate-alerts.yml', () => {
  it('is valid for Prometheus (promtool check rules)', () => {
    const run = promtool(['check', 'rules', 'release-gate-alerts.yml']);
    expect(run.output).toContain('SUCCESS: 3 rules found');
    expect(run.status, run.output).toBe(0);
  });

  it('passes its unit tests: no alert right after a restart, one alert for all replicas (promtool test rules)', () => {
    const run = promtool(['test', 'rules', 'release-gate-alerts.test.yml']);
    expect(run.output.trim().split('\n').at(-1)!.trim(), run.output).toBe('SUCCESS');
    expect(run.status, run.output).toBe(0);
  });
});
