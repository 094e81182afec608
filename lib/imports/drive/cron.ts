import type { Sql } from '../../db/client';
import { expirePreviews } from '../jobs/preview';
import { noticeStalls, sendNotices } from '../jobs/notices';
import { fetchSteps } from '../jobs/start';
import { nextDrivenJob } from '../sql/jobs';
import { pendingFetch } from '../sql/uploads';
import { dropAbandonedUploads } from '../store/uploads';
import { getJobStatus, type JobStatusView } from '../view/status';
import { driveImport } from './loop';

/**
 * One cron tick, within `budgetMs`: first a URL fetch that its page left (fetched on until the
 * import exists), then the active import: its prepare steps (when its zip is stored here, not
 * on a CLI's disk), its batches, or its undo while it is cancelled or rolled back. The next
 * tick carries on. Paused or finished jobs, and previews, are left alone. Uploads abandoned for
 * a day are dropped on the way (a few per tick), and previews left alone for a day discarded,
 * whether or not anyone starts another.
 */
export async function cronTick(db: Sql, budgetMs: number): Promise<{ job: JobStatusView | null }> {
  const until = Date.now() + budgetMs;
  await dropAbandonedUploads(db, 20);
  await expirePreviews(db);
  // A job nothing drove for NOTIFY_STALL_MINUTES is told of (once per stall), and what is due goes out.
  await noticeStalls(db);
  await sendNotices(db, Date.now() + 5_000, true);
  const fetching = await pendingFetch(db);
  let made: number | null = null;
  if (fetching !== undefined) {
    for (;;) {
      const step = await fetchSteps(db, fetching, Math.max(0, until - Date.now()));
      made = step.jobId;
      if (made !== null || Date.now() >= until) break;
    }
  }
  const active = await nextDrivenJob(db);
  if (active === undefined || Date.now() >= until) return { job: made === null ? null : await getJobStatus(db, made) };
  const job = await driveImport(db, { jobId: active, concurrency: 2, until, idleMs: 250 });
  return { job };
}
