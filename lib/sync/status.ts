import type { Sql } from '../db/client';
import { env } from '../env';
import { lastCompletedJob } from '../imports';
import { shownUrl } from './portal';
import { lagDays } from './alerts';
import { portalConfigured, recentRuns, type SyncRunRow } from './sync';

/** Where the sync stands: what the status page and `npm run sync -- --status` show. */
export interface SyncStatus {
  configured: boolean;
  portalUrl: string;
  register: { extractNumber: number; snapshotDate: string | null } | null;
  portal: { newest: number | null; newestDate: string | null };
  /** Extracts the register is behind the portal's newest, and days between their snapshot dates. */
  behind: number | null;
  lagDays: number | null;
  lastCheck: { at: Date | null; outcome: string | null };
  /** When a scheduled check is next due (the cron route asks at most every SYNC_CHECK_MINUTES). */
  nextCheckAt: Date | null;
  alertUndelivered: string | null;
  runs: SyncRunRow[];
}

export async function syncStatus(sql: Sql, limit = 20): Promise<SyncStatus> {
  const e = env();
  const [state] = await sql<{ at: Date | null; outcome: string | null; newest: number | null; newest_date: string | null; undelivered: string | null }[]>`
    select last_check_at as at, last_check_outcome as outcome, newest_on_portal as newest, newest_date::text, alert_undelivered as undelivered
    from sync_state where id = 1`;
  const [runs, job, lag] = await Promise.all([recentRuns(sql, limit), lastCompletedJob(sql), lagDays(sql)]);
  const register = job?.extractNumber ? { extractNumber: job.extractNumber, snapshotDate: job.snapshotDate ?? null } : null;
  const newest = state?.newest ?? null;
  const at = state?.at ? new Date(state.at) : null;
  return {
    configured: portalConfigured(),
    portalUrl: shownUrl(e.KBO_PORTAL_URL),
    register,
    portal: { newest, newestDate: state?.newest_date ?? null },
    behind: register && newest !== null ? Math.max(0, newest - register.extractNumber) : null,
    lagDays: lag.days === null ? null : Math.max(0, lag.days),
    lastCheck: { at, outcome: state?.outcome ?? null },
    nextCheckAt: at ? new Date(at.getTime() + e.SYNC_CHECK_MINUTES * 60_000) : null,
    alertUndelivered: state?.undelivered ?? null,
    runs,
  };
}
