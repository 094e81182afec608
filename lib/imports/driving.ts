import type { JobStatus } from './job-states';

/** What a driver (browser tab, CLI, cron) needs from a process-batch answer. */
export interface DriveSnapshot {
  status: JobStatus;
  pending: number;
  processing: number;
  /** Pending batches that cannot run until a failed batch is retried. */
  blocked: number;
  readyToFinalize: boolean;
  /** The call applied, undid or handed back something. */
  didWork: boolean;
}

/**
 * - `again`: call process-batch again at once;
 * - `wait`: others hold the remaining work (leases, the undo lock); ask again shortly;
 * - `finalize`: every batch is done; call finalize (idempotent, so racing drivers are fine);
 * - `stop`: nothing for a driver to do: paused, finished, or only failed batches left.
 */
export type DriveMove = 'again' | 'wait' | 'finalize' | 'stop';

/** The one set of driving rules, shared by lib/imports/drive.ts and the progress page. */
export function nextMove(s: DriveSnapshot): DriveMove {
  switch (s.status) {
    case 'running':
      if (s.didWork) return 'again';
      if (s.readyToFinalize) return 'finalize';
      // Only failed batches, and batches that wait on them, are left: they wait for a retry.
      if (s.pending - s.blocked === 0 && s.processing === 0) return 'stop';
      return 'wait';
    case 'cancelling':
    case 'rolling_back':
      return s.didWork ? 'again' : 'wait';
    case 'preparing':
      return 'wait';
    default:
      return 'stop';
  }
}

/** Delay before retry n (1, 2, …) of a call that failed on the network or with a 5xx. */
export function backoffMs(attempt: number, baseMs = 500, capMs = 15_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
