import { JOB, type JobStatus } from '../state/machine';
import type { JobStatusView } from '../view/types';

/** What a driver (browser tab, CLI, cron) needs from a step answer. */
export interface DriveSnapshot {
  status: JobStatus;
  pending: number;
  processing: number;
  /** Pending batches that cannot run until a failed batch is retried. */
  blocked: number;
  readyToFinalize: boolean;
  /** Completed, with indexes to build, statistics to refresh or its change list to work out. */
  finishing: boolean;
  /** The call applied, undid or handed back something. */
  didWork: boolean;
}

/**
 * - `again`: call the step route again at once;
 * - `wait`: others hold the remaining work (leases, the undo lock); ask again shortly;
 * - `finalize`: every batch is done; call finalize (idempotent, so racing drivers are fine);
 * - `stop`: nothing for a driver to do: paused, finished (statistics refreshed), or only
 *   failed batches left.
 */
export type DriveMove = 'again' | 'wait' | 'finalize' | 'stop';

/** The one set of driving rules, shared by the headless driver (loop.ts) and the progress page. */
export function nextMove(s: DriveSnapshot): DriveMove {
  switch (s.status) {
    case JOB.running:
      if (s.didWork) return 'again';
      if (s.readyToFinalize) return 'finalize';
      // Only failed batches, and batches that wait on them, are left: they wait for a retry.
      if (s.pending - s.blocked === 0 && s.processing === 0) return 'stop';
      return 'wait';
    case JOB.preparing:
    case JOB.cancelling:
    case JOB.rolling_back:
      return s.didWork ? 'again' : 'wait';
    case JOB.completed:
      // Each step takes a table or a part of its own; the last one taken ends the work. None
      // free while another driver holds the last of a phase: wait for it, do not spin.
      if (!s.finishing) return 'stop';
      return s.didWork ? 'again' : 'wait';
    default:
      return 'stop';
  }
}

/** A step call did work when it staged, applied, handed back, undid or analysed something. */
export const didWork = (r: { processed: unknown[]; undone: unknown[]; prepared?: unknown[]; analyzed?: unknown[]; listed?: number; indexed?: number; matched?: number }) =>
  r.processed.length > 0 ||
  r.undone.length > 0 ||
  (r.prepared?.length ?? 0) > 0 ||
  (r.analyzed?.length ?? 0) > 0 ||
  (r.listed ?? 0) > 0 ||
  (r.matched ?? 0) > 0 ||
  (r.indexed ?? 0) > 0;

/** The snapshot of a status answer; `didWork` from the step call that returned it. */
export function snapshotOf(p: Pick<JobStatusView, 'job' | 'batches' | 'readyToFinalize' | 'changeList'> & Partial<Pick<JobStatusView, 'watch'>>, didWork: boolean): DriveSnapshot {
  return {
    status: p.job.status,
    pending: p.batches.pending,
    processing: p.batches.processing,
    blocked: p.batches.blocked,
    readyToFinalize: p.readyToFinalize,
    finishing:
      p.job.status === JOB.completed &&
      (Boolean(p.job.indexing) || (p.job.analyzePending?.length ?? 0) > 0 || p.changeList.done < p.changeList.total || Boolean(p.watch && (p.watch.pending || p.watch.done < p.watch.total))),
    didWork,
  };
}

/** Delay before retry n (1, 2, …) of a call that failed on the network or with a 5xx. */
export function backoffMs(attempt: number, baseMs = 500, capMs = 15_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
