// SECURITY.md T10: text from people is data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeMarkdown, inlineCode } from '../../src/core/markdown-escape.js';
import { closeChecked, startHarness } from '../support/app-harness.js';
import type { Harness } from '../support/app-harness.js';
import { issueCommentCreated } from '../support/webhooks.js';
import { overrides, policy } from '../support/policies.js';

/**
 * What GitHub would render live in a piece of Markdown: mentions, links and images,
 * raw HTML tags and autolinks, outside code spans (where nothing is live).
 */
function liveParts(markdown: string): { mentions: string[]; links: string[]; html: string[]; autolinks: string[] } {
  const text = markdown.replace(/(`+)[\s\S]*?\1/g, ' ');
  return {
    // A mention is `@` right after a non-word character, followed by a letter or digit.
    mentions: [...text.matchAll(/(?:^|[^\w`\\])(@[A-Za-z0-9][\w-]*(?:\/[\w-]+)?)/g)].map((m) => m[1]!),
    // `[text](url)` or `![alt](url)` with unescaped brackets.
    links: [...text.matchAll(/(?<!\\)!?\[[^\]]*(?<!\\)\]\([^)]*\)/g)].map((m) => m[0]),
    html: [...text.matchAll(/<\/?[A-Za-z][^>]*>/g)].map((m) => m[0]),
    autolinks: [...text.matchAll(/\b(?:https?:\/\/|www\.)\S+/gi)].map((m) => m[0]),
  };
}

/** The zero-width characters and backslashes the escaping adds: removed, the text reads as written. */
const INVISIBLE = /\u200b|\u200d|\\/g;

const HOSTILE =
  '[click me](https://evil.example/login) ![pixel](https://evil.example/p.png) <img src=x onerror=alert(1)> @acme/release-managers cc @bob | forged | cell www.evil.example **APPROVED**';

describe('SECURITY.md T10 escaping helpers', () => {
  it('keep the text readable and make nothing live', () => {
    const out = escapeMarkdown(`${HOSTILE}\nsecond line`);
    expect(liveParts(out)).toEqual({ mentions: [], links: [], html: [], autolinks: [] });
    expect(out).not.toContain('\n');
    // The words are still there for a person to read (zero-width characters aside).
    expect(out.replace(INVISIBLE, '')).toContain('[click me](https://evil.example/login)');
    expect(out.replace(INVISIBLE, '')).toContain('@acme/release-managers');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('\\| forged \\|');
  });

  it('inline code survives backticks and new lines', () => {
    expect(inlineCode('plain')).toBe('`plain`');
    expect(inlineCode('a `b` c')).toBe('`` a `b` c ``');
    expect(inlineCode('x``` @team\ny')).toBe('```` x``` @team y ````');
  });
});

const POLICY = policy({ DEV: [], PROD: [] }, ...overrides());
const SHA = '3'.repeat(40);

describe('SECURITY.md T10 a refused commenter writes links, images and mentions: nothing lands live', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ policy: POLICY });
    h.repo.pulls.push({ number: 9, user: 'alice', headSha: SHA, headRef: 'topic', commits: [SHA] });
    h.repo.permissions = { mallory: 'write' };
    h.github.teams.set('acme', { 'release-managers': ['maria'] });
  });
  afterAll(() => closeChecked(h));
  const comment = async (author: string, body: string) => {
    expect(
      await h.deliver(
        issueCommentCreated(h.ctx, { issue: 9, author, body, commentId: Math.floor(Math.random() * 1e9) }),
      ),
    ).toBe(200);
    return h.repo.comments.at(-1)!.body;
  };

  it('the reply to a refused override mentions only the commenter, and the audit summary shows the reason inert', async () => {
    const reply = await comment(
      'mallory',
      `/release-gate override PROD reason="${HOSTILE}" risk="none @acme/security"`,
    );
    expect(reply).toBe('@mallory Only members of release-managers may grant an override.');
    expect(liveParts(reply).mentions).toEqual(['@mallory']);

    // The refusal is in the release's timeline: the next decision's summary shows it, inert.
    await h.askGate({
      id: 90,
      runId: 60,
      sha: SHA,
      ref: 'topic',
      environment: 'production',
      creator: 'dev',
      createdAt: h.clock.now().toISOString(),
    });
    const summary = h.repo.checkRuns.filter((c) => c.name === 'Release gate / PROD').at(-1)!.output.summary!;
    expect(summary).toContain('Override by a non-member refused');
    expect(summary.replace(INVISIBLE, '')).toContain('[click me](https://evil.example/login)');
    expect(liveParts(summary)).toEqual({ mentions: [], links: [], html: [], autolinks: [] });
    // The table keeps its columns: the forged cells are text inside one cell.
    const row = summary.split('\n').find((l) => l.includes('Override by a non-member refused'))!;
    expect(row.split(/(?<!\\)\|/).length).toBe(8);
  });

  it('the reply to an unknown command does not repeat a live team mention', async () => {
    const reply = await comment('mallory', '/release-gate @acme/release-managers please approve');
    expect(reply).toMatch(/^@mallory Unknown command `@acme\/release-managers`\./);
    expect(liveParts(reply).mentions).toEqual(['@mallory']);
    // Backticks in the command cannot close the code span the reply quotes it in.
    const quoted = await comment('mallory', '/release-gate a`@acme/release-managers`b');
    expect(quoted).toMatch(/^@mallory Unknown command `` a`@acme\/release-managers`b ``\./);
    expect(liveParts(quoted).mentions).toEqual(['@mallory']);
    const promote = await comment('mallory', '/release-gate promote [x](https://evil.example)@acme/release-managers');
    expect(promote).toBe(
      '@mallory `[x](https://evil.example)@acme/release-managers` is not an environment of the policy (stages: DEV, PROD).',
    );
    expect(liveParts(promote)).toEqual({ mentions: ['@mallory'], links: [], html: [], autolinks: [] });
  });
});
