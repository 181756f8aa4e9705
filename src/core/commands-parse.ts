/**
 * The `/release-gate ...` commands people write in pull request comments. Pure: text in,
 * a command or a reason it is not one out.
 */

import { inlineCode } from './markdown-escape.js';

export type GateCommand =
  | { kind: 'status' }
  | { kind: 'promote'; environment: string }
  | { kind: 'rollback'; environment: string }
  | { kind: 'approve'; environment: string | null }
  | { kind: 'reject'; environment: string | null; reason: string }
  | { kind: 'override'; environment: string; reason: string; risk: string; rules: string[] }
  | { kind: 'help' }
  | { kind: 'setup' };

export type ParsedCommand = { ok: true; command: GateCommand } | { ok: false; error: string };

export const COMMAND_USAGE = [
  "`/release-gate status`: the gate's latest decision for each environment",
  "`/release-gate promote <env>`: deploy this pull request's head to `<env>`, the next stage, when the gate allows it (held until then)",
  "`/release-gate approve [env]`: approve what of this pull request's head waits for the gate (counted like a deployment review)",
  '`/release-gate reject [env] reason="..."`: reject what of this pull request\'s head waits for the gate',
  '`/release-gate override <env> reason="..." risk="..." [rules="CODE,CODE"]`: grant (or, as a second member, confirm) an exception',
  '`/release-gate rollback <env>`: deploy the last release verified in `<env>` after its latest verification failed (on the incident issue or any pull request)',
  "`/release-gate setup`: create the policy's missing environments and enable the gate on them (repository admins)",
].join('\n');

const PREFIX = /^\/release-gate(?=\s|$)/;

/**
 * Finds a command on the first line that starts with `/release-gate`. Returns null when the
 * comment has none (not addressed to the gate).
 */
export function parseGateCommand(body: string): ParsedCommand | null {
  const line = body
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => PREFIX.test(l));
  if (line === undefined) return null;
  const rest = line.replace(PREFIX, '').trim();
  const tokens = tokenize(rest);
  if (!tokens.ok) return { ok: false, error: tokens.error };
  const [verb, ...args] = tokens.tokens;
  switch (verb?.toLowerCase()) {
    case undefined:
    case 'help':
      return { ok: true, command: { kind: 'help' } };
    case 'status':
      if (args.length > 0) return { ok: false, error: '`status` takes no arguments.' };
      return { ok: true, command: { kind: 'status' } };
    case 'setup':
      return args.length > 0
        ? { ok: false, error: '`setup` takes no arguments.' }
        : { ok: true, command: { kind: 'setup' } };
    case 'promote': {
      if (args.length !== 1 || args[0]!.includes('='))
        return { ok: false, error: '`promote` needs exactly one environment: `/release-gate promote <env>`.' };
      return { ok: true, command: { kind: 'promote', environment: args[0]! } };
    }
    case 'rollback':
      if (args.length !== 1 || args[0]!.includes('='))
        return { ok: false, error: '`rollback` needs exactly one environment: `/release-gate rollback <env>`.' };
      return { ok: true, command: { kind: 'rollback', environment: args[0]! } };
    case 'approve':
      if (args.length > 1 || args.some((a) => a.includes('=')))
        return { ok: false, error: '`approve` takes at most one environment: `/release-gate approve [env]`.' };
      return { ok: true, command: { kind: 'approve', environment: args[0] ?? null } };
    case 'reject': {
      const env = args[0] !== undefined && !args[0].includes('=') ? args[0] : null;
      const values = keyValues('reject', env === null ? args : args.slice(1), ['reason']);
      if (!values.ok) return values;
      const reason = values.values.reason?.trim();
      if (!reason) return { ok: false, error: '`reject` needs reason="...": say why the release must not go on.' };
      return { ok: true, command: { kind: 'reject', environment: env, reason } };
    }
    case 'override': {
      const [env, ...pairs] = args;
      if (!env || env.includes('='))
        return {
          ok: false,
          error: '`override` needs an environment first: `/release-gate override <env> reason="..." risk="..."`.',
        };
      const parsed = keyValues('override', pairs, ['reason', 'risk', 'rules']);
      if (!parsed.ok) return parsed;
      const values = parsed.values;
      const missing = ['reason', 'risk'].filter((k) => !values[k]?.trim());
      if (missing.length > 0)
        return {
          ok: false,
          error: `\`override\` needs ${missing.map((k) => `${k}="..."`).join(' and ')}: say why the exception is justified and what risk is accepted.`,
        };
      const rules = (values.rules ?? '')
        .split(',')
        .map((r) => r.trim().toUpperCase())
        .filter(Boolean);
      return {
        ok: true,
        command: {
          kind: 'override',
          environment: env,
          reason: values.reason!.trim(),
          risk: values.risk!.trim(),
          rules,
        },
      };
    }
    default:
      return { ok: false, error: `Unknown command ${inlineCode(verb ?? '')}.` };
  }
}

/** The `key="value"` pairs of a command, each key one of `known`. */
function keyValues(
  verb: string,
  pairs: readonly string[],
  known: readonly string[],
): { ok: true; values: Record<string, string> } | { ok: false; error: string } {
  const values: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) return { ok: false, error: `\`${verb}\` takes key="value" pairs; ${inlineCode(p)} is not one.` };
    const key = p.slice(0, eq).toLowerCase();
    if (!known.includes(key))
      return {
        ok: false,
        error: `\`${verb}\` does not know ${inlineCode(key)}; use ${
          verb === 'override' ? 'reason="...", risk="..." and optionally rules="CODE,CODE"' : 'reason="..."'
        }.`,
      };
    values[key] = p.slice(eq + 1);
  }
  return { ok: true, values };
}

/** Splits on spaces, keeping `key="a b"` together and unquoting it. */
function tokenize(text: string): { ok: true; tokens: string[] } | { ok: false; error: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let token = '';
    while (i < text.length && !/\s/.test(text[i]!)) {
      const c = text[i]!;
      if (c === '"' || c === '“' || c === '”') {
        const close = text.slice(i + 1).search(/["”“]/);
        if (close < 0) return { ok: false, error: 'A quoted value is not closed: add the closing `"`.' };
        token += text.slice(i + 1, i + 1 + close);
        i += close + 2;
      } else {
        token += c;
        i++;
      }
    }
    tokens.push(token);
  }
  return { ok: true, tokens };
}
