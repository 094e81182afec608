import type { Db } from '../../db/client';
import { driveImport } from './loop';
import type { JobStatusView } from '../view/status';
import { fetchSteps } from '../store/uploads';

/**
 * One cron tick, within `budgetMs`: first a URL fetch that its page left (fetched on until the
 * import exists), then the active import: its prepare steps (when its zip is stored here, not
 * on a CLI's disk), its batches, or its undo while it is cancelled or rolled back. The next
 * tick carries on. Paused or finished jobs are left alone.
 */
export async function cronTick(db: Db, budgetMs: number): Promise<{ job: JobStatusView | null }> {
  const until = Date.now() + budgetMs;
  const [fetching] = await db.$client<{ id: number }[]>`
    select u.id from import_uploads u
    where u.url is not null and u.sha256 = ''
      and not exists (select 1 from import_jobs j where j.source = jsonb_build_object('kind', 'upload', 'uploadId', u.id))
    order by u.id limit 1`;
  let made: JobStatusView | null = null;
  if (fetching) {
    for (;;) {
      const step = await fetchSteps(db, fetching.id, Math.max(0, until - Date.now()));
      made = step.job;
      if (made || Date.now() >= until) break;
    }
  }
  const [active] = await db.$client<{ id: number }[]>`
    select id from import_jobs
    where status in ('running', 'cancelling', 'rolling_back') or (status = 'preparing' and source->>'kind' = 'upload')
    order by id limit 1`;
  if (!active || Date.now() >= until) return { job: made };
  const job = await driveImport(db, { jobId: active.id, concurrency: 2, until, idleMs: 250 });
  return { job };
}
