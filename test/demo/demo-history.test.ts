import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realCredentials, refusalLine } from '../../src/demo/credentials.js';
import { startDemo } from '../../src/demo/start-demo.js';
import type { DemoStarted } from '../../src/demo/start-demo.js';
import {
  WEBHOOK_TEMPLATES,
  commentCreated,
  deploymentStatusCreated,
  protectionRuleRequested,
  reviewSubmitted,
} from '../../src/demo/webhooks.js';
import type { DemoRepoContext } from '../../src/demo/webhooks.js';
import { demoWebhookTemplates } from '../../scripts/write-demo-webhooks.js';
import { FakeGitHub } from '../support/fake-github.js';
import { freePort, ROOT } from '../support/processes.js';
import { visit } from '../support/demo-process.js';

const require = createRequire(import.meta.url);
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule as unknown as (ajv: InstanceType<typeof Ajv2020>) => unknown;

describe('the demo, in process, against the checked simulated GitHub', () => {
  let github: FakeGitHub;
  let demo: DemoStarted;

  beforeAll(async () => {
    github = new FakeGitHub();
    demo = await startDemo({ PORT: String(await freePort()) }, { github });
    await demo.history;
  }, 120_000);
  afterAll(async () => {
    await demo?.close();
  });

  it('plays its whole history through the App with requests GitHub would accept', async () => {
    expect(github.violations).toEqual([]);
    // The App answered each protection rule the history asked about, as GitHub records it.
    const answers = (name: string) =>
      github.repo(`acme/${name}`).answers.map((a) => [a.environment, a.state ?? 'wait']);
    expect(answers('storefront')).toEqual([
      ['development', 'approved'],
      ['staging', 'approved'],
      ['production', 'wait'],
      ['development', 'approved'],
      ['staging', 'approved'],
      ['production', 'approved'],
    ]);
    expect(answers('payments')).toEqual([
      ['development', 'approved'],
      ['staging', 'approved'],
      ['production', 'approved'],
      ['staging', 'rejected'],
      ['development', 'approved'],
      ['staging', 'approved'],
      ['production', 'wait'],
    ]);
    expect(answers('search-api')).toEqual([
      ['development', 'approved'],
      ['staging', 'approved'],
      ['production', 'approved'],
      ['development', 'approved'],
      ['staging', 'approved'],
      ['production', 'rejected'],
    ]);
    // The hotfix went through the freeze on maria's override, and the App said so on the pull request.
    const storefront = github.repo('acme/storefront');
    expect(storefront.answers.at(-1)!.comment).toContain('FREEZE_WINDOW_ACTIVE overridden by maria');
    expect(storefront.comments.map((c) => c.body)).toEqual([
      expect.stringMatching(/^@maria Override granted for PROD on c3c3c3c /),
    ]);
  });

  it('shows the history on the board of the demo user, with the demo banner', async () => {
    const board = await visit(`${demo.url}/`);
    expect(board.status).toBe(200);
    expect(board.html).toContain('Signed in as <strong>demo-user</strong>');
    expect(board.html).toContain('<p class="banner" role="note">Demo: a simulated GitHub');
    for (const name of ['acme/payments', 'acme/search-api', 'acme/storefront']) expect(board.html).toContain(name);
  });
});

describe("the demo's deliveries", () => {
  const spec = require('@octokit/openapi-webhooks/generated/api.github.com.json') as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(spec, 'webhooks');
  const schema = (name: string) => ajv.compile({ $ref: `webhooks#/components/schemas/${name}` });
  const repo: DemoRepoContext = {
    owner: 'acme',
    name: 'storefront',
    id: 1001,
    installationId: 101,
    apiBase: 'http://127.0.0.1:3000/api/v3',
  };
  const d = {
    id: 5,
    sha: 'c3'.repeat(20),
    ref: 'v2.2.1',
    environment: 'production',
    creator: 'ci-deployer',
    createdAt: '2026-12-07T06:00:00.000Z',
  };

  it("match GitHub's webhook schemas (@octokit/openapi-webhooks)", () => {
    const cases: Array<[string, unknown]> = [
      ['webhook-deployment-protection-rule-requested', protectionRuleRequested(repo, { ...d, runId: 9 }).payload],
      [
        'webhook-deployment-status-created',
        deploymentStatusCreated(repo, d, { id: 6, state: 'success', at: d.createdAt }).payload,
      ],
      [
        'webhook-pull-request-review-submitted',
        reviewSubmitted(repo, {
          pull: 43,
          headSha: d.sha,
          author: 'carol',
          reviewer: 'alice',
          at: d.createdAt,
          reviewId: 7,
        }).payload,
      ],
      [
        'webhook-issue-comment-created',
        commentCreated(repo, {
          issue: 43,
          author: 'maria',
          commentId: 8,
          body: '/release-gate override PROD reason="x"',
        }).payload,
      ],
    ];
    for (const [name, payload] of cases) {
      const validate = schema(name);
      const ok = validate(payload);
      expect({ name, errors: ok ? null : ajv.errorsText(validate.errors) }).toEqual({ name, errors: null });
    }
  });

  it("are built from GitHub's example payloads as they are today", () => {
    expect(WEBHOOK_TEMPLATES).toEqual(demoWebhookTemplates());
  });
});

describe('real credentials', () => {
  const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----\n';

  it('are told from placeholders', () => {
    expect(realCredentials({ APP_ID: '123456', PRIVATE_KEY: key, GITHUB_TOKEN: `ghp_${'a1B2'.repeat(9)}` })).toEqual([
      'APP_ID',
      'PRIVATE_KEY',
      'GITHUB_TOKEN',
    ]);
    expect(realCredentials({ GITHUB_TOKEN: `github_pat_${'x'.repeat(60)}` })).toEqual(['GITHUB_TOKEN']);
    expect(realCredentials({ APP_ID: '', PRIVATE_KEY: '', GITHUB_TOKEN: 'changeme' })).toEqual([]);
    expect(realCredentials({ APP_ID: 'your-app-id', GITHUB_TOKEN: 'ghp_xxx' })).toEqual([]);
  });

  it('stop the demo before it opens anything, with one line naming them', async () => {
    const port = await freePort();
    await expect(startDemo({ PORT: String(port), APP_ID: '123456' })).rejects.toThrow(
      'The Release Gate demo does not run with real credentials: APP_ID is set; unset it to run the demo (its GitHub is simulated), or run the real App with `npm start`.',
    );
    expect(refusalLine({ APP_ID: '1', GITHUB_TOKEN: `gho_${'z'.repeat(36)}` })).toMatch(
      /^The Release Gate demo does not run with real credentials: APP_ID, GITHUB_TOKEN are set; unset them /,
    );
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});

describe('the README', () => {
  it('shows the demo first: the screenshot the Chromium test takes, then the command', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const firstBlocks = readme.split('\n\n').slice(0, 3);
    expect(firstBlocks[0]).toBe('# Release Gate');
    expect(firstBlocks[1]).toMatch(/^!\[The demo's release console[^\]]*\]\(docs\/demo\.png\)$/);
    expect(firstBlocks[2]).toContain('**See it before installing it**');
    expect(readme.indexOf('$ npm run demo')).toBeLessThan(readme.indexOf('\n## '));
    expect(existsSync(join(ROOT, 'docs', 'demo.png'))).toBe(true);
  });
});
