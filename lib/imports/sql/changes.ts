import type { Queryable, Tx } from '../../db/client';
import { tableOrPartition } from '../../db/partitions';
import { ident, withoutJit, type Fragment } from '../../db/sql';
import { KBO_TABLES } from '../../kbo/spec';
import { netMoves, rowContent } from './moves';
import { JOB } from '../state/machine';

/**
 * Every statement of an import's change list: planning its parts, working out one part (what
 * extract N did per entity of a table, within a key range), and how far it has come.
 */

type Table = (typeof KBO_TABLES)[number];
/** A range of keys [lo, hi), either side open when null; of one partition's keys only when `partition` is set. */
export type KeyRange = { lo: string | null; hi: string | null; partition?: number | null };

/** The table a range is read from: its partition, when it has one. */
const tableOf = (sql: Queryable, table: Table, range: KeyRange | null) => ident(sql, tableOrPartition(table.table, range?.partition));

const TABLE_ORDER = KBO_TABLES.map((t) => t.table);

/** `key >= lo and key < hi`, either side open when null. */
function inRange(sql: Queryable, key: Fragment, r: KeyRange): Fragment {
  return sql`${r.lo === null ? sql`true` : sql`${key} >= ${r.lo}`} and ${r.hi === null ? sql`true` : sql`${key} < ${r.hi}`}`;
}

/**
 * The rows extract N started (s = 1) and ended (e = 1) in `table`, with their content. Over a
 * key range, each side walks its key index (current rows, ended rows) over just that range;
 * over the whole table, the extract's own indexes.
 */
function movedRows(sql: Queryable, table: Table, n: number, range: KeyRange | null): Fragment {
  const t = tableOf(sql, table, range);
  const key = ident(sql, table.key);
  const content = rowContent(sql, table.table);
  if (range === null) {
    return sql`select ${key} as n, ${content} as h, 1 as s, 0 as e from ${t} where extract_number = ${n}
               union all
               select ${key}, ${content}, 0, 1 from ${t} where deleted_at_extract = ${n}`;
  }
  const within = inRange(sql, key, range);
  return sql`select ${key} as n, ${content} as h, 1 as s, 0 as e from ${t} where is_current and ${within} and extract_number = ${n}
             union all
             select ${key}, ${content}, 1, 0 from ${t} where not is_current and ${within} and extract_number = ${n}
             union all
             select ${key}, ${content}, 0, 1 from ${t} where not is_current and ${within} and deleted_at_extract = ${n}`;
}

/**
 * Per entity of one table, what import N did to its rows: the rows it started and ended,
 * less the ones it ended and started again unchanged (an UPDATE re-issues every row of a key
 * it touches), classified: `added` (it had no rows in this table before), `ended` (none
 * after), `modified` (some before and after, not the same), or `reissued` (every row it
 * touched it started again as it was: no change, and not in the change list). One probe per
 * entity tells whether it kept other rows across N (none for one it re-issued).
 */
export function classified(sql: Queryable, table: Table, n: number, range: KeyRange | null): Fragment {
  const t = tableOf(sql, table, range);
  const key = ident(sql, table.key);
  return sql`
    select ${table.table}::text as t, k.n, k.started, k.ended,
           case when k.started = 0 and k.ended = 0 then 'reissued'
                when kept then 'modified' when k.ended = 0 then 'added' when k.started = 0 then 'ended' else 'modified' end as change
    from (${netMoves(sql, movedRows(sql, table, n, range), ['n'])}) k
    cross join lateral (select k.reissued > 0
         or exists (select 1 from ${t} u where u.${key} = k.n and u.is_current and u.extract_number < ${n})
         or exists (select 1 from ${t} u where u.${key} = k.n and not u.is_current and u.extract_number < ${n} and u.deleted_at_extract > ${n}) as kept) kept`;
}

/** Entities a part covers at most, when a table's part is cut by the keys the extract touched. */
export const PART_KEYS = 5_000;

/**
 * A table the import touched more rows of than this is cut from a sample of its pages rather
 * than from every key it touched: numbering every touched key is one statement that grows with
 * the import (2.6 s of finalize's 2.7 s at the NACE spike of full10, ten times that at the real
 * size), where a sample of SAMPLE_ROWS rows costs the same whatever the size. The ranges still
 * cover every key, so the list is the same; only the parts' sizes are estimates.
 */
export const EXACT_CUT_ROWS = 200_000;
const SAMPLE_ROWS = 300_000;

export interface PartPlan {
  partKeys: number;
  /** Touched rows (staged for the table) above which the cuts come from a sample. */
  exactRows: number;
  sampleRows: number;
}

/**
 * The parts of a completed import's change list: for a resync, one per batch of each table
 * (its key range: the batch's first key to the next batch's, of its partition when it was cut
 * within one); otherwise each table cut into
 * key ranges of about `partKeys` of the keys the extract touched (one part, the whole table,
 * for a usual daily update). Again for a job already planned, nothing.
 */
export async function planChangeParts(tx: Tx, jobId: number, resync: boolean, n: number, plan: Partial<PartPlan> = {}): Promise<void> {
  const p: PartPlan = { partKeys: PART_KEYS, exactRows: EXACT_CUT_ROWS, sampleRows: SAMPLE_ROWS, ...plan };
  // A resync batch cut within a partition ranges over that partition's keys, to the start of
  // the partition's next batch.
  const ranges = resync
    ? await tx<{ table_name: string; lo: string | null; hi: string | null; partition: number | null }[]>`
        select table_name, range_start as lo, lead(range_start) over (partition by table_name, partition order by batch_number) as hi, partition
        from import_job_batches where job_id = ${jobId} and operation = 'resync'`
    : (await touchedKeyRanges(tx, jobId, n, p)).map((r) => ({ ...r, partition: null }));
  const parts = TABLE_ORDER.flatMap((table) => {
    const own = ranges.filter((r) => r.table_name === table);
    return own.length ? own.map((r) => ({ table, lo: r.lo, hi: r.hi, partition: r.partition })) : [{ table, lo: null, hi: null, partition: null }];
  });
  await tx`
    insert into import_change_parts (job_id, part, table_name, lo, hi, partition)
    select ${jobId}, p.i - 1, p.t, p.lo, p.hi, p.partition
    from unnest(${parts.map((p) => p.table)}::text[], ${parts.map((p) => p.lo)}::text[], ${parts.map((p) => p.hi)}::text[], ${parts.map((p) => p.partition)}::int[])
      with ordinality as p(t, lo, hi, partition, i)
    on conflict do nothing`;
}

/**
 * Per table, ranges of about `partKeys` keys each among those extract `n` started or ended
 * rows of (none for a table it touched less): every `partKeys`-th touched key, or, for a table
 * it touched more than `exactRows` rows of, every (partKeys × share)-th key of a sample of the
 * table's pages (TABLESAMPLE SYSTEM) of about `sampleRows` rows.
 */
async function touchedKeyRanges(tx: Tx, jobId: number, n: number, p: PartPlan): Promise<{ table_name: string; lo: string | null; hi: string | null }[]> {
  const staged = new Map(
    (await tx<{ t: string; rows: number }[]>`
      select table_name as t, coalesce(sum(row_count), 0)::float8 as rows from import_job_batches where job_id = ${jobId} group by table_name`).map((r) => [r.t, Number(r.rows)]),
  );
  const out: { table_name: string; lo: string | null; hi: string | null }[] = [];
  for (const table of KBO_TABLES) {
    const t = ident(tx, table.table);
    const key = ident(tx, table.key);
    let keys: Fragment = tx`select ${key} as k from ${t} where extract_number = ${n} union select ${key} from ${t} where deleted_at_extract = ${n}`;
    let every = p.partKeys;
    if ((staged.get(table.table) ?? 0) > p.exactRows) {
      const [size] = await tx<{ rows: number }[]>`
        select coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 as rows
        from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = ${table.table}::regclass`;
      const share = Math.min(1, p.sampleRows / Math.max(1, Number(size?.rows ?? 0)));
      if (share < 1) {
        keys = tx`select distinct ${key} as k from ${t} tablesample system (${100 * share}) where extract_number = ${n} or deleted_at_extract = ${n}`;
        every = Math.max(1, Math.round(p.partKeys * share));
      }
    }
    const cuts = await tx<{ k: string }[]>`
      select k from (
        select k, row_number() over (order by k) as rn from (${keys}) keys
      ) r where (rn - 1) % ${every} = 0 and rn > 1 order by k`;
    if (cuts.length === 0) continue;
    const bounds = [null, ...cuts.map((c) => c.k), null];
    for (let i = 0; i + 1 < bounds.length; i++) out.push({ table_name: table.table, lo: bounds[i] as string | null, hi: bounds[i + 1] as string | null });
  }
  return out;
}

/**
 * Takes one part not yet done of a completed job (another driver's is skipped), writes its
 * changes and marks it done, in the caller's transaction: a crash leaves it for the next driver, and no part is
 * written twice. False when no part is left to take.
 */
export async function workOutPart(tx: Tx, jobId: number, n: number): Promise<boolean> {
  // The job's row first, as the foreign key's check would take it: a rollback holds it to
  // delete the parts, so taking a part first and the job after deadlocked with it.
  const [job] = await tx`select 1 from import_jobs where id = ${jobId} and status = ${JOB.completed} for key share`;
  if (!job) return false;
  await withoutJit(tx);
  const [part] = await tx<{ part: number; table_name: string; lo: string | null; hi: string | null; partition: number | null }[]>`
    select part, table_name, lo, hi, partition from import_change_parts where job_id = ${jobId} and not done
    order by part limit 1 for update skip locked`;
  if (!part) return false;
  const table = KBO_TABLES.find((t) => t.table === part.table_name);
  let reissued = 0;
  if (table) {
    const range = part.lo === null && part.hi === null && part.partition === null ? null : { lo: part.lo, hi: part.hi, partition: part.partition };
    const [r] = await tx<{ reissued: number }[]>`
      with c as (${classified(tx, table, n, range)}),
      listed as (
        insert into import_changes (job_id, o, n, t, change, started, ended)
        select ${jobId}, ${TABLE_ORDER.indexOf(table.table) + 1}, c.n, c.t, c.change, c.started, c.ended
        from c where c.change <> 'reissued'
        on conflict do nothing
      )
      select count(*)::int as reissued from c where c.change = 'reissued'`;
    reissued = r?.reissued ?? 0;
  }
  await tx`update import_change_parts set done = true, reissued = ${reissued} where job_id = ${jobId} and part = ${part.part}`;
  return true;
}

/**
 * How far a job's change list has come: its parts done, of all (0 of 0: never planned), and
 * per table the entities re-issued unchanged in the parts done (left out of the list).
 */
export async function changePartsProgress(sql: Queryable, jobId: number): Promise<{ done: number; total: number; reissued: Record<string, number> }> {
  const rows = await sql<{ table_name: string; done: number; total: number; reissued: number }[]>`
    select table_name, count(*) filter (where done)::int as done, count(*)::int as total, coalesce(sum(reissued), 0)::int as reissued
    from import_change_parts where job_id = ${jobId} group by table_name`;
  const reissued: Record<string, number> = {};
  for (const r of rows) if (r.reissued > 0) reissued[r.table_name] = r.reissued;
  return { done: rows.reduce((a, r) => a + r.done, 0), total: rows.reduce((a, r) => a + r.total, 0), reissued };
}

/**
 * Forgets up to `limit` rows of a job's change list; returns how many. A rollback forgets its
 * import's list this way, a chunk per undo step: the list of a busy UPDATE or a NACE spike
 * (hundreds of thousands to millions of rows) deleted at once made the rollback's own request
 * as long. Nothing reads the rows of an import that is not completed meanwhile.
 */
export async function forgetChangesChunk(tx: Tx, jobId: number, limit: number): Promise<number> {
  const gone = await tx`
    delete from import_changes where job_id = ${jobId}
      and (o, n) in (select o, n from import_changes where job_id = ${jobId} limit ${limit})`;
  if (gone.count < limit) await tx`delete from import_change_parts where job_id = ${jobId}`;
  return gone.count;
}

/** Forgets a job's change list (its rows and parts) at once: a preview's, discarded or applied. */
export async function forgetChanges(tx: Tx, jobId: number): Promise<void> {
  await tx`delete from import_changes where job_id = ${jobId}`;
  await tx`delete from import_change_parts where job_id = ${jobId}`;
}
