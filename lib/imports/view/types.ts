import type { StagingProgress } from '../../db/schema';
import type { OperationProgress } from '../sql/batches';
import type { JobRow } from '../sql/jobs';

export type { OperationProgress };
import type { JobActions } from '../state/machine';
import type { NotificationView } from '../../notify/sql';

/** The read model's shapes: what status, the history and the report answer with (the pages read them too). */

export interface TableProgress {
  table: string;
  batches: number;
  completed: number;
  failed: number;
  rows: number;
  rowsDone: number;
  operations: OperationProgress[];
}

export interface BatchView {
  id: number;
  table: string;
  operation: string;
  batchNumber: number;
  rows: number;
  attempts: number;
  error: string | null;
}

/** A finished batch on the timeline: when it ended (seconds after the job's first batch) and how long it took. */
export interface TimelinePoint {
  id: number;
  table: string;
  operation: string;
  batchNumber: number;
  at: number;
  durationMs: number;
  failed: boolean;
}

export interface DriftCounts {
  ended: number;
  inserted: number;
  unchanged: number;
}

export interface Drift extends DriftCounts {
  tables: (DriftCounts & { table: string })[];
  summary: string;
}

export interface JobStatusView {
  job: JobRow;
  /**
   * A preview: the import it was made on (`basis`, 0: none) and the one the register is at now
   * (`head`): Apply is refused once they differ. It is discarded at `expiresAt` if left alone.
   */
  preview: { basis: number; head: number; expiresAt: string } | null;
  /** `blocked`: pending batches that wait on a failed one (a table's inserts wait for its deletes). */
  batches: { total: number; pending: number; processing: number; completed: number; failed: number; blocked: number };
  rows: { total: number; done: number };
  totals: { inserted: number; ended: number; unchanged: number; duplicate: number; noop: number };
  tables: TableProgress[];
  current: BatchView[];
  next: BatchView | null;
  failures: BatchView[];
  rowsPerSecond: number | null;
  etaSeconds: number | null;
  readyToFinalize: boolean;
  timeline: TimelinePoint[];
  actions: JobActions;
  /** Rows rejected at prepare (the first ones are kept in import_errors). */
  rejected: number;
  /** A resync (a FULL compared with the current rows): what it ended, inserted and left, per table. */
  drift: Drift | null;
  /** An UPDATE whose deletes nearly all matched nothing: the register is not at the base it was made for. */
  baseWarning: string | null;
  /** Its change list, worked out once it completed: parts done of all (0 of 0: none to list). */
  /** The change list: parts done of all, and per table the entities re-issued unchanged (not listed). */
  changeList: { done: number; total: number; reissued: Record<string, number> };
  /** Its matching against the watchlists (lib/watch/), once its change list is: parts done of all, and whether it is yet to be planned. */
  watch: { done: number; total: number; pending: boolean };
  /** What the import told people (lib/notify/): each notification, its channel and whether it went out. */
  notifications: NotificationView[];
  /** While the register's deferred indexes are being built after this FULL: partitions' indexes built, of all. */
  indexes: { built: number; total: number } | null;
}

export interface JobSummary extends JobRow {
  staging: StagingProgress | null;
  batchesTotal: number;
  batchesCompleted: number;
  batchesFailed: number;
  inserted: number;
  ended: number;
  unchanged: number;
  rejected: number;
  /** From creation to finish (or to now, while active). */
  durationSeconds: number;
}
