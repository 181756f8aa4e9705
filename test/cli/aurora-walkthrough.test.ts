import { describe, expect, it } from 'vitest';
import { cli, POLICIES } from './helpers.js';

/**
 * The Aurora walk-through: PRE_PROD -> PROD with its policy.yaml,
 * `minApprovals: 1`, `minScore: 70`, a daily 22:00-23:59 America/Sao_Paulo freeze on PROD.
 */
const policy = `${POLICIES}aurora-seed.yml`;
const inPreProd = ['--deployed', 'PRE_PROD@2026-01-31T20:05:00Z'];
const base = ['evaluate', '--env', 'PROD', '--policy', policy, ...inPreProd, '--json'];

describe('the Aurora seed walk-through', () => {
  it('at 22:30 São Paulo time PROD is frozen: FREEZE_WINDOW_ACTIVE, held until 23:59 local', async () => {
    const r = await cli([...base, '--at', '2026-01-31T22:30:00-03:00', '--approver', 'approver', '--score', '80']);
    const out = r.json();
    expect(['wait', 'block']).toContain(out.decision);
    expect(out.decision).toBe('wait');
    expect(r.code).toBe(2);
    const failing = out.rules.filter((x: { ok: boolean }) => !x.ok);
    expect(failing.map((x: { code: string }) => x.code)).toEqual(['FREEZE_WINDOW_ACTIVE']);
    expect(failing[0].message).toBe(
      'Promotion held: freeze window active for PROD (22:00-23:59 America/Sao_Paulo) until 2026-02-01T02:59:00.000Z.',
    );
    expect(out.clearsAt).toBe('2026-02-01T02:59:00.000Z');
  });

  it('at 21:00 with one approval and score 80 it is allowed', async () => {
    const r = await cli([...base, '--at', '2026-01-31T21:00:00-03:00', '--approver', 'approver', '--score', '80']);
    expect(r.json().decision).toBe('allow');
    expect(r.code).toBe(0);
  });

  it('the seed evidence URL scores 80 and is allowed the same way', async () => {
    const url = 'https://ci.aurora.local/tests/v1.0.1-PASS-results.json';
    const r = await cli([
      ...base,
      '--at',
      '2026-01-31T21:00:00-03:00',
      '--approver',
      'approver',
      '--evidence-url',
      url,
    ]);
    expect(r.json()).toMatchObject({ decision: 'allow', score: 80 });
  });

  it('with score 65 it is blocked with SCORE_TOO_LOW naming 65 and 70', async () => {
    const r = await cli([...base, '--at', '2026-01-31T21:00:00-03:00', '--approver', 'approver', '--score', '65']);
    const out = r.json();
    expect(out.decision).toBe('block');
    expect(r.code).toBe(3);
    const rule = out.rules.find((x: { code: string }) => x.code === 'SCORE_TOO_LOW');
    expect(rule.message).toBe('Score 65 < minScore 70 required for PROD.');
    expect(rule.values).toMatchObject({ score: 65, minScore: 70 });
  });

  it('with no approval: APPROVAL_REQUIRED', async () => {
    const r = await cli([...base, '--at', '2026-01-31T21:00:00-03:00', '--score', '80']);
    const out = r.json();
    expect(out.rules.filter((x: { ok: boolean }) => !x.ok).map((x: { code: string }) => x.code)).toEqual([
      'APPROVAL_REQUIRED',
    ]);
    expect(out.rules.find((x: { code: string }) => x.code === 'APPROVAL_REQUIRED').message).toBe(
      'Release requires 1 approval(s) for PROD. Current: 0.',
    );
    expect(r.code).toBe(2);
  });

  it('DEV -> PRE_PROD is always allowed', async () => {
    const r = await cli([
      'evaluate',
      '--env',
      'PRE_PROD',
      '--policy',
      policy,
      '--deployed',
      'DEV@2026-01-31T20:00:00Z',
      '--at',
      '2026-01-31T22:30:00-03:00',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PRE_PROD: ALLOW');
  });

  it('the decision in words names every rule', async () => {
    const r = await cli([
      'evaluate',
      '--env',
      'PROD',
      '--policy',
      policy,
      ...inPreProd,
      '--at',
      '2026-01-31T22:30:00-03:00',
      '--score',
      '65',
    ]);
    expect(r.code).toBe(3);
    expect(r.stdout.split('\n')[0]).toBe('PROD: BLOCK: the release must not go on');
    expect(r.stdout).toMatch(/FAIL {2}SCORE_TOO_LOW +Score 65 < minScore 70 required for PROD\./);
    expect(r.stdout).toMatch(/WAIT {2}APPROVAL_REQUIRED/);
    expect(r.stdout).toMatch(/WAIT {2}FREEZE_WINDOW_ACTIVE/);
  });

  it('freeze says when PROD is frozen and when the next window is', async () => {
    const frozen = await cli([
      'freeze',
      '--env',
      'PROD',
      '--policy',
      policy,
      '--at',
      '2026-01-31T22:30:00-03:00',
      '--json',
    ]);
    expect(frozen.json()).toEqual({
      environment: 'PROD',
      frozen: true,
      window: '22:00-23:59 America/Sao_Paulo',
      until: '2026-02-01T02:59:00.000Z',
      next: {
        window: '22:00-23:59 America/Sao_Paulo',
        start: '2026-02-02T01:00:00.000Z',
        end: '2026-02-02T02:59:00.000Z',
      },
    });
    const open = await cli(['freeze', '--env', 'PROD', '--policy', policy, '--at', '2026-01-31T21:00:00-03:00']);
    expect(open.code).toBe(0);
    expect(open.stdout).toBe(
      'PROD is not frozen at 2026-02-01T00:00:00.000Z.\nNext window: "22:00-23:59 America/Sao_Paulo" from 2026-02-01T01:00:00.000Z to 2026-02-01T02:59:00.000Z.\n',
    );
  });

  it('score --evidence-url gives the seed breakdown', async () => {
    const r = await cli([
      'score',
      '--evidence-url',
      'https://ci.aurora.local/tests/v1.0.1-PASS-results.json',
      '--json',
    ]);
    expect(r.json()).toMatchObject({
      score: 80,
      breakdown: { https: 20, contains_test: 20, contains_pass: 30, file_extension: 10 },
    });
  });
});
