import type { Db } from '../db/client';
import { driveImport } from './drive';
import type { JobStatusView } from './status';

/**
 * One cron tick: drive the active import (applying, or undoing while it is cancelled or
 * rolled back) for up to `budgetMs`, then stop; the next tick carries on. Paused or finished
 * jobs are left alone.
 */
export async function cronTick(db: Db, budgetMs: number): Promise<{ job: JobStatusView | null }> {
  const [active] = await db.$client<{ id: number }[]>`
    select id from import_jobs where status in ('running', 'cancelling', 'rolling_back') order by id limit 1`;
  if (!active) return { job: null };
  const job = await driveImport(db, { jobId: active.id, concurrency: 2, until: Date.now() + budgetMs, idleMs: 250 });
  return { job };
}
