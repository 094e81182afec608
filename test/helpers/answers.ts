import type { Sql } from '../../lib/db/client';
import { driveStep } from '../../lib/imports/drive/loop';
import * as controls from '../../lib/imports/jobs/controls';
import { createImport as create, type PrepareInput } from '../../lib/imports/jobs/create';
import { finalizeImport as finalize } from '../../lib/imports/jobs/finalize';
import { retryBatches as retry } from '../../lib/imports/jobs/retry';
import * as start from '../../lib/imports/jobs/start';
import { getJobStatus, type JobStatusView } from '../../lib/imports/view/status';

/**
 * The engine's verbs as the API answers them (app/api/**): each verb runs, then the job's
 * status is read, as the route handlers do. The integration tests assert on these answers.
 */

const answered =
  <I extends { jobId: number }>(verb: (db: Sql, input: I) => Promise<unknown>) =>
  async (db: Sql, input: I): Promise<JobStatusView> => {
    await verb(db, input);
    return getJobStatus(db, input.jobId);
  };

export const pauseImport = answered(controls.pauseImport);
export const resumeImport = answered(controls.resumeImport);
export const cancelImport = answered(controls.cancelImport);
export const rollbackImport = answered(controls.rollbackImport);
export const finalizeImport = answered(finalize);

/** POST …/step. */
export const processBatch = driveStep;

export async function retryBatches(db: Sql, input: { jobId: number; batchId?: number }) {
  const { retried } = await retry(db, input);
  return { retried, progress: await getJobStatus(db, input.jobId) };
}

export async function createImport(db: Sql, input: PrepareInput): Promise<JobStatusView> {
  return getJobStatus(db, (await create(db, input)).jobId);
}

/** POST /api/uploads/:id/complete. */
export async function completeUpload(db: Sql, uploadId: number, sha256: string | null): Promise<JobStatusView> {
  return getJobStatus(db, (await start.completeUpload(db, uploadId, sha256)).jobId);
}

/** POST /api/uploads/:id/fetch. */
export async function fetchSteps(db: Sql, uploadId: number, budgetMs?: number) {
  const { upload, jobId } = await start.fetchSteps(db, uploadId, budgetMs);
  return { upload, job: jobId === null ? null : await getJobStatus(db, jobId) };
}
