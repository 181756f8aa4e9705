/**
 * What the console shows, as the pages and the API return it: the board, a repository, a
 * release (with what the viewer can do to it), the audit.
 */
import type { ViewerActions } from '../app/actions/index.js';
import type { AuditRecord } from '../store/audit-export.js';
import type { PageCursor, ReleaseEventType } from '../store/types.js';
import type { Role } from './github-directory.js';

export interface Viewer {
  login: string;
  /** IANA zone the viewer reads times in (UTC unless they chose one). */
  timeZone: string;
}

/** An instant shown in UTC, in the zone of the window that set it, and in the viewer's. */
export interface ZonedTime {
  at: string;
  zones: Array<{ timeZone: string; local: string; role: 'window' | 'viewer' }>;
}

export interface StageView {
  name: string;
  environments: string[];
  current: { sha: string; ref: string | null; deploymentId: number; state: string | null; at: string } | null;
  waiting: number;
}

export interface RepoSummary {
  fullName: string;
  owner: string;
  name: string;
  role: Role;
  htmlUrl: string;
}

export interface BoardView {
  user: { login: string };
  repositories: Array<RepoSummary & { policy: { ok: boolean; problems: string[] }; stages: StageView[] }>;
}

export interface RuleView {
  code: string;
  rule: string;
  ok: boolean;
  outcome: string;
  message: string;
  values: Record<string, unknown>;
  clearsAt: string | null;
  overriddenBy: string | null;
}

export interface WaitingGateView {
  gateId: number;
  sha: string;
  environment: string;
  stage: string | null;
  since: string;
  decidedAt: string | null;
  waitsFor: RuleView[];
  /** When it clears by itself, or null when it waits for an event (an approval, a check). */
  clears: ZonedTime | null;
}

export interface DecisionSummary {
  id: number;
  sha: string;
  environment: string;
  stage: string | null;
  decision: string;
  failing: string[];
  score: number | null;
  actor: string | null;
  at: string;
}

export interface PolicyView {
  ok: boolean;
  path: string;
  ref: string;
  blobSha: string | null;
  commitSha: string | null;
  link: string;
  problems: string[];
  files: Array<{ repository: string; path: string; role: string; commitSha: string | null }>;
}

export interface FreezeView {
  stage: string;
  timeZones: string[];
  intervals: Array<{ windows: string[]; start: ZonedTime; end: ZonedTime }>;
  error: string | null;
}

export interface RepositoryView {
  repository: RepoSummary;
  viewerTimeZone: string;
  policy: PolicyView;
  stages: StageView[];
  waiting: WaitingGateView[];
  decisions: { items: DecisionSummary[]; nextCursor: string | null };
  freeze: { from: string; to: string; stages: FreezeView[] };
}

export interface ApprovalsView {
  required: number | null;
  counted: string[];
  notCounted: Array<{ login: string; source: string; reason: string }>;
}

export interface DecisionView extends DecisionSummary {
  ungated: boolean;
  rules: RuleView[];
  approvals: ApprovalsView | null;
  evidence: {
    score: number | null;
    breakdown: Array<{
      kind: string;
      points: number;
      weight: number | null;
      present: boolean | null;
      reasons: string[];
    }>;
  };
  policy: { path: string | null; blobSha: string | null };
  /** The same Markdown summary the check run shows (the core renders both). */
  summaryMarkdown: string;
}

/** What the viewer can do to the release and whether it would count (src/app/actions: `actionsOpenTo`). */
export type ActionsView = ViewerActions;

export interface ReleaseView {
  repository: RepoSummary;
  viewerTimeZone: string;
  release: { sha: string; ref: string | null; version: string | null; tag: string | null };
  timeline: AuditRecord[];
  waiting: WaitingGateView[];
  decisions: DecisionView[];
  overrides: Array<{
    id: string;
    environment: string;
    grantedBy: string;
    confirmedBy: string | null;
    reason: string;
    risk: string;
    rules: string[];
    grantedAt: string;
    expiresAt: string | null;
    usedAt: string | null;
  }>;
  actions: ActionsView;
}

export interface AuditQuery {
  repo?: string;
  stage?: string;
  actor?: string;
  decision?: string;
  type?: ReleaseEventType;
  since?: Date;
  until?: Date;
  cursor?: PageCursor | null;
  limit: number;
  /** Newest first (default), or oldest first (exports). */
  order?: 'asc' | 'desc';
}

export interface AuditPage {
  items: AuditRecord[];
  nextCursor: string | null;
}
