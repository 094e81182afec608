import type { Sql } from '../../db/client';
import { withoutJit } from '../../db/sql';
import { isDatabaseUnavailable } from '../../db/unavailable';
import { ImportFailure } from '../../errors';
import { findJob, type JobRow } from '../sql/jobs';
import {
  claimBatch,
  completeBatch,
  failBatch,
  holdLease,
  logAttempt,
  releaseBatch,
  renewForRetry,
  renewLease,
  type BatchCounts,
  type ClaimedBatch,
} from '../state/batch-moves';
import { ATTEMPT, JOB, type AttemptOutcome } from '../state/machine';
import { applyBatch } from './apply';
import { discardMoved, previewBatch, previewMoved, RegisterMoved } from './preview';
import { noticeOf } from './notices';
import { batchFault, injectFault, injectStall } from './faults';

export interface BatchOutcome {
  id: number;
  table: string;
  operation: string;
  batchNumber: number;
  attempt: number;
  /** `released`: the job was paused or cancelled before this batch applied; it went back to pending. */
  status: Exclude<AttemptOutcome, typeof ATTEMPT.retried>;
  durationMs: number;
  counts?: BatchCounts;
  error?: string;
}

/**
 * Claims runnable batches of a running job, one after another until the budget has passed,
 * and applies each with its completion in one transaction. The apply transaction first
 * re-locks the batch row and checks that the lease is still ours, so a batch whose lease
 * passed to another driver is never applied twice, and a crash anywhere leaves the batch
 * either untouched (claimable once the lease expires) or done. While it holds a batch the
 * driver renews its lease (a heartbeat every third of it), so leases can be short: a dead
 * driver's batch goes to another within a lease (IMPORT_LEASE_SECONDS, 10 s by default).
 */
export async function processBatches(sql: Sql, job: JobRow, budgetMs: number, leaseSeconds: number): Promise<BatchOutcome[]> {
  const started = Date.now();
  const processed: BatchOutcome[] = [];
  do {
    const batch = await claimBatch(sql, job.id, leaseSeconds);
    if (!batch) break;
    const outcome = await withHeartbeat(sql, batch, leaseSeconds, () => runClaimed(sql, job, batch));
    processed.push(outcome);
    if (outcome.status === ATTEMPT.released) break;
  } while (Date.now() - started < budgetMs);
  return processed;
}

async function withHeartbeat<T>(sql: Sql, batch: ClaimedBatch, leaseSeconds: number, run: () => Promise<T>): Promise<T> {
  let beating = Promise.resolve();
  const timer = setInterval(() => {
    // One renewal at a time; a failed one (the database away) is the next one's to make.
    beating = beating.then(() => renewLease(sql, batch, leaseSeconds).then(
      () => undefined,
      () => undefined,
    ));
  }, (leaseSeconds * 1000) / 3);
  timer.unref();
  try {
    return await run();
  } finally {
    clearInterval(timer);
    await beating;
  }
}

class LeaseLost extends Error {}
class JobStopped extends Error {}

/** Transient failures are retried in place, this many attempts in all, with backoff between. */
export const MAX_TRANSIENT_ATTEMPTS = 3;
const TRANSIENT_BACKOFF_MS = 100;

/** Serialization failures, deadlocks, lock timeouts and a database that went away pass; retrying is safe. */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'string' && ['40001', '40P01', '55P03'].includes(code)) || isDatabaseUnavailable(err);
}

async function runClaimed(sql: Sql, job: JobRow, batch: ClaimedBatch): Promise<BatchOutcome> {
  const started = Date.now();
  let attempt = batch.attempts;
  const base = () => ({ id: batch.id, table: batch.tableName, operation: batch.operation, batchNumber: batch.batchNumber, attempt });
  const ended = (status: BatchOutcome['status'], more: Partial<BatchOutcome> = {}): BatchOutcome => ({ ...base(), status, durationMs: Date.now() - started, ...more });
  await injectStall(sql);
  for (let tries = 1; ; tries++) {
    const attemptStarted = new Date();
    try {
      const fault = await batchFault(sql, batch);
      const counts = await sql.begin(async (tx) => {
        if (!(await holdLease(tx, batch))) throw new LeaseLost();
        // Read after taking the batch row: a cancel's undo first waits for rows held like this
        // one, so a batch either commits before the undo starts or sees the job stopped here.
        // Read here, not from the call's start: a preview applied meanwhile is an import now. A
        // preview's batch holds its job's row (shared), so Discard waits for it.
        let now = await findJob(tx, job.id);
        if (now?.preview) now = await findJob(tx, job.id, 'share');
        if (now?.status !== JOB.running) throw new JobStopped();
        await injectFault(tx, fault, batch);
        await withoutJit(tx);
        const counts = now.preview ? await previewBatch(tx, now, batch) : await applyBatch(tx, now, batch);
        await completeBatch(tx, batch, counts, Date.now() - started);
        await logAttempt(tx, batch, attempt, attemptStarted, ATTEMPT.completed);
        return counts;
      });
      return ended(ATTEMPT.completed, { counts });
    } catch (err) {
      if (err instanceof LeaseLost) {
        await logAttempt(sql, batch, attempt, attemptStarted, ATTEMPT.lease_lost);
        return ended(ATTEMPT.lease_lost);
      }
      if (err instanceof RegisterMoved) {
        // Another import moved the register while this preview ran: what it says is stale.
        await releaseBatch(sql, batch);
        await discardMoved(sql, job.id, err);
        return ended(ATTEMPT.released, { error: err.message });
      }
      if (err instanceof JobStopped) {
        // Nothing was applied: hand the batch back untouched, as if it had never been claimed.
        await releaseBatch(sql, batch);
        await logAttempt(sql, batch, attempt, attemptStarted, ATTEMPT.released);
        return ended(ATTEMPT.released);
      }
      const message = batchErrorMessage(err, tries);
      if (isTransient(err) && tries < MAX_TRANSIENT_ATTEMPTS) {
        console.warn(`[kbo-import] batch ${batch.id} attempt ${attempt} hit a transient error; retrying`, (err as Error).message);
        const renewed = await renewForRetry(sql, batch);
        await logAttempt(sql, batch, attempt, attemptStarted, ATTEMPT.retried, message).catch(() => undefined);
        if (renewed === undefined) return ended(ATTEMPT.lease_lost);
        attempt = renewed;
        await new Promise((r) => setTimeout(r, TRANSIENT_BACKOFF_MS * 2 ** (tries - 1)));
        continue;
      }
      console.error(`[kbo-import] batch ${batch.id} failed`, err);
      const moved = await failBatchOf(sql, job, batch, { attempt, attemptStarted, message, durationMs: Date.now() - started });
      if (moved) return ended(ATTEMPT.released, { error: moved.message });
      return ended(ATTEMPT.failed, { error: message });
    }
  }
}

/**
 * A batch that failed for good: failed (with its attempt logged and its notice recorded, the
 * job's row taken first, as an undo takes it before the batches: the other order deadlocked with
 * a cancel). A preview whose register moved meanwhile (what it ran into was another import's
 * rows) is dropped instead: returned, for the caller to report the batch handed back.
 */
async function failBatchOf(
  sql: Sql,
  job: JobRow,
  batch: ClaimedBatch,
  f: { attempt: number; attemptStarted: Date; message: string; durationMs: number },
): Promise<RegisterMoved | null> {
  const moved = job.preview ? await previewMoved(sql, job.id) : null;
  if (moved) {
    await releaseBatch(sql, batch);
    await discardMoved(sql, job.id, moved);
    return moved;
  }
  await sql.begin(async (tx) => {
    await tx`select 1 from import_jobs where id = ${job.id} for key share`;
    if (!(await failBatch(tx, batch, f.message, f.durationMs))) return;
    await logAttempt(tx, batch, f.attempt, f.attemptStarted, ATTEMPT.failed, f.message);
    await noticeOf(tx, job.id, { kind: 'batchFailed', batch, attempt: f.attempt, error: f.message });
  });
  return null;
}

function batchErrorMessage(err: unknown, tries: number): string {
  if (err instanceof ImportFailure) return err.message;
  const code = (err as { code?: unknown }).code;
  const after = tries > 1 ? ` after ${tries} attempts` : '';
  return `The database refused this batch${typeof code === 'string' ? ` (${code})` : ''}${after}; the details are in the server log. Retry it, and if it fails again, check the server log.`;
}
