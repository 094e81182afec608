import type { Tx, Queryable } from '../../db/client';
import type { ImportJob, ImportMode, UndoProgress, ZipSourceRef } from '../../db/schema';
import { ImportFailure } from '../../errors';
import { analyzeLockKey } from './locks';
import { ACTIVE_STATUSES, BATCH, DRIVEN_STATUSES, JOB, VOID_STATUSES, type JobStatus } from '../state/machine';

/**
 * Every query of the engine on import_jobs, but its status changes (state/job-moves.ts).
 * Rows come typed from the drizzle schema, with the status narrowed to the state machine's.
 */

export type JobRow = Omit<ImportJob, 'status'> & { status: JobStatus };

/** The whole row, named as drizzle names it (ImportJob), in one select list. */
function jobColumns(sql: Queryable) {
  return sql`
    id, dataset, file_name as "fileName", file_size::float8 as "fileSize", sha256, extract_number as "extractNumber",
    extract_type as "extractType", snapshot_date as "snapshotDate", extract_timestamp as "extractTimestamp", status, mode,
    forced, batch_size as "batchSize", on_error as "onError", max_rejected as "maxRejected",
    max_rejected_percent as "maxRejectedPercent", counts, warnings, error, created_at as "createdAt",
    prepared_at as "preparedAt", staging, source, undo, analyze_pending as "analyzePending", indexing, finished_at as "finishedAt",
    preview, preview_basis as "previewBasis", previewed_at as "previewedAt"`;
}

/** A job's row; `lock` takes its row lock for the rest of the transaction. */
export async function findJob(sql: Queryable, jobId: number, lock?: 'share' | 'update'): Promise<JobRow | undefined> {
  const locking = lock === 'update' ? sql`for update` : lock === 'share' ? sql`for share` : sql``;
  const [job] = await sql<JobRow[]>`select ${jobColumns(sql)} from import_jobs where id = ${jobId} ${locking}`;
  return job;
}

/** As findJob, and an unknown id is NOT_FOUND. */
export async function getJob(sql: Queryable, jobId: number, lock?: 'share' | 'update'): Promise<JobRow> {
  const job = await findJob(sql, jobId, lock);
  if (!job) throw new ImportFailure('NOT_FOUND', `Import #${jobId} does not exist.`);
  return job;
}

/** Which jobs a history page lists: by status and extract type (all when unset). */
export interface JobFilter {
  statuses?: readonly JobStatus[];
  extractType?: 'full' | 'update';
}

function filtered(sql: Queryable, f: JobFilter) {
  return sql`
    where (${f.statuses ?? null}::text[] is null or status = any(${f.statuses ?? null}::text[]))
      and (${f.extractType ?? null}::text is null or extract_type = ${f.extractType ?? null})`;
}

/** The newest jobs first, a page at a time. */
export async function recentJobs(sql: Queryable, limit: number, offset = 0, filter: JobFilter = {}): Promise<JobRow[]> {
  const jobs = await sql<JobRow[]>`select ${jobColumns(sql)} from import_jobs ${filtered(sql, filter)} order by id desc limit ${limit} offset ${offset}`;
  return jobs;
}

export async function countJobs(sql: Queryable, filter: JobFilter = {}): Promise<number> {
  const [r] = await sql<{ n: number }[]>`select count(*)::int as n from import_jobs ${filtered(sql, filter)}`;
  return r?.n ?? 0;
}

export interface NewJob {
  fileName: string;
  fileSize: number;
  sha256: string;
  extractNumber: number;
  extractType: 'full' | 'update';
  snapshotDate: string;
  extractTimestamp: string;
  mode: ImportMode;
  forced: boolean;
  batchSize: number;
  warnings: string[];
  onError: 'continue' | 'fail-fast';
  maxRejected: number | null;
  maxRejectedPercent: number | null;
  source: ZipSourceRef;
  /** A preview, made on the register as the import `previewBasis` (0: none) left it. */
  preview?: { basis: number };
}

/** A new job, in `preparing`: where every job starts. */
export async function insertJob(tx: Tx, j: NewJob): Promise<number> {
  const [row] = await tx<{ id: number }[]>`
    insert into import_jobs (file_name, file_size, sha256, extract_number, extract_type, snapshot_date,
                             extract_timestamp, status, mode, forced, batch_size, warnings,
                             on_error, max_rejected, max_rejected_percent, source, preview, preview_basis)
    values (${j.fileName}, ${j.fileSize}, ${j.sha256}, ${j.extractNumber}, ${j.extractType},
            ${j.snapshotDate}, ${j.extractTimestamp}, ${JOB.preparing}, ${j.mode}, ${j.forced}, ${j.batchSize},
            ${JSON.stringify(j.warnings)}::jsonb,
            ${j.onError}, ${j.maxRejected}, ${j.maxRejectedPercent}, ${JSON.stringify(j.source)}::jsonb,
            ${j.preview !== undefined}, ${j.preview?.basis ?? null})
    returning id`;
  return (row as { id: number }).id;
}

/** A job's id, extract and status, named as drizzle names them. */
export type JobBrief = Pick<JobRow, 'id' | 'extractNumber' | 'status'>;

/** The active import (one at most; previews are not counted), if any. */
export async function activeJob(sql: Queryable): Promise<JobBrief | undefined> {
  const [job] = await sql<JobBrief[]>`
    select id, extract_number as "extractNumber", status from import_jobs where status = any(${ACTIVE_STATUSES}::text[]) and not preview limit 1`;
  return job;
}

/**
 * A job of this very file that did not leave the register as it was (not a preview); `finishing`:
 * completed, with its change list or its watchlists' matching still being worked out.
 */
export async function jobOfFile(sql: Queryable, sha256: string): Promise<(JobBrief & { indexing: boolean; finishing: boolean }) | undefined> {
  const [job] = await sql<(JobBrief & { indexing: boolean; finishing: boolean })[]>`
    select id, extract_number as "extractNumber", status, indexing,
           status = ${JOB.completed} and (watch_pending
             or exists (select 1 from import_change_parts p where p.job_id = import_jobs.id and not p.done)
             or exists (select 1 from watch_steps w where w.job_id = import_jobs.id and not w.done)) as finishing
    from import_jobs
    where sha256 = ${sha256} and status <> all(${VOID_STATUSES}::text[]) and not preview limit 1`;
  return job;
}

/** The highest extract number applied so far (null: none). */
export async function latestAppliedExtract(sql: Queryable): Promise<number | null> {
  const [r] = await sql<{ n: number | null }[]>`select max(extract_number) as n from import_jobs where status = ${JOB.completed}`;
  return r?.n ?? null;
}

/** The completed job that applied this extract number, if any. */
export async function jobThatApplied(sql: Queryable, extractNumber: number): Promise<{ id: number } | undefined> {
  const [job] = await sql<{ id: number }[]>`
    select id from import_jobs where status = ${JOB.completed} and extract_number = ${extractNumber} limit 1`;
  return job;
}

/** The extract number of the last job that completed (by job id). */
export async function lastCompletedExtract(sql: Queryable): Promise<number | undefined> {
  const [last] = await sql<{ extractNumber: number }[]>`
    select extract_number as "extractNumber" from import_jobs where status = ${JOB.completed} order by id desc limit 1`;
  return last?.extractNumber;
}

/**
 * The import the register is at: the last one completed (0: none). A preview is made on it and
 * may be applied only while it still is; a rollback or a later import changes it.
 */
export async function registerHead(sql: Queryable): Promise<number> {
  const [r] = await sql<{ id: number | null }[]>`select max(id) as id from import_jobs where status = ${JOB.completed}`;
  return r?.id ?? 0;
}

/** The newest job completed after this one, if any. */
export async function completedAfter(sql: Queryable, jobId: number): Promise<JobBrief | undefined> {
  const [later] = await sql<JobBrief[]>`
    select id, extract_number as "extractNumber", status from import_jobs where status = ${JOB.completed} and id > ${jobId} order by id desc limit 1`;
  return later;
}

/** No later import completed and none is active: the condition for a rollback. */
export async function isLatestAndIdle(sql: Queryable, jobId: number): Promise<boolean> {
  const [r] = await sql<{ ok: boolean }[]>`
    select not exists (select 1 from import_jobs where status = ${JOB.completed} and id > ${jobId})
       and not exists (select 1 from import_jobs where status = any(${ACTIVE_STATUSES}::text[]) and not preview) as ok`;
  return Boolean(r?.ok);
}

/** The newest job made from a stored upload. */
export async function jobOfUpload(sql: Queryable, uploadId: number): Promise<number | undefined> {
  const [made] = await sql<{ id: number }[]>`
    select id from import_jobs where source = ${JSON.stringify({ kind: 'upload', uploadId })}::jsonb order by id desc limit 1`;
  return made?.id;
}

/** The job a cron tick can move on: one in DRIVEN_STATUSES, preparing from a zip stored here, or completed with statistics to refresh or its change list to work out. */
export async function nextDrivenJob(sql: Queryable): Promise<number | undefined> {
  const [active] = await sql<{ id: number }[]>`
    select id from import_jobs
    where not preview and (status = any(${DRIVEN_STATUSES}::text[]) or (status = ${JOB.preparing} and source->>'kind' = 'upload'))
       or (status = ${JOB.completed} and (indexing or cardinality(analyze_pending) > 0))
       or (status = ${JOB.completed} and exists (select 1 from import_change_parts p where p.job_id = import_jobs.id and not p.done))
       or (status = ${JOB.completed} and (watch_pending or exists (select 1 from watch_steps w where w.job_id = import_jobs.id and not w.done)))
    order by id limit 1`;
  return active?.id;
}

export async function saveUndoProgress(tx: Tx, jobId: number, undo: UndoProgress): Promise<void> {
  await tx`update import_jobs set undo = ${JSON.stringify(undo)}::jsonb, undo_step_at = now() where id = ${jobId}`;
}

/** Per job: the counts of its batches, rejected rows and how long it has run (the history). */
export async function jobSummaries(sql: Queryable, jobIds: number[]) {
  return sql<
    { id: number; seconds: number; paused: number; total: number; completed: number; failed: number; inserted: number; ended: number; unchanged: number; rejected: number }[]
  >`
    select j.id,
      extract(epoch from (coalesce(j.finished_at, now()) - j.created_at))::float8 as seconds,
      (j.paused_seconds + coalesce(extract(epoch from coalesce(j.finished_at, now()) - j.paused_at), 0))::float8 as paused,
      coalesce(b.total, 0)::int as total, coalesce(b.completed, 0)::int as completed, coalesce(b.failed, 0)::int as failed,
      coalesce(b.inserted, 0)::int as inserted, coalesce(b.ended, 0)::int as ended, coalesce(b.unchanged, 0)::int as unchanged,
      greatest((select count(*) from import_errors e where e.job_id = j.id), (j.counts->>'rejected')::int)::int as rejected
    from import_jobs j
    left join lateral (
      select count(*) as total, count(*) filter (where status = ${BATCH.completed}) as completed,
             count(*) filter (where status = ${BATCH.failed}) as failed,
             sum(rows_inserted) as inserted, sum(rows_ended) as ended, sum(rows_unchanged) as unchanged
      from import_job_batches where job_id = j.id
    ) b on true
    where j.id = any(${jobIds}::int[])`;
}

/** The last completed import (the extract the register is at), if any. */
export async function lastCompletedJob(sql: Queryable): Promise<JobRow | undefined> {
  const [job] = await sql<JobRow[]>`select ${jobColumns(sql)} from import_jobs where status = ${JOB.completed} order by id desc limit 1`;
  return job;
}

/**
 * The next table whose statistics a completed job left stale, try-locked (to the end of the
 * caller's transaction) so several drivers analyse different ones at once, without holding
 * the job's row meanwhile (a change-list step takes it, key share, the while). Checked again
 * once locked: a table another driver analysed and dropped just before is not taken twice.
 */
export async function takeAnalyzeTable(tx: Tx, jobId: number): Promise<string | undefined> {
  const tried: string[] = [];
  for (;;) {
    const [row] = await tx<{ table: string }[]>`
      select t as table from import_jobs j, unnest(j.analyze_pending) as t
      where j.id = ${jobId} and j.status = ${JOB.completed} and t <> all(${tried}::text[])
        and pg_try_advisory_xact_lock(${analyzeLockKey(tx, jobId, tx`t`)})
      limit 1`;
    if (!row) return undefined;
    const [still] = await tx<{ pending: boolean }[]>`select ${row.table} = any(analyze_pending) as pending from import_jobs where id = ${jobId}`;
    if (still?.pending) return row.table;
    tried.push(row.table);
  }
}

/** A table analysed (or whose ANALYZE failed: autovacuum will see to it), off the job's list. */
export async function dropAnalyzeTable(sql: Queryable, jobId: number, table: string): Promise<void> {
  await sql`update import_jobs set analyze_pending = array_remove(analyze_pending, ${table}) where id = ${jobId}`;
}

/** Whether an import has left the register's deferred indexes to build (jobs/indexes.ts). */
export async function anyIndexing(sql: Queryable): Promise<boolean> {
  const [r] = await sql<{ any: boolean }[]>`select exists (select 1 from import_jobs where indexing) as any`;
  return Boolean(r?.any);
}

/** The job owns the register's index builds (its FULL deferred them, or found them left). */
export async function markIndexing(sql: Queryable, jobId: number): Promise<void> {
  await sql`update import_jobs set indexing = true where id = ${jobId}`;
}

/** No index build is left: no job owns any. */
export async function endIndexing(sql: Queryable): Promise<void> {
  await sql`update import_jobs set indexing = false where indexing`;
}
