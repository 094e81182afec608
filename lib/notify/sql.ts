import type { Queryable } from '../db/client';
import { isoTime } from '../db/sql';
import type { NotificationRow } from '../db/schema';
import type { Channel, Target } from './config';

/** Every statement on the notifications outbox. */

export interface NewNotification {
  key: string;
  event: string;
  jobId?: number | null;
  syncRunId?: number | null;
  /** A watchlist's digest: its own webhook and address, its secret. */
  watchlistId?: number | null;
  subject: string;
  text: string;
  payload: Record<string, unknown>;
}

/**
 * The event, once per channel: a second driver (or a second try of the same transaction)
 * recording the same event finds it there and adds nothing. Returns the ids it added.
 */
export async function insertNotifications(sql: Queryable, n: NewNotification, targets: Target[]): Promise<number[]> {
  if (targets.length === 0) return [];
  const rows = await sql<{ id: number }[]>`
    insert into notifications (event_key, event, channel, recipient, job_id, sync_run_id, watchlist_id, subject, text, payload)
    select ${n.key}, ${n.event}, t.channel, t.recipient, ${n.jobId ?? null}, ${n.syncRunId ?? null}, ${n.watchlistId ?? null}, ${n.subject}, ${n.text}, ${JSON.stringify(n.payload)}::jsonb
    from unnest(${targets.map((t) => t.channel)}::text[], ${targets.map((t) => t.recipient)}::text[]) as t(channel, recipient)
    on conflict (event_key, channel) do nothing
    returning id`;
  return rows.map((r) => Number(r.id));
}

/** A claimed notification; `attempts` counts the attempt being made. */
export type Claimed = Pick<NotificationRow, 'id' | 'eventKey' | 'event' | 'channel' | 'recipient' | 'subject' | 'text' | 'payload' | 'attempts' | 'jobId' | 'watchlistId'>;

const claimedColumns = (sql: Queryable) =>
  sql`n.id, n.event_key as "eventKey", n.event, n.channel, n.recipient, n.subject, n.text, n.payload, n.attempts, n.job_id as "jobId", n.watchlist_id as "watchlistId"`;

/**
 * The next notification due (or one of `ids`), claimed for `leaseSeconds`: its attempt counted,
 * another process's claim skipped. A claim whose holder died is taken again once its lease ends.
 */
/* A watchlist's test ("Send a test") is sent by the call that made it, by its id, and by no one else. */
export async function claimDue(sql: Queryable, leaseSeconds: number, ids?: number[], withoutDigests = false): Promise<Claimed | undefined> {
  const [row] = await sql<Claimed[]>`
    with due as (
      select id from notifications
      where status in ('pending', 'sending') and next_attempt_at <= now() and (status = 'pending' or lease_until < now())
        ${ids ? sql`and id = any(${ids}::bigint[])` : sql`and event <> 'watch.test'`}
        ${withoutDigests ? sql`and watchlist_id is null` : sql``}
      order by next_attempt_at, id
      limit 1
      for update skip locked
    )
    update notifications n set status = 'sending', attempts = n.attempts + 1, lease_until = now() + make_interval(secs => ${leaseSeconds})
    from due where n.id = due.id
    returning ${claimedColumns(sql)}`;
  return row && { ...row, id: Number(row.id) };
}

/** Delivered, by the holder of this attempt (a holder whose lease was taken over changes nothing). */
export async function markDelivered(sql: Queryable, n: Pick<Claimed, 'id' | 'attempts'>): Promise<void> {
  await sql`
    update notifications set status = 'delivered', delivered_at = now(), lease_until = null, last_error = null
    where id = ${n.id} and status = 'sending' and attempts = ${n.attempts}`;
}

/** Not delivered: tried again after `retryInSeconds`, or given up (`failed`) when that is null. */
export async function markUndelivered(sql: Queryable, n: Pick<Claimed, 'id' | 'attempts'>, error: string, retryInSeconds: number | null): Promise<void> {
  await sql`
    update notifications
    set status = ${retryInSeconds === null ? 'failed' : 'pending'}, last_error = ${error}, lease_until = null,
        next_attempt_at = now() + make_interval(secs => ${retryInSeconds ?? 0})
    where id = ${n.id} and status = 'sending' and attempts = ${n.attempts}`;
}

/** Whether anything is due now (one indexed probe: the step calls ask it every time). */
export async function anyDue(sql: Queryable, withoutDigests = false): Promise<boolean> {
  const [r] = await sql<{ due: boolean }[]>`
    select exists (select 1 from notifications where status in ('pending', 'sending') and next_attempt_at <= now() and (status = 'pending' or lease_until < now())
                   ${withoutDigests ? sql`and watchlist_id is null` : sql``}) as due`;
  return Boolean(r?.due);
}

/** What the pages show of a notification. */
export interface NotificationView {
  id: number;
  /** The import it tells of (null: the sync's own). */
  jobId: number | null;
  event: string;
  channel: Channel;
  recipient: string;
  subject: string;
  status: 'pending' | 'sending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: string;
  deliveredAt: string | null;
  nextAttemptAt: string | null;
  lastError: string | null;
}

const viewColumns = (sql: Queryable) => sql`
  id::float8 as id, job_id as "jobId", event, channel, recipient, subject, status, attempts, ${isoTime(sql, 'created_at')} as "createdAt",
  ${isoTime(sql, 'delivered_at')} as "deliveredAt", case when status = 'pending' then ${isoTime(sql, 'next_attempt_at')} end as "nextAttemptAt",
  last_error as "lastError"`;

/** An import's own notifications, oldest first (its watchlists' digests are the watchlists' own business). */
export async function jobNotifications(sql: Queryable, jobId: number): Promise<NotificationView[]> {
  return sql<NotificationView[]>`select ${viewColumns(sql)} from notifications where job_id = ${jobId} and watchlist_id is null order by id limit 100`;
}

/** The latest notifications of the sync (its alerts) and of every import, newest first; the monitor's pings apart. */
export async function recentNotifications(sql: Queryable, limit: number): Promise<NotificationView[]> {
  return sql<NotificationView[]>`select ${viewColumns(sql)} from notifications where channel <> 'healthcheck' order by id desc limit ${limit}`;
}

/** A watchlist's digests, withdrawals and tests, newest first. */
export async function watchlistNotifications(sql: Queryable, watchlistId: number, limit: number): Promise<NotificationView[]> {
  return sql<NotificationView[]>`select ${viewColumns(sql)} from notifications where watchlist_id = ${watchlistId} order by id desc limit ${limit}`;
}

/** The monitor's latest ping (HEALTHCHECK_URL), if any. */
export async function lastPing(sql: Queryable): Promise<NotificationView | null> {
  const [p] = await sql<NotificationView[]>`select ${viewColumns(sql)} from notifications where channel = 'healthcheck' order by id desc limit 1`;
  return p ?? null;
}
