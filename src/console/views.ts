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
  /** The latest deployment to the stage, whatever its state (a waiting request included). */
  current: { sha: string; ref: string | null; deploymentId: number; state: string | null; at: string } | null;
  /** What runs there: the last deployment whose success the gate proved, and who approved it. */
  running: RunningView | null;
  waiting: number;
}

/** The release that runs in a stage: its last proven deployment. */
export interface RunningView {
  sha: string;
  ref: string | null;
  environment: string;
  deploymentId: number;
  /** When its success was proven. */
  at: string;
  /** The people whose approvals let it through (counted by the gate, or given in the console). */
  approvedBy: string[];
  approvedAt: string | null;
  deployer: string | null;
  /** The workflow run the gate approved, on GitHub. */
  runUrl: string | null;
}

/** A freeze in force now, or the next one, in a stage. */
export interface FreezeNowView {
  stage: string;
  windows: string[];
  active: boolean;
  start: ZonedTime;
  end: ZonedTime;
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
  viewerTimeZone: string;
  now: string;
  /** The gates that wait on the viewer, oldest first (see {@link QueueView}). */
  queue: QueueItem[];
  repositories: Array<
    RepoSummary & { policy: { ok: boolean; problems: string[] }; stages: StageView[]; freezes: FreezeNowView[] }
  >;
}

/** A gate waiting for an action the viewer can take, and that would count. */
export interface QueueItem {
  repo: string;
  sha: string;
  version: string | null;
  ref: string | null;
  stage: string;
  environment: string;
  gateId: number;
  since: string;
  ageMinutes: number;
  waitsFor: RuleView[];
  /** The actions the viewer can take here and that would count. */
  actions: Array<'approve' | 'override' | 'reject'>;
  reason: string;
  runUrl: string;
}

export interface QueueView {
  user: { login: string };
  now: string;
  /** Oldest first. */
  items: QueueItem[];
}

export interface SearchView {
  query: string;
  items: Array<{
    repo: string;
    sha: string;
    ref: string | null;
    version: string | null;
    tag: string | null;
    matched: 'sha' | 'version' | 'tag' | 'pull';
    at: string;
  }>;
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
  /** The workflow run that asks to deploy, on GitHub. */
  runUrl: string;
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
  freezesNow: FreezeNowView[];
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

/** One thing that would move a stage on, as a person reads it. */
export interface NextStep {
  kind: 'approve' | 'ask' | 'override' | 'rerun' | 'wait' | 'promote' | 'rollback' | 'fix' | 'deploy';
  text: string;
  /** Where to do it (GitHub, or this console), when there is a place. */
  href: string | null;
  /** The rule codes an override would lift. */
  codes: string[];
  until: ZonedTime | null;
}

/** Where a release stands in one stage, why, and what would move it on. */
export interface StageVerdict {
  stage: string;
  environments: string[];
  verdict: 'allowed' | 'waiting' | 'rejected' | 'not reached';
  decidedAt: string | null;
  /** By whom, when a person rejected it. */
  rejectedBy: string | null;
  /** The rules that keep it from going on (empty when allowed). */
  rules: RuleView[];
  next: NextStep[];
  runUrl: string | null;
  checkRunUrl: string | null;
  deployed: {
    environment: string;
    state: string | null;
    at: string;
    /** With `verify` on the stage: running, verified, failed or inconclusive, and since when. */
    verification: { state: string; at: string | null } | null;
  } | null;
}

/** Consecutive identical entries (same stage, same outcome) shown once. */
export interface Repeats {
  /** How many entries this one stands for (1 when it stands alone). */
  repeats: number;
  /** The first of them (the entry itself is the latest). */
  firstAt: string;
}

export interface ReleaseView {
  repository: RepoSummary;
  viewerTimeZone: string;
  now: string;
  release: { sha: string; ref: string | null; version: string | null; tag: string | null };
  links: {
    commit: string;
    pulls: Array<{ number: number; title: string; url: string }>;
    /** GitHub's search of the pull requests holding the commit (when the record knows none). */
    pullSearch: string;
    runs: Array<{ environment: string; runId: number; url: string }>;
    checkRuns: Array<{ environment: string; url: string }>;
  };
  verdicts: StageVerdict[];
  timeline: Array<AuditRecord & Repeats>;
  waiting: WaitingGateView[];
  decisions: Array<DecisionView & Repeats>;
  overrides: Array<{
    status: 'active' | 'awaiting confirmation' | 'used' | 'expired';
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
  /** Consecutive identical events of a release as one row with their count (default true; exports read them all). */
  collapse?: boolean;
}

export interface AuditPage {
  items: Array<AuditRecord & Repeats>;
  nextCursor: string | null;
}
