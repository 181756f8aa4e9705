/**
 * Writes src/demo/webhook-templates.json: the parts of GitHub's example webhook payloads
 * (@octokit/webhooks-examples, a development dependency) the demo's deliveries are built
 * from, so the demo runs on the production dependencies alone. `npm run demo:webhooks`.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

interface Example {
  name: string;
  examples: Array<Record<string, unknown>>;
}

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Example[];

/** The first example of `event.action`. */
function example(event: string, action: string): Record<string, unknown> {
  const found = examples.find((e) => e.name === event)?.examples.find((e) => e.action === action);
  if (!found) throw new Error(`no ${event}.${action} example in @octokit/webhooks-examples`);
  return found;
}

/** The objects the demo's deliveries are built from, taken from the examples. */
export function demoWebhookTemplates(): Record<string, Record<string, unknown>> {
  const deployment = example('deployment', 'created');
  const status = example('deployment_status', 'created');
  const review = example('pull_request_review', 'submitted');
  const comment = example('issue_comment', 'created');
  const pick = (from: Record<string, unknown>, key: string) => from[key] as Record<string, unknown>;
  return {
    repository: pick(deployment, 'repository'),
    sender: pick(deployment, 'sender'),
    deployment: pick(deployment, 'deployment'),
    deployment_status: pick(status, 'deployment_status'),
    review: pick(review, 'review'),
    pull_request: pick(review, 'pull_request'),
    issue: pick(comment, 'issue'),
    comment: pick(comment, 'comment'),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = fileURLToPath(new URL('../src/demo/webhook-templates.json', import.meta.url));
  writeFileSync(target, `${JSON.stringify(demoWebhookTemplates(), null, 2)}\n`);
  console.log(`wrote ${target}`);
}
