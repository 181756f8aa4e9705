/**
 * What the console's views read of the service (`service.ts`): its dependencies, the user's
 * access and scope, the repository's policy, times in zones and the waiting gates. The views
 * take this, not the service, so the service can compose them.
 */
import type { Logger } from 'probot';
import type { EvaluationBudget } from '../budget/pool.js';
import type { Policy } from '../core/types.js';
import type { ActionScope, ReleaseActions } from '../app/actions/index.js';
import type { RepoPolicy } from '../github/policy-source.js';
import type { ConsoleStore } from './console-store.js';
import type { GitHubDirectory, InstalledRepo, Role } from './github-directory.js';
import type { RepoSummary, Viewer, WaitingGateView, ZonedTime } from './views.js';

/** What the console needs of the App: its record (read), its clock and log, and its actions. */
export interface ConsoleDeps {
  store: ConsoleStore;
  clock: () => Date;
  log: Logger;
  actions: ReleaseActions;
  /** The time and heap one evaluation may use (the freeze calendar is worked out within it). */
  evaluationBudget?: EvaluationBudget;
}

/** The service as its views read it. */
export interface ConsoleReader {
  readonly deps: ConsoleDeps;
  readonly github: GitHubDirectory;
  readonly webBaseUrl: string;
  now(): Date;
  /** The repository and the user's role on it; 404 when it is not installed or the user cannot read it. */
  access(login: string, fullName: string): Promise<{ repo: InstalledRepo; role: Role }>;
  summary(repo: InstalledRepo, role: Role): RepoSummary;
  policy(repo: InstalledRepo): Promise<RepoPolicy>;
  zoned(at: string, windowZones: string[], viewerZone: string): ZonedTime;
  waitingGates(repo: InstalledRepo, policy: Policy | null, viewer: Viewer, sha?: string): Promise<WaitingGateView[]>;
  /** The scope one signed-in person acts in on one repository (404 when they cannot read it). */
  scope(login: string, fullName: string): Promise<{ repo: InstalledRepo; role: Role; scope: ActionScope }>;
}
