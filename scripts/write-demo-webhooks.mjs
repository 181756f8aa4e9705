// Writes src/demo/webhook-templates.ts: the parts of GitHub's example webhook payloads
// (@octokit/webhooks-examples, a development dependency) the demo's deliveries are built
// from, so the demo runs with production dependencies only. `npm run demo:webhooks`.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json');

/** The first example of `event` (with `action`, when given). */
export function example(event, action) {
  const found = examples
    .find((e) => e.name === event)
    ?.examples.find((e) => action === undefined || e.action === action);
  if (!found) throw new Error(`no ${event}${action ? `.${action}` : ''} example in @octokit/webhooks-examples`);
  return found;
}

export function demoWebhookTemplates() {
  const deployment = example('deployment', 'created');
  const status = example('deployment_status', 'created');
  const review = example('pull_request_review', 'submitted');
  const comment = example('issue_comment', 'created');
  return {
    repository: deployment.repository,
    sender: deployment.sender,
    deployment: deployment.deployment,
    deployment_status: status.deployment_status,
    review: review.review,
    pull_request: review.pull_request,
    issue: comment.issue,
    comment: comment.comment,
  };
}

export function demoWebhookTemplatesSource() {
  return `// Written by scripts/write-demo-webhooks.mjs from @octokit/webhooks-examples: do not edit.
/* eslint-disable */
/** Objects of GitHub's example webhook payloads the demo's deliveries are built from. */
export const WEBHOOK_TEMPLATES: Record<string, Record<string, unknown>> = ${JSON.stringify(demoWebhookTemplates(), null, 2)};
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = resolve(import.meta.dirname, '../src/demo/webhook-templates.ts');
  writeFileSync(file, demoWebhookTemplatesSource());
  console.log(`wrote ${file}`);
}
