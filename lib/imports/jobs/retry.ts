import { z } from 'zod';
import type { Db } from '../../db/client';
import { ImportFailure } from '../errors';
import { statusLabel, type JobStatus } from '../state/machine';
import { getJobStatus, type JobStatusView } from '../view/status';

export const retryInput = z.object({
  jobId: z.number().int().positive(),
  /** One failed batch; without it, every failed batch of the job. */
  batchId: z.number().int().positive().optional(),
});

/** retry-batch: put failed batches back in the queue; the next process-batch call takes them. */
export async function retryBatches(db: Db, raw: z.input<typeof retryInput>): Promise<{ retried: number; progress: JobStatusView }> {
  const { jobId, batchId } = retryInput.parse(raw);
  const sql = db.$client;
  const [job] = await sql<{ status: JobStatus }[]>`select status from import_jobs where id = ${jobId}`;
  if (!job) throw new ImportFailure('NOT_FOUND', `Import #${jobId} does not exist.`);
  if (job.status !== 'running' && job.status !== 'paused') {
    throw new ImportFailure('PRECONDITION_FAILED', `Import #${jobId} is ${statusLabel(job.status)}; there is nothing to retry.`);
  }
  const rows = await sql`
    update import_job_batches set status = 'pending', error_message = null
    where job_id = ${jobId} and status = 'failed' ${batchId ? sql`and id = ${batchId}` : sql``}
    returning id`;
  if (batchId && rows.length === 0) {
    throw new ImportFailure('PRECONDITION_FAILED', `Batch ${batchId} of import #${jobId} is not a failed batch; only failed batches can be retried.`);
  }
  return { retried: rows.length, progress: await getJobStatus(db, jobId) };
}
