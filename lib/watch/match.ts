import type { Queryable, Sql, Tx } from '../db/client';
import { ident, identList } from '../db/sql';
import { KBO_TABLES, tableSpec, type DataTableName } from '../kbo/spec';
import { notifyWatchlist, NOTIFY_EVENTS } from '../notify';

/**
 * Matching a completed import's changes against the watchlists, after its change list is
 * worked out, in parts a driver takes one at a time like everything else (the page, the CLI,
 * the cron): a range of about PART_MEMBERS of one watchlist's numbers each.
 *
 * A watched enterprise is matched by its own rows and by those of its establishments and
 * branches (an establishment closed, its address moved); a watched establishment by its own.
 * Which entities changed comes from the change list (import_changes: rows re-issued unchanged
 * are no change there); what changed, from the rows the import started and ended for them,
 * netted the same way: a field before and after where one row of a one-row table was replaced,
 * each row added or ended otherwise.
 */

/** Numbers of one watchlist per part. */
export const PART_MEMBERS = 5_000;

const ONE_ROW = new Set<string>(KBO_TABLES.filter((t) => t.oneRowPerKey).map((t) => t.table));
const HISTORY = ['id', 'extract_number', 'snapshot_date', 'is_current', 'deleted_at_extract', 'primary_name'];

export type MatchChange = { table: string; entity?: string; field?: string; before?: string | null; after?: string | null };
export type MatchRows = { table: string; entity: string; started: Record<string, unknown>[]; ended: Record<string, unknown>[] };

/**
 * Plans a completed import's matching, once (the job's `watch_pending`): a part per range of
 * each watchlist's numbers (a watchlist of a saved search only has none yet). In the caller's
 * transaction, which holds the job's row.
 */
export async function planMatching(tx: Tx, jobId: number): Promise<void> {
  await tx`
    insert into watch_parts (job_id, watchlist_id, part, lo, hi)
    select ${jobId}, watchlist_id, (rn - 1) / ${PART_MEMBERS},
           case when rn = 1 then null else number end,
           lead(number) over (partition by watchlist_id order by number)
    from (select watchlist_id, number, row_number() over (partition by watchlist_id order by number) as rn from watchlist_members) m
    where (rn - 1) % ${PART_MEMBERS} = 0
    on conflict do nothing`;
  await tx`update import_jobs set watch_pending = false where id = ${jobId}`;
}

/**
 * Takes one part not yet done (another driver's is skipped) and writes its matches and its
 * mark in the caller's transaction: a crash leaves it for the next driver, and no match is
 * written twice. False when none is left.
 */
export async function matchPart(tx: Tx, jobId: number): Promise<boolean> {
  const [job] = await tx<{ n: number }[]>`select extract_number as n from import_jobs where id = ${jobId} and status = 'completed' for key share`;
  if (!job) return false;
  const [part] = await tx<{ watchlist_id: number; part: number; lo: string | null; hi: string | null }[]>`
    select watchlist_id, part, lo, hi from watch_parts where job_id = ${jobId} and not done
    order by watchlist_id, part limit 1 for update skip locked`;
  if (!part) return false;
  const n = job.n;
  const inRange = tx`(${part.lo}::text is null or m.number >= ${part.lo}) and (${part.hi}::text is null or m.number < ${part.hi})`;
  // Each changed entity of the import, tied to the watched number it belongs to: itself, or its
  // enterprise (an establishment's, a branch's rows, as they were before or after the import).
  const changed = await tx<{ t: string; n: string; change: string; subject: string }[]>`
    with watched as (select m.number from watchlist_members m where m.watchlist_id = ${part.watchlist_id} and ${inRange}),
    ties as (
      select number as entity, number as subject from watched
      union
      select e.establishment_number, e.enterprise_number from establishments e join watched w on w.number = e.enterprise_number
      where e.is_current or e.extract_number = ${n} or e.deleted_at_extract = ${n}
      union
      select b.branch_id, b.enterprise_number from branches b join watched w on w.number = b.enterprise_number
      where b.is_current or b.extract_number = ${n} or b.deleted_at_extract = ${n}
    )
    select c.t, c.n, c.change, ties.subject from import_changes c join ties on ties.entity = c.n
    where c.job_id = ${jobId}`;
  if (changed.length > 0) {
    const rows = await movedRows(tx, n, changed);
    const bySubject = new Map<string, { t: string; n: string; change: string; subject: string }[]>();
    for (const c of changed) bySubject.set(c.subject, [...(bySubject.get(c.subject) ?? []), c]);
    const matches = [...bySubject].map(([subject, cs]) => {
      const moved = cs.map((c) => rows.get(`${c.t}\u0000${c.n}`) ?? { table: c.t, entity: c.n, started: [], ended: [] });
      const own = cs.find((c) => c.n === subject && (c.t === 'enterprises' || c.t === 'establishments'));
      return { subject, kind: own?.change ?? 'modified', changes: moved.flatMap(describeRows), rows: moved };
    });
    await tx`
      insert into watch_matches (watchlist_id, job_id, extract_number, number, kind, changes, rows)
      select ${part.watchlist_id}, ${jobId}, ${n}, m.number, m.kind, m.changes, m.rows
      from jsonb_to_recordset(${JSON.stringify(matches.map((m) => ({ number: m.subject, kind: m.kind, changes: m.changes, rows: m.rows })))}::jsonb)
        as m(number text, kind text, changes jsonb, rows jsonb)
      on conflict do nothing`;
  }
  await tx`update watch_parts set done = true where job_id = ${jobId} and watchlist_id = ${part.watchlist_id} and part = ${part.part}`;
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

/** A change as a line: `status AC → ST`, `addresses + …`, `activities − …`. */
export function said(c: MatchChange): string {
  if (c.field) return `${c.table}.${c.field} ${c.before ?? '∅'} → ${c.after ?? '∅'}`;
  return c.after !== undefined ? `${c.table} + ${c.after}` : `${c.table} − ${c.before}`;
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
    for (const k of keys) {
      const mine = found.filter((f) => f.k === k);
      const started = mine.filter((f) => f.s).map((f) => f.r);
      const ended = mine.filter((f) => !f.s).map((f) => f.r);
      // Net: each ended row that started again as it was cancels one of its twins.
      const left = [...ended];
      const added = started.filter((r) => {
        const i = left.findIndex((e) => same(e, r));
        if (i < 0) return true;
        left.splice(i, 1);
        return false;
      });
      out.set(`${spec.table}\u0000${k}`, { table: spec.table, entity: k, started: added, ended: left });
    }
  }
  return out;
}

const same = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
const sorted = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).sort(([x], [y]) => x.localeCompare(y)));

/**
 * One entity's rows in words: a field before and after where one row of a one-row table was
 * replaced (`status AC → ST`), else each row ended (`before`) and added (`after`), as a line.
 */
export function describeRows(m: MatchRows): MatchChange[] {
  const entity = m.entity;
  if (ONE_ROW.has(m.table) && m.started.length === 1 && m.ended.length === 1) {
    const [before, after] = [m.ended[0] as Record<string, unknown>, m.started[0] as Record<string, unknown>];
    return Object.keys(after)
      .filter((f) => String(before[f] ?? '') !== String(after[f] ?? ''))
      .sort()
      .map((field) => ({ table: m.table, entity, field, before: text(before[field]), after: text(after[field]) }));
  }
  return [
    ...m.ended.map((r) => ({ table: m.table, entity, before: line(m.table as DataTableName, r) })),
    ...m.started.map((r) => ({ table: m.table, entity, after: line(m.table as DataTableName, r) })),
  ];
}

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** A row as one line: its business columns but the entity's key, in the file's order, empty ones left out. */
export function line(table: DataTableName, r: Record<string, unknown>): string {
  const spec = tableSpec(table);
  return spec.columns
    .filter((c) => c.column !== spec.key && r[c.column] !== null && r[c.column] !== undefined && r[c.column] !== '')
    .map((c) => `${c.column}: ${String(r[c.column])}`)
    .join(', ');
}

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
      const [job] = await tx<{ pending: boolean; mode: string }[]>`
        select watch_pending as pending, mode from import_jobs where id = ${jobId} and status = 'completed' for update`;
      if (!job?.pending) return;
      // A FULL loaded into an empty register lists no changes (it added the register): nothing to match yet.
      if (job.mode === 'initial') await tx`update import_jobs set watch_pending = false where id = ${jobId}`;
      else await planMatching(tx, jobId);
    });
  }
  while (Date.now() < deadline || (atLeastOne && done === 0)) {
    if (!(await sql.begin((tx) => matchPart(tx, jobId)))) break;
    done++;
  }
  return done;
}

/** A rollback undid the import: its matches are withdrawn (kept, marked, so a program that read them hears of it), its matching forgotten. */
export async function withdrawMatches(tx: Tx, jobId: number): Promise<void> {
  const withdrawn = await tx<{ watchlist_id: number; n: number; extract: number; name: string; webhook_url: string | null; email: string | null }[]>`
    with w as (update watch_matches set withdrawn_at = now() where job_id = ${jobId} and withdrawn_at is null returning watchlist_id, extract_number)
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
  await tx`delete from watch_parts where job_id = ${jobId}`;
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
 * A watchlist's matches after a point (`after`: an extract number, or `extract:number` as a
 * page's `next` gives it), oldest first, `limit` at most; `next` continues where this ends
 * (null: nothing more now). For programs that poll instead of receiving webhooks.
 */
export async function matchFeed(sql: Queryable, watchlistId: number, after: string | undefined, limit = 500): Promise<{ matches: FeedMatch[]; next: string | null }> {
  const [extract, number] = (after ?? '0').split(':');
  const from = Number(extract);
  const rows = await sql<FeedMatch[]>`
    select extract_number as "extractNumber", job_id as "jobId", number, kind, changes,
           to_char(withdrawn_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "withdrawnAt"
    from watch_matches
    where watchlist_id = ${watchlistId} and ${number === undefined ? sql`extract_number > ${from}` : sql`(extract_number, number) > (${from}, ${number})`}
    order by extract_number, number limit ${limit + 1}`;
  const page = rows.slice(0, limit);
  const lastRow = page.at(-1);
  return { matches: page, next: rows.length > limit && lastRow ? `${lastRow.extractNumber}:${lastRow.number}` : null };
}
