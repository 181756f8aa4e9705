import { describe, expect, it } from 'vitest';
import { CHECK_RUN_SUMMARY_LIMIT, gateComment, renderGateSummary } from '../../src/core/render-gate-summary.js';
import type { Decision, RuleResult } from '../../src/core/types.js';

const rule = (i: number, extra: Partial<RuleResult> = {}): RuleResult => ({
  code: `RULE_${i}`,
  rule: 'checks',
  ok: false,
  outcome: 'block',
  message: `Rule ${i} failed | with a pipe and <html> and ${'x'.repeat(300)}`,
  values: { i },
  ...extra,
});

function decision(rules: RuleResult[]): Decision {
  return {
    decision: 'block',
    environment: 'PROD',
    ungated: false,
    rules,
    score: 40,
    breakdown: { tests: 40 },
    clearsAt: null,
    recheckAt: null,
    overridesUsed: [],
  };
}

describe('renderGateSummary', () => {
  it('puts the decision first, then the rules, evidence, overrides and policy', () => {
    const text = renderGateSummary({
      decision: decision([
        rule(1),
        {
          code: 'APPROVALS_OK',
          rule: 'approvals',
          ok: true,
          outcome: 'pass',
          message: '1 of 1',
          values: {
            required: 1,
            approvers: ['bob'],
            notCounted: [{ login: 'alice', source: 'pr-review', reason: 'author of the change' }],
          },
        },
      ]),
      sha: 'a'.repeat(40),
      ref: 'v1.0.0',
      githubEnvironment: 'production',
      policy: {
        path: '.github/release-policy.yml',
        ref: 'main',
        blobSha: 'b'.repeat(40),
        commitSha: 'c'.repeat(40),
        valid: true,
      },
      overrides: [
        {
          id: 'o1',
          environment: 'PROD',
          sha: 'a'.repeat(40),
          rules: [],
          grantedBy: 'maria',
          reason: 'fix',
          risk: 'low',
          grantedAt: '2026-03-10T10:00:00Z',
          expiresAt: '2026-03-11T10:00:00Z',
        },
      ],
      timeline: [
        {
          at: '2026-03-10T09:00:00Z',
          type: 'DEPLOYED',
          environment: 'staging',
          status: 'success',
          actor: 'ci',
          notes: null,
        },
      ],
      at: '2026-03-10T15:00:00Z',
    });
    expect(
      text.startsWith(
        '## ❌ **Blocked**: the release must not go on\n\n`aaaaaaaaaaaa` (v1.0.0) → **PROD** (GitHub environment `production`) at 2026-03-10T15:00:00Z.',
      ),
    ).toBe(true);
    expect(text).toContain('| alice | pr-review | author of the change |');
    expect(text).toContain('| maria |  | fix | low | all | 2026-03-11T10:00:00Z | not used |');
    expect(text).toContain('`.github/release-policy.yml` on `main`, blob `bbbbbbbbbbbb`, commit `cccccccccccc`.');
    expect(text).toContain('| 2026-03-10T09:00:00Z | DEPLOYED | staging | success | ci |  |');
    expect(text.indexOf('Rule 1 failed')).toBeLessThan(text.indexOf('### Evidence'));
  });

  it('stays under 65,535 characters whatever the input', () => {
    const huge = decision(Array.from({ length: 2000 }, (_, i) => rule(i)));
    const text = renderGateSummary({
      decision: huge,
      sha: 'a'.repeat(40),
      githubEnvironment: 'production',
      policy: { path: 'p', ref: 'main', blobSha: null, commitSha: null, valid: false },
      overrides: [],
      timeline: Array.from({ length: 5000 }, (_, i) => ({
        at: `t${i}`,
        type: 'NOTE',
        environment: 'PROD',
        status: null,
        actor: '🙂'.repeat(50),
        notes: 'n'.repeat(1000),
      })),
      at: '2026-03-10T15:00:00Z',
    });
    expect(text.length).toBeLessThanOrEqual(CHECK_RUN_SUMMARY_LIMIT);
    expect(text).toMatch(/more characters not shown\._$/);
  });

  it('writes a callback comment under 1,024 characters naming every failing rule', () => {
    const c = gateComment(decision([rule(1), rule(2)]));
    expect(c.length).toBeLessThanOrEqual(1024);
    expect(c.startsWith('Release gate: rejected for PROD. RULE_1: Rule 1 failed')).toBe(true);
    expect(gateComment(decision([rule(1, { message: 'short' }), rule(2, { message: 'short' })]))).toBe(
      'Release gate: rejected for PROD. RULE_1: short RULE_2: short',
    );
  });
});
