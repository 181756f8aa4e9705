import type { ReleaseEvent, ReleaseEventKind } from '../core/release-events.js';

/** A Slack incoming-webhook message: `text` is the notification's fallback, `blocks` the Block Kit layout. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string } }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string }; fields?: Array<{ type: 'mrkdwn'; text: string }> }
  | { type: 'context'; elements: Array<{ type: 'mrkdwn'; text: string }> }
  | { type: 'actions'; elements: Array<{ type: 'button'; text: { type: 'plain_text'; text: string }; url: string }> };

const TITLES: Record<ReleaseEventKind, string> = {
  waiting: 'Waiting for approval',
  blocked: 'Blocked',
  promoted: 'Promoted',
  deployed: 'Deployed',
  verifying: 'Verifying',
  verified: 'Verified',
  verification_failed: 'Verification failed',
  rolled_back: 'Rolled back',
};

const ICONS: Record<ReleaseEventKind, string> = {
  waiting: ':hourglass_flowing_sand:',
  blocked: ':no_entry:',
  promoted: ':arrow_forward:',
  deployed: ':white_check_mark:',
  verifying: ':mag:',
  verified: ':white_check_mark:',
  verification_failed: ':x:',
  rolled_back: ':rewind:',
};

/** Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Block Kit limits a section's text to 3,000 characters and a header to 150. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The Block Kit message for one release event. */
export function slackMessage(event: ReleaseEvent): SlackMessage {
  const repo = `${event.repository.owner}/${event.repository.repo}`;
  const release = event.version ?? event.sha.slice(0, 7);
  const title = `${TITLES[event.kind]}: ${repo} ${release} → ${event.stage}`;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, 150) } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`${ICONS[event.kind]} ${escapeMrkdwn(event.summary)}`, 3000) },
    },
  ];
  const fields: Array<{ type: 'mrkdwn'; text: string }> = [
    { type: 'mrkdwn', text: `*Repository*\n${escapeMrkdwn(repo)}` },
    { type: 'mrkdwn', text: `*Release*\n\`${escapeMrkdwn(release)}\`` },
    { type: 'mrkdwn', text: `*Stage*\n${escapeMrkdwn(event.stage)}` },
    { type: 'mrkdwn', text: `*Environment*\n${escapeMrkdwn(event.environment)}` },
  ];
  if (event.whoCanApprove && event.whoCanApprove.length > 0)
    fields.push({ type: 'mrkdwn', text: `*Who can approve*\n${escapeMrkdwn(event.whoCanApprove.join(', '))}` });
  if (event.codes && event.codes.length > 0)
    fields.push({ type: 'mrkdwn', text: `*Held by*\n${event.codes.map((c) => `\`${escapeMrkdwn(c)}\``).join(', ')}` });
  if (event.rollbackOf !== undefined)
    fields.push({ type: 'mrkdwn', text: `*Rolls back*\ndeployment ${event.rollbackOf}` });
  blocks.push({
    type: 'section',
    text: { type: 'mrkdwn', text: `*${TITLES[event.kind]}*` },
    fields: fields.slice(0, 10),
  });
  if (event.measurements && event.measurements.length > 0) {
    const lines = event.measurements.map(
      (m) =>
        `${m.ok ? ':white_check_mark:' : ':x:'} ${escapeMrkdwn(m.check)}: ${m.value === null ? 'no data' : String(m.value)}${m.note ? ` (${escapeMrkdwn(m.note)})` : ''}`,
    );
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n'), 3000) } });
  }
  if (event.url) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open' }, url: event.url }],
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Release Gate · ${event.at.toISOString()} · \`${event.sha.slice(0, 12)}\`` }],
  });
  return { text: clip(`${title}: ${event.summary}`, 3000), blocks };
}
