/**
 * Text from people is data. Whatever a commenter, a payload or a report writes (an override
 * reason, a login, a branch name, a rule message quoting them) goes through these helpers
 * before it lands in Markdown the App renders (check run summaries, the bot's replies), so
 * that it shows as the text it is and never becomes a link, an image, HTML, a table cell
 * break, bold text, or a mention that notifies a user or a team.
 *
 * GitHub's rules this relies on (GitHub Flavored Markdown, https://github.github.com/gfm/):
 * a backslash before ASCII punctuation makes it literal; HTML entities render as the
 * character; a mention is `@` directly followed by a letter or digit, so a zero-width joiner
 * between them leaves `@name` on screen without notifying anyone; an autolink needs
 * `http://`, `https://` or `www.` unbroken, so a zero-width space inside shows the same
 * text, not a link.
 */

const ZERO_WIDTH_JOINER = '\u200d';
const ZERO_WIDTH_SPACE = '\u200b';

/**
 * Markdown punctuation that can start a link, an image, code, a table cell, emphasis or
 * strikethrough. An `_` inside a word is left as it is (see escapeMarkdown): names are full
 * of it (`PRE_PROD`, `release_owner`) and GitHub never reads it as emphasis there.
 */
const PUNCTUATION = /[\\`*_[\]|~]/g;

/** `@name` or `@org/team`: made inert, the text unchanged on screen. */
export function neutralizeMentions(text: string): string {
  return text.replace(/@(?=[\p{L}\p{N}_-])/gu, `@${ZERO_WIDTH_JOINER}`);
}

/**
 * Inline text for Markdown (a table cell, a sentence, a quote): one line, no HTML, no
 * link or image, no bold or code, no live mention or autolink. Non-strings are shown as
 * JSON.
 */
export function escapeMarkdown(text: unknown): string {
  const s =
    typeof text === 'string' ? text : text === null || text === undefined ? '' : (JSON.stringify(text) ?? String(text));
  const escaped = s
    .replace(/\r\n?|\n|\u2028|\u2029/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    // An underscore inside a word (`PRE_PROD`) is never emphasis in GitHub's Markdown: left as it is.
    .replace(PUNCTUATION, (m, offset: number, all: string) =>
      m === '_' && /[\p{L}\p{N}]/u.test(all[offset - 1] ?? '') && /[\p{L}\p{N}]/u.test(all[offset + 1] ?? '')
        ? m
        : `\\${m}`,
    )
    .replace(/(https?|ftp|mailto):/gi, (m) => `${m}${ZERO_WIDTH_SPACE}`)
    .replace(/www\./gi, (m) => `${m.slice(0, 3)}${ZERO_WIDTH_SPACE}.`);
  return neutralizeMentions(escaped);
}

/**
 * Inline code that shows `text` as it is, whatever backticks it holds (the fence is longer
 * than any run of backticks in it), on one line. Nothing in a code span is a link or a
 * mention, so only line breaks need care.
 */
export function inlineCode(text: string): string {
  const one = text.replace(/\r\n?|\n|\u2028|\u2029/g, ' ');
  let longest = 0;
  for (const run of one.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || one.startsWith(' ') || one.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${one}${pad}${fence}`;
}
