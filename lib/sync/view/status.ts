import type { Sql } from '../../db/client';
import { env } from '../../env';
import { lastCompletedJob } from '../../imports';
import { checkMinutes, portalConfigured } from '../config';
import { shownUrl } from '../portal';
import { recentRuns, type SyncRunRow } from '../sql/runs';
import { lagDays, readSyncState } from '../sql/state';
import { lastPing, notifyChannels, recentNotifications, type NotificationView } from '../../notify';

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
  /** Where notifications go (the webhook's host, the addresses, the monitor's host), and the latest ones sent, of the sync and of every import. */
  notify: { channels: { channel: string; recipient: string }[]; recent: NotificationView[]; lastPing: NotificationView | null };
}

export async function syncStatus(sql: Sql, limit = 20): Promise<SyncStatus> {
  const e = env();
  const [state, runs, job, lag, recent, ping] = await Promise.all([readSyncState(sql), recentRuns(sql, limit), lastCompletedJob(sql), lagDays(sql), recentNotifications(sql, limit), lastPing(sql)]);
  const register = job?.extractNumber ? { extractNumber: job.extractNumber, snapshotDate: job.snapshotDate ?? null } : null;
  const newest = state?.newestOnPortal ?? null;
  const at = state?.lastCheckAt ?? null;
  return {
    configured: portalConfigured(),
    portalUrl: shownUrl(e.KBO_PORTAL_URL),
    register,
    portal: { newest, newestDate: state?.newestDate ?? null },
    behind: register && newest !== null ? Math.max(0, newest - register.extractNumber) : null,
    lagDays: lag.days === null ? null : Math.max(0, lag.days),
    lastCheck: { at, outcome: state?.lastCheckOutcome ?? null },
    nextCheckAt: at ? new Date(at.getTime() + checkMinutes() * 60_000) : null,
    alertUndelivered: state?.alertUndelivered ?? null,
    runs,
    notify: { channels: notifyChannels(), recent, lastPing: ping },
  };
}
