import { z } from 'zod';
import type { Db, Sql, Tx } from '../../db/client';
import type { ImportMode } from '../../db/schema';
import { env } from '../../env';
import { applyBatch, type BatchCounts, type BatchRef, type JobRef } from './apply';
import { ImportFailure } from '../errors';
import { injectFault, injectStall } from './faults';
import { isUndoing, type JobStatus } from '../state/machine';
import { prepareSteps, type StepOutcome } from './prepare-step';
import { getJobStatus, type JobStatusView } from '../view/status';
import { undoSteps, type UndoOutcome } from './undo';

export const processBatchInput = z.object({
  jobId: z.number().int().positive(),
  /** Keep claiming further batches until this much time has passed (0: one batch). */
  budgetMs: z.number().int().min(0).max(60_000).optional(),
  leaseSeconds: z.number().int().min(1).max(3_600).optional(),
});
export type ProcessBatchInput = z.input<typeof processBatchInput>;

export interface BatchOutcome {
  id: number;
  table: string;
  operation: string;
  batchNumber: number;
  attempt: number;
  /** `released`: the job was paused or cancelled before this batch applied; it went back to pending. */
  status: 'completed' | 'failed' | 'lease_lost' | 'released';
  durationMs: number;
  counts?: BatchCounts;
  error?: string;
}

interface Claimed extends BatchRef {
  id: number;
  leaseToken: string;
  attempts: number;
}

export interface ProcessBatchResult {
  processed: BatchOutcome[];
  /** Undo steps taken, when the job is being cancelled or rolled back. */
  undone: UndoOutcome[];
  /** Prepare steps taken, while the job is being prepared. */
  prepared: StepOutcome[];
  progress: JobStatusView;
}

/**
 * process-batch: advances a job by up to a time budget. While it runs: claim a runnable batch
 * with a lease, apply it and mark it completed in one transaction. The apply transaction first
 * re-locks the batch row and checks the lease is still ours, so a batch whose lease passed to
 * another driver is never applied twice, and a crash anywhere leaves the batch either
 * untouched (claimable once the lease expires) or done. While it is being cancelled or rolled
 * back: undo steps (undo.ts). Every driver calls just this.
 */
export async function processBatch(db: Db, raw: ProcessBatchInput): Promise<ProcessBatchResult> {
  const input = processBatchInput.parse(raw);
  const sql = db.$client;
  const budgetMs = input.budgetMs ?? env().IMPORT_BATCH_BUDGET_MS;
  const leaseSeconds = input.leaseSeconds ?? env().IMPORT_LEASE_SECONDS;
  const job = await loadJob(sql, input.jobId);
  const started = Date.now();
  const processed: BatchOutcome[] = [];
  let undone: UndoOutcome[] = [];
  let prepared: StepOutcome[] = [];

  if (job.status === 'preparing') {
    prepared = await prepareSteps(sql, input.jobId, budgetMs);
  } else if (job.status === 'running') {
    do {
      const batch = await claimBatch(sql, input.jobId, leaseSeconds);
      if (!batch) break;
      const outcome = await runClaimed(sql, job, batch);
      processed.push(outcome);
      if (outcome.status === 'released') break;
    } while (Date.now() - started < budgetMs);
  } else if (isUndoing(job.status)) {
    undone = await undoSteps(sql, input.jobId, budgetMs);
  }
  return { processed, undone, prepared, progress: await getJobStatus(db, input.jobId) };
}

async function loadJob(sql: Sql, jobId: number): Promise<JobRef & { id: number; status: JobStatus }> {
  const [job] = await sql<{ status: JobStatus; extract_number: number; snapshot_date: string | null; mode: ImportMode }[]>`
    select status, extract_number, snapshot_date, mode from import_jobs where id = ${jobId}`;
  if (!job) throw new ImportFailure('NOT_FOUND', `Import #${jobId} does not exist.`);
  return { id: jobId, status: job.status, extractNumber: job.extract_number, snapshotDate: job.snapshot_date, mode: job.mode };
}

/**
 * The next runnable batch: pending, or processing with an expired lease. Deletes of a table
 * finish before its inserts start; SKIP LOCKED lets concurrent drivers take different batches.
 */
export async function claimBatch(sql: Sql, jobId: number, leaseSeconds: number): Promise<Claimed | undefined> {
  const [row] = await sql<
    { id: number; table_name: string; operation: BatchRef['operation']; batch_number: number; row_count: number; lease_token: string; attempts: number }[]
  >`
    with next as (
      select b.id
      from import_job_batches b
      join import_jobs j on j.id = b.job_id
      where b.job_id = ${jobId}
        and j.status = 'running'
        and (b.status = 'pending' or (b.status = 'processing' and b.lease_expires_at < now()))
        and (b.operation <> 'insert' or not exists (
              select 1 from import_job_batches d
              where d.job_id = b.job_id and d.table_name = b.table_name
                and d.operation = 'delete' and d.status <> 'completed'))
      order by b.operation = 'insert', b.batch_number, b.table_name
      limit 1
      for update of b skip locked
    )
    update import_job_batches b
    set status = 'processing', attempts = b.attempts + 1, lease_token = gen_random_uuid(),
        lease_expires_at = now() + make_interval(secs => ${leaseSeconds}), started_at = now(), error_message = null
    from next
    where b.id = next.id
    returning b.id, b.table_name, b.operation, b.batch_number, b.row_count, b.lease_token, b.attempts`;
  if (!row) return undefined;
  return {
    id: Number(row.id),
    jobId,
    tableName: row.table_name,
    operation: row.operation,
    batchNumber: row.batch_number,
    rowCount: row.row_count,
    leaseToken: row.lease_token,
    attempts: row.attempts,
  };
}

class LeaseLost extends Error {}
class JobStopped extends Error {}

/** Transient failures are retried in place, this many attempts in all, with backoff between. */
export const MAX_TRANSIENT_ATTEMPTS = 3;
const TRANSIENT_BACKOFF_MS = 100;

/** Serialization failures, deadlocks, lock timeouts and dropped connections pass; retrying is safe. */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return (
    ['40001', '40P01', '55P03', '57P01', '57P02', '57P03'].includes(code) ||
    code.startsWith('08') ||
    ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED'].includes(code)
  );
}

async function logAttempt(
  sql: Sql | Tx,
  batch: Claimed,
  attempt: number,
  startedAt: Date,
  outcome: 'completed' | 'failed' | 'retried' | 'lease_lost' | 'released',
  error: string | null = null,
) {
  await sql`
    insert into import_batch_attempts (batch_id, job_id, attempt, outcome, started_at, error)
    values (${batch.id}, ${batch.jobId}, ${attempt}, ${outcome}, ${startedAt.toISOString()}::timestamptz, ${error})`;
}

async function runClaimed(sql: Sql, job: JobRef & { id: number }, batch: Claimed): Promise<BatchOutcome> {
  const started = Date.now();
  let attempt = batch.attempts;
  const base = () => ({ id: batch.id, table: batch.tableName, operation: batch.operation, batchNumber: batch.batchNumber, attempt });
  await injectStall();
  for (let tries = 1; ; tries++) {
    const attemptStarted = new Date();
    try {
      const counts = await sql.begin(async (tx) => {
        const [held] = await tx`
          select 1 from import_job_batches
          where id = ${batch.id} and lease_token = ${batch.leaseToken} and status = 'processing'
          for update`;
        if (!held) throw new LeaseLost();
        // Read after taking the batch row: a cancel's undo first waits for rows held like this
        // one, so a batch either commits before the undo starts or sees the job stopped here.
        const [now] = await tx<{ status: JobStatus }[]>`select status from import_jobs where id = ${job.id}`;
        if (now?.status !== 'running') throw new JobStopped();
        await injectFault(batch);
        const counts = await applyBatch(tx, job, batch);
        await tx`
          update import_job_batches
          set status = 'completed', completed_at = now(), lease_expires_at = null,
              duration_ms = ${Date.now() - started}, rows_inserted = ${counts.inserted}, rows_ended = ${counts.ended},
              rows_unchanged = ${counts.unchanged}, rows_duplicate = ${counts.duplicate}, rows_noop = ${counts.noop}
          where id = ${batch.id}`;
        await logAttempt(tx, batch, attempt, attemptStarted, 'completed');
        return counts;
      });
      return { ...base(), status: 'completed', durationMs: Date.now() - started, counts };
    } catch (err) {
      if (err instanceof LeaseLost) {
        await logAttempt(sql, batch, attempt, attemptStarted, 'lease_lost');
        return { ...base(), status: 'lease_lost', durationMs: Date.now() - started };
      }
      if (err instanceof JobStopped) {
        // Nothing was applied: hand the batch back untouched, as if it had never been claimed.
        await sql`
          update import_job_batches
          set status = 'pending', attempts = attempts - 1, lease_token = null, lease_expires_at = null, started_at = null
          where id = ${batch.id} and lease_token = ${batch.leaseToken} and status = 'processing'`;
        await logAttempt(sql, batch, attempt, attemptStarted, 'released');
        return { ...base(), status: 'released', durationMs: Date.now() - started };
      }
      const message = batchErrorMessage(err, tries);
      if (isTransient(err) && tries < MAX_TRANSIENT_ATTEMPTS) {
        console.warn(`[kbo-import] batch ${batch.id} attempt ${attempt} hit a transient error; retrying`, (err as Error).message);
        // The next attempt counts, and keeps the lease for as long as a fresh claim would.
        const kept = await sql`
          update import_job_batches
          set attempts = attempts + 1, lease_expires_at = now() + (lease_expires_at - started_at), started_at = now()
          where id = ${batch.id} and lease_token = ${batch.leaseToken} and status = 'processing'
          returning attempts`;
        await logAttempt(sql, batch, attempt, attemptStarted, 'retried', message).catch(() => undefined);
        if (kept.length === 0) return { ...base(), status: 'lease_lost', durationMs: Date.now() - started };
        attempt = Number(kept[0]?.attempts);
        await new Promise((r) => setTimeout(r, TRANSIENT_BACKOFF_MS * 2 ** (tries - 1)));
        continue;
      }
      console.error(`[kbo-import] batch ${batch.id} failed`, err);
      await sql`
        update import_job_batches
        set status = 'failed', error_message = ${message}, lease_expires_at = null, duration_ms = ${Date.now() - started}
        where id = ${batch.id} and lease_token = ${batch.leaseToken}`;
      await logAttempt(sql, batch, attempt, attemptStarted, 'failed', message);
      return { ...base(), status: 'failed', durationMs: Date.now() - started, error: message };
    }
  }
}

function batchErrorMessage(err: unknown, tries: number): string {
  if (err instanceof ImportFailure) return err.message;
  const code = (err as { code?: unknown }).code;
  const after = tries > 1 ? ` after ${tries} attempts` : '';
  return `The database refused this batch${typeof code === 'string' ? ` (${code})` : ''}${after}; the details are in the server log. Retry it, and if it fails again, check the server log.`;
}
