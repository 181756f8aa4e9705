import type { AuditStore } from '../store/audit.js';
import type { ConsoleQueryStore } from '../store/console-queries.js';
import type { DeploymentStore } from '../store/deployments.js';
import type { EvaluationStore } from '../store/evaluations.js';
import type { GateStore } from '../store/gates.js';
import type { OverrideStore } from '../store/overrides.js';
import type { ReleaseStore } from '../store/releases.js';
import type { SessionStore } from '../store/sessions.js';
import type { Store } from '../store/types.js';

/** The roles of the record the console reads (it writes through the actions), its look-ups and its sessions. */
export type ConsoleStore = ReleaseStore &
  DeploymentStore &
  EvaluationStore &
  OverrideStore &
  GateStore &
  AuditStore &
  SessionStore &
  ConsoleQueryStore &
  Pick<Store, 'deliveryRecord'>;
