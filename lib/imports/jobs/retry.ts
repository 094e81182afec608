import { z } from 'zod';
import type { Sql } from '../../db/client';
import { ImportFailure } from '../../errors';
import { getJob } from '../sql/jobs';
import { retryFailedBatches } from '../state/batch-moves';
import { canRetry, statusLabel } from '../state/machine';

export const retryInput = z.object({
  jobId: z.number().int().positive(),
  /** One failed batch; without it, every failed batch of the job. */
  batchId: z.number().int().positive().optional(),
});

/** retry-batch: put failed batches back in the queue; the next step call takes them. */
export async function retryBatches(sql: Sql, raw: z.input<typeof retryInput>): Promise<{ jobId: number; retried: number }> {
  const { jobId, batchId } = retryInput.parse(raw);
  const job = await getJob(sql, jobId);
  if (!canRetry(job.status, Boolean(job.undo?.pausedFrom))) {
    throw new ImportFailure('PRECONDITION_FAILED', `Import #${jobId} is ${statusLabel(job.status)}; there is nothing to retry.`);
  }
  const moved = await retryFailedBatches(sql, jobId, batchId);
  if (batchId && moved.length === 0) {
    throw new ImportFailure('PRECONDITION_FAILED', `Batch ${batchId} of import #${jobId} is not a failed batch; only failed batches can be retried.`);
  }
  return { jobId, retried: moved.length };
}
