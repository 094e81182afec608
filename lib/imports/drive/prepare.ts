import type { Sql } from '../../db/client';
import { ImportFailure } from '../../errors';
import { createImport, type PrepareInput } from '../jobs/create';
import { prepareSteps } from '../jobs/prepare/step';
import { undoSteps } from '../jobs/undo';
import { firstRowErrors } from '../sql/errors';
import { rejectedSoFar } from '../sql/files';
import { JOB } from '../state/machine';
import { getJobStatus, type JobStatusView } from '../view/status';

/**
 * createImport, then prepare steps until every file is staged: the whole of prepare in one
 * call, for tests and for callers that do not need short requests. A refused file throws,
 * with the job's first rejected rows.
 */
export async function prepareImport(sql: Sql, raw: PrepareInput): Promise<JobStatusView> {
  const { jobId } = await createImport(sql, raw);
  while ((await prepareSteps(sql, jobId, 60_000)).length > 0);
  // A refused FULL first removes the rows it had copied.
  while ((await undoSteps(sql, jobId, 60_000)).length > 0);
  const status = await getJobStatus(sql, jobId);
  if (status.job.status === JOB.preparing) {
    throw new ImportFailure('CONFLICT', `Import #${jobId} is still being prepared by another driver.`, { jobId });
  }
  if (status.job.error) {
    const errors = await firstRowErrors(sql, jobId, 20);
    throw new ImportFailure(status.job.error.code as ImportFailure['code'], status.job.error.message, {
      jobId,
      errorCount: Math.max(await rejectedSoFar(sql, jobId), errors.length),
      errors,
    });
  }
  return status;
}
