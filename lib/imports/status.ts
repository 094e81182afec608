import { desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { importJobs, type ImportJob } from '../db/schema';
import { ImportFailure } from './errors';

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

export interface JobStatusView {
  job: ImportJob;
  batches: { total: number; pending: number; processing: number; completed: number; failed: number };
  rows: { total: number; done: number };
  totals: { inserted: number; ended: number; unchanged: number; duplicate: number; noop: number };
  tables: TableProgress[];
  current: BatchView[];
  next: BatchView | null;
  failures: BatchView[];
  rowsPerSecond: number | null;
  etaSeconds: number | null;
  readyToFinalize: boolean;
}

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

/** status: a pure read of a job's progress (no writes, safe to poll). */
export async function getJobStatus(db: Db, jobId: number): Promise<JobStatusView> {
  const sql = db.$client;
  const job = await db.query.importJobs.findFirst({ where: eq(importJobs.id, jobId) });
  if (!job) throw new ImportFailure('NOT_FOUND', `Import #${jobId} does not exist.`);

  const [groups, open, timing] = await Promise.all([
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
  ]);

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
  const batches = { total: sum('batches'), pending: sum('pending'), processing: sum('processing'), completed: sum('completed'), failed: sum('failed') };
  const rows = { total: sum('rows'), done: sum('rowsDone') };
  const seconds = n(timing[0]?.seconds);
  const rowsPerSecond = rows.done > 0 && seconds > 0 ? Math.round(rows.done / seconds) : null;
  const active = job.status === 'running';

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
    readyToFinalize: active && batches.total === batches.completed,
  };
}

/** The import history, newest first. */
export async function listJobs(db: Db, limit = 50): Promise<ImportJob[]> {
  return db.select().from(importJobs).orderBy(desc(importJobs.id)).limit(limit);
}
