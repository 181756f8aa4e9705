import { describe, expect, it } from 'vitest';
import { assertRequestMatchesGitHub, findOperation } from '../support/openapi.js';

describe('assertRequestMatchesGitHub', () => {
  it('accepts an approval and a status report on the protection rule callback', () => {
    const url = '/api/v3/repos/o/r/actions/runs/42/deployment_protection_rule';
    expect(
      assertRequestMatchesGitHub('POST', url, { environment_name: 'production', state: 'approved', comment: 'ok' }),
    ).toBe('/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule');
    expect(() =>
      assertRequestMatchesGitHub('POST', url, { environment_name: 'production', comment: 'waiting' }),
    ).not.toThrow();
  });

  it('refuses a wrong state, a missing field and an unknown route', () => {
    const url = '/repos/o/r/actions/runs/42/deployment_protection_rule';
    expect(() => assertRequestMatchesGitHub('POST', url, { environment_name: 'production', state: 'allowed' })).toThrow(
      /does not match GitHub's schema/,
    );
    expect(() => assertRequestMatchesGitHub('POST', url, { state: 'approved' })).toThrow(/does not match/);
    expect(() => assertRequestMatchesGitHub('POST', '/repos/o/r/gates/1', {})).toThrow(
      "GitHub's REST API has no operation POST /repos/o/r/gates/1",
    );
  });

  it('picks the literal route and lets refs and paths contain slashes', () => {
    expect(findOperation('GET', '/repos/o/r/commits/abc/check-runs?check_name=Release%20evidence')?.template).toBe(
      '/repos/{owner}/{repo}/commits/{ref}/check-runs',
    );
    expect(findOperation('GET', '/repos/o/r/contents/.github/release-policy.yml?ref=main')?.template).toBe(
      '/repos/{owner}/{repo}/contents/{path}',
    );
    expect(findOperation('GET', '/repos/o/r/compare/aaa...bbb')?.operationId).toBe('repos/compare-commits');
    expect(() =>
      assertRequestMatchesGitHub('POST', '/repos/o/r/check-runs', {
        name: 'Release gate / PROD',
        head_sha: 'a'.repeat(40),
        status: 'completed',
        conclusion: 'maybe',
      }),
    ).toThrow(/conclusion/);
  });
});
