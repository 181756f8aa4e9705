import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'probot';

/** GitHub caps webhook payloads at 25 MB; anything larger is not from GitHub. */
const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;

/**
 * Checks a delivery's `X-Hub-Signature-256` before Probot sees it. A delivery with a bad
 * or missing signature is answered 400 and logged as one WARN line with its delivery id,
 * event and size, never its payload: a stranger posting junk cannot fill the log. A good
 * one is handed on with its body already read (`req.body`, which Probot's middleware uses).
 * Returns true when it answered.
 */
export async function guardWebhook(
  req: IncomingMessage,
  res: ServerResponse,
  options: { path: string; secret: string; log: Logger },
): Promise<boolean> {
  if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== options.path) return false;
  const deliveryId = header(req, 'x-github-delivery');
  const event = header(req, 'x-github-event');
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) tooLarge = true;
    else chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const signature = header(req, 'x-hub-signature-256');
  const problem = tooLarge
    ? 'larger than GitHub sends (25 MB)'
    : !signature
      ? 'no X-Hub-Signature-256 header'
      : !matches(options.secret, body, signature)
        ? 'the signature does not match WEBHOOK_SECRET'
        : null;
  if (problem) {
    options.log.warn({ deliveryId: clip(deliveryId), event: clip(event), size }, `Webhook refused: ${problem}`);
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `Webhook refused: ${problem}` }));
    return true;
  }
  (req as IncomingMessage & { body?: string }).body = body.toString('utf8');
  return false;
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

/** Headers come from anyone: keep what is logged of them short. */
function clip(value: string | null): string | null {
  return value === null ? null : value.slice(0, 100);
}

function matches(secret: string, body: Buffer, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
