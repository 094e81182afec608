import { z } from 'zod';
import type { Sql } from '../../db/client';
import { env } from '../../env';
import { anyIndexing, getJob } from '../sql/jobs';
import { isUndoing, JOB } from '../state/machine';
import { analyzeSteps } from './analyze';
import { changeListSteps } from './change-list';
import { buildsFirst, indexSteps } from './indexes';
import { prepareSteps, type StepOutcome } from './prepare/step';
import { processBatches, type BatchOutcome } from './process';
import { undoSteps, type UndoOutcome } from './undo';
import { sendNotices } from './notices';
import { changePartsProgress } from '../sql/changes';
import { matchSteps } from '../../watch';

export const advanceInput = z.object({
  jobId: z.number().int().positive(),
  /** Keep going until this much time has passed (0: one batch or step). */
  budgetMs: z.number().int().min(0).max(60_000).optional(),
  leaseSeconds: z.number().int().min(1).max(3_600).optional(),
});
export type AdvanceInput = z.input<typeof advanceInput>;

/** What one advance call did. */
export interface Advanced {
  processed: BatchOutcome[];
  /** Undo steps taken, when the job is being cancelled or rolled back. */
  undone: UndoOutcome[];
  /** Prepare steps taken, while the job is being prepared. */
  prepared: StepOutcome[];
  /** Tables whose statistics were refreshed, once the job completed (analyze.ts). */
  analyzed: string[];
  /** Parts of its change list worked out, once the job completed (change-list.ts). */
  listed: number;
  /** Partitions' indexes built, after a FULL that deferred them (indexes.ts). */
  indexed: number;
  /** Parts of its matching against the watchlists done, once its change list was (lib/watch). */
  matched?: number;
}

/**
 * The one call every driver makes (POST …/step): moves a job on by whatever its
 * status asks for, within a time budget. Preparing: prepare steps (prepare/step.ts).
 * Running: batches (process.ts). Cancelling or rolling back: undo steps (undo.ts).
 * Completed with statistics still stale: ANALYZE, a table at a time (analyze.ts); then its
 * change list, a part at a time (change-list.ts). Otherwise nothing. Before all that, while a
 * FULL's deferred indexes are left to build, those, a partition at a time (indexes.ts): any
 * job's call takes them, but the FULL's own until it has loaded.
 */
export async function advanceJob(sql: Sql, raw: AdvanceInput): Promise<Advanced> {
  const input = advanceInput.parse(raw);
  const budgetMs = input.budgetMs ?? env().IMPORT_BATCH_BUDGET_MS;
  const started = Date.now();
  const job = await getJob(sql, input.jobId);
  const did: Advanced = { processed: [], undone: [], prepared: [], analyzed: [], listed: 0, indexed: 0 };
  if (await buildsFirst(sql, job)) {
    did.indexed = await indexSteps(sql, Date.now() + budgetMs, true);
    // The job's own work waits until the last index is built (by this driver or another).
    if (await anyIndexing(sql)) return did;
  }
  if (job.status === JOB.preparing) did.prepared = await prepareSteps(sql, job.id, budgetMs);
  else if (job.status === JOB.running) did.processed = await processBatches(sql, job, budgetMs, input.leaseSeconds ?? env().IMPORT_LEASE_SECONDS);
  else if (isUndoing(job.status)) did.undone = await undoSteps(sql, job.id, budgetMs);
  else if (job.status === JOB.completed && job.analyzePending.length > 0) did.analyzed = await analyzeSteps(sql, job.id, Date.now() + budgetMs, true);
  // No part left: the first claim finds none and this is 0.
  else if (job.status === JOB.completed) {
    did.listed = await changeListSteps(sql, job, Date.now() + budgetMs, true);
    // Then the watchlists, once every part of the list is in (a part another driver holds is not yet).
    const list = await changePartsProgress(sql, job.id);
    if (did.listed === 0 && list.done === list.total) did.matched = await matchSteps(sql, job.id, Date.now() + budgetMs, true);
  }
  // What this call (or another) recorded and has not gone out yet: a refused file, a failed batch, a retry due.
  await sendNotices(sql, started + budgetMs);
  return did;
}
