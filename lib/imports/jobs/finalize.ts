import { z } from 'zod';
import { tableSpec, type DataTableName } from '../../datasets/kbo';
import type { Db, Tx } from '../../db/client';
import type { ImportMode, ZipSourceRef } from '../../db/schema';
import { ident, identList } from '../../db/sql';
import { ImportFailure } from '../errors';
import { refreshPrimaryNames } from './primary-names';
import { clearStaging } from './staging';
import { dropUpload } from '../store/sources';
import { getJobStatus, type JobStatusView } from '../view/status';

export const finalizeInput = z.object({ jobId: z.number().int().positive() });

/**
 * finalize: once every batch is completed, refresh each touched enterprise's primary name,
 * record the totals, mark the job completed and drop its staging rows, in one transaction.
 * Calling it again on a completed job changes nothing.
 */
export async function finalizeImport(db: Db, raw: z.input<typeof finalizeInput>): Promise<JobStatusView> {
  const { jobId } = finalizeInput.parse(raw);
  await db.$client.begin(async (tx) => {
    const [job] = await tx<{ status: string; mode: ImportMode; extract_number: number; source: ZipSourceRef | null }[]>`
      select status, mode, extract_number, source from import_jobs where id = ${jobId} for update`;
    if (!job) throw new ImportFailure('NOT_FOUND', `Import #${jobId} does not exist.`);
    if (job.status === 'completed') return;
    if (job.status !== 'running') {
      throw new ImportFailure('PRECONDITION_FAILED', `Import #${jobId} is ${job.status}; only a running import can be finalized.`);
    }
    const [open] = await tx<{ open: number; failed: number }[]>`
      select count(*) filter (where status <> 'completed')::int as open,
             count(*) filter (where status = 'failed')::int as failed
      from import_job_batches where job_id = ${jobId}`;
    if (open && open.open > 0) {
      throw new ImportFailure(
        'PRECONDITION_FAILED',
        `Import #${jobId} still has ${open.open} unfinished batch${open.open === 1 ? '' : 'es'}${open.failed ? ` (${open.failed} failed: retry them)` : ''}; process them before finalizing.`,
        open,
      );
    }
    await removeRepeats(tx, jobId, job.extract_number);
    await refreshPrimaryNames(
      tx,
      job.mode === 'initial'
        ? tx`select enterprise_number as n from enterprises where extract_number = ${job.extract_number}`
        : job.mode === 'resync'
          ? // Only what the resync changed: a FULL stages every enterprise.
            tx`select enterprise_number as n from enterprises where extract_number = ${job.extract_number}
               union
               select entity_number from denominations where extract_number = ${job.extract_number} or deleted_at_extract = ${job.extract_number}`
          : tx`select enterprise_number as n from import_staging_enterprises where job_id = ${jobId}
               union
               select entity_number from import_staging_denominations where job_id = ${jobId}`,
    );
    const [totals] = await tx`
      select coalesce(sum(row_count), 0)::int as staged, coalesce(sum(rows_inserted), 0)::int as inserted,
             coalesce(sum(rows_ended), 0)::int as ended, coalesce(sum(rows_unchanged), 0)::int as unchanged,
             coalesce(sum(rows_duplicate), 0)::int as duplicate, coalesce(sum(rows_noop), 0)::int as noop
      from import_job_batches where job_id = ${jobId}`;
    await clearStaging(tx, jobId);
    await dropUpload(tx, job.source);
    await tx`
      update import_jobs set status = 'completed', finished_at = now(),
        counts = counts || jsonb_build_object('totals', ${JSON.stringify(totals)}::jsonb)
      where id = ${jobId}`;
  });
  return getJobStatus(db, jobId);
}

/**
 * A FULL copied straight into the final tables drops exact repeats as it reads, which finds
 * them all in a file sorted by key (as KBO files are). For a file that was not sorted, the
 * repeats are removed here, in SQL, and counted as duplicates like any other.
 */
async function removeRepeats(tx: Tx, jobId: number, extractNumber: number): Promise<void> {
  const unsorted = await tx<{ table_name: DataTableName }[]>`
    select table_name from import_job_files where job_id = ${jobId} and target = 'direct' and not sorted`;
  for (const { table_name } of unsorted) {
    const columns = tableSpec(table_name).columns.map((c) => c.column);
    const t = ident(tx, table_name);
    const [r] = await tx<{ n: number }[]>`
      with repeats as (
        select id from (
          select id, row_number() over (partition by ${identList(tx, columns)} order by id) as rn
          from ${t} where extract_number = ${extractNumber}
        ) numbered where rn > 1
      ), removed as (delete from ${t} where id in (select id from repeats) returning 1)
      select count(*)::int as n from removed`;
    const n = r?.n ?? 0;
    if (n === 0) continue;
    await tx`
      update import_job_batches set rows_inserted = rows_inserted - ${n}, rows_duplicate = rows_duplicate + ${n}
      where id = (select max(id) from import_job_batches where job_id = ${jobId} and table_name = ${table_name})`;
  }
}
