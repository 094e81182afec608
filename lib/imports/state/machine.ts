/**
 * The job state machine, in one place (pure: the pages import it too).
 *
 *   preparing ─► running ◄─► paused
 *       │          │  │         │
 *       ▼          │  └─► cancelling ─► cancelled
 *     failed       ▼
 *              completed ─► rolling_back ─► rolled_back
 *
 * A batch that fails leaves its job `running`, waiting for a retry.
 */
export const JOB_STATUSES = [
  'preparing',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelling',
  'cancelled',
  'rolling_back',
  'rolled_back',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** At most one job of a dataset is in one of these (a unique partial index enforces it). */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['preparing', 'running', 'paused', 'cancelling', 'rolling_back'];

/** A job in one of these left the register as it was: its file may be imported again. */
export const VOID_STATUSES: readonly JobStatus[] = ['failed', 'cancelled', 'rolled_back'];

/** Nothing more will happen to a job in one of these. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled', 'rolled_back'];

/** Undoing what the job applied, in short steps driven like batches. */
export const UNDOING_STATUSES: readonly JobStatus[] = ['cancelling', 'rolling_back'];

export const isActive = (s: JobStatus) => ACTIVE_STATUSES.includes(s);
export const isTerminal = (s: JobStatus) => TERMINAL_STATUSES.includes(s);
export const isUndoing = (s: JobStatus) => UNDOING_STATUSES.includes(s);

/** `rolling_back` -> `rolling back`: the status as people read it. */
export const statusLabel = (s: JobStatus) => s.replace('_', ' ');
