import { desc, eq } from 'drizzle-orm';
import type { Db, Sql } from '../../db/client';
import { importJobs, type ImportJob, type StagingProgress } from '../../db/schema';
import { ImportFailure } from '../errors';
import { describeDrift, type DriftCounts } from './describe';
import { ACTIVE_STATUSES } from '../state/machine';

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

export interface TableProgress {
  table: string;
  batches: number;
  completed: number;
  failed: number;
  rows: number;
  rowsDone: number;
  operations: OperationProgress[];
}

export interface BatchView {
  id: number;
  table: string;
  operation: string;
  batchNumber: number;
  rows: number;
  attempts: number;
  error: string | null;
}

/** A finished batch on the timeline: when it ended (seconds after the job's first batch) and how long it took. */
export interface TimelinePoint {
  id: number;
  table: string;
  operation: string;
  batchNumber: number;
  at: number;
  durationMs: number;
  failed: boolean;
}

/** Which operator actions the job accepts now (the page shows only these buttons). */
export interface JobActions {
  pause: boolean;
  resume: boolean;
  cancel: boolean;
  rollback: boolean;
  retry: boolean;
  finalize: boolean;
}

export interface JobStatusView {
  job: ImportJob;
  /** `blocked`: pending batches that wait on a failed one (a table's inserts wait for its deletes). */
  batches: { total: number; pending: number; processing: number; completed: number; failed: number; blocked: number };
  rows: { total: number; done: number };
  totals: { inserted: number; ended: number; unchanged: number; duplicate: number; noop: number };
  tables: TableProgress[];
  current: BatchView[];
  next: BatchView | null;
  failures: BatchView[];
  rowsPerSecond: number | null;
  etaSeconds: number | null;
  readyToFinalize: boolean;
  timeline: TimelinePoint[];
  actions: JobActions;
  /** Rows rejected at prepare (the first ones are kept in import_errors). */
  rejected: number;
  /** A resync (a FULL compared with the current rows): what it ended, inserted and left, per table. */
  drift: Drift | null;
}

export interface Drift extends DriftCounts {
  tables: (DriftCounts & { table: string })[];
  summary: string;
}

/** Points kept on the timeline: the latest ones, enough to show where batches slowed down. */
export const TIMELINE_POINTS = 400;

const n = (v: unknown) => Number(v ?? 0);

function toView(r: Record<string, unknown>): BatchView {
  return {
    id: n(r.id),
    table: String(r.table_name),
    operation: String(r.operation),
    batchNumber: n(r.batch_number),
    rows: n(r.row_count),
    attempts: n(r.attempts),
    error: (r.error_message as string | null) ?? null,
  };
}

/** Prepare's progress per job, as its committed steps left it (import_job_files). */
async function stagingOf(sql: Sql, jobIds: number[]): Promise<Map<number, StagingProgress>> {
  const rows = await sql<{ job_id: number; files: number; files_done: number; file: string | null; bytes_done: string; bytes_total: string; rows: string }[]>`
    select job_id, count(*)::int as files, count(*) filter (where done)::int as files_done,
           (array_agg(name order by file_index) filter (where not done))[1] as file,
           sum(case when done then declared_bytes else bytes_done end) as bytes_done,
           sum(declared_bytes) as bytes_total, sum(rows) as rows
    from import_job_files where job_id = any(${jobIds}::int[]) group by job_id`;
  return new Map(
    rows.map((r) => [
      n(r.job_id),
      { files: r.files, filesDone: r.files_done, file: r.file, bytesDone: n(r.bytes_done), bytesTotal: n(r.bytes_total), rows: n(r.rows) },
    ]),
  );
}

/** status: a pure read of a job's progress (no writes, safe to poll). */
export async function getJobStatus(db: Db, jobId: number): Promise<JobStatusView> {
  const sql = db.$client;
  const job = await db.query.importJobs.findFirst({ where: eq(importJobs.id, jobId) });
  if (!job) throw new ImportFailure('NOT_FOUND', `Import #${jobId} does not exist.`);

  const [groups, open, timing, timeline, facts, files] = await Promise.all([
    sql`
      select table_name, operation, count(*)::int as batches,
        count(*) filter (where status = 'pending')::int as pending,
        count(*) filter (where status = 'processing')::int as processing,
        count(*) filter (where status = 'completed')::int as completed,
        count(*) filter (where status = 'failed')::int as failed,
        sum(row_count)::int as rows,
        coalesce(sum(row_count) filter (where status = 'completed'), 0)::int as rows_done,
        coalesce(sum(rows_inserted), 0)::int as inserted, coalesce(sum(rows_ended), 0)::int as ended,
        coalesce(sum(rows_unchanged), 0)::int as unchanged, coalesce(sum(rows_duplicate), 0)::int as duplicate,
        coalesce(sum(rows_noop), 0)::int as noop
      from import_job_batches where job_id = ${jobId}
      group by table_name, operation
      order by table_name, operation`,
    sql`
      (select id, table_name, operation, batch_number, row_count, attempts, error_message, status
       from import_job_batches where job_id = ${jobId} and status in ('processing', 'failed')
       order by id limit 200)
      union all
      (select id, table_name, operation, batch_number, row_count, attempts, error_message, status
       from import_job_batches where job_id = ${jobId} and status = 'pending'
       order by operation = 'insert', batch_number, table_name limit 1)`,
    sql`
      select extract(epoch from (coalesce(max(completed_at), now()) - min(started_at)))::float8 as seconds
      from import_job_batches where job_id = ${jobId} and started_at is not null`,
    sql`
      with first as (select min(started_at) as t0 from import_job_batches where job_id = ${jobId})
      select * from (
        select b.id, b.table_name, b.operation, b.batch_number, b.duration_ms, b.status = 'failed' as failed,
               extract(epoch from (coalesce(b.completed_at, b.started_at + make_interval(secs => b.duration_ms / 1000.0)) - first.t0))::float8 as at
        from import_job_batches b, first
        where b.job_id = ${jobId} and b.status in ('completed', 'failed') and b.duration_ms is not null
        order by at desc limit ${TIMELINE_POINTS}
      ) latest order by at`,
    sql`
      select (select count(*) from import_errors where job_id = ${jobId})::int as rejected,
             not exists (select 1 from import_jobs where status = 'completed' and id > ${jobId})
               and not exists (select 1 from import_jobs where status = any(${ACTIVE_STATUSES}::text[])) as latest_and_idle`,
    stagingOf(sql, [jobId]),
  ]);
  job.staging = files.get(jobId) ?? job.staging;

  const tables = new Map<string, TableProgress>();
  for (const g of groups) {
    const op: OperationProgress = {
      operation: g.operation,
      batches: n(g.batches),
      pending: n(g.pending),
      processing: n(g.processing),
      completed: n(g.completed),
      failed: n(g.failed),
      rows: n(g.rows),
      rowsDone: n(g.rows_done),
      inserted: n(g.inserted),
      ended: n(g.ended),
      unchanged: n(g.unchanged),
      duplicate: n(g.duplicate),
      noop: n(g.noop),
    };
    const t: TableProgress = tables.get(g.table_name) ?? { table: g.table_name, batches: 0, completed: 0, failed: 0, rows: 0, rowsDone: 0, operations: [] };
    t.batches += op.batches;
    t.completed += op.completed;
    t.failed += op.failed;
    t.rows += op.rows;
    t.rowsDone += op.rowsDone;
    t.operations.push(op);
    tables.set(g.table_name, t);
  }
  const ops = [...tables.values()].flatMap((t) => t.operations);
  const sum = (k: keyof OperationProgress) => ops.reduce((s, o) => s + (o[k] as number), 0);
  const blocked = [...tables.values()].reduce((acc, t) => {
    const deletesFailed = t.operations.some((o) => o.operation === 'delete' && o.failed > 0);
    return acc + (deletesFailed ? t.operations.filter((o) => o.operation === 'insert').reduce((a, o) => a + o.pending, 0) : 0);
  }, 0);
  const batches = {
    total: sum('batches'),
    pending: sum('pending'),
    processing: sum('processing'),
    completed: sum('completed'),
    failed: sum('failed'),
    blocked,
  };
  const rows = { total: sum('rows'), done: sum('rowsDone') };
  const seconds = n(timing[0]?.seconds);
  const rowsPerSecond = rows.done > 0 && seconds > 0 ? Math.round(rows.done / seconds) : null;
  const active = job.status === 'running';
  const fact = facts[0] as { rejected: number; latest_and_idle: boolean } | undefined;
  const readyToFinalize = active && batches.total === batches.completed;

  return {
    job,
    batches,
    rows,
    totals: { inserted: sum('inserted'), ended: sum('ended'), unchanged: sum('unchanged'), duplicate: sum('duplicate'), noop: sum('noop') },
    tables: [...tables.values()],
    current: open.filter((r) => r.status === 'processing').map(toView),
    next: open.filter((r) => r.status === 'pending').map(toView)[0] ?? null,
    failures: open.filter((r) => r.status === 'failed').map(toView),
    rowsPerSecond,
    etaSeconds: active && rowsPerSecond ? Math.ceil((rows.total - rows.done) / rowsPerSecond) : null,
    readyToFinalize,
    timeline: timeline.map((r) => ({
      id: n(r.id),
      table: String(r.table_name),
      operation: String(r.operation),
      batchNumber: n(r.batch_number),
      at: Math.max(0, n(r.at)),
      durationMs: n(r.duration_ms),
      failed: Boolean(r.failed),
    })),
    actions: {
      pause: job.status === 'running',
      resume: job.status === 'paused',
      cancel: job.status === 'running' || job.status === 'paused' || job.status === 'preparing',
      rollback: job.status === 'completed' && Boolean(fact?.latest_and_idle),
      retry: (job.status === 'running' || job.status === 'paused') && batches.failed > 0,
      finalize: readyToFinalize,
    },
    // import_errors keeps the first rows only; the job's counts hold the total.
    rejected: Math.max(n(fact?.rejected), n((job.counts as { rejected?: number }).rejected)),
    drift: job.mode === 'resync' ? driftOf([...tables.values()], job.status === 'completed') : null,
  };
}

function driftOf(tables: TableProgress[], finished: boolean): Drift {
  const per = tables
    .map((t) => {
      const o = t.operations.find((x) => x.operation === 'resync');
      return o ? { table: t.table, ended: o.ended, inserted: o.inserted, unchanged: o.unchanged } : null;
    })
    .filter((t): t is DriftCounts & { table: string } => t !== null);
  const total = (k: keyof DriftCounts) => per.reduce((s, t) => s + t[k], 0);
  const d = { ended: total('ended'), inserted: total('inserted'), unchanged: total('unchanged'), tables: per };
  return { ...d, summary: describeDrift(d, finished) };
}

export interface JobSummary extends ImportJob {
  batchesTotal: number;
  batchesCompleted: number;
  batchesFailed: number;
  inserted: number;
  ended: number;
  unchanged: number;
  rejected: number;
  /** From creation to finish (or to now, while active). */
  durationSeconds: number;
}

/** The import history, newest first, with each job's row counts. */
export async function listJobs(db: Db, limit = 50): Promise<JobSummary[]> {
  const jobs = await db.select().from(importJobs).orderBy(desc(importJobs.id)).limit(limit);
  if (jobs.length === 0) return [];
  const ids = jobs.map((j) => j.id);
  const sql = db.$client;
  const rows = await sql`
    select j.id,
      extract(epoch from (coalesce(j.finished_at, now()) - j.created_at))::float8 as seconds,
      coalesce(b.total, 0)::int as total, coalesce(b.completed, 0)::int as completed, coalesce(b.failed, 0)::int as failed,
      coalesce(b.inserted, 0)::int as inserted, coalesce(b.ended, 0)::int as ended, coalesce(b.unchanged, 0)::int as unchanged,
      greatest((select count(*) from import_errors e where e.job_id = j.id), (j.counts->>'rejected')::int)::int as rejected
    from import_jobs j
    left join lateral (
      select count(*) as total, count(*) filter (where status = 'completed') as completed,
             count(*) filter (where status = 'failed') as failed,
             sum(rows_inserted) as inserted, sum(rows_ended) as ended, sum(rows_unchanged) as unchanged
      from import_job_batches where job_id = j.id
    ) b on true
    where j.id = any(${ids}::int[])`;
  const byId = new Map(rows.map((r) => [n(r.id), r]));
  const staging = await stagingOf(sql, ids.filter((_, i) => jobs[i]?.status === 'preparing'));
  return jobs.map((job) => {
    const r = byId.get(job.id) ?? {};
    return {
      ...job,
      staging: staging.get(job.id) ?? job.staging,
      batchesTotal: n(r.total),
      batchesCompleted: n(r.completed),
      batchesFailed: n(r.failed),
      inserted: n(r.inserted),
      ended: n(r.ended),
      unchanged: n(r.unchanged),
      rejected: n(r.rejected),
      durationSeconds: n(r.seconds),
    };
  });
}
