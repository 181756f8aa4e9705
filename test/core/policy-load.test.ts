import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatPolicyProblem, loadPolicy } from '../../src/core/policy-load.js';
import type { PolicyLoadResult, PolicyProblem } from '../../src/core/policy-load.js';
import type { Policy } from '../../src/core/types.js';
import { typedStage } from '../support/release-facts.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/policies/${name}`, import.meta.url), 'utf8');

function errorsOf(result: PolicyLoadResult): PolicyProblem[] {
  if (result.ok) throw new Error('expected the policy to be rejected');
  return result.errors;
}
function policyOf(result: PolicyLoadResult): Policy {
  if (!result.ok) throw new Error(`expected the policy to load:\n${result.errors.map(formatPolicyProblem).join('\n')}`);
  return result.policy;
}
/** `line:column: message; did you mean...` without the file name. */
function lines(text: string): string[] {
  return errorsOf(loadPolicy(text, 'p.yml')).map((p) => formatPolicyProblem(p).replace(/^p\.yml:/, ''));
}

const stage = typedStage;

/** What a policy that says nothing of scoring, overrides, evidence and strictness gets. */
const DEFAULT_SCORING = {
  weights: { tests: 40, coverage: 20, security: 20, checklist: 20 },
  warnScore: null,
  coverageTarget: 80,
  allowedSarifLevels: ['note', 'none'],
  backupMaxAgeHours: 24,
};
const DEFAULT_REST = {
  overrides: { teams: [], secondApprover: false, expiresMs: 24 * 3_600_000 },
  evidence: { workflows: [] },
  strict: false,
};

describe('loadPolicy: the README example (v1)', () => {
  it('loads to the expected model, with no warning', () => {
    const result = loadPolicy(fixture('spec-v1.yml'), '.github/release-policy.yml');
    expect(result.ok && result.warnings).toEqual([]);
    expect(policyOf(result)).toEqual({
      version: 1,
      format: 'v1',
      environments: [
        stage({ name: 'DEV', github: ['development'] }),
        stage({ name: 'PRE_PROD', github: ['staging'], minScore: 50 }),
        stage({
          name: 'PROD',
          github: ['production'],
          refs: ['refs/tags/v*'],
          minApprovals: 2,
          approvals: { excludeAuthor: true, fromTeams: ['release-owners'] },
          requiredReviewers: [{ paths: ['prisma/**', 'src/auth/**', 'src/billing/**'], teams: ['tech-reviewers'] }],
          minScore: 70,
          requiredChecks: [
            { name: 'build', app: 'github-actions', workflow: '.github/workflows/ci.yml' },
            { name: 'security-audit' },
          ],
          requiredEvidence: ['tests', 'security', 'rollbackPlan', 'backup', 'checklist'],
          soakMinutes: 30,
          freezeWindows: [
            {
              kind: 'daily',
              name: 'nightly',
              days: ['mon', 'tue', 'wed', 'thu', 'fri'],
              start: '22:00',
              end: '23:59',
              timezone: 'America/Sao_Paulo',
            },
            {
              kind: 'range',
              name: 'year-end',
              from: '2026-12-20T00:00',
              to: '2027-01-04T08:00',
              timezone: 'Europe/Berlin',
            },
            {
              kind: 'rrule',
              name: 'month-end close',
              rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=12;BYMINUTE=0',
              durationMs: 36 * 3_600_000,
              timezone: 'Europe/Lisbon',
            },
          ],
          deployDurationMs: 20 * 60_000,
          onBlocked: 'wait',
        }),
      ],
      scoring: {
        weights: { tests: 40, coverage: 20, security: 20, checklist: 20 },
        warnScore: 50,
        coverageTarget: 80,
        allowedSarifLevels: ['note', 'none'],
        backupMaxAgeHours: 24,
      },
      overrides: { teams: ['release-managers'], secondApprover: true, expiresMs: 24 * 3_600_000 },
      evidence: { workflows: [] },
      strict: false,
    });
  });

  it("is the README's example, unchanged (the README shows what loads)", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(
      `\`\`\`yaml\n# yaml-language-server: $schema=https://raw.githubusercontent.com/release-gate/release-gate/main/policy.schema.json\n${fixture('spec-v1.yml')}\`\`\``,
    );
  });
});

describe('loadPolicy: the Aurora seed', () => {
  it('loads unchanged and means what the seed says', () => {
    const result = loadPolicy(fixture('aurora-seed.yml'), 'policy.yaml');
    expect(result.ok && result.warnings).toEqual([]);
    expect(policyOf(result)).toEqual({
      version: 1,
      format: 'aurora',
      environments: [
        stage({ name: 'DEV', github: ['DEV', 'development'] }),
        stage({ name: 'PRE_PROD', github: ['PRE_PROD', 'pre-prod', 'staging'] }),
        stage({
          name: 'PROD',
          github: ['PROD', 'production'],
          minApprovals: 1,
          minScore: 70,
          freezeWindows: [
            {
              kind: 'daily',
              name: '22:00-23:59 America/Sao_Paulo',
              days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
              start: '22:00',
              end: '23:59',
              timezone: 'America/Sao_Paulo',
            },
          ],
        }),
      ],
      scoring: { ...DEFAULT_SCORING, weights: { evidenceUrl: 100 } },
      ...DEFAULT_REST,
    });
  });

  it('applies a window to the stage its env names', () => {
    const policy = policyOf(
      loadPolicy(
        'policy:\n  freezeWindows:\n    - env: PRE_PROD\n      start: "18:00"\n      end: "06:00"\n      timezone: UTC\n',
        'a.yml',
      ),
    );
    expect(policy.environments.map((e) => e.freezeWindows.map((w) => w.name))).toEqual([[], ['18:00-06:00 UTC'], []]);
    expect(policy.environments[2]).toMatchObject({ minApprovals: 0, minScore: null });
  });
});

describe('loadPolicy: defaults and shapes', () => {
  it('fills every default of a minimal v1 policy', () => {
    const policy = policyOf(loadPolicy('version: 1\nenvironments:\n  - name: PROD\n', 'p.yml'));
    expect(policy).toEqual({
      version: 1,
      format: 'v1',
      environments: [stage({ name: 'PROD' })],
      scoring: DEFAULT_SCORING,
      ...DEFAULT_REST,
    });
  });

  it('loads a file that names the schema for editors', () => {
    const text = fixture('with-schema-comment.yml');
    const schemaRef = /\$schema=(\S+)/.exec(text)![1]!;
    expect(() => readFileSync(new URL(`../fixtures/policies/${schemaRef}`, import.meta.url))).not.toThrow();
    const policy = policyOf(loadPolicy(text, 'p.yml'));
    expect(policy.environments.map((e) => e.github)).toEqual([['development', 'dev'], ['production']]);
    expect(policy.environments[1]!.freezeWindows).toEqual([
      {
        kind: 'daily',
        name: 'sat,sun 00:00-23:59:59 UTC',
        days: ['sat', 'sun'],
        start: '00:00',
        end: '23:59:59',
        timezone: 'UTC',
      },
    ]);
    expect(policy.scoring.weights).toEqual({ evidenceUrl: 100 });
  });

  it('reads scoring settings, overrides and YAML anchors', () => {
    const policy = policyOf(
      loadPolicy(
        [
          'version: 1',
          'environments:',
          '  - name: PROD',
          '    approvals: &ap { excludeAuthor: false, fromTeams: [owners] }',
          '    onBlocked: reject',
          '    autoPromote: true',
          '    soak: { minutes: 15 }',
          '    deployDuration: 1h30m',
          '  - name: HOTFIX',
          '    approvals: *ap',
          '  - name: PATCH',
          '    <<: { minApprovals: 3, onBlocked: reject }',
          '    minApprovals: 4',
          'scoring:',
          '  tests: 50',
          '  backup: 50',
          '  coverageTarget: 90',
          '  allowedSarifLevels: [none]',
          '  backupMaxAge: 36h',
          'overrides: { teams: [rm], secondApprover: true, expires: 2h }',
          'strict: true',
        ].join('\n'),
        'p.yml',
      ),
    );
    expect(policy.environments[0]).toMatchObject({
      approvals: { excludeAuthor: false, fromTeams: ['owners'] },
      onBlocked: 'reject',
      autoPromote: true,
      soakMinutes: 15,
      deployDurationMs: 90 * 60_000,
    });
    expect(policy.environments[1]!.approvals).toEqual({ excludeAuthor: false, fromTeams: ['owners'] });
    expect(policy.environments[2]).toMatchObject({ minApprovals: 4, onBlocked: 'reject' });
    expect(policy.scoring).toEqual({
      weights: { tests: 50, backup: 50 },
      warnScore: null,
      coverageTarget: 90,
      allowedSarifLevels: ['none'],
      backupMaxAgeHours: 36,
    });
    expect(policy.overrides).toEqual({ teams: ['rm'], secondApprover: true, expiresMs: 2 * 3_600_000 });
    expect(policy.strict).toBe(true);
  });
});

describe('loadPolicy: errors', () => {
  it('reports every mistake of a file at once, sorted, with file, line and column', () => {
    const errors = errorsOf(loadPolicy(fixture('broken-many.yml'), '.github/release-policy.yml'));
    expect(errors.map(formatPolicyProblem)).toEqual([
      '.github/release-policy.yml:7:5: unknown key "minAprovals" in environments[2] (PROD); did you mean "minApprovals"?',
      '.github/release-policy.yml:8:19: minApprovals must be a whole number from 0 to 50, got "two"',
      '.github/release-policy.yml:9:31: requiredEvidence[1] "tets" is not an evidence kind; expected one of tests, coverage, security, checklist, rollbackPlan, backup, migrations, evidenceUrl; did you mean "tests"?',
      '.github/release-policy.yml:11:16: start "25:00" is not a time of day; expected HH:MM or HH:MM:SS (00:00 to 23:59:59)',
      '.github/release-policy.yml:13:19: timezone "Mars/Base" is not an IANA time zone (e.g. "Europe/Berlin")',
      '.github/release-policy.yml:15:9: unknown key "start" in environments[2].freezeWindows[1] (PROD), an rrule window; a window is exactly one of: daily (start, end, days), range (from, to), rrule (rrule, duration), each with a timezone',
      '.github/release-policy.yml:17:19: timezone "europe/berlin" is not an IANA time zone (e.g. "Europe/Berlin"); did you mean "Europe/Berlin"?',
      '.github/release-policy.yml:18:16: onBlocked must be one of wait, reject, got "wiat"; did you mean "wait"?',
      '.github/release-policy.yml:19:1: scoring weights sum to 90; they must sum to 100',
    ]);
    expect(errors[0]).toEqual({
      source: '.github/release-policy.yml',
      line: 7,
      column: 5,
      path: 'environments[2].minAprovals',
      message: 'unknown key "minAprovals" in environments[2] (PROD)',
      expected: expect.stringContaining('minApprovals') as string,
      suggestion: 'minApprovals',
    });
    expect(errors[1]!.path).toBe('environments[2].minApprovals');
    expect(errors[2]!.path).toBe('environments[2].requiredEvidence[1]');
  });

  it('reports duplicate keys with both positions, and duplicate stage names', () => {
    expect(errorsOf(loadPolicy(fixture('broken-duplicates.yml'), 'p.yml')).map(formatPolicyProblem)).toEqual([
      'p.yml:5:5: duplicate key "minApprovals" in environments[0] (PROD); first given at line 4, column 5',
      'p.yml:6:11: stage name "PROD" is used twice; first at line 3, column 11',
    ]);
  });

  it.each([
    [
      'an empty file',
      '',
      [
        '1:1: the policy file is empty; expected a mapping with "version: 1" and "environments" (or the Aurora format\'s "policy")',
      ],
    ],
    [
      'only comments',
      '# nothing yet\n',
      [
        '1:1: the policy file is empty; expected a mapping with "version: 1" and "environments" (or the Aurora format\'s "policy")',
      ],
    ],
    ['a list', '- DEV\n- PROD\n', ['1:1: the policy must be a mapping of keys to values, got a list']],
    ['a scalar', 'hello\n', ['1:1: the policy must be a mapping of keys to values, got "hello"']],
    [
      'a YAML syntax error',
      'version: 1\nenvironments: [\n  - name: x\n',
      [
        '3:3: YAML syntax error: Block collections are not allowed within flow collections',
        '4:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
      ],
    ],
    [
      'two documents',
      'version: 1\n---\nversion: 1\n',
      ['2:1: YAML syntax error: Source contains multiple documents; please use YAML.parseAllDocuments()'],
    ],
    [
      'an empty environments list',
      'version: 1\nenvironments: []\n',
      ['2:15: environments must list at least one stage'],
    ],
    ['no version', 'environments:\n  - name: X\n', ['1:1: the policy is missing "version: 1"']],
    ['version 2', 'version: 2\nenvironments:\n  - name: X\n', ['1:10: version must be 1, got 2']],
    [
      'a near miss of the Aurora key',
      'polcy:\n  minApprovals: 1\n',
      ['1:1: unknown key "polcy" at the top level; did you mean "policy"?'],
    ],
    [
      'a stage without a name',
      'version: 1\nenvironments:\n  - github: production\n',
      ['3:5: environments[0] is missing "name"'],
    ],
    [
      'an unknown key with no near miss',
      'version: 1\nenvironments:\n  - name: X\n    colour: red\n',
      [
        '4:5: unknown key "colour" in environments[0] (X); expected one of name, github, refs, minApprovals, approvals, requiredReviewers, minScore, requiredChecks, requiredEvidence, soak, freezeWindows, deployDuration, onBlocked, autoPromote, requireLinkedIssue, verify, rollback, rollbackDuringFreeze',
      ],
    ],
    [
      'a window of no shape',
      'version: 1\nenvironments:\n  - name: P\n    freezeWindows:\n      - name: x\n        timezone: UTC\n',
      [
        '5:9: environments[0].freezeWindows[0] (P) is missing "start" and "end" (daily windows need start, end, timezone)',
      ],
    ],
    [
      'a window mixing shapes',
      'version: 1\nenvironments:\n  - name: P\n    freezeWindows:\n      - from: "2026-12-20T00:00"\n        to: "2026-12-21T00:00"\n        end: "10:00"\n        timezone: UTC\n',
      [
        '7:9: unknown key "end" in environments[0].freezeWindows[0] (P), a range window; a window is exactly one of: daily (start, end, days), range (from, to), rrule (rrule, duration), each with a timezone',
      ],
    ],
    [
      'a misspelt window key',
      'version: 1\nenvironments:\n  - name: P\n    freezeWindows:\n      - start: "22:00"\n        end: "23:00"\n        timezone: UTC\n        nmae: nightly\n',
      ['8:9: unknown key "nmae" in environments[0].freezeWindows[0] (P); did you mean "name"?'],
    ],
    [
      'a range ending before it starts',
      'version: 1\nenvironments:\n  - name: P\n    freezeWindows:\n      - from: "2026-12-20T00:00"\n        to: "2026-12-19T23:00"\n        timezone: UTC\n',
      ['6:13: to "2026-12-19T23:00" must be after from "2026-12-20T00:00"'],
    ],
    [
      'an impossible date',
      'version: 1\nenvironments:\n  - name: P\n    freezeWindows:\n      - from: "2026-02-30T00:00"\n        to: "2026-03-02T00:00"\n        timezone: UTC\n',
      ['5:15: from "2026-02-30T00:00" is not a date: 2026-02 has 28 days'],
    ],
    [
      'a window of no length',
      'version: 1\nenvironments:\n  - name: P\n    freezeWindows:\n      - start: "22:00"\n        end: "22:00:00"\n        timezone: UTC\n',
      ['6:14: end "22:00:00" equals start; a window needs a length (an end before the start crosses midnight)'],
    ],
    [
      'bad rrule windows',
      'version: 1\nenvironments:\n  - name: P\n    freezeWindows:\n      - rrule: "BYHOUR=12"\n        duration: 0s\n        timezone: UTC\n      - rrule: "FREQ=DAILY"\n        duration: 1 hour\n        timezone: "+01:00"\n',
      [
        '5:16: rrule "BYHOUR=12" has no FREQ; expected an RFC 5545 rule like "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=12"',
        '6:19: duration must be longer than 0s, got "0s"',
        '9:19: duration "1 hour" is not a duration like 90s, 20m, 36h, 1d or 1h30m',
        '10:19: timezone "+01:00" is not an IANA time zone (e.g. "Europe/Berlin")',
      ],
    ],
    [
      'wrong value types',
      'version: 1\nenvironments:\n  - name: DEV\n    github: []\n    refs: []\n    soak: 30\n    autoPromote: yes\n    minScore: 101\n    deployDuration: 20\n    minApprovals:\n',
      [
        '4:13: github must list at least one GitHub environment name (leave github out to use the stage name)',
        '5:11: refs must list at least one ref pattern (leave refs out to allow any ref)',
        '6:11: soak must be a mapping of keys to values, got 30',
        '7:18: autoPromote must be true or false, got "yes"',
        '8:15: minScore must be a number from 0 to 100, got 101',
        '9:21: deployDuration must be a duration like 90s, 20m, 36h, 1d or 1h30m, got 20',
        '10:5: minApprovals must be a whole number from 0 to 50, got null',
      ],
    ],
    [
      'repeated list items and unknown weekdays',
      'version: 1\nenvironments:\n  - name: P\n    requiredEvidence: [tests, tests]\n    freezeWindows:\n      - days: [mon, fir]\n        start: "22:00"\n        end: "23:00"\n        timezone: UTC\n',
      [
        '4:31: requiredEvidence lists "tests" twice (items 0 and 1)',
        '6:21: days[1] "fir" is not a weekday; expected one of sun, mon, tue, wed, thu, fri, sat; did you mean "fri"?',
      ],
    ],
    [
      'a GitHub environment in two stages',
      'version: 1\nenvironments:\n  - name: STAGING\n    github: [staging, qa]\n  - name: PROD\n    github: [production, QA]\n',
      [
        '6:26: GitHub environment "QA" is already covered by stage STAGING (line 4, column 23); each GitHub environment belongs to one stage (names ignore case)',
      ],
    ],
    [
      'bad scoring and overrides',
      'version: 1\nenvironments:\n  - name: P\nscoring:\n  tets: 100\n  warnScore: high\noverrides:\n  teams: release\n  expires: 0s\nstrict: 1\n',
      [
        '5:3: unknown key "tets" in scoring; did you mean "tests"?',
        '6:14: warnScore must be a number from 0 to 100, got "high"',
        '8:10: teams must be a list, got "release"',
        '9:12: expires must be longer than 0s, got "0s"',
        '10:9: strict must be true or false, got 1',
      ],
    ],
    [
      'Aurora mistakes',
      'policy:\n  minAprovals: 1\n  freezeWindows:\n    - env: PRD\n      start: "22:00"\n      end: "25:00"\n      timezone: America/Sao_Paul\n',
      [
        '2:3: unknown key "minAprovals" in policy; did you mean "minApprovals"?',
        '4:12: env "PRD" is not an Aurora stage; expected one of DEV, PRE_PROD, PROD; did you mean "PROD"?',
        '6:12: end "25:00" is not a time of day; expected HH:MM or HH:MM:SS (00:00 to 23:59:59)',
        '7:17: timezone "America/Sao_Paul" is not an IANA time zone (e.g. "Europe/Berlin"); did you mean "America/Sao_Paulo"?',
      ],
    ],
  ])('%s', (_name, text, expected) => {
    expect(lines(text)).toEqual(expected);
  });

  it('refuses an alias bomb without expanding it', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    ].join('\n');
    expect(lines(bomb)).toEqual([
      "1:1: the policy's aliases expand too much (more than 100 expansions); write the values out instead",
    ]);
  });

  it('never throws on hostile or odd input', () => {
    for (const text of [
      '['.repeat(20_000),
      '{a: '.repeat(5_000),
      '\u0000\u0001',
      'x'.repeat(1_000_001),
      '? [a]\n: b\n',
      '*nope\n',
      '!!binary aGk=\n',
    ]) {
      const result = loadPolicy(text, 'p.yml');
      expect(result.ok).toBe(false);
      expect(errorsOf(result).length).toBeGreaterThan(0);
    }
  });

  it('gives each caller its own copy of a cached result', () => {
    const text = 'version: 1\nenvironments:\n  - name: PROD\n';
    const first = policyOf(loadPolicy(text, 'p.yml'));
    first.environments[0]!.minApprovals = 99;
    expect(policyOf(loadPolicy(text, 'p.yml')).environments[0]!.minApprovals).toBe(0);
  });
});

describe('loadPolicy: warnings', () => {
  it('warns when warnScore is above a stage minScore', () => {
    const result = loadPolicy(
      'version: 1\nenvironments:\n  - name: P\n    minScore: 40\nscoring: { warnScore: 60 }\n',
      'p.yml',
    );
    expect(result.ok && result.warnings.map(formatPolicyProblem)).toEqual([
      'p.yml:5:23: warnScore 60 is above the minScore 40 of P, so P has no warning band: scores below 40 block there',
    ]);
  });

  it('warns when no stage sets minScore', () => {
    const result = loadPolicy('version: 1\nenvironments:\n  - name: P\nscoring: { warnScore: 60 }\n', 'p.yml');
    expect(result.ok && result.warnings.map(formatPolicyProblem)).toEqual([
      'p.yml:4:12: warnScore has no effect: no stage sets minScore',
    ]);
  });
});

describe('recurrences the freeze engine cannot follow', () => {
  it('are errors at load time, at the rule', () => {
    const text = [
      'version: 1',
      'environments:',
      '  - name: PROD',
      '    freezeWindows:',
      '      - rrule: "FREQ=DAILY;COUNT=3"',
      '        duration: 1h',
      '        timezone: UTC',
      '',
    ].join('\n');
    const r = loadPolicy(text, 'p.yml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map(formatPolicyProblem)).toEqual([
      'p.yml:5:16: rrule has COUNT, which needs a DTSTART to count from; end the recurrence with UNTIL instead.',
    ]);
  });
});
