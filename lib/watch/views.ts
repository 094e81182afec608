import { randomUUID } from 'node:crypto';
import type { Queryable, Sql } from '../db/client';
import { isoTime } from '../db/sql';
import { ImportFailure } from '../errors';
import { deliverNow, lastError, notifyWatchlist, NOTIFY_EVENTS, watchlistNotifications, type NotificationView } from '../notify';
import type { FeedMatch } from './feed';
import { getWatchlist, type Watcher } from './watchlists';
import { describeMatch, type MatchRows } from './words';

/** What the watchlists' pages read beside the watchlist itself: its matches, its deliveries, where a number is followed; and "send a test". */

/** A watchlist's matches of its last 10 imports, newest first, at most `each` of each (`total`: all of that import's). */
export async function latestMatches(sql: Queryable, who: Watcher, id: number, each = 200): Promise<(FeedMatch & { total: number })[]> {
  await getWatchlist(sql, who, id);
  const rows = await sql<(Omit<FeedMatch, 'changes'> & { rows: MatchRows[]; total: number })[]>`
    with jobs as (select job_id, count(*)::int as total from watch_matches where watchlist_id = ${id} group by job_id order by job_id desc limit 10)
    select m.extract_number as "extractNumber", m.job_id as "jobId", m.number, m.kind, m.rows, ${isoTime(sql, 'withdrawn_at', 'm')} as "withdrawnAt", jobs.total
    from jobs join lateral (
      select * from watch_matches x where x.watchlist_id = ${id} and x.job_id = jobs.job_id order by x.number limit ${each}
    ) m on true
    order by m.job_id desc, m.number`;
  return rows.map(({ rows: moved, ...m }) => ({ ...m, changes: describeMatch(moved, m.number) }));
}

export type Delivery = NotificationView;

/** A watchlist's digests, withdrawals and tests, newest first, each with its attempts and its last error. */
export async function deliveries(sql: Queryable, who: Watcher, id: number, limit = 50): Promise<Delivery[]> {
  await getWatchlist(sql, who, id);
  return watchlistNotifications(sql, id, limit);
}

/** The caller's watchlists that follow `number` by name (a saved search's entities change with the register). */
export async function followedIn(sql: Queryable, who: Watcher, number: string): Promise<{ id: number; name: string }[]> {
  return sql<{ id: number; name: string }[]>`
    select w.id, w.name from watchlists w
    where w.owner = ${who.owner} and exists (select 1 from watchlist_members m where m.watchlist_id = w.id and m.number = ${number})
    order by w.name, w.id`;
}

/**
 * Sends a test digest to the watchlist's webhook and address now, signed as a real one, and
 * says how each went: a test is tried once, never again later.
 */
export async function sendTest(sql: Sql, who: Watcher, id: number): Promise<{ sent: { channel: string; recipient: string; delivered: boolean; error: string | null }[] }> {
  const w = await getWatchlist(sql, who, id);
  const ids = await notifyWatchlist(
    sql,
    {
      key: `watch:${id}:test:${randomUUID()}`,
      event: NOTIFY_EVENTS.watchTest,
      watchlistId: id,
      subject: `[KBO watch] ${w.name}: a test`,
      text: `A test of the digests of "${w.name}": this is how its changes will come, after each import that changes one of the entities it follows.`,
      payload: { watchlist: id, test: true, extractNumber: null, jobId: null, total: 0, matches: [], more: false, idempotencyKey: `${id}-test-${Date.now()}` },
    },
    { webhookUrl: w.webhookUrl, email: w.email },
  );
  if (ids.length === 0) {
    throw new ImportFailure('VALIDATION', w.email && !w.webhookUrl ? 'This watchlist sends by email only, and the server has no SMTP_URL: nothing to send a test to.' : 'This watchlist has no webhook or email address to send a test to.');
  }
  const delivered = await deliverNow(sql, ids, 1);
  // Not retried: a test says how it went now.
  await sql`update notifications set status = 'failed', next_attempt_at = now() where id = any(${ids}::bigint[]) and status = 'pending'`;
  const rows = await sql<{ id: number; channel: string; recipient: string }[]>`select id::float8 as id, channel, recipient from notifications where id = any(${ids}::bigint[]) order by id`;
  return {
    sent: await Promise.all(rows.map(async (r) => ({ channel: r.channel, recipient: r.recipient, delivered: delivered.includes(r.id), error: delivered.includes(r.id) ? null : await lastError(sql, r.id) }))),
  };
}

/** For an entity's page: the user's watchlists that follow it by name, and all the user's own (to follow it in). */
export async function followState(sql: Queryable, user: string, number: string): Promise<{ followed: { id: number; name: string }[]; lists: { id: number; name: string }[] }> {
  const who = { owner: user, admin: false };
  const lists = await sql<{ id: number; name: string }[]>`select id, name from watchlists where owner = ${user} order by name, id`;
  return { followed: await followedIn(sql, who, number), lists: [...lists] };
}
