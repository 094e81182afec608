import type { Db } from '../../db/client';
import { env } from '../../env';
import { didWork, nextMove, snapshotOf } from './rules';
import { finalizeImport } from '../jobs/finalize';
import { processBatch } from '../jobs/advance';
import type { JobStatusView } from '../view/status';

export interface DriveOptions {
  jobId: number;
  concurrency: number;
  budgetMs?: number;
  onProgress?: (status: JobStatusView) => void;
  /** How long an idle worker waits before asking again while others hold leases. */
  idleMs?: number;
  /** Stop starting new calls after this time (epoch ms), e.g. inside a cron invocation. */
  until?: number;
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
    while (opts.until === undefined || Date.now() < opts.until) {
      // Inside a deadline, a call's own budget ends with it.
      const left = opts.until === undefined ? undefined : Math.max(0, opts.until - Date.now());
      const budgetMs = left === undefined ? opts.budgetMs : Math.min(left, opts.budgetMs ?? env().IMPORT_BATCH_BUDGET_MS);
      const result = await processBatch(db, { jobId: opts.jobId, budgetMs });
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
