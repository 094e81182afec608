import type { Tx } from '../db/client';
import { resolveSearch, searchFacts, type SavedSearch } from './search';

/** Who follows the numbers a match step covers: the watchlists an import is matched for, by number or by saved search. */

/** A completed import being matched: its id, its extract, whether a FULL into an empty register. */
export type Job = { id: number; n: number; initial: boolean };

/**
 * The watchlists an import is matched for, the same through all its steps: those made before it
 * completed, but an API key's revoked by then (a revoked key's watchlists follow nothing).
 */
export const matchedFor = (tx: Tx, jobId: number) => {
  const completed = tx`(select coalesce(finished_at, now()) from import_jobs where id = ${jobId})`;
  return tx`w.created_at <= ${completed} and not exists (select 1 from api_keys k where k.revoked_at <= ${completed} and w.owner = 'key:' || k.id)`;
};

export type Hit = { watchlist: number; number: string };

/**
 * Which watchlists follow each number of a match step: by number (watchlist_members), or by a
 * saved search that held for it on a side of the import. Only the watchlists the matching is
 * for, each locked against deletion until the step commits.
 */
export async function followers(tx: Tx, job: Job, numbers: string[]): Promise<Hit[]> {
  const lists = await tx<{ id: number; search: SavedSearch | null }[]>`
    select w.id, w.search from watchlists w where ${matchedFor(tx, job.id)} order by w.id for key share`;
  if (lists.length === 0) return [];
  const ids = lists.map((w) => w.id);
  // A probe of the numbers' index per number, whatever the statistics say of the members (a
  // watchlist of 100,000 just made has none yet, and a scan of them all was planned).
  const hits: Hit[] = await tx<{ watchlist: number; number: string }[]>`
    select m.watchlist_id as watchlist, x.number from unnest(${numbers}::text[]) as x(number)
      cross join lateral (select watchlist_id from watchlist_members m where m.number = x.number offset 0) m
    where m.watchlist_id = any(${ids}::int[])`;
  const searches = lists.filter((w) => w.search !== null);
  if (searches.length > 0) {
    const resolved = [];
    for (const w of searches) resolved.push({ id: w.id, f: await resolveSearch(tx, w.search as SavedSearch) });
    const facts = await searchFacts(tx, job.n, numbers, resolved.map((r) => r.f), job.initial);
    for (const { id, f } of resolved) for (const x of numbers) if (facts.holds(f, x)) hits.push({ watchlist: id, number: x });
  }
  return hits;
}
