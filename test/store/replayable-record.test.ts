import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_VERSION } from '../../src/core/engine-version.js';
import { openStore } from '../../src/store/open-store.js';
import { forEachStoredEvaluation } from '../../src/store/stored-evaluations.js';
import type { Store } from '../../src/store/types.js';
import { postgresTarget, sqliteTarget, type Target } from './targets.js';

const t = (iso: string) => new Date(iso);
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const REPO_TEXT = 'version: 1\nextends: org\nenvironments:\n  - name: PROD\n    minApprovals: 2\n';
const ORG_TEXT = 'version: 1\nenvironments:\n  - name: DEV\n  - name: PROD\n';

const file = (role: 'repository' | 'org default', text: string) => ({
  role,
  text,
  source: role === 'repository' ? '.github/release-policy.yml' : 'acme/.github/.github/release-policy.yml',
  repository: role === 'repository' ? 'acme/web' : 'acme/.github',
  path: '.github/release-policy.yml',
  ref: role === 'repository' ? 'main' : '',
  blobSha: `blob-${role}`,
  ...(role === 'org default' ? { commitSha: 'c'.repeat(40) } : {}),
});

it('keeps the engine version in one constant equal to the package version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(ENGINE_VERSION).toBe(pkg.version);
});

describe.each([
  { provider: 'sqlite' as const, target: sqliteTarget },
  { provider: 'postgresql' as const, target: postgresTarget },
])('the replayable record on $provider', ({ target }) => {
  let tg: Target;
  let store: Store;

  beforeAll(async () => {
    tg = await target();
    store = await openStore({ databaseUrl: tg.url });
  });
  afterAll(async () => {
    await store?.close();
    await tg?.cleanup();
  });

  const base = {
    repo: 'acme/web',
    sha: 'a'.repeat(40),
    environment: 'production',
    stage: 'PROD',
    decision: 'allow',
    rules: [],
    inputs: { facts: {} },
  };

  it('stores each policy text once and references it by sha256 with its role and the engine version', async () => {
    const first = await store.recordEvaluation({
      ...base,
      at: t('2026-11-01T10:00:00Z'),
      policyFiles: [file('repository', REPO_TEXT), file('org default', ORG_TEXT)],
    });
    const second = await store.recordEvaluation({
      ...base,
      at: t('2026-11-01T11:00:00Z'),
      policyFiles: [file('repository', REPO_TEXT), file('org default', ORG_TEXT)],
    });
    for (const row of [first, second]) {
      expect(row.engineVersion).toBe(ENGINE_VERSION);
      expect(row.notReplayable).toBeNull();
      expect(row.policyFiles).toEqual([
        {
          role: 'repository',
          sha256: sha256(REPO_TEXT),
          source: '.github/release-policy.yml',
          repository: 'acme/web',
          path: '.github/release-policy.yml',
          ref: 'main',
          blobSha: 'blob-repository',
          commitSha: null,
        },
        {
          role: 'org default',
          sha256: sha256(ORG_TEXT),
          source: 'acme/.github/.github/release-policy.yml',
          repository: 'acme/.github',
          path: '.github/release-policy.yml',
          ref: '',
          blobSha: 'blob-org default',
          commitSha: 'c'.repeat(40),
        },
      ]);
    }
    const texts = await store.getPolicyTexts([sha256(REPO_TEXT), sha256(ORG_TEXT), sha256('never stored')]);
    expect([...texts.entries()].sort()).toEqual(
      [
        [sha256(ORG_TEXT), ORG_TEXT],
        [sha256(REPO_TEXT), REPO_TEXT],
      ].sort(),
    );
    expect(await store.getEvaluation(second.id)).toMatchObject({
      id: second.id,
      at: t('2026-11-01T11:00:00Z'),
      policyFiles: second.policyFiles,
    });
    expect(await store.getEvaluation(second.id + 1000)).toBeNull();
  });

  it('marks an evaluation recorded without its policy texts as not replayable', async () => {
    const row = await store.recordEvaluation({ ...base, repo: 'acme/other', at: t('2026-11-02T10:00:00Z') });
    expect(row).toMatchObject({
      policyFiles: null,
      notReplayable: 'the evaluation was recorded without its policy texts',
    });
  });

  it('pages evaluations in id order by repository, owner and time', async () => {
    const all = await store.pageEvaluations({ repoPrefix: 'acme/', limit: 10 });
    expect(all.map((r) => r.repo)).toEqual(['acme/web', 'acme/web', 'acme/other']);
    const page = await store.pageEvaluations({ repo: 'acme/web', afterId: all[0]!.id, limit: 10 });
    expect(page.map((r) => r.id)).toEqual([all[1]!.id]);
    expect((await store.pageEvaluations({ since: t('2026-11-01T10:30:00Z'), limit: 1 })).map((r) => r.id)).toEqual([
      all[1]!.id,
    ]);
    expect(
      (await store.pageEvaluations({ repoPrefix: 'acme/', newestFirst: true, limit: 2 })).map((r) => r.id),
    ).toEqual([all[2]!.id, all[1]!.id]);
    expect(
      (await store.pageEvaluations({ repoPrefix: 'acme/', newestFirst: true, beforeId: all[1]!.id, limit: 2 })).map(
        (r) => r.id,
      ),
    ).toEqual([all[0]!.id]);
  });

  it('gives the most recent evaluations of a bounded selection, in id order, with their policy texts', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 2005; i++)
      ids.push(
        (
          await store.recordEvaluation({
            ...base,
            repo: 'acme/busy',
            at: t('2026-11-03T10:00:00Z'),
            policyFiles: [file('repository', REPO_TEXT)],
          })
        ).id,
      );
    const seen: number[] = [];
    const texts: string[] = [];
    await forEachStoredEvaluation(
      store,
      { repo: 'acme/busy', since: t('2026-11-03T00:00:00Z'), limit: 2001 },
      (rows, known) => {
        seen.push(...rows.map((r) => r.id));
        texts.push(...known.values());
      },
    );
    expect(seen).toEqual(ids.slice(-2001));
    expect(texts).toEqual([REPO_TEXT]);
  });
});
