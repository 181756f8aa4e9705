import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Probot } from 'probot';
import type { ConsoleConfig } from './config.js';
import { readConsoleConfig } from './config.js';
import { createConsoleHandler } from './handler.js';
import type { ConsoleDeps } from './service.js';

/**
 * The release console as an HTTP handler the App serves beside its webhooks: given what the
 * loaded App shares (its record, clock, log, actions and Probot), it makes the handler. The
 * App takes it as a plain function (src/app/app.ts `HttpMount`) and never imports the console.
 */
export function mountConsole(
  config: ConsoleConfig,
): (host: ConsoleDeps & { probot: Probot }) => (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return (host) => createConsoleHandler({ config, gate: host, probot: host.probot });
}

/** The console of `npm start`, configured from the environment (see `readConsoleConfig`). */
export function consoleMounts(env: NodeJS.ProcessEnv, apiBaseUrl: string): Array<ReturnType<typeof mountConsole>> {
  return [mountConsole(readConsoleConfig(env, apiBaseUrl))];
}
