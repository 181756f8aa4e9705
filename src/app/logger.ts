import { getTransformStream } from '@probot/pino';
import { pino } from 'pino';
import type { Logger } from 'probot';

/** How the App writes its log: `json` (one JSON object per line) or `pretty` (for people). */
export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * The App's one logger (pino, as Probot's): every line of the process goes through it,
 * startup, migrations, webhooks and the scheduler alike. `json` writes one object per line
 * to stdout with the level as a word (`"level":"warn"`), synchronously, so nothing is lost
 * when the process exits; `pretty` is Probot's human format.
 */
export async function createLogger(options: {
  level: LogLevel;
  format: LogFormat;
  destination?: NodeJS.WritableStream;
}): Promise<Logger> {
  if (options.format === 'json') {
    const json = { level: options.level, formatters: { level: (label: string) => ({ level: label }) } };
    return pino(json, options.destination ?? pino.destination({ fd: 1, sync: true })) as unknown as Logger;
  }
  const transform = await getTransformStream({ logFormat: 'pretty', logLevelInString: true });
  transform.pipe(options.destination ?? process.stdout);
  return pino({ level: options.level, name: 'release-gate' }, transform) as unknown as Logger;
}
