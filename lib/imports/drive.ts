import type { Db } from '../db/client';
import { finalizeImport } from './finalize';
import { processBatch } from './process-batch';
import type { JobStatusView } from './status';

export interface DriveOptions {
  jobId: number;
  concurrency: number;
  budgetMs?: number;
  onProgress?: (status: JobStatusView) => void;
  /** How long an idle worker waits before asking again while others hold leases. */
  idleMs?: number;
}

/**
 * The headless driver (CLI, cron): N workers call process-batch until nothing is left to
 * claim, then finalize. The same verbs the browser calls; leases keep workers apart.
 * Stops without finalizing when batches failed, so an operator can retry them.
 */
export async function driveImport(db: Db, opts: DriveOptions): Promise<JobStatusView> {
  const idleMs = opts.idleMs ?? 200;
  let last: JobStatusView | undefined;

  const worker = async () => {
    while (true) {
      const { processed, progress } = await processBatch(db, { jobId: opts.jobId, budgetMs: opts.budgetMs });
      last = progress;
      opts.onProgress?.(progress);
      if (processed.length > 0) continue;
      if (progress.job.status !== 'running') return;
      // Nothing left to claim (all done, or only failed batches waiting for a retry).
      if (progress.batches.pending === 0 && progress.batches.processing === 0) return;
      await new Promise((r) => setTimeout(r, idleMs));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));

  const status = last as JobStatusView;
  if (status.readyToFinalize) return finalizeImport(db, { jobId: opts.jobId });
  return status;
}
