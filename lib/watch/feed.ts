import type { Queryable, Tx } from '../db/client';
import { isoTime } from '../db/sql';
import { notifyWatchlist, NOTIFY_EVENTS } from '../notify';
import { describeMatch, type MatchChange, type MatchRows } from './words';

/** What programs read of the matches (the feed), and what a rollback does to them. */

/** A rollback undid the import: its matches are withdrawn (kept, marked, so a program that read them hears of it), its matching forgotten. */
export async function withdrawMatches(tx: Tx, jobId: number): Promise<void> {
  // Digests of the import not sent yet never will be: what they say no longer stands.
  await tx`
    update notifications set status = 'failed', last_error = 'withdrawn: the import was rolled back before it was sent', lease_until = null
    where job_id = ${jobId} and event = ${NOTIFY_EVENTS.watchDigest} and status in ('pending', 'sending')`;
  const withdrawn = await tx<{ watchlist_id: number; n: number; extract: number; name: string; webhook_url: string | null; email: string | null }[]>`
    with w as (update watch_matches set withdrawn_at = now(), feed_seq = nextval('watch_feed_seq') where job_id = ${jobId} and withdrawn_at is null returning watchlist_id, extract_number)
    select w.watchlist_id, count(*)::int as n, max(w.extract_number) as extract, l.name, l.webhook_url, l.email
    from w join watchlists l on l.id = w.watchlist_id group by w.watchlist_id, l.name, l.webhook_url, l.email`;
  // Each watchlist that had matches hears that they no longer stand.
  for (const w of withdrawn) {
    await notifyWatchlist(
      tx,
      {
        key: `watch:${w.watchlist_id}:${jobId}:withdrawn`,
        event: NOTIFY_EVENTS.watchWithdrawn,
        jobId,
        watchlistId: w.watchlist_id,
        subject: `[KBO watch] ${w.name}: the changes of extract ${w.extract} were rolled back`,
        text: `Import #${jobId} (extract ${w.extract}) was rolled back: the ${w.n} change${w.n === 1 ? '' : 's'} it made to entities "${w.name}" follows no longer stand.`,
        payload: { watchlist: w.watchlist_id, extractNumber: w.extract, jobId, withdrawn: w.n, idempotencyKey: `${w.watchlist_id}-${jobId}-withdrawn` },
      },
      { webhookUrl: w.webhook_url, email: w.email },
    );
  }
  await tx`delete from watch_steps where job_id = ${jobId}`;
  await tx`delete from watch_subjects where job_id = ${jobId}`;
  await tx`update import_jobs set watch_pending = false where id = ${jobId}`;
}

export interface FeedMatch {
  extractNumber: number;
  jobId: number;
  number: string;
  kind: string;
  changes: MatchChange[];
  /** When a rollback withdrew it (null: it stands). */
  withdrawnAt: string | null;
}

/**
 * A watchlist's feed, for programs that poll instead of receiving webhooks: its matches in the
 * order they were written, and each again when a rollback withdraws it (`withdrawnAt`). `after`
 * is an extract number (the matches of later extracts), or the `next` of an earlier answer
 * (`s<position>`: everything since, however the imports were ordered or rolled back). `next`
 * is where to ask from next time; `more`: ask again at once.
 */
export async function matchFeed(sql: Queryable, watchlistId: number, after: string | undefined, limit = 500): Promise<{ matches: FeedMatch[]; next: string; more: boolean }> {
  const since = after?.startsWith('s') ? Number(after.slice(1)) : null;
  const rows = await sql<(Omit<FeedMatch, 'changes'> & { rows: MatchRows[]; seq: number })[]>`
    select extract_number as "extractNumber", job_id as "jobId", number, kind, rows, feed_seq::float8 as seq,
           ${isoTime(sql, 'withdrawn_at')} as "withdrawnAt"
    from watch_matches
    where watchlist_id = ${watchlistId} and ${since !== null ? sql`feed_seq > ${since}` : sql`extract_number > ${Number(after ?? 0)}`}
    order by feed_seq limit ${limit + 1}`;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const matches = page.map((m) => ({ extractNumber: m.extractNumber, jobId: m.jobId, number: m.number, kind: m.kind, changes: describeMatch(m.rows, m.number), withdrawnAt: m.withdrawnAt }));
  return { matches, next: last ? `s${last.seq}` : (after ?? '0'), more: rows.length > limit };
}
