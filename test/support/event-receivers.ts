import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { HTTP, type CloudEvent } from 'cloudevents';

/** What a receiver answers a request with, by its order (1-based): the status, or `hang` (never answers). */
export type Answer = number | 'hang';

interface Receiver<T> {
  url: string;
  /** Requests accepted (valid), in order. */
  received: T[];
  /** Every request seen, valid or not, with the answer given. */
  requests: Array<{ headers: IncomingHttpHeaders; body: string; status: number | 'hang' }>;
  /** Why requests were refused as invalid. */
  invalid: string[];
  close(): Promise<void>;
}

async function listen(
  handle: (headers: IncomingHttpHeaders, body: string, n: number) => { status: number | 'hang'; text: string },
): Promise<{ url: string; server: Server; hung: Array<() => void> }> {
  let n = 0;
  const hung: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      n++;
      const { status, text } = handle(req.headers, Buffer.concat(chunks).toString('utf8'), n);
      if (status === 'hang') {
        hung.push(() => res.destroy());
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, server, hung };
}

function closer(server: Server, hung: Array<() => void>): () => Promise<void> {
  return async () => {
    for (const h of hung) h();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/**
 * A Slack-compatible incoming webhook: answers `ok` to a JSON body with a `text` and Block Kit
 * `blocks` within Slack's limits (at most 50 blocks; header plain_text up to 150 characters;
 * section text up to 3,000 and at most 10 fields of up to 2,000; context elements; action
 * buttons with a URL), and `400 invalid_blocks` otherwise, as Slack does.
 */
export async function slackReceiver(answers: Answer[] = []): Promise<Receiver<{ text: string; blocks: unknown[] }>> {
  const received: Array<{ text: string; blocks: unknown[] }> = [];
  const requests: Receiver<unknown>['requests'] = [];
  const invalid: string[] = [];
  const { url, server, hung } = await listen((headers, body, n) => {
    const planned = answers[n - 1];
    const problem = checkSlack(headers, body);
    const status = planned ?? (problem ? 400 : 200);
    requests.push({ headers, body, status });
    if (problem) invalid.push(problem);
    if (status === 200 && !problem) received.push(JSON.parse(body) as { text: string; blocks: unknown[] });
    return { status, text: status === 200 ? 'ok' : problem ? 'invalid_blocks' : 'service_unavailable' };
  });
  return { url, received, requests, invalid, close: closer(server, hung) };
}

function checkSlack(headers: IncomingHttpHeaders, body: string): string | null {
  if (!String(headers['content-type']).startsWith('application/json')) return 'not JSON';
  let msg: { text?: unknown; blocks?: unknown };
  try {
    msg = JSON.parse(body) as typeof msg;
  } catch {
    return 'invalid_payload';
  }
  if (typeof msg.text !== 'string' || msg.text === '') return 'no text';
  if (!Array.isArray(msg.blocks) || msg.blocks.length === 0 || msg.blocks.length > 50) return 'blocks';
  for (const b of msg.blocks as Array<Record<string, unknown>>) {
    const text = b.text as { type?: string; text?: string } | undefined;
    switch (b.type) {
      case 'header':
        if (text?.type !== 'plain_text' || !text.text || text.text.length > 150) return 'header';
        break;
      case 'section': {
        if (text?.type !== 'mrkdwn' || !text.text || text.text.length > 3000) return 'section text';
        const fields = b.fields as Array<{ type?: string; text?: string }> | undefined;
        if (
          fields &&
          (fields.length > 10 || fields.some((f) => f.type !== 'mrkdwn' || !f.text || f.text.length > 2000))
        )
          return 'section fields';
        break;
      }
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) return 'context';
        break;
      case 'actions':
        for (const e of b.elements as Array<{ type?: string; url?: string; text?: { type?: string } }>)
          if (e.type !== 'button' || e.text?.type !== 'plain_text' || !e.url || !/^https?:\/\//.test(e.url))
            return 'button';
        break;
      default:
        return `block type ${String(b.type)}`;
    }
  }
  return null;
}

/** The CDEvents 0.4.1 schemas of test/fixtures/cdevents, compiled by the CloudEvent `type` they validate. */
export function cdeventValidators(): (type: string, data: unknown) => string | null {
  const dir = join(import.meta.dirname, '..', 'fixtures', 'cdevents');
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormatsModule as unknown as (a: Ajv2020) => Ajv2020)(ajv);
  for (const f of readdirSync(join(dir, 'links')))
    ajv.addSchema(JSON.parse(readFileSync(join(dir, 'links', f), 'utf8')) as object);
  const byType = new Map<string, ReturnType<typeof ajv.compile>>();
  for (const f of ['servicedeployed', 'servicerolledback', 'testsuiterunstarted', 'testsuiterunfinished']) {
    const schema = JSON.parse(readFileSync(join(dir, `${f}.json`), 'utf8')) as {
      properties: { context: { properties: { type: { enum: string[] } } } };
    };
    byType.set(schema.properties.context.properties.type.enum[0]!, ajv.compile(schema));
  }
  const custom = ajv.compile(JSON.parse(readFileSync(join(dir, 'custom.json'), 'utf8')) as object);
  return (type, data) => {
    const validate = byType.get(type) ?? (type.startsWith('dev.cdeventsx.') ? custom : undefined);
    if (!validate) return `no CDEvents schema for ${type}`;
    if (validate(data)) return null;
    return ajv.errorsText(validate.errors);
  };
}

/**
 * A CloudEvents receiver: checks the `X-Release-Gate-Signature` HMAC with the secret, reads
 * the request with the `cloudevents` SDK (which validates CloudEvents 1.0 attributes), and
 * validates the data against the CDEvents schema of its type. Invalid requests get 400.
 */
export async function cloudEventsReceiver(
  secret: string,
  answers: Answer[] = [],
): Promise<Receiver<CloudEvent<Record<string, unknown>>>> {
  const received: Array<CloudEvent<Record<string, unknown>>> = [];
  const requests: Receiver<unknown>['requests'] = [];
  const invalid: string[] = [];
  const validate = cdeventValidators();
  const { url, server, hung } = await listen((headers, body, n) => {
    let problem: string | null = null;
    let event: CloudEvent<Record<string, unknown>> | null = null;
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    const given = Buffer.from(String(headers['x-release-gate-signature'] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) problem = 'bad signature';
    if (!problem) {
      try {
        event = HTTP.toEvent({ headers, body }) as CloudEvent<Record<string, unknown>>;
        event.validate();
        if (event.specversion !== '1.0') problem = `specversion ${event.specversion}`;
        problem ??= validate(event.type, event.data);
        const context = (event.data as { context?: { id?: string; type?: string } }).context;
        if (!problem && (context?.id !== event.id || context?.type !== event.type))
          problem = 'the CDEvent context does not match the CloudEvent';
      } catch (error) {
        problem = `not a CloudEvent: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    const planned = answers[n - 1];
    const status = planned ?? (problem ? 400 : 202);
    requests.push({ headers, body, status });
    if (problem) invalid.push(problem);
    if (event && !problem && status !== 'hang' && status < 300) received.push(event);
    return { status, text: problem ?? '' };
  });
  return { url, received, requests, invalid, close: closer(server, hung) };
}
