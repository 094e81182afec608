import type { Tx } from '../db/client';
import { notifyWatchlist, NOTIFY_EVENTS } from '../notify';
import { describeMatch, said, type MatchRows } from './words';

/** Matches a digest carries at most; the feed has them all. */
export const DIGEST_MATCHES = 1_000;

/**
 * A watchlist's digest of the import, when it has matches: exactly one per watchlist and import
 * (its step is taken once; the unique key of the notification makes a second one nothing anyway).
 */
export async function digest(tx: Tx, jobId: number, extractNumber: number, watchlistId: number): Promise<boolean> {
  // The watchlist's row before the notification's foreign key waits on it: one being deleted
  // (or edited) now holds it, and its delete waits on this step's row. Left for a later call.
  const [free] = await tx`select 1 from watchlists where id = ${watchlistId} for key share skip locked`;
  if (!free) return false;
  const read = await tx<{ number: string; kind: string; rows: MatchRows[] }[]>`
    select number, kind, rows from watch_matches where watchlist_id = ${watchlistId} and job_id = ${jobId} and withdrawn_at is null order by number limit ${DIGEST_MATCHES + 1}`;
  if (read.length === 0) return true;
  const matches = read.map((m) => ({ number: m.number, kind: m.kind, changes: describeMatch(m.rows, m.number) }));
  const [w] = await tx<{ name: string; webhook_url: string | null; email: string | null }[]>`select name, webhook_url, email from watchlists where id = ${watchlistId}`;
  if (!w) return true;
  const [total] = await tx<{ n: number }[]>`select count(*)::int as n from watch_matches where watchlist_id = ${watchlistId} and job_id = ${jobId} and withdrawn_at is null`;
  const count = total?.n ?? matches.length;
  const shown = matches.slice(0, DIGEST_MATCHES).map((m) => ({ extractNumber, jobId, number: m.number, kind: m.kind, changes: m.changes }));
  await notifyWatchlist(
    tx,
    {
      key: `watch:${watchlistId}:${jobId}`,
      event: NOTIFY_EVENTS.watchDigest,
      jobId,
      watchlistId,
      subject: `[KBO watch] ${w.name}: ${count} change${count === 1 ? '' : 's'} in extract ${extractNumber}`,
      text: `${count} of the entities "${w.name}" follows changed in extract ${extractNumber}:\n${shown.slice(0, 50).map((m) => `${m.number} ${m.kind}: ${m.changes.slice(0, 5).map(said).join('; ')}`).join('\n')}`,
      payload: { watchlist: watchlistId, extractNumber, jobId, total: count, matches: shown, more: count > shown.length, idempotencyKey: `${watchlistId}-${jobId}` },
    },
    { webhookUrl: w.webhook_url, email: w.email },
  );
  return true;
}
