import type { Queryable, Sql, Tx } from '../db/client';
import { ident, identList } from '../db/sql';
import { env } from '../env';
import { KBO_TABLES } from '../kbo/spec';
import { notifyWatchlist, NOTIFY_EVENTS } from '../notify';
import { searchPart, type SavedSearch } from './search';
import { describeRows, said, type MatchChange, type MatchRows } from './words';

/**
 * Matching a completed import's changes against the watchlists, after its change list is
 * worked out, in parts a driver takes one at a time like everything else (the page, the CLI,
 * the cron): a range of WATCH_PART_SIZE of one watchlist's numbers each (for a saved search, of the entities the import changed).
 *
 * A watched enterprise is matched by its own rows and by those of its establishments and
 * branches (an establishment closed, its address moved); a watched establishment by its own.
 * Which entities changed comes from the change list (import_changes: rows re-issued unchanged
 * are no change there); what changed, from the rows the import started and ended for them,
 * netted the same way: a field before and after where one row of a one-row table was replaced,
 * each row added or ended otherwise.
 */

/** Numbers of one watchlist per part (for a saved search: entities the import changed). */
const partSize = () => env().WATCH_PART_SIZE;
const TABLE_ORDER = new Map<string, number>(KBO_TABLES.map((t, i) => [t.table, i]));

const HISTORY = ['id', 'extract_number', 'snapshot_date', 'is_current', 'deleted_at_extract', 'primary_name'];


/**
 * Plans a completed import's matching, once (the job's `watch_pending`): a part per range of
 * each watchlist's numbers (a watchlist of a saved search only has none yet). In the caller's
 * transaction, which holds the job's row.
 */
export async function planMatching(tx: Tx, jobId: number): Promise<void> {
  // A revoked API key's watchlists follow nothing any more.
  const live = tx`not exists (select 1 from api_keys k where k.revoked_at is not null and w.owner = 'key:' || k.id)`;
  await tx`
    insert into watch_parts (job_id, watchlist_id, kind, part, lo, hi)
    select ${jobId}, watchlist_id, 'numbers', (rn - 1) / ${partSize()},
           case when rn = 1 then null else number end,
           lead(number) over (partition by watchlist_id order by number)
    from (select watchlist_id, number, row_number() over (partition by watchlist_id order by number) as rn from watchlist_members) m
    where (rn - 1) % ${partSize()} = 0
      and exists (select 1 from watchlists w where w.id = m.watchlist_id and ${live})
    on conflict do nothing`;
  // A saved search's first part; each plans the next as it is taken.
  await tx`
    insert into watch_parts (job_id, watchlist_id, kind, part, lo, hi)
    select ${jobId}, w.id, 'search', 0, null, null from watchlists w where w.search is not null and ${live}
    on conflict do nothing`;
  await tx`update import_jobs set watch_pending = false where id = ${jobId}`;
}

type Part = { watchlist_id: number; kind: 'numbers' | 'search'; part: number; lo: string | null; hi: string | null; search: SavedSearch | null };

/**
 * The numbers a part follows: a range of the watchlist's own; for a saved search, the changed
 * entities it holds for, the next part planned from where this one stops.
 */
async function watchedOf(tx: Tx, job: { id: number; n: number; initial: boolean }, part: Part): Promise<string[]> {
  if (part.kind === 'numbers') {
    const rows = await tx<{ number: string }[]>`
      select m.number from watchlist_members m where m.watchlist_id = ${part.watchlist_id}
        and (${part.lo}::text is null or m.number >= ${part.lo}) and (${part.hi}::text is null or m.number < ${part.hi})`;
    return rows.map((r) => r.number);
  }
  const found = part.search ? await searchPart(tx, job, part.search, part.lo, partSize()) : { subjects: [], next: null };
  if (found.next !== null) {
    await tx`update watch_parts set hi = ${found.next} where job_id = ${job.id} and watchlist_id = ${part.watchlist_id} and kind = 'search' and part = ${part.part}`;
    await tx`insert into watch_parts (job_id, watchlist_id, kind, part, lo) values (${job.id}, ${part.watchlist_id}, 'search', ${part.part + 1}, ${found.next}) on conflict do nothing`;
  }
  return found.subjects;
}

/**
 * Each changed entity of the import tied to the watched number it belongs to: itself, or its
 * enterprise (an establishment's, a branch's rows, as they stood at extract n: current then, or
 * ended by it). Read for all the part's numbers at once (`= any`, each partial index of the
 * enterprise's key once), not a probe per number.
 */
async function changedOf(tx: Tx, job: { id: number; n: number; initial: boolean }, watched: string[]): Promise<{ t: string; n: string; change: string; subject: string }[]> {
  if (watched.length === 0) return [];
  const n = job.n;
  const ties = await tx<{ entity: string; subject: string }[]>`
    select establishment_number as entity, enterprise_number as subject from establishments
      where is_current and enterprise_number = any(${watched}::text[]) and extract_number <= ${n}
    union all
    select establishment_number, enterprise_number from establishments
      where not is_current and enterprise_number = any(${watched}::text[]) and extract_number <= ${n} and deleted_at_extract >= ${n}
    union all
    select branch_id, enterprise_number from branches where is_current and enterprise_number = any(${watched}::text[]) and extract_number <= ${n}
    union all
    select branch_id, enterprise_number from branches
      where not is_current and enterprise_number = any(${watched}::text[]) and extract_number <= ${n} and deleted_at_extract >= ${n}`;
  const subjectsOf = new Map<string, Set<string>>(watched.map((w) => [w, new Set([w])]));
  for (const t of ties) {
    const set = subjectsOf.get(t.entity);
    if (set) set.add(t.subject);
    else subjectsOf.set(t.entity, new Set([t.subject]));
  }
  const entities = [...subjectsOf.keys()];
  // What the import did to them: its change list's entries; for a FULL into an empty register
  // (which lists none: it added the register), every table that has their rows.
  const changes = job.initial
    ? await tx<{ t: string; n: string; change: string }[]>`${KBO_TABLES.map(
        (spec) => tx`select distinct ${spec.table}::text as t, x.${ident(tx, spec.key)} as n, 'added'::text as change
                     from ${ident(tx, spec.table)} x where x.${ident(tx, spec.key)} = any(${entities}::text[]) and x.extract_number = ${n}`,
      ).reduce((a, b) => tx`${a} union all ${b}`)}`
    : await tx<{ t: string; n: string; change: string }[]>`select t, n, change from import_changes where job_id = ${job.id} and n = any(${entities}::text[])`;
  return changes.flatMap((c) => [...(subjectsOf.get(c.n) ?? [])].map((subject) => ({ ...c, subject })));
}

/**
 * Takes one part not yet done (another driver's is skipped) and writes its matches and its
 * mark in the caller's transaction: a crash leaves it for the next driver, and no match is
 * written twice. False when none is left.
 */
export async function matchPart(tx: Tx, jobId: number): Promise<boolean> {
  const [job] = await tx<{ n: number; initial: boolean }[]>`
    select extract_number as n, mode = 'initial' as initial from import_jobs where id = ${jobId} and status = 'completed' for key share`;
  if (!job) return false;
  const [part] = await tx<Part[]>`
    select p.watchlist_id, p.kind, p.part, p.lo, p.hi, w.search from watch_parts p join watchlists w on w.id = p.watchlist_id
    where p.job_id = ${jobId} and not p.done
    order by p.watchlist_id, p.kind, p.part limit 1 for update of p skip locked`;
  if (!part) return false;
  const n = job.n;
  const watched = await watchedOf(tx, { id: jobId, n, initial: job.initial }, part);
  const changed = await changedOf(tx, { id: jobId, n, initial: job.initial }, watched);
  if (changed.length > 0) {
    const rows = await movedRows(tx, n, changed);
    const bySubject = new Map<string, { t: string; n: string; change: string; subject: string }[]>();
    // In the tables' order, then the entities': the same import says the same words anywhere.
    const order = (c: { t: string; n: string }) => `${String(TABLE_ORDER.get(c.t) ?? 99).padStart(2, '0')}\u0000${c.n}`;
    for (const c of [...changed].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))) {
      const list = bySubject.get(c.subject);
      if (list) list.push(c);
      else bySubject.set(c.subject, [c]);
    }
    const matches = [...bySubject].map(([subject, cs]) => {
      const moved = cs.map((c) => rows.get(`${c.t}\u0000${c.n}`) ?? { table: c.t, entity: c.n, started: [], ended: [] });
      const own = cs.find((c) => c.n === subject && (c.t === 'enterprises' || c.t === 'establishments' || c.t === 'branches'));
      return { subject, kind: own?.change ?? 'modified', changes: moved.flatMap((m) => describeRows(m, subject)), rows: moved };
    });
    await tx`
      insert into watch_matches (watchlist_id, job_id, extract_number, number, kind, changes, rows)
      select ${part.watchlist_id}, ${jobId}, ${n}, m.number, m.kind, m.changes, m.rows
      from jsonb_to_recordset(${JSON.stringify(matches.map((m) => ({ number: m.subject, kind: m.kind, changes: m.changes, rows: m.rows })))}::jsonb)
        as m(number text, kind text, changes jsonb, rows jsonb)
      on conflict do nothing`;
  }
  await tx`update watch_parts set done = true where job_id = ${jobId} and watchlist_id = ${part.watchlist_id} and kind = ${part.kind} and part = ${part.part}`;
  await digestWhenDone(tx, jobId, n, part.watchlist_id);
  return true;
}

/** Matches a digest carries at most; the feed has them all. */
export const DIGEST_MATCHES = 1_000;

/**
 * Once the last part of a watchlist's matching is done, its digest, when it has matches:
 * exactly one per watchlist and import. The drivers that mark its last parts take a lock per
 * watchlist and import after marking theirs, so the one that comes last sees every part done
 * (the unique key of the notification makes a second one nothing anyway).
 */
async function digestWhenDone(tx: Tx, jobId: number, extractNumber: number, watchlistId: number): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext(${`kbo-watch-digest:${watchlistId}:${jobId}`}))`;
  const [left] = await tx<{ n: number }[]>`select count(*)::int as n from watch_parts where job_id = ${jobId} and watchlist_id = ${watchlistId} and not done`;
  if ((left?.n ?? 1) > 0) return;
  const matches = await tx<{ number: string; kind: string; changes: MatchChange[] }[]>`
    select number, kind, changes from watch_matches where watchlist_id = ${watchlistId} and job_id = ${jobId} and withdrawn_at is null order by number limit ${DIGEST_MATCHES + 1}`;
  if (matches.length === 0) return;
  const [w] = await tx<{ name: string; webhook_url: string | null; email: string | null }[]>`select name, webhook_url, email from watchlists where id = ${watchlistId}`;
  if (!w) return;
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
}

/** The rows extract `n` started and ended of each changed entity, netted (a row ended and started again as it was is neither). */
async function movedRows(sql: Queryable, n: number, changed: { t: string; n: string }[]): Promise<Map<string, MatchRows>> {
  const out = new Map<string, MatchRows>();
  for (const spec of KBO_TABLES) {
    const keys = [...new Set(changed.filter((c) => c.t === spec.table).map((c) => c.n))];
    if (keys.length === 0) continue;
    const columns = spec.columns.map((c) => c.column);
    const found = await sql<{ k: string; r: Record<string, unknown>; s: boolean }[]>`
      select ${ident(sql, spec.key)} as k, to_jsonb(x) - ${HISTORY}::text[] as r, extract_number = ${n} as s
      from (select ${identList(sql, [...columns, 'extract_number'])} from ${ident(sql, spec.table)}
            where ${ident(sql, spec.key)} = any(${keys}::text[]) and (extract_number = ${n} or deleted_at_extract = ${n})) x`;
    const byKey = new Map<string, { k: string; r: Record<string, unknown>; s: boolean }[]>();
    // In the rows' own order, not the table's: the same import says the same words anywhere.
    for (const f of [...found].sort((a, b) => (canon(a.r) < canon(b.r) ? -1 : canon(a.r) > canon(b.r) ? 1 : 0))) {
      const list = byKey.get(f.k);
      if (list) list.push(f);
      else byKey.set(f.k, [f]);
    }
    for (const k of keys) {
      const mine = byKey.get(k) ?? [];
      // Net: each ended row that started again as it was cancels one of its twins.
      const endedBy = new Map<string, Record<string, unknown>[]>();
      for (const f of mine.filter((x) => !x.s)) {
        const c = canon(f.r);
        const list = endedBy.get(c);
        if (list) list.push(f.r);
        else endedBy.set(c, [f.r]);
      }
      const added: Record<string, unknown>[] = [];
      for (const f of mine.filter((x) => x.s)) {
        const twins = endedBy.get(canon(f.r));
        if (twins?.length) twins.pop();
        else added.push(f.r);
      }
      out.set(`${spec.table}\u0000${k}`, { table: spec.table, entity: k, started: added, ended: [...endedBy.values()].flat() });
    }
  }
  return out;
}

/** A row's content as one string: equal rows, equal strings. */
const canon = (r: Record<string, unknown>) => JSON.stringify(Object.entries(r).sort(([x], [y]) => (x < y ? -1 : 1)));

/** How far a job's matching has come: parts done of all (0 of 0: nothing to match). */
export async function matchingProgress(sql: Queryable, jobId: number): Promise<{ done: number; total: number; pending: boolean }> {
  const [r] = await sql<{ done: number; total: number; pending: boolean }[]>`
    select (select count(*) filter (where done) from watch_parts where job_id = ${jobId})::int as done,
           (select count(*) from watch_parts where job_id = ${jobId})::int as total,
           (select watch_pending from import_jobs where id = ${jobId}) as pending`;
  return { done: r?.done ?? 0, total: r?.total ?? 0, pending: Boolean(r?.pending) };
}

/** Matching steps for a completed job until `deadline` (at least one with `atLeastOne`): plan once, then a part each. */
export async function matchSteps(sql: Sql, jobId: number, deadline: number, atLeastOne = false): Promise<number> {
  let done = 0;
  const [first] = await sql<{ pending: boolean }[]>`select watch_pending as pending from import_jobs where id = ${jobId}`;
  if (first?.pending) {
    await sql.begin(async (tx) => {
      const [job] = await tx<{ pending: boolean }[]>`
        select watch_pending as pending from import_jobs where id = ${jobId} and status = 'completed' for update`;
      if (!job?.pending) return;
      await planMatching(tx, jobId);
    });
  }
  while (Date.now() < deadline || (atLeastOne && done === 0)) {
    if (!(await sql.begin((tx) => matchPart(tx, jobId)))) break;
    done++;
  }
  return done;
}
