import { pino } from 'pino';
import type { ChildLoggerOptions, Logger as PinoLogger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Logger } from 'probot';

/** How the App writes its log: `json` (one JSON object per line) or `pretty` (for people). */
export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** The name on the App's own lines; Probot's loggers replace it with theirs (`probot`, `octokit`...). */
export const LOGGER_NAME = 'release-gate';

/** Keys pino writes on every line itself. */
const PINO_KEYS = ['level', 'time', 'pid', 'hostname', 'msg'];

/**
 * The App's one logger (pino, as Probot's): every line of the process goes through it,
 * startup, migrations, webhooks and the scheduler alike. `json` writes one object per line
 * to stdout with the level as a word (`"level":"warn"`); `pretty` is for people, each line
 * starting with the local date and time. Both write synchronously, so nothing is lost when
 * the process exits.
 *
 * No line repeats a key. Pino writes a child's bindings after its parent's, so Probot's
 * `child({ name: 'octokit' })` of its `child({ name: 'probot' })` would write `name` twice:
 * here every child is made from the root with its ancestors' bindings merged (the nearest
 * wins), and a line's own fields that collide with a binding or with pino's keys (Octokit's
 * debug lines log a check run's `name`) move under `fields`.
 */
export async function createLogger(options: {
  level: LogLevel;
  format: LogFormat;
  destination?: NodeJS.WritableStream;
}): Promise<Logger> {
  if (options.format === 'json') {
    const json = { level: options.level, formatters: { level: (label: string) => ({ level: label }) } };
    const root = pino(json, options.destination ?? pino.destination({ fd: 1, sync: true }));
    return uniqueKeys(root, { name: LOGGER_NAME }, options.level) as unknown as Logger;
  }
  const pretty = prettyFactory({
    // The date and time in the machine's time zone, with its offset: 2026-03-10 15:00:00.123 +0100.
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
    ignore: 'pid,hostname,req,res,responseTime',
    errorProps: 'event,status,headers,request',
  });
  const out = options.destination ?? pino.destination({ fd: 1, sync: true });
  const root = pino({ level: options.level }, { write: (line: string) => out.write(pretty(line)) });
  return uniqueKeys(root, { name: LOGGER_NAME }, options.level) as unknown as Logger;
}

/** A child of `root` with `bindings`, whose own children merge their bindings into these. */
function uniqueKeys(root: PinoLogger, bindings: Record<string, unknown>, level: string): PinoLogger {
  const taken = new Set([...PINO_KEYS, ...Object.keys(bindings)]);
  const logger = root.child(bindings, {
    level,
    formatters: { log: (fields: object) => moveCollisions(fields as Record<string, unknown>, taken) },
  });
  const child = (more: Record<string, unknown>, options?: ChildLoggerOptions): PinoLogger =>
    uniqueKeys(root, { ...bindings, ...more }, options?.level ?? logger.level);
  logger.child = child as unknown as PinoLogger['child'];
  return logger;
}

function moveCollisions(fields: Record<string, unknown>, taken: Set<string>): Record<string, unknown> {
  const colliding = Object.keys(fields).filter((k) => taken.has(k));
  if (colliding.length === 0) return fields;
  const kept: Record<string, unknown> = {};
  const moved: Record<string, unknown> =
    typeof fields.fields === 'object' && fields.fields !== null ? { ...(fields.fields as object) } : {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'fields') continue;
    if (taken.has(key)) moved[key] = value;
    else kept[key] = value;
  }
  return { ...kept, fields: moved };
}

/**
 * The logger at `level` or below: registration mode always shows what a person must do
 * (open the page, restart), whatever LOG_LEVEL says.
 */
export function atMost(log: Logger, level: LogLevel): Logger {
  const order: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
  const current = order.indexOf(log.level as LogLevel);
  if (current !== -1 && current <= order.indexOf(level)) return log;
  return log.child({}, { level });
}
