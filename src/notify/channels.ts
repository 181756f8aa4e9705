import { parse } from 'yaml';

/**
 * Where release events go: a policy's `notify:` names channels by the operator's variable
 * names (`slack: SLACK_WEBHOOK_URL`, `webhook: RELEASE_EVENTS_URL`), at the top level and
 * optionally per stage (a stage's `notify` replaces the top level's for that stage). The
 * repository never holds a URL or a secret: the App reads the URL (and, for a webhook, the
 * signing secret) from its own environment.
 */
export type ChannelKind = 'slack' | 'webhook';

export interface ChannelRef {
  kind: ChannelKind;
  /** The operator's variable holding the URL. */
  variable: string;
}

/** The shape of a variable name a policy may give. */
export const VARIABLE_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * Variables of the App's own configuration: never a notification channel, whatever a policy
 * names, so a policy cannot make the App send release events to a URL the operator set for
 * something else (its database, its console, a data source).
 */
const RESERVED =
  /^(APP_ID|PRIVATE_KEY.*|WEBHOOK_SECRET|WEBHOOK_PROXY_URL|GITHUB_.*|GHE_.*|DATABASE_URL|TEST_DATABASE_URL|CONSOLE_.*|PROMETHEUS_URL|RELEASE_GATE_.*|REDIS_URL|HTTPS?_PROXY|NO_PROXY|NODE_.*|PATH|HOME)$/;

/** The channel's key in the outbox (`slack:SLACK_WEBHOOK_URL`). */
export function channelKey(ref: ChannelRef): string {
  return `${ref.kind}:${ref.variable}`;
}

export function parseChannelKey(key: string): ChannelRef | null {
  const m = /^(slack|webhook):([A-Z][A-Z0-9_]*)$/.exec(key);
  return m ? { kind: m[1] as ChannelKind, variable: m[2]! } : null;
}

function refsOf(notify: unknown): ChannelRef[] {
  if (typeof notify !== 'object' || notify === null || Array.isArray(notify)) return [];
  const out: ChannelRef[] = [];
  for (const kind of ['slack', 'webhook'] as const) {
    const variable = (notify as Record<string, unknown>)[kind];
    if (typeof variable === 'string' && VARIABLE_NAME.test(variable)) out.push({ kind, variable });
  }
  return out;
}

/**
 * The channels a policy names for a stage: the stage's `notify` when it has one, else the
 * top level's. Read from the parsed policy object (`notify` and `environments[].notify`);
 * values that are not variable names are ignored here (the policy's schema rejects them).
 */
export function channelsFor(policy: unknown, stage: string): ChannelRef[] {
  if (typeof policy !== 'object' || policy === null) return [];
  const p = policy as { notify?: unknown; environments?: unknown };
  const stages = Array.isArray(p.environments) ? (p.environments as Array<Record<string, unknown>>) : [];
  const own = stages.find((s) => typeof s === 'object' && s !== null && s.name === stage);
  if (own && own.notify !== undefined) return refsOf(own.notify);
  return refsOf(p.notify);
}

/**
 * The channels of the policy texts the record keeps for a repository (the repository's file
 * first, then the org default): the first text with a `notify` key, top level or in the
 * stage, decides.
 */
export function channelsFromTexts(texts: readonly string[], stage: string): ChannelRef[] {
  for (const text of texts) {
    let doc: unknown;
    try {
      doc = parse(text);
    } catch {
      // A policy that does not parse was refused by the gate already: it names no channel.
      continue;
    }
    if (typeof doc !== 'object' || doc === null) continue;
    const d = doc as { notify?: unknown; environments?: unknown };
    const stageHasNotify =
      Array.isArray(d.environments) &&
      d.environments.some(
        (s: unknown) =>
          typeof s === 'object' && s !== null && 'notify' in s && (s as { name?: unknown }).name === stage,
      );
    if (d.notify !== undefined || stageHasNotify) return channelsFor(doc, stage);
  }
  return [];
}

/** A channel resolved against the operator's environment. */
export type ResolvedChannel =
  { ok: true; ref: ChannelRef; url: URL; secret: string | null } | { ok: false; ref: ChannelRef; error: string };

/**
 * Reads the channel's URL (and, for a webhook, its signing secret from `<VAR>_SECRET`) from
 * the App's environment. Fails closed with a sentence saying what to set.
 */
export function resolveChannel(ref: ChannelRef, env: Readonly<Record<string, string | undefined>>): ResolvedChannel {
  const fail = (error: string): ResolvedChannel => ({ ok: false, ref, error });
  if (!VARIABLE_NAME.test(ref.variable))
    return fail(`notify.${ref.kind} must name an environment variable (A-Z, 0-9, _), not "${ref.variable}".`);
  if (RESERVED.test(ref.variable))
    return fail(
      `notify.${ref.kind} names ${ref.variable}, a variable of the App's own configuration: name a variable set for notifications (for example ${ref.kind === 'slack' ? 'SLACK_WEBHOOK_URL' : 'RELEASE_EVENTS_URL'}).`,
    );
  const raw = env[ref.variable];
  if (raw === undefined || raw.trim() === '')
    return fail(
      `notify.${ref.kind} names ${ref.variable}, which is not set in the App's environment: set it to the ${ref.kind === 'slack' ? 'Slack incoming-webhook URL' : 'receiver URL'}.`,
    );
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return fail(`${ref.variable} is not a URL: set it to an https:// URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return fail(`${ref.variable} is a ${url.protocol} URL: set it to an https:// URL.`);
  if (ref.kind === 'slack') return { ok: true, ref, url, secret: null };
  const secret = env[`${ref.variable}_SECRET`];
  if (secret === undefined || secret.length < 16)
    return fail(
      `${ref.variable}_SECRET is ${secret === undefined ? 'not set' : 'shorter than 16 characters'}: set it to the secret the receiver checks X-Release-Gate-Signature with (events are never sent unsigned).`,
    );
  return { ok: true, ref, url, secret };
}
