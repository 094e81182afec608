import type { Tx, Queryable } from '../../db/client';
import type { BatchOperation, ImportJobFile, StagingProgress } from '../../db/schema';
import type { KeyRangeState } from '../read/key-ranges';

/** Every query of the engine on import_job_files: how far prepare steps have read each CSV file. */

export interface PlannedFile {
  name: string;
  table: string;
  operation: BatchOperation;
  target: 'stage' | 'direct';
  batches: number;
  declaredBytes: number;
}

export async function insertJobFiles(tx: Tx, jobId: number, files: PlannedFile[]): Promise<void> {
  await tx`
    insert into import_job_files (job_id, file_index, name, table_name, operation, target, batches, declared_bytes)
    select ${jobId}, i, n, t, o, g, b, d
    from unnest(${files.map((_, i) => i)}::int[], ${files.map((f) => f.name)}::text[], ${files.map((f) => f.table)}::text[],
                ${files.map((f) => f.operation)}::text[], ${files.map((f) => f.target)}::text[], ${files.map((f) => f.batches)}::int[],
                ${files.map((f) => f.declaredBytes)}::bigint[]) as u(i, n, t, o, g, b, d)`;
}

/**
 * The first file not read to its end that no other step holds, locked for this step. A FULL
 * copied into empty tables copies its enterprises only after its denominations, so that each
 * enterprise is written with its primary name (prepare/step.ts).
 */
export async function lockNextFile(tx: Tx, jobId: number): Promise<ImportJobFile | undefined> {
  const [file] = await tx<ImportJobFile[]>`
    select job_id as "jobId", file_index as "fileIndex", name, table_name as "tableName", operation, target, batches,
           declared_bytes as "declaredBytes", bytes_done as "bytesDone", next_line as "nextLine", steps, rows,
           rejected, duplicates, run_key as "runKey", run_rows as "runRows", sorted, cuts, max_key as "maxKey",
           open_rows as "openRows", partition_ranges as "partitionRanges", done
    from import_job_files f where job_id = ${jobId} and not done
      and not (target = 'direct' and table_name = 'enterprises' and exists (
        select 1 from import_job_files d where d.job_id = f.job_id and d.table_name = 'denominations' and not d.done))
    order by file_index limit 1 for update skip locked`;
  return file;
}

export async function unreadFileCount(tx: Tx, jobId: number): Promise<number> {
  const [open] = await tx<{ n: number }[]>`select count(*)::int as n from import_job_files where job_id = ${jobId} and not done`;
  return open?.n ?? 0;
}

export async function filesOf(tx: Tx, jobId: number) {
  return tx<{ name: string; table_name: string; batches: number; rows: number; rejected: number; duplicates: number; done: boolean }[]>`
    select name, table_name, batches, rows, rejected, duplicates, done from import_job_files where job_id = ${jobId} order by file_index`;
}

/** Rows rejected so far, over every file of the job. */
export async function rejectedSoFar(sql: Queryable, jobId: number): Promise<number> {
  const [r] = await sql<{ n: number }[]>`select coalesce(sum(rejected), 0)::int as n from import_job_files where job_id = ${jobId}`;
  return r?.n ?? 0;
}

export interface FileAdvance {
  end: { offset: number; line: number };
  rows: number;
  rejected: number;
  duplicates: number;
  runKey: string | null;
  runRows: string[];
  sorted: boolean;
  ranges: KeyRangeState;
  /** A resync cut by partition: each partition's ranges (null otherwise). */
  partitionRanges: KeyRangeState[] | null;
  done: boolean;
}

/** Moves a file's committed position on, in the step's transaction, with what the step read. */
export async function advanceFile(tx: Tx, jobId: number, fileIndex: number, a: FileAdvance): Promise<void> {
  await tx`
    update import_job_files
    set bytes_done = ${a.end.offset}, next_line = ${a.end.line}, steps = steps + 1, rows = rows + ${a.rows},
        rejected = rejected + ${a.rejected}, duplicates = duplicates + ${a.duplicates},
        run_key = ${a.runKey}, run_rows = ${JSON.stringify(a.runRows)}::jsonb, sorted = ${a.sorted},
        cuts = ${JSON.stringify(a.ranges.cuts)}::jsonb, max_key = ${a.ranges.maxKey}, open_rows = ${a.ranges.openRows},
        partition_ranges = ${a.partitionRanges === null ? null : JSON.stringify(a.partitionRanges)}::jsonb, done = ${a.done},
        step_at = now()
    where job_id = ${jobId} and file_index = ${fileIndex}`;
}

/** Tables a FULL copied straight in from a file that was not sorted by key (finalize removes repeats). */
export async function unsortedDirectTables(tx: Tx, jobId: number): Promise<string[]> {
  const rows = await tx<{ table_name: string }[]>`
    select table_name from import_job_files where job_id = ${jobId} and target = 'direct' and not sorted`;
  return rows.map((r) => r.table_name);
}

/** Prepare's progress per job, as its committed steps left it. */
export async function stagingOf(sql: Queryable, jobIds: number[]): Promise<Map<number, StagingProgress>> {
  const rows = await sql<{ job_id: number; files: number; files_done: number; file: string | null; bytes_done: string; bytes_total: string; rows: string }[]>`
    select job_id, count(*)::int as files, count(*) filter (where done)::int as files_done,
           (array_agg(name order by file_index) filter (where not done))[1] as file,
           sum(case when done then declared_bytes else bytes_done end) as bytes_done,
           sum(declared_bytes) as bytes_total, sum(rows) as rows
    from import_job_files where job_id = any(${jobIds}::int[]) group by job_id`;
  const n = (v: unknown) => Number(v ?? 0);
  return new Map(
    rows.map((r) => [
      n(r.job_id),
      { files: r.files, filesDone: r.files_done, file: r.file, bytesDone: n(r.bytes_done), bytesTotal: n(r.bytes_total), rows: n(r.rows) },
    ]),
  );
}
