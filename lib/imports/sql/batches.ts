import type { Tx, Queryable } from '../../db/client';
import type { BatchOperation, UndoProgress } from '../../db/schema';
import { PARTITIONS } from '../../db/partitions';
import { BATCH, JOB, type BatchStatus } from '../state/machine';

/**
 * Every query of the engine on import_job_batches, but its status changes
 * (state/batch-moves.ts). New batches are born `pending` (the column's default).
 */

/** A batch a prepare step staged rows for: its first key (resync) and its partition, if it has one. */
export interface StagedBatch {
  batch: number;
  rows: number;
  rangeStart: string | null;
  partition: number | null;
}

/** Rows a prepare step staged, added to their batches (created on first sight). */
export async function addStagedRows(tx: Tx, jobId: number, tableName: string, operation: BatchOperation, staged: StagedBatch[]): Promise<void> {
  if (staged.length === 0) return;
  await tx`
    insert into import_job_batches (job_id, table_name, operation, batch_number, row_count, range_start, partition)
    select ${jobId}, ${tableName}, ${operation}, b, r, s, p
    from unnest(${staged.map((e) => e.batch)}::int[], ${staged.map((e) => e.rows)}::int[], ${staged.map((e) => e.rangeStart)}::text[],
                ${staged.map((e) => e.partition)}::int[]) as u(b, r, s, p)
    on conflict (job_id, table_name, operation, batch_number)
    do update set row_count = import_job_batches.row_count + excluded.row_count`;
}

/**
 * A resync's first batch of each table, so a table whose file is empty still ends its current
 * rows: for a table cut by partition, the first of each partition (batch p, all of partition p's
 * keys until its first cut).
 */
export async function addFirstResyncBatches(tx: Tx, jobId: number, tables: { table: string; partitioned: boolean }[]): Promise<void> {
  const firsts = tables.flatMap((t): { table: string; p: number | null }[] => (t.partitioned ? Array.from({ length: PARTITIONS }, (_, p) => ({ table: t.table, p })) : [{ table: t.table, p: null }]));
  await tx`
    insert into import_job_batches (job_id, table_name, operation, batch_number, row_count, partition)
    select ${jobId}, t, 'resync', coalesce(p, 0), 0, p
    from unnest(${firsts.map((f) => f.table)}::text[], ${firsts.map((f) => f.p)}::int[]) as u(t, p)`;
}

/** Batches made so far, per table. */
export async function batchesPerTable(tx: Tx, jobId: number): Promise<{ table_name: string; n: number }[]> {
  return tx<{ table_name: string; n: number }[]>`
    select table_name, count(distinct batch_number)::int as n from import_job_batches where job_id = ${jobId} group by table_name`;
}

/** A refused prepare's batches will never run. */
export async function deleteBatches(tx: Tx, jobId: number): Promise<void> {
  await tx`delete from import_job_batches where job_id = ${jobId}`;
}

export async function countBatches(sql: Queryable, jobId: number, status: BatchStatus): Promise<number> {
  const [r] = await sql<{ n: number }[]>`select count(*)::int as n from import_job_batches where job_id = ${jobId} and status = ${status}`;
  return r?.n ?? 0;
}

/** Batches not completed yet, and how many of those failed. */
export async function unfinishedBatches(tx: Tx, jobId: number): Promise<{ open: number; failed: number }> {
  const [r] = await tx<{ open: number; failed: number }[]>`
    select count(*) filter (where status <> ${BATCH.completed})::int as open,
           count(*) filter (where status = ${BATCH.failed})::int as failed
    from import_job_batches where job_id = ${jobId}`;
  return r ?? { open: 0, failed: 0 };
}

/** The sums of what a job's batches staged and did. */
export async function batchTotals(tx: Tx, jobId: number): Promise<Record<string, number>> {
  const [totals] = await tx<Record<string, number>[]>`
    select coalesce(sum(row_count), 0)::int as staged, coalesce(sum(rows_inserted), 0)::int as inserted,
           coalesce(sum(rows_ended), 0)::int as ended, coalesce(sum(rows_unchanged), 0)::int as unchanged,
           coalesce(sum(rows_duplicate), 0)::int as duplicate, coalesce(sum(rows_noop), 0)::int as noop
    from import_job_batches where job_id = ${jobId}`;
  return totals ?? {};
}

/**
 * The tables whose statistics a job left stale: those it changed by at least a tenth of their
 * rows (the planner's estimate, over a partitioned table's partitions), or that were never
 * analysed. Smaller changes, a normal day's, are left to autovacuum, which analyses a table
 * once a tenth of it changed.
 */
export async function staleTables(tx: Tx, jobId: number): Promise<string[]> {
  const rows = await tx<{ table_name: string }[]>`
    select ch.table_name from (
      select table_name, coalesce(sum(rows_inserted), 0) + coalesce(sum(rows_ended), 0) as n
      from import_job_batches where job_id = ${jobId} group by table_name
    ) ch
    cross join lateral (
      select coalesce(sum(greatest(c.reltuples, 0)), 0) as rows, coalesce(bool_or(c.reltuples < 0), true) as unknown
      from pg_class c
      where c.relkind = 'r' and (c.oid = to_regclass(ch.table_name) or c.oid in (select inhrelid from pg_inherits where inhparent = to_regclass(ch.table_name)))
    ) s
    where ch.n > 0 and (s.unknown or ch.n >= 0.1 * s.rows)
    order by 1`;
  return rows.map((r) => r.table_name);
}

/** What undoing a job will remove and restore per table, from its completed batches' counts. */
export async function undoPlan(tx: Tx, jobId: number): Promise<UndoProgress> {
  const rows = await tx<{ table_name: string; remove: number; restore: number }[]>`
    select table_name, coalesce(sum(rows_inserted), 0)::int as remove, coalesce(sum(rows_ended), 0)::int as restore
    from import_job_batches where job_id = ${jobId} and status = ${BATCH.completed}
    group by table_name`;
  const planned: UndoProgress['planned'] = {};
  for (const r of rows) planned[r.table_name] = { remove: r.remove, restore: r.restore };
  return { startedAt: new Date().toISOString(), planned, removed: {}, restored: {} };
}

/**
 * A resync batch's key range: its own first key to the next batch's (null: open-ended); the
 * next of its own partition's (PARTITIONS on) when it was cut within one.
 */
export async function resyncRange(tx: Tx, b: { jobId: number; tableName: string; batchNumber: number; partition: number | null }): Promise<{ lo: string | null; hi: string | null }> {
  const next = b.batchNumber + (b.partition === null ? 1 : PARTITIONS);
  const [range] = await tx<{ lo: string | null; hi: string | null }[]>`
    select (select range_start from import_job_batches
            where job_id = ${b.jobId} and table_name = ${b.tableName} and operation = 'resync' and batch_number = ${b.batchNumber}) as lo,
           (select range_start from import_job_batches
            where job_id = ${b.jobId} and table_name = ${b.tableName} and operation = 'resync' and batch_number = ${next}) as hi`;
  return range ?? { lo: null, hi: null };
}

/** Repeats removed at finalize count as duplicates of the table's last batch. */
export async function countRepeatsAsDuplicates(tx: Tx, jobId: number, tableName: string, n: number): Promise<void> {
  await tx`
    update import_job_batches set rows_inserted = rows_inserted - ${n}, rows_duplicate = rows_duplicate + ${n}
    where id = (select max(id) from import_job_batches where job_id = ${jobId} and table_name = ${tableName})`;
}

// ---------------------------------------------------------------------------------------------
// The read model (view/status.ts, view/report.ts)

/** One table's batches of one operation: counted by status, with the rows they staged and did. */
export interface OperationProgress {
  operation: string;
  batches: number;
  pending: number;
  processing: number;
  completed: number;
  failed: number;
  rows: number;
  rowsDone: number;
  inserted: number;
  ended: number;
  unchanged: number;
  duplicate: number;
  noop: number;
}

/** Per table and operation: batches by status, and the rows they staged and did. */
export async function progressGroups(sql: Queryable, jobId: number): Promise<(OperationProgress & { table: string })[]> {
  return sql<(OperationProgress & { table: string })[]>`
    select table_name as "table", operation, count(*)::int as batches,
      count(*) filter (where status = ${BATCH.pending})::int as pending,
      count(*) filter (where status = ${BATCH.processing})::int as processing,
      count(*) filter (where status = ${BATCH.completed})::int as completed,
      count(*) filter (where status = ${BATCH.failed})::int as failed,
      coalesce(sum(row_count), 0)::int as rows,
      coalesce(sum(row_count) filter (where status = ${BATCH.completed}), 0)::int as "rowsDone",
      coalesce(sum(rows_inserted), 0)::int as inserted, coalesce(sum(rows_ended), 0)::int as ended,
      coalesce(sum(rows_unchanged), 0)::int as unchanged, coalesce(sum(rows_duplicate), 0)::int as duplicate,
      coalesce(sum(rows_noop), 0)::int as noop
    from import_job_batches where job_id = ${jobId}
    group by table_name, operation
    order by table_name, operation`;
}

export interface BatchRowBrief {
  id: number;
  table_name: string;
  operation: string;
  batch_number: number;
  row_count: number;
  attempts: number;
  error_message: string | null;
  status: BatchStatus;
}

/** Batches being applied and failed ones (up to 200), and the next pending one. */
export async function openBatches(sql: Queryable, jobId: number): Promise<BatchRowBrief[]> {
  return sql<BatchRowBrief[]>`
    (select id, table_name, operation, batch_number, row_count, attempts, error_message, status
     from import_job_batches where job_id = ${jobId} and status = any(${[BATCH.processing, BATCH.failed]}::text[])
     order by id limit 200)
    union all
    (select id, table_name, operation, batch_number, row_count, attempts, error_message, status
     from import_job_batches where job_id = ${jobId} and status = ${BATCH.pending}
     order by operation = 'insert', batch_number, table_name limit 1)`;
}

/**
 * Seconds during which at least one batch was being applied: the union of the batches'
 * [started, completed] spans (a batch in flight counts up to now), so the time an import
 * sat paused, or waited for a retry, does not count.
 */
export async function batchSeconds(sql: Queryable, jobId: number): Promise<number> {
  const [r] = await sql<{ seconds: number | null }[]>`
    with spans as (
      select started_at as s,
             case when status = ${BATCH.processing} then now()
                  else coalesce(completed_at, started_at + make_interval(secs => duration_ms / 1000.0)) end as e
      from import_job_batches where job_id = ${jobId} and started_at is not null
    ), ordered as (
      select s, e, max(e) over (order by s, e rows between unbounded preceding and 1 preceding) as reached
      from spans where e is not null
    ), islands as (
      select s, e, count(*) filter (where reached is null or s > reached) over (order by s, e) as island from ordered
    )
    select coalesce(sum(seconds), 0)::float8 as seconds
    from (select extract(epoch from (max(e) - min(s))) as seconds from islands group by island) busy`;
  return Number(r?.seconds ?? 0);
}

/** The latest finished batches: when each ended (seconds after the first began) and how long it took. */
export async function finishedTimeline(sql: Queryable, jobId: number, points: number) {
  return sql<{ id: number; table_name: string; operation: string; batch_number: number; duration_ms: number; failed: boolean; at: number }[]>`
    with first as (select min(started_at) as t0 from import_job_batches where job_id = ${jobId})
    select * from (
      select b.id, b.table_name, b.operation, b.batch_number, b.duration_ms, b.status = ${BATCH.failed} as failed,
             extract(epoch from (coalesce(b.completed_at, b.started_at + make_interval(secs => b.duration_ms / 1000.0)) - first.t0))::float8 as at
      from import_job_batches b, first
      where b.job_id = ${jobId} and b.status = any(${[BATCH.completed, BATCH.failed]}::text[]) and b.duration_ms is not null
      order by at desc limit ${points}
    ) latest order by at`;
}

/** p50, p95 and max of the completed batches' durations. */
export async function batchDurations(sql: Queryable, jobId: number) {
  const [timing] = await sql<{ n: number; p50: number | null; p95: number | null; max: number | null }[]>`
    select count(*)::int as n,
           percentile_cont(0.5) within group (order by duration_ms)::float8 as p50,
           percentile_cont(0.95) within group (order by duration_ms)::float8 as p95,
           max(duration_ms)::float8 as max
    from import_job_batches where job_id = ${jobId} and status = ${BATCH.completed}`;
  return timing;
}

/**
 * Current rows per table after the completed imports, from what their batches did (rows
 * inserted less rows ended): exact, and cheap whatever the register's size, since it reads
 * the batch rows and not the register.
 */
export async function currentRowsByTable(sql: Queryable): Promise<{ table: string; rows: number }[]> {
  return sql<{ table: string; rows: number }[]>`
    select b.table_name as "table", (coalesce(sum(b.rows_inserted), 0) - coalesce(sum(b.rows_ended), 0))::float8 as rows
    from import_job_batches b join import_jobs j on j.id = b.job_id
    where j.status = ${JOB.completed}
    group by b.table_name order by b.table_name`;
}
