import type { Sql } from '../db/client';
import { env } from '../env';
import { JOB } from '../imports';
import { ALERT, type AlertKind } from './state';

export interface Alert {
  kind: AlertKind;
  /** One line a person reads (Slack shows `text`). */
  text: string;
  registerExtract: number | null;
  portalNewest: number | null;
  lagDays: number | null;
  runId: number | null;
}

const ATTEMPTS = 3;

/**
 * POSTs the alert to SYNC_WEBHOOK_URL as JSON (with a Slack-compatible `text`), trying up to
 * three times with a growing pause. What could not be delivered is kept in sync_state for the
 * status page; a delivery clears it. `pause` is for tests. Without a webhook, does nothing.
 */
export async function sendAlert(sql: Sql, alert: Alert, pause = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<boolean> {
  const url = env().SYNC_WEBHOOK_URL;
  if (!url) return false;
  let problem = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...alert, text: `KBO sync: ${alert.text}` }),
        signal: AbortSignal.timeout(5_000),
      });
      if (res.ok) {
        await sql`update sync_state set last_alert_kind = ${alert.kind}, last_alert_at = now(), alert_undelivered = null,
                  last_lag_alert_at = case when ${alert.kind}::text = ${ALERT.lag} then now() else last_lag_alert_at end where id = 1`;
        return true;
      }
      problem = `the webhook answered ${res.status}`;
    } catch {
      problem = 'the webhook could not be reached';
    }
    if (attempt < ATTEMPTS) await pause(500 * 2 ** (attempt - 1));
  }
  const note = `${alert.kind} alert of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC not delivered (${problem}, ${ATTEMPTS} tries): ${alert.text}`;
  await sql`update sync_state set alert_undelivered = ${note} where id = 1`;
  return false;
}

/** A lag alert once a day at most while the lag lasts (a failure alert goes out every time). */
export async function lagAlertDue(sql: Sql): Promise<boolean> {
  const [s] = await sql<{ due: boolean }[]>`
    select last_lag_alert_at is null or last_lag_alert_at < now() - interval '1 day' as due from sync_state where id = 1`;
  return s?.due ?? true;
}

/** Days the register's snapshot is behind the portal's newest, or null when either is unknown. */
export async function lagDays(sql: Sql): Promise<{ days: number | null; at: number | null; newest: number | null }> {
  const [r] = await sql<{ days: number | null; at: number | null; newest: number | null }[]>`
    select (s.newest_date - j.snapshot_date)::int as days, j.extract_number as at, s.newest_on_portal as newest
    from sync_state s
    left join lateral (select extract_number, snapshot_date from import_jobs where status = ${JOB.completed} order by id desc limit 1) j on true
    where s.id = 1`;
  return r ?? { days: null, at: null, newest: null };
}

export const alertsConfigured = () => Boolean(env().SYNC_WEBHOOK_URL);
export const maxLagDays = () => env().SYNC_MAX_LAG_DAYS;
export const alertOnSuccess = () => env().SYNC_ALERT_ON_SUCCESS;
