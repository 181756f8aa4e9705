/**
 * `release-gate-app` (`npm start`): the App with its release console. The one place that
 * knows both: the App (src/app) serves handlers it is given, and the console (src/console)
 * acts through the App's action module only, so neither imports the other.
 */
import process from 'node:process';
import { reportStartFailure, start } from './app/start.js';
import type { Started, StartHooks } from './app/start.js';
import { consoleMounts } from './console/mount.js';

export { reportStartFailure };

/** Starts the App (or its registration page) with the console mounted; see `start` in src/app/start.ts. */
export function startReleaseGate(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  hooks: Omit<StartHooks, 'mounts'> = {},
): Promise<Started> {
  return start(env, cwd, { ...hooks, mounts: consoleMounts });
}
