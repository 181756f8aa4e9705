import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, HELP } from '../../src/cli/commands.js';
import { OPTIONS_SEEN } from '../../src/cli/io.js';
import { cli } from './helpers.js';

describe('every --help', () => {
  const names = Object.keys(COMMANDS) as Array<keyof typeof COMMANDS>;

  it('lists every option its command accepts', async () => {
    for (const name of names) {
      // Run the command with nothing: its parser is called first, then it stops at what is missing.
      await cli([name, '--policy', '/nonexistent/policy.yml']);
      const options = OPTIONS_SEEN.get(name);
      expect(options, `${name} did not parse its options`).toBeDefined();
      const help = (await cli([name, '--help'])).stdout;
      expect(
        options!.filter((o) => !new RegExp(`--${o}(?![\\w-])`).test(help)),
        `release-gate ${name} --help`,
      ).toEqual([]);
    }
  });

  it('the main help names every command', () => {
    for (const name of names) expect(HELP).toMatch(new RegExp(`^  ${name} `, 'm'));
  });
});

describe("a newcomer's mistakes", () => {
  it('a mistyped option gets a "did you mean"', async () => {
    const r = await cli(['evaluate', '--environment', 'PROD']);
    expect(r.stderr).toBe(
      'release-gate evaluate: unknown option --environment. Did you mean --env? Run "release-gate evaluate --help" for the options.\n',
    );
    expect((await cli(['freeze', '--polcy', 'x'])).stderr).toContain('Did you mean --policy?');
    expect((await cli(['audit', '--zzz'])).stderr).toBe(
      'release-gate audit: unknown option --zzz. Run "release-gate audit --help" for the options.\n',
    );
  });

  it('a time zone written with a space gets the IANA name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rg-tz-'));
    try {
      writeFileSync(
        join(dir, 'p.yml'),
        'version: 1\nenvironments:\n  - name: PROD\n    freezeWindows:\n      - start: "22:00"\n        end: "23:00"\n        timezone: America/Sao Paulo\n',
      );
      const r = await cli(['validate', '--policy', 'p.yml'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe(
        'p.yml:7:19: timezone "America/Sao Paulo" is not an IANA time zone (e.g. "Europe/Berlin"); did you mean "America/Sao_Paulo"?',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--score with evidence files is an error that says why', async () => {
    const r = await cli([
      'evaluate',
      '--env',
      'PROD',
      '--score',
      '80',
      '--junit',
      'reports/*.xml',
      '--coverage',
      'lcov.info',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'release-gate evaluate: --score cannot be combined with evidence to score (--junit, --coverage): --score is the score itself. Drop --score to score the evidence, or drop the evidence to use the score given.\n',
    );
  });
});
