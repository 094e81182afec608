import { z } from 'zod';
import { KBO_TABLES, PRIMARY_NAME_LANGUAGES, CODE_TABLE } from '../datasets/kbo';
import type { Db, Tx } from '../db/client';
import { ident } from '../db/sql';
import { ImportFailure } from './errors';
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
    await refreshPrimaryNames(tx, jobId);
    const [totals] = await tx`
      select coalesce(sum(row_count), 0)::int as staged, coalesce(sum(rows_inserted), 0)::int as inserted,
             coalesce(sum(rows_ended), 0)::int as ended, coalesce(sum(rows_unchanged), 0)::int as unchanged,
             coalesce(sum(rows_duplicate), 0)::int as duplicate, coalesce(sum(rows_noop), 0)::int as noop
      from import_job_batches where job_id = ${jobId}`;
    for (const staging of [...KBO_TABLES.map((t) => t.staging), CODE_TABLE.staging]) {
      await tx`delete from ${ident(tx, staging)} where job_id = ${jobId}`;
    }
    await tx`
      update import_jobs set status = 'completed', finished_at = now(),
        counts = counts || jsonb_build_object('totals', ${JSON.stringify(totals)}::jsonb)
      where id = ${jobId}`;
  });
  return getJobStatus(db, jobId);
}

/**
 * An enterprise's primary name is its current `001` denomination in the preferred language
 * (see PRIMARY_NAME_LANGUAGES). Only enterprises this import touched can have changed.
 */
async function refreshPrimaryNames(tx: Tx, jobId: number): Promise<void> {
  await tx`
    with touched as (
      select enterprise_number as n from import_staging_enterprises where job_id = ${jobId}
      union
      select entity_number from import_staging_denominations where job_id = ${jobId}
    ), named as (
      select touched.n, (
        select d.denomination from denominations d
        where d.entity_number = touched.n and d.is_current and d.type_of_denomination = '001'
        order by array_position(${PRIMARY_NAME_LANGUAGES}::text[], d.language) nulls last, d.denomination
        limit 1
      ) as name
      from touched
    )
    update enterprises e set primary_name = named.name
    from named
    where e.enterprise_number = named.n and e.is_current and e.primary_name is distinct from named.name`;
}
