import { z } from 'zod';
import type { Db } from '../db/client';
import { ImportFailure } from './errors';
import { refreshPrimaryNames } from './primary-names';
import { clearStaging } from './stage';
import { getJobStatus, type JobStatusView } from './status';

export const finalizeInput = z.object({ jobId: z.number().int().positive() });

/**
 * finalize: once every batch is completed, refresh each touched enterprise's primary name,
 * record the totals, mark the job completed and drop its staging rows, in one transaction.
 * Calling it again on a completed job changes nothing.
 */
export async function finalizeImport(db: Db, raw: z.input<typeof finalizeInput>): Promise<JobStatusView> {
  const { jobId } = finalizeInput.parse(raw);
  await db.$client.begin(async (tx) => {
    const [job] = await tx<{ status: string }[]>`select status from import_jobs where id = ${jobId} for update`;
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
    await refreshPrimaryNames(
      tx,
      tx`select enterprise_number as n from import_staging_enterprises where job_id = ${jobId}
         union
         select entity_number from import_staging_denominations where job_id = ${jobId}`,
    );
    const [totals] = await tx`
      select coalesce(sum(row_count), 0)::int as staged, coalesce(sum(rows_inserted), 0)::int as inserted,
             coalesce(sum(rows_ended), 0)::int as ended, coalesce(sum(rows_unchanged), 0)::int as unchanged,
             coalesce(sum(rows_duplicate), 0)::int as duplicate, coalesce(sum(rows_noop), 0)::int as noop
      from import_job_batches where job_id = ${jobId}`;
    await clearStaging(tx, jobId);
    await tx`
      update import_jobs set status = 'completed', finished_at = now(),
        counts = counts || jsonb_build_object('totals', ${JSON.stringify(totals)}::jsonb)
      where id = ${jobId}`;
  });
  return getJobStatus(db, jobId);
}
