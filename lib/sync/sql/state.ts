import type { Sql } from '../../db/client';
import { JOB } from '../../imports';
import { ALERT, CHECK_OK, type AlertKind } from '../state';

/**
 * sync_state: the sync's one row (id 1): its lease, the last check of the portal, the last
 * alert. Every statement on it is here.
 */

const LEASE_SECONDS = 120;

/**
 * Takes the sync's lease (or renews it) for `holder`: false while another holder's lease
 * runs. A crashed holder's lease runs out, and the next one carries on its run.
 */
export async function takeLease(sql: Sql, holder: string): Promise<boolean> {
  await sql`insert into sync_state (id) values (1) on conflict (id) do nothing`;
  const taken = await sql`
    update sync_state set lease_holder = ${holder}, lease_until = now() + make_interval(secs => ${LEASE_SECONDS})
    where id = 1 and (lease_until is null or lease_until < now() or lease_holder = ${holder}) returning 1`;
  return taken.length === 1;
}

export async function releaseLease(sql: Sql, holder: string): Promise<void> {
  await sql`update sync_state set lease_holder = null, lease_until = null where id = 1 and lease_holder = ${holder}`;
}

/** A scheduled check is due: none yet, or the last is older than `minutes`. */
export async function checkDue(sql: Sql, minutes: number): Promise<boolean> {
  const [s] = await sql<{ due: boolean }[]>`
    select last_check_at is null or last_check_at < now() - make_interval(mins => ${minutes}) as due from sync_state where id = 1`;
  return s?.due ?? true;
}

/** A listing that answered, and the newest file it lists. */
export async function recordCheck(sql: Sql, newest: { number: number; date: string } | null): Promise<void> {
  await sql`update sync_state set last_check_at = now(), last_check_outcome = ${CHECK_OK}, newest_on_portal = ${newest?.number ?? null},
            newest_date = ${newest?.date ?? null} where id = 1`;
}

/**
 * A check or step that failed, with why. It counts as a check: the cron asks again only when
 * the next one is due (a wrong password is not tried every minute).
 */
export async function recordCheckFailure(sql: Sql, message: string): Promise<void> {
  await sql`update sync_state set last_check_at = now(), last_check_outcome = ${message} where id = 1`;
}

export interface SyncStateRow {
  lastCheckAt: Date | null;
  lastCheckOutcome: string | null;
  newestOnPortal: number | null;
  newestDate: string | null;
  alertUndelivered: string | null;
}

export async function readSyncState(sql: Sql): Promise<SyncStateRow | undefined> {
  const [s] = await sql<SyncStateRow[]>`
    select last_check_at as "lastCheckAt", last_check_outcome as "lastCheckOutcome", newest_on_portal as "newestOnPortal",
           newest_date as "newestDate", alert_undelivered as "alertUndelivered"
    from sync_state where id = 1`;
  return s;
}

/** An alert delivered: it clears what could not be, and a lag alert starts its day. */
export async function alertDelivered(sql: Sql, kind: AlertKind): Promise<void> {
  await sql`update sync_state set last_alert_kind = ${kind}, last_alert_at = now(), alert_undelivered = null,
            last_lag_alert_at = case when ${kind}::text = ${ALERT.lag} then now() else last_lag_alert_at end where id = 1`;
}

export async function alertUndelivered(sql: Sql, note: string): Promise<void> {
  await sql`update sync_state set alert_undelivered = ${note} where id = 1`;
}

/** A lag alert once a day at most while the lag lasts (a failure alert goes out every time). */
export async function lagAlertDue(sql: Sql): Promise<boolean> {
  const [s] = await sql<{ due: boolean }[]>`
    select last_lag_alert_at is null or last_lag_alert_at < now() - interval '1 day' as due from sync_state where id = 1`;
  return s?.due ?? true;
}

export interface Lag {
  /** Days between the register's snapshot and the portal's newest, or null when either is unknown. */
  days: number | null;
  at: number | null;
  newest: number | null;
}

export async function lagDays(sql: Sql): Promise<Lag> {
  const [r] = await sql<Lag[]>`
    select (s.newest_date - j.snapshot_date)::int as days, j.extract_number as at, s.newest_on_portal as newest
    from sync_state s
    left join lateral (select extract_number, snapshot_date from import_jobs where status = ${JOB.completed} order by id desc limit 1) j on true
    where s.id = 1`;
  return r ?? { days: null, at: null, newest: null };
}
