import type { Db } from '../db/client';
import { didWork, nextMove, snapshotOf } from './driving';
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
 * The headless driver (CLI, cron): N workers call process-batch until the rules in
 * driving.ts say stop, then finalize. The same verbs and rules as the browser; leases keep
 * workers apart. Stops without finalizing when batches failed, so an operator can retry them,
 * and when the job is paused.
 */
export async function driveImport(db: Db, opts: DriveOptions): Promise<JobStatusView> {
  const idleMs = opts.idleMs ?? 200;
  let last: JobStatusView | undefined;
  let finalize = false;

  const worker = async () => {
    while (true) {
      const result = await processBatch(db, { jobId: opts.jobId, budgetMs: opts.budgetMs });
      last = result.progress;
      opts.onProgress?.(result.progress);
      const move = nextMove(snapshotOf(result.progress, didWork(result)));
      if (move === 'again') continue;
      if (move === 'wait') {
        await new Promise((r) => setTimeout(r, idleMs));
        continue;
      }
      if (move === 'finalize') finalize = true;
      return;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));

  if (finalize) return finalizeImport(db, { jobId: opts.jobId });
  return last as JobStatusView;
}
